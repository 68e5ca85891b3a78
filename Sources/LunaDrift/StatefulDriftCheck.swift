import Foundation
import LunaFleet

/// A drift check that remembers where its last collection ended (a journal cursor, a log offset).
///
/// Optional: the scan loop asks a check for its saved state only when it
/// conforms. The state is an opaque string kept by the caller (the Agent keeps
/// it in the ledger's key-value table under `stateKey(host:)`); a check that
/// has none yet collects its default window.
public protocol StatefulDriftCheck: DriftCheck {
    /// The key under which this check's state for `host` is kept.
    func stateKey(host: String) -> String
    /// Decides what to run on `host`, continuing from `state` (nil on the first run).
    func plan(host: String, references: References, state: String?) -> CollectionPlan
    /// Compares the collected output with the reference, knowing the state the collection started from.
    ///
    /// The default ignores `previous` and calls ``DriftCheck/evaluate(host:output:reference:)``;
    /// a check whose verdict depends on where it continued from (a log file that may
    /// have been rotated since) implements this one.
    ///
    /// - Parameters:
    ///   - output: What the collection printed.
    ///   - previous: The state the collection started from (the one given to `plan`).
    func evaluate(host: String, output: CommandResult, reference: Baseline?, previous: String?) -> CheckResult
    /// The state to keep after this collection, or nil to keep the previous one.
    ///
    /// - Parameters:
    ///   - output: What the collection printed.
    ///   - previous: The state the collection started from.
    func nextState(host: String, output: CommandResult, reference: Baseline?, previous: String?) -> String?
}

extension StatefulDriftCheck {
    public func stateKey(host: String) -> String { "drift.\(name).\(host)" }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?, previous: String?) -> CheckResult {
        evaluate(host: host, output: output, reference: reference)
    }

    /// Without saved state: the default window.
    public func plan(host: String, references: References) -> CollectionPlan {
        plan(host: host, references: references, state: nil)
    }

    /// Runs the check from `state` and returns its result with the state to keep (nil: keep the old one).
    ///
    /// The state only advances when the collection was evaluated (`ok` or
    /// `drift`), so a failed run is counted again by the next one.
    public func run(host: String, executor: any Executor, references: References, state: String?,
                    timeout: Duration = .seconds(60)) -> (result: CheckResult, state: String?) {
        switch plan(host: host, references: references, state: state) {
        case .done(let result):
            return (result, nil)
        case .run(let argv, let reference):
            do {
                let output = try executor.run(argv, timeout: timeout)
                if output.timedOut { return (failed(host, "\(argv[0]) timed out after \(Int(output.duration)) s"), nil) }
                if output.exitStatus == 127 { return (unavailable(host, "\(argv[0]) not installed"), nil) }
                let result = evaluate(host: host, output: output, reference: reference, previous: state)
                guard result.status == .ok || result.status == .drift else { return (result, nil) }
                return (result, nextState(host: host, output: output, reference: reference, previous: state))
            } catch {
                if error.kind == .programNotFound {
                    return (unavailable(host, "\((argv[0] as NSString).lastPathComponent) not installed"), nil)
                }
                return (failed(host, error.description), nil)
            }
        }
    }
}
