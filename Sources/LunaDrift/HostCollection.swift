import Foundation
import LunaFleet

/// Runs a host's read-only collections: in one round trip when the executor can
/// batch (``BatchExecutor``, i.e. ssh), one by one otherwise (local).
public enum HostCollection {
    /// Runs `commands` on one host.
    ///
    /// - Parameters:
    ///   - commands: Each collection's argv.
    ///   - executor: The host's executor.
    ///   - timeout: The limit per command (local) or for the whole batch (ssh).
    /// - Returns: One entry per command: its result, or the reason it was not collected.
    /// - Throws: ``FleetError`` `.unreachable` / `.hostKeyMismatch` (or another
    ///   transport failure) when a batching executor could not run the batch at all.
    public static func run(_ commands: [[String]], executor: any Executor,
                           timeout: Duration) throws(FleetError) -> [Result<CommandResult, FleetError>] {
        if let batching = executor as? any BatchExecutor {
            guard !commands.isEmpty else { return [] }
            let results = try batching.runBatch(commands, timeout: timeout)
            return zip(commands, results).map { argv, result in
                if let result { return .success(result) }
                return .failure(FleetError(.spawnFailed, "not collected: the batch did not finish (timed out or output cut at the limit)",
                                           host: executor.host, argv: argv))
            }
        }
        return commands.map { argv in
            do throws(FleetError) { return .success(try executor.run(argv, timeout: timeout)) } catch { return .failure(error) }
        }
    }

    /// Runs every check on one host: plans them, collects in one round trip where
    /// possible, and evaluates each output.
    ///
    /// - Parameters:
    ///   - checks: The checks to run, in report order.
    ///   - host: The inventory name.
    ///   - executor: The host's executor.
    ///   - references: The ops repo's references.
    ///   - timeout: See ``run(_:executor:timeout:)``.
    /// - Returns: One result per check.
    /// - Throws: ``FleetError`` when the host could not be reached (see ``run(_:executor:timeout:)``).
    public static func check(_ checks: [any DriftCheck], host: String, executor: any Executor, references: References,
                             timeout: Duration) throws(FleetError) -> [CheckResult] {
        var results: [CheckResult?] = []
        var pending: [(index: Int, check: any DriftCheck, argv: [String], reference: Baseline?)] = []
        for check in checks {
            switch check.plan(host: host, references: references) {
            case .done(let result): results.append(result)
            case .run(let argv, let reference):
                pending.append((results.count, check, argv, reference))
                results.append(nil)
            }
        }
        let outputs = try run(pending.map(\.argv), executor: executor, timeout: timeout)
        for (entry, output) in zip(pending, outputs) {
            results[entry.index] = interpret(entry.check, host: host, argv: entry.argv, output: output, reference: entry.reference)
        }
        return results.compactMap { $0 }
    }

    /// Turns one collection's outcome into the check's result (as ``DriftCheck/run(host:executor:references:timeout:)`` does).
    static func interpret(_ check: any DriftCheck, host: String, argv: [String], output: Result<CommandResult, FleetError>,
                          reference: Baseline?) -> CheckResult {
        switch output {
        case .failure(let error):
            if error.kind == .programNotFound {
                return check.unavailable(host, "\((argv[0] as NSString).lastPathComponent) not installed")
            }
            return check.failed(host, error.description)
        case .success(let output):
            if output.timedOut { return check.failed(host, "\(argv[0]) timed out after \(Int(output.duration)) s") }
            if output.exitStatus == 127 { return check.unavailable(host, "\(argv[0]) not installed") }
            return check.evaluate(host: host, output: output, reference: reference)
        }
    }
}
