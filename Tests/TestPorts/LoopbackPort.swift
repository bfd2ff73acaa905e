import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An unused loopback port for a peer or child process to listen on.
///
/// Ports come from below the kernel's ephemeral range (32768–60999 on Linux), so an outgoing
/// connection cannot take the port between this check and the peer's bind — the race that a
/// port-0 probe loses under load — and each port is handed out once per test process.
public func unusedLoopbackPort() throws -> Int {
    try PortAllocator.shared.next()
}

public struct NoFreePortError: Error, CustomStringConvertible {
    public var description: String
}

private final class PortAllocator: @unchecked Sendable {
    static let shared = PortAllocator()
    private let lock = NSLock()
    private var handedOut: Set<Int> = []
    private let range = 20_000..<32_000

    func next() throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        for _ in 0..<2_000 {
            let candidate = Int.random(in: range)
            guard !handedOut.contains(candidate), canBind(candidate) else { continue }
            handedOut.insert(candidate)
            return candidate
        }
        throw NoFreePortError(description: "no free loopback port in \(range)")
    }

    private func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 }
        }
    }
}
