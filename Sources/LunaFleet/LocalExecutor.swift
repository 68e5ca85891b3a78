/// Runs commands on this machine with ``ProcessRunner`` (posix_spawn, no shell).
public struct LocalExecutor: Executor {
    /// The inventory name reported in results and errors.
    public let host: String
    /// Bytes kept from each of stdout and stderr; the rest is discarded.
    public let outputLimit: Int

    /// Creates a local executor.
    ///
    /// - Parameters:
    ///   - host: The inventory name of this machine (default `localhost`).
    ///   - outputLimit: Bytes kept from each output stream (default 1 MiB).
    public init(host: String = "localhost", outputLimit: Int = 1 << 20) {
        self.host = host
        self.outputLimit = outputLimit
    }

    /// Runs `argv` locally and waits for it.
    ///
    /// - Parameters:
    ///   - argv: The program (absolute, or found on `PATH`) and its arguments.
    ///   - timeout: How long before SIGTERM (then SIGKILL 2 s later) to its process group.
    /// - Returns: The exit status and captured output.
    /// - Throws: ``FleetError`` (with ``host`` set) when the command could not start.
    public func run(_ argv: [String], timeout: Duration) throws(FleetError) -> CommandResult {
        try run(argv, timeout: timeout, onSpawn: { _ in })
    }

    /// Runs `argv` locally, reporting the child's pid (its process group) once spawned.
    public func run(_ argv: [String], timeout: Duration, onSpawn: @escaping (Int32) -> Void) throws(FleetError) -> CommandResult {
        do {
            return try ProcessRunner.run(argv, timeout: timeout, outputLimit: outputLimit, onSpawn: onSpawn)
        } catch {
            var located = error
            located.host = host
            throw located
        }
    }
}
