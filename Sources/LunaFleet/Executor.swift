/// Something that runs an argv on one host and reports the result.
///
/// Implementations never go through a local shell: the argv is spawned directly
/// (``LocalExecutor``) or quoted element by element for the remote login shell
/// (``SSHExecutor``). A command's own non-zero exit is a normal ``CommandResult``.
public protocol Executor: Sendable {
    /// The inventory name of the host this executor reaches.
    var host: String { get }

    /// Runs `argv` on ``host`` and waits for it to finish.
    ///
    /// - Parameters:
    ///   - argv: The program and its arguments, passed verbatim.
    ///   - timeout: How long the command may run before it is killed.
    /// - Returns: The exit status and captured output.
    /// - Throws: ``FleetError`` when the command could not be run at all.
    func run(_ argv: [String], timeout: Duration) throws(FleetError) -> CommandResult

    /// Runs `argv` like ``run(_:timeout:)`` and reports the local child's pid as soon as it exists.
    ///
    /// The pid is also the child's process group (``ProcessRunner`` starts it in a
    /// group of its own), so a caller can record it and later tell whether the
    /// command outlived the caller. For ``SSHExecutor`` it is the `ssh` client's.
    func run(_ argv: [String], timeout: Duration, onSpawn: @escaping (Int32) -> Void) throws(FleetError) -> CommandResult
}

extension Executor {
    /// Executors that cannot report a pid run the command without calling `onSpawn`.
    public func run(_ argv: [String], timeout: Duration, onSpawn: @escaping (Int32) -> Void) throws(FleetError) -> CommandResult {
        try run(argv, timeout: timeout)
    }
}
