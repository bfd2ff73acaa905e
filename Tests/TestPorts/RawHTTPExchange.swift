import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct RawHTTPError: Error, CustomStringConvertible {
    public var description: String
}

/// Sends `writes` to 127.0.0.1:`port`, one `write` call each, and returns everything the server sends until it closes.
///
/// For requests a client library will not make, such as a body in several chunks of a chunked transfer.
/// The blocking socket work runs on a Dispatch queue, off the cooperative pool the server under test uses.
public func rawHTTPExchange(port: Int, writes: [String]) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try blockingExchange(port: port, writes: writes) })
        }
    }
}

private func blockingExchange(port: Int, writes: [String]) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw RawHTTPError(description: "socket: errno \(errno)") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 30, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw RawHTTPError(description: "connect to 127.0.0.1:\(port): errno \(errno)") }
    for text in writes {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw RawHTTPError(description: "send: errno \(errno)") }
            sent += n
        }
    }
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { break }
        guard n > 0 else { throw RawHTTPError(description: "recv: errno \(errno) after \(received.count) bytes") }
        received += chunk[0..<n]
    }
    return String(decoding: received, as: UTF8.self)
}
