/// Why a command could not be run at all (as opposed to running and failing).
///
/// A command that runs and exits non-zero is a ``CommandResult``, never a
/// `FleetError`. This error means the command never got a fair chance: the
/// program is missing, the spawn failed, the host could not be reached or did not
/// prove its identity, or the argv itself was unacceptable.
public struct FleetError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The family of failure.
    public enum Kind: String, Sendable, Equatable {
        /// `argv[0]` does not exist (or is not on `PATH`).
        case programNotFound
        /// The operating system refused to start the process (or a pipe/syscall failed).
        case spawnFailed
        /// The remote host could not be reached (refused, timed out, unresolvable, closed).
        case unreachable
        /// The remote host's key did not match the pinned known_hosts entry.
        case hostKeyMismatch
        /// The argv was empty or contained a character that cannot be passed safely.
        case invalidArgument
    }

    /// The family of failure.
    public var kind: Kind
    /// What went wrong, in words a person can act on.
    public var message: String
    /// The inventory name of the host, or nil for a local command.
    public var host: String?
    /// The argv that was being run.
    public var argv: [String]

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - kind: The family of failure.
    ///   - message: What went wrong and, ideally, what to check.
    ///   - host: The inventory name of the host (nil when local).
    ///   - argv: The argv that was being run.
    public init(_ kind: Kind, _ message: String, host: String? = nil, argv: [String] = []) {
        self.kind = kind
        self.message = message
        self.host = host
        self.argv = argv
    }

    /// One line: kind, host, message and the argv (JSON-ish quoted so spaces show).
    public var description: String {
        let place = host.map { " on \($0)" } ?? ""
        let args = argv.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ", ")
        return "\(kind.rawValue)\(place): \(message) [argv: \(args)]"
    }
}
