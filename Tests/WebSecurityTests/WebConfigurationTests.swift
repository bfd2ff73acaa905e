import Testing
@testable import WebSecurity
