import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on `<storage.path>.lock`, held for the life of `vigil serve`.
///
/// The kernel releases it when the process ends however it ends, so a crash never leaves a stale lock.
final class StorageLock: Sendable {
    let descriptor: Int32
    let path: String

    struct Busy: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "lock \(path): \(reason)" }
    }

    init(storagePath: String) throws(Busy) {
        path = storagePath + ".lock"
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Busy(path: path, reason: String(cString: strerror(errno))) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "the storage is in use by another vigil serve" : String(cString: strerror(errno))
            close(descriptor)
            throw Busy(path: path, reason: reason)
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
