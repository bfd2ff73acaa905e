import Crypto
import Foundation
import HummingbirdBcrypt
import Dispatch
import Synchronization

/// BasicAuthVerifier checks basic-auth credentials against bcrypt hashes, remembering recent answers.
///
/// Bcrypt is slow on purpose (tens of milliseconds at cost 10), so, as exporter-toolkit does, the outcome for a
/// (user, hash, password) triple is cached under a SHA-256 of the three: a client sending the same credentials on
/// every request pays for bcrypt once, and no password is kept in memory. A changed hash (a reload) is a new key.
/// Unknown users are checked against a fixed hash so that timing does not reveal which user names exist.
public final class BasicAuthVerifier: Sendable {
    /// Most answers kept; past it, an arbitrary entry makes room, as exporter-toolkit's cache does.
    public static let cacheCapacity = 100
    /// A hash of no password anyone knows, compared for unknown users so they cost as much as known ones.
    static let decoyHash = "$2b$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"

    private let cache = Mutex<[SHA256Digest: Bool]>([:])
    /// How many times bcrypt actually ran, for tests and the curious.
    private let bcryptRuns = Atomic<Int>(0)

    public init() {}

    public var bcryptComparisons: Int { bcryptRuns.load(ordering: .relaxed) }

    /// Whether `user` with `password` is allowed in by `users` (user → bcrypt hash).
    public func verify(user: String, password: String, users: [String: String]) async -> Bool {
        let known = users[user]
        let hash = known ?? Self.decoyHash
        var hasher = SHA256()
        for part in [user, hash, password] {
            hasher.update(data: Array(part.utf8))
            hasher.update(data: [0])
        }
        let key = hasher.finalize()
        if let cached = cache.withLock({ $0[key] }) { return cached && known != nil }
        let verifiable = BcryptHash.verifiable(hash)
        bcryptRuns.add(1, ordering: .relaxed)
        // Off the cooperative pool: a burst of new credentials must not stall every other request.
        let matches = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Bcrypt.verify(password, hash: verifiable)) }
        }
        cache.withLock { entries in
            if entries.count >= Self.cacheCapacity, let victim = entries.keys.randomElement() { entries[victim] = nil }
            entries[key] = matches
        }
        return matches && known != nil
    }

    /// User and password from an `Authorization: Basic …` value, or nil when it is not one.
    public static func credentials(fromAuthorization value: String) -> (user: String, password: String)? {
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
              let text = String(data: decoded, encoding: .utf8),
              let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
