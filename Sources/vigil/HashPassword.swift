import ArgumentParser
import Foundation
import HummingbirdBcrypt

/// `vigil hash-password`: the bcrypt hash of a password, for `basic_auth_users` in a web configuration file.
struct HashPassword: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-password",
        abstract: "Print the bcrypt hash of a password read from standard input, for basic_auth_users.",
        discussion: """
            The password is the first line of standard input (not an argument, so it stays out of the shell history \
            and the process list): `printf '%s' "$PASSWORD" | vigil hash-password`. The same bcrypt that verifies \
            requests computes the hash; `htpasswd -nBC 10 user` (apache2-utils) gives an equivalent one.
            """
    )

    @Option(help: "bcrypt cost, 4 to 31: each step doubles the time a check takes.")
    var cost: Int = 10

    func validate() throws {
        guard (4...31).contains(cost) else { throw ValidationError("--cost must be between 4 and 31, got \(cost)") }
    }

    func run() throws {
        let password = readLine(strippingNewline: true) ?? ""
        guard !password.isEmpty else {
            throw ValidationError("no password on standard input")
        }
        // bcrypt reads at most 72 bytes; longer passwords would be silently truncated, so refuse them.
        guard password.utf8.count <= 72 else {
            throw ValidationError("bcrypt uses at most 72 bytes of a password; this one has \(password.utf8.count)")
        }
        print(Bcrypt.hash(password, cost: UInt8(cost)))
    }
}
