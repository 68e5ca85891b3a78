import Foundation
import LunaText
import LunaConfig
import LunaDrift
import LunaFleet
import LunaMemory
import LunaPolicy
import LunaStore

/// Execution: runs each approved proposal at most once after checking its approval
/// binding and the gate again, verifies it (its verification, in the declared read
/// set, then the finding's own check) and stores the outcome.
public struct ExecutionService: AgentService {
    public let context: AgentContext

    /// Runs every approved proposal once, verifies it and stores the outcome.
    ///
    /// - Parameter shouldStop: Checked between proposals, so a stop request waits
    ///   only for the action in flight.
    /// - Returns: The ids that ran (or were refused at the last moment).
    public func executeApproved(shouldStop: () -> Bool = { false }) throws -> [Int64] {
        var handled: [Int64] = []
        for p in try ledger.proposals(state: .approved) {
            if shouldStop() { break }
            handled.append(p.id)
            guard let approval = try ledger.approval(p.id), approval.decision == .approve,
                  approval.digest == p.digest, p.computedDigest == p.digest else {
                try ledger.refuseApproved(p.id, reasons: ["the approval does not match the proposal's digest"])
                continue
            }
            let verdict = ProposalGate(context: context).verdict(for: p)
            guard verdict.outcome == .allowed else {
                try ledger.refuseApproved(p.id, reasons: ["the gate no longer allows it"] + verdict.reasons,
                                          gateOutcome: verdict.outcome.rawValue)
                continue
            }
            guard let host = config.host(p.host) else { continue }
            try execute(p, host: host)
        }
        return handled
    }

    func execute(_ p: Proposal, host: HostConfig) throws {
        let argv = spawnArgv(p.argv, runas: p.runas)
        // At most once: the row says `executing` before the process starts.
        try ledger.startExecution(p.id, argv: argv)
        environment.log("executing proposal \(p.id) on \(p.host): \(argv.joined(separator: " "))")
        let timeout = Duration.seconds(config.commandTimeoutSeconds)
        var result: CommandResult?
        var failure: String?
        do {
            let executor = try actionExecutor(host, runas: p.runas)
            result = try executor.run(p.argv, timeout: timeout, onSpawn: { pid in self.recordActionProcess(p.id, pid: pid) })
        } catch {
            failure = "\(error)"
        }
        var verifyExit: Int32? = nil
        var verifyOutput: String? = nil
        var verifyPassed: Bool? = nil
        if let result, result.exitStatus == 0, let verify = p.verifyArgv {
            // Checked with the action just before it ran; checked again because the
            // verification never runs outside the declared read set, nor without sudo.
            let readSet = gate.evaluate(host: p.host, argv: verify, runas: p.runas)
            do {
                guard readSet.runsWithoutApproval else {
                    throw AgentError(.invalid, "the verification is no longer in the declared read set: \(readSet.readSet?.reason ?? readSet.reasons.joined(separator: "; "))")
                }
                let v = try actionExecutor(host, runas: p.runas).run(verify, timeout: timeout)
                verifyExit = v.exitStatus
                verifyOutput = Clip.utf8(v.stdoutText, 4000)
                let printed = v.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
                verifyPassed = v.exitStatus == 0 && (p.expect == nil || printed == p.expect)
            } catch {
                verifyOutput = "\(error)"
                verifyPassed = false
            }
        }
        // The finding's own check is the verification that counts: the action succeeded only
        // if the check, run again now, no longer reports the finding.
        var recheck: (resolved: Bool, detail: String)? = nil
        if result?.exitStatus == 0, verifyPassed != false, let findingID = p.findingID, let finding = try ledger.finding(findingID) {
            recheck = ScanService(context: context).recheckFinding(finding, on: host)
        }
        let succeeded = result?.exitStatus == 0 && verifyPassed != false && recheck?.resolved != false
        var notes: [String] = []
        if let failure { notes.append("not started: \(failure)") }
        if result?.stdoutTruncated == true { notes.append("stdout truncated at \(config.outputLimitBytes) bytes") }
        if result?.stderrTruncated == true { notes.append("stderr truncated at \(config.outputLimitBytes) bytes") }
        if let r = result, String(data: r.stdout, encoding: .utf8) == nil || String(data: r.stderr, encoding: .utf8) == nil {
            notes.append("output was not valid UTF-8; stored with replacement characters")
        }
        if result?.timedOut == true { notes.append("timed out after \(config.commandTimeoutSeconds) s") }
        if let recheck, !recheck.resolved { notes.append(recheck.detail) }
        let to: ProposalState = succeeded ? .succeeded : .failed
        try ledger.finishExecution(p.id, Ledger.ExecutionOutcome(
            exitStatus: result?.exitStatus,
            stdout: Clip.utf8(result?.stdoutText ?? "", config.outputLimitBytes),
            stderr: Clip.utf8(result?.stderrText ?? failure ?? "", config.outputLimitBytes),
            notes: notes, verifyExit: verifyExit, verifyOutput: verifyOutput, verifyPassed: verifyPassed,
            checkResolved: recheck?.resolved, checkDetail: recheck?.detail, state: to,
            summary: "exit \(result.map { String($0.exitStatus) } ?? "none")" + (verifyPassed.map { $0 ? ", verified" : ", verification failed" } ?? "")
                + (recheck.map { $0.resolved ? ", finding resolved" : ", the finding persists" } ?? "")))
        environment.log(succeeded ? .info : .warning, "proposal \(p.id) on \(p.host) \(to.rawValue): " + Self.outcomeSummary(result?.exitStatus, verifyPassed, recheck?.resolved, failure))
    }

    /// The outcome in a few words for the log line: the exit status, the verification, the re-check.
    static func outcomeSummary(_ exit: Int32?, _ verified: Bool?, _ resolved: Bool?, _ failure: String?) -> String {
        var parts = [failure.map { "not started: \($0)" } ?? "exit \(exit.map(String.init) ?? "none")"]
        if let verified { parts.append(verified ? "verified" : "verification failed") }
        if let resolved { parts.append(resolved ? "finding resolved" : "the finding persists") }
        return parts.joined(separator: ", ")
    }
}
