/// Runs every argv as `sudo -n -u RUNAS -- ARGV` on the executor it wraps: how an
/// action reaches root through the limited identity's allowlist.
///
/// Always `-u`: the gate judged exactly this target (with no `-u`, sudo would use
/// `runas_default`, and an empty runas list `()` would match differently). Always
/// `-n`: sudo never prompts; a rule that needs a password fails instead of hanging.
public struct SudoExecutor: Executor {
    /// The executor that reaches the host.
    public let base: any Executor
    /// Absolute path of sudo on the host.
    public let sudoPath: String
    /// The user the command runs as.
    public let runas: String

    public init(_ base: any Executor, sudoPath: String, runas: String) {
        self.base = base
        self.sudoPath = sudoPath
        self.runas = runas
    }

    public var host: String { base.host }

    /// The argv actually spawned for `argv`.
    public func wrapped(_ argv: [String]) -> [String] {
        Self.wrap(argv, sudoPath: sudoPath, runas: runas)
    }

    /// `sudo -n -u RUNAS -- ARGV`.
    public static func wrap(_ argv: [String], sudoPath: String, runas: String) -> [String] {
        [sudoPath, "-n", "-u", runas, "--"] + argv
    }

    public func run(_ argv: [String], timeout: Duration) throws(FleetError) -> CommandResult {
        try base.run(wrapped(argv), timeout: timeout)
    }

    public func run(_ argv: [String], timeout: Duration, onSpawn: @escaping (Int32) -> Void) throws(FleetError) -> CommandResult {
        try base.run(wrapped(argv), timeout: timeout, onSpawn: onSpawn)
    }
}
