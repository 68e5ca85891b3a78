import Foundation
import LunaFleet

/// How a collection that needs root (``DriftCheck/needsRoot``) is run, as the
/// caller decided it (the scan asks the gate for the host's declared read set).
public enum Elevation: Sendable, Equatable {
    /// As it is, as the transport's user (`execution = "direct"`: nothing is elevated).
    case asIs
    /// This argv instead: the collection wrapped in `sudo -n -u root --`.
    case sudo([String])
    /// Not at all: the check is `unavailable` for this reason (what to add where).
    case refused(String)
}

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
        try check(checks, host: host, executor: executor, references: references, timeout: timeout, state: { _ in nil }).results
    }

    /// Like ``check(_:host:executor:references:timeout:)``, for checks that keep state
    /// between scans (``StatefulDriftCheck``): each starts from `state(key)` and the
    /// states to keep are returned (only for collections that were evaluated, `ok` or
    /// `drift`, so a failed run is counted again by the next one).
    ///
    /// A check that needs root runs as `elevate` decides (``Elevation``); the
    /// default runs it as it is. Through sudo, a refusal by sudo itself (a password
    /// is required, the command is not allowed) makes the check `unavailable` with
    /// sudo's words: never `ok`, so it resolves nothing.
    ///
    /// - Returns: The results in check order, and `(key, value)` pairs to store.
    public static func check(_ checks: [any DriftCheck], host: String, executor: any Executor, references: References,
                             timeout: Duration, now: Date = Date(), state: (String) -> String?,
                             elevate: (_ check: any DriftCheck, _ argv: [String]) -> Elevation = { _, _ in .asIs }) throws(FleetError)
        -> (results: [CheckResult], states: [(key: String, value: String)]) {
        var results: [CheckResult?] = []
        var pending: [(index: Int, check: any DriftCheck, argv: [String], spawn: [String], reference: Baseline?, previous: String?)] = []
        for check in checks {
            let previous = (check as? any StatefulDriftCheck).flatMap { state($0.stateKey(host: host)) }
            let plan = (check as? any StatefulDriftCheck).map { $0.plan(host: host, references: references, state: previous) }
                ?? check.plan(host: host, references: references)
            switch plan {
            case .done(let result): results.append(result)
            case .run(let argv, let reference):
                var spawn = argv
                if check.needsRoot {
                    switch elevate(check, argv) {
                    case .asIs: break
                    case .sudo(let wrapped): spawn = wrapped
                    case .refused(let reason):
                        results.append(check.unavailable(host, reason))
                        continue
                    }
                }
                pending.append((results.count, check, argv, spawn, reference, previous))
                results.append(nil)
            }
        }
        let outputs = try run(pending.map(\.spawn), executor: executor, timeout: timeout)
        var states: [(key: String, value: String)] = []
        for (entry, output) in zip(pending, outputs) {
            if entry.spawn != entry.argv, case .success(let out) = output, let refusal = sudoRefusal(out) {
                results[entry.index] = entry.check.unavailable(host, "needs root, and sudo refused it on the host: \(refusal)")
                continue
            }
            let result = interpret(entry.check, host: host, argv: entry.argv, output: output, reference: entry.reference, now: now,
                                   previous: entry.previous)
            results[entry.index] = result
            if let stateful = entry.check as? any StatefulDriftCheck, case .success(let out) = output,
               result.status == .ok || result.status == .drift,
               let next = stateful.nextState(host: host, output: out, reference: entry.reference, previous: entry.previous) {
                states.append((stateful.stateKey(host: host), next))
            }
        }
        return (results.compactMap { $0 }, states)
    }

    /// sudo's own refusal in a collection's result, or nil when sudo ran the command.
    ///
    /// sudo exits 1 when it runs nothing and says why on stderr, each line
    /// starting `sudo: ` (`a password is required`, `command not found`, …) or
    /// `Sorry, user … is not allowed …`.
    public static func sudoRefusal(_ output: CommandResult) -> String? {
        guard output.exitStatus == 1 else { return nil }
        let lines = output.stderrText.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("sudo: ") || $0.hasPrefix("Sorry, user ") }
        guard !lines.isEmpty else { return nil }
        let text = lines.prefix(3).joined(separator: "; ")
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    /// Turns one collection's outcome into the check's result (as ``DriftCheck/run(host:executor:references:timeout:)`` does).
    /// A stateful check is evaluated with the state its collection started from (`previous`).
    static func interpret(_ check: any DriftCheck, host: String, argv: [String], output: Result<CommandResult, FleetError>,
                          reference: Baseline?, now: Date = Date(), previous: String? = nil) -> CheckResult {
        switch output {
        case .failure(let error):
            if error.kind == .programNotFound {
                return check.unavailable(host, "\((argv[0] as NSString).lastPathComponent) not installed")
            }
            return check.failed(host, error.description)
        case .success(let output):
            if output.timedOut { return check.failed(host, "\(argv[0]) timed out after \(Int(output.duration)) s") }
            if output.exitStatus == 127 { return check.unavailable(host, "\(argv[0]) not installed") }
            if output.stdoutTruncated { return check.failed(host, cutMessage(argv, output)) }
            if let stateful = check as? any StatefulDriftCheck {
                return stateful.evaluate(host: host, output: output, reference: reference, previous: previous)
            }
            return check.evaluate(host: host, output: output, reference: reference, now: now)
        }
    }
}
