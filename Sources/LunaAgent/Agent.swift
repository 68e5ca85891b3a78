import Foundation
import LunaText
import LunaConfig
import LunaDrift
import LunaFleet
import LunaMemory
import LunaPolicy
import LunaStore

/// The supervised loop: scan, plan, gate, wait for approval, execute, verify, record.
///
/// Each step is durable before the next starts; the Agent holds no state that a
/// crash could lose. The run lock (see `RunLock`) keeps a second runner out.
public final class Agent: Sendable {
    public let config: LunaConfiguration
    public let ledger: Ledger
    public let environment: AgentEnvironment
    public let gate: Gate

    /// Opens the state database under the configured state directory.
    public init(config: LunaConfiguration, environment: AgentEnvironment = AgentEnvironment()) throws {
        try StateDirectory.prepare(config.stateDirectory, configFile: config.file)
        self.config = config
        self.environment = environment
        self.ledger = try Ledger(path: config.stateDirectory + "/luna.db", now: environment.now)
        self.gate = Agent.makeGate(config, now: environment.now)
    }

    /// The gate for a configuration: its inventory, groups and usrmerge settings.
    ///
    /// - Parameter now: The clock time-bounded sudoers rules are judged by (the agent's environment's).
    public static func makeGate(_ config: LunaConfiguration, now: @escaping @Sendable () -> Date = { Date() }) -> Gate {
        var hosts: [String: HostPolicy] = [:]
        for h in config.hosts {
            hosts[h.name] = HostPolicy(groups: h.groups, usrmerge: h.usrmerge, local: h.transport == .local,
                                       addresses: h.addresses, uid: h.uid,
                                       accounts: h.accounts.map { SudoAccount(name: $0.name, uid: $0.uid, shell: $0.shell) },
                                       loginShells: h.loginShells)
        }
        return Gate(sudoersDirectory: config.sudoersDirectory, hosts: hosts, user: config.identity,
                    readOnlyAliases: Set(config.readOnlyAliases), now: now)
    }

    var references: References { References(directory: config.configsDirectory) }

    // MARK: Scan

    /// Collects every enabled check on the chosen hosts, diffs against the references and stores the findings.
    ///
    /// - Parameters:
    ///   - hosts: Host names (all when nil); unknown names throw.
    ///   - checks: Check names (each host's enabled checks when nil).
    ///   - progress: Called as each host finishes (hosts done, hosts in all, that host), from its thread.
    public func scan(hosts: [String]? = nil, checks: [String]? = nil,
                     progress: (@Sendable (_ done: Int, _ total: Int, _ host: String) -> Void)? = nil) throws -> ScanReport {
        let selected: [HostConfig]
        if let hosts {
            selected = try hosts.map { name in
                guard let h = config.host(name) else { throw AgentError(.invalid, "host '\(name)' is not in the inventory (\(config.file))") }
                return h
            }
        } else {
            selected = config.hosts
        }
        for c in checks ?? [] where CheckCatalog.named(c) == nil {
            throw AgentError(.invalid, "unknown check '\(c)'; known: \(CheckCatalog.names.joined(separator: ", "))")
        }
        let scanID = try ledger.beginScan()
        // Hosts in parallel (bounded), each host's collections in one round trip: Agent+Fleet.swift.
        let results = collect(hosts: selected, checks: checks, progress: progress)
        let open = try ledger.openFindings()
        // A partial scan only speaks for what it looked at.
        let scoped = open.filter { key, _ in results.contains { $0.host == key.host && $0.check == key.check } }
        let events = FindingReconciler.reconcile(results: results, open: scoped)
        try ledger.finishScan(scanID, results: results, events: events)
        // Ongoing findings not reported for reminder_hours come back once: Ledger+Reminders.swift.
        let reminders = try ledger.dueReminders(events, olderThan: Double(config.fleet.reminderHours) * 3600)
        return ScanReport(results: results, events: events, reminders: reminders)
    }

    // MARK: Plan and gate

    /// Plans every open finding that has no proposal yet and passes each proposal through the gate.
    ///
    /// - Returns: The proposals made, and the findings left without a plan with the reason.
    public func plan() throws -> (proposals: [Proposal], unplanned: [(FindingRecord, String)]) {
        // Only approved, non-suspended, non-retired skills plan (see Agent+Memory.swift).
        let library = try usableSkills()
        let planner = Planner(skills: library, identity: config.identity)
        var made: [Proposal] = []
        var unplanned: [(FindingRecord, String)] = []
        for finding in try ledger.findingsNeedingPlan() {
            switch planner.plan(finding) {
            case .none(let reason):
                // No skill fits, so the model planner (Agent+Model.swift) is asked.
                let modelPlan = try planWithModel(finding, skillReason: reason)
                made += modelPlan.proposals
                if let why = modelPlan.unplannedReason { unplanned.append((finding, why)) }
            case .proposal(let new):
                do {
                    made.append(try propose(new))
                } catch let error as AgentError where error.kind == .conflict {
                    continue   // planned meanwhile by another process (`luna plan`); that proposal stands
                }
            }
        }
        return (made, unplanned)
    }

    /// The gate's verdict on everything that would run for a proposal: the
    /// action, and its verification, which runs after the action without a
    /// second approval and so must be in the host's declared read set.
    public func verdict(for p: Proposal) -> GateVerdict {
        var verdict = gate.evaluate(host: p.host, argv: p.argv, runas: p.runas)
        guard verdict.outcome == .allowed, let verify = p.verifyArgv else { return verdict }
        let v = gate.evaluate(host: p.host, argv: verify, runas: p.runas)
        if !v.runsWithoutApproval {
            let why = v.outcome == .allowed ? (v.readSet?.reason ?? "not in the declared read set") : v.reasons.joined(separator: "; ")
            verdict.outcome = .refused
            verdict.reasons.insert("the verification \(verify.joined(separator: " ")) must be in the declared read set of \(p.host), "
                                   + "since it runs without a second approval: \(why)", at: 0)
        }
        return verdict
    }

    /// Passes a `proposed` proposal through the gate: `awaiting_approval` or `refused`.
    public func gateProposal(_ p: Proposal) throws -> Proposal {
        try ledger.gate(p.id, verdict: verdict(for: p),
                        expiresAt: environment.now().addingTimeInterval(Double(config.approvalTTLMinutes) * 60))
        return try ledger.proposal(p.id)!
    }

    // MARK: Execute

    /// The argv actually spawned for an approved argv, per the execution mode.
    public func spawnArgv(_ argv: [String], runas: String) -> [String] {
        switch config.execution {
        case .direct: argv
        // Always -u: the gate judged exactly this target (with no -u, sudo would
        // use runas_default and an empty runas list `()` would match differently).
        case .sudo: [config.sudoPath, "-n", "-u", runas, "--"] + argv
        }
    }

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
            let verdict = verdict(for: p)
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
            let executor = try environment.executor(host, config)
            result = try executor.run(argv, timeout: timeout, onSpawn: { pid in self.recordActionProcess(p.id, pid: pid) })
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
                let v = try environment.executor(host, config).run(spawnArgv(verify, runas: p.runas), timeout: timeout)
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
            recheck = recheckFinding(finding, on: host)
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
        environment.log("proposal \(p.id) \(to.rawValue)")
    }

    /// Runs the finding's own check on its host again and stores what it saw, as a
    /// scan of that one check (so a fixed finding is resolved at once).
    ///
    /// - Returns: Whether the finding is gone, and a sentence saying what the check saw.
    ///   A check that could not run, or saw only part of the state, resolves nothing.
    func recheckFinding(_ finding: FindingRecord, on host: HostConfig) -> (resolved: Bool, detail: String) {
        let name = finding.check
        guard host.checks.contains(name) else {
            return (false, "the \(name) check is not enabled on \(host.name), so it cannot confirm the fix")
        }
        let results = scanHost(host, checks: [name])
        guard let result = results.first(where: { $0.check == name }) else {
            return (false, "the \(name) check did not run again, so nothing confirms the fix")
        }
        do {
            let scanID = try ledger.beginScan()
            let open = try ledger.openFindings().filter { $0.key.host == host.name && $0.key.check == name }
            try ledger.finishScan(scanID, results: results, events: FindingReconciler.reconcile(results: results, open: open))
        } catch {
            environment.log("cannot store the re-check of finding \(finding.id): \(error)")
        }
        guard result.status == .ok || result.status == .drift, !result.partial else {
            return (false, "the \(name) check could not confirm the fix (\(result.status.rawValue): \(Clip.characters(Recorder.oneLine(result.detail), 200)))")
        }
        if let still = result.items.first(where: { $0.subject == finding.subject }) {
            return (false, "the \(name) check still reports it: \(Clip.characters(Recorder.oneLine(still.summary), 200))")
        }
        return (true, "the \(name) check no longer reports it")
    }

    // MARK: Record

    /// The recorder for this configuration.
    public var recorder: Recorder {
        Recorder(ledger: ledger, repo: GitRepository(path: config.opsRepo, authorName: config.gitAuthorName,
                                                     authorEmail: config.gitAuthorEmail,
                                                     scratchIndex: config.stateDirectory + "/record.index"))
    }

    // MARK: Cycle

    /// One whole cycle: expire, scan, plan, execute, record. (Crash recovery is `Daemon.recover`, once at start.)
    public func cycle(shouldStop: () -> Bool = { false }) throws -> CycleReport {
        var report = CycleReport()
        report.expired = try ledger.expireOverdue()
        if shouldStop() { return report }
        report.scan = try scan()
        if shouldStop() { return report }
        let planned = try plan()
        report.proposed = planned.proposals
        // Say "no plan" when a finding appears or changes, not at every cycle.
        let fresh = Set(report.scan?.events.compactMap { e -> FindingKey? in
            switch e {
            case .appeared(let k, _), .changed(let k, _): k
            default: nil
            }
        } ?? [])
        report.unplanned = planned.unplanned
            .filter { fresh.contains(FindingKey(host: $0.0.host, check: $0.0.check, subject: $0.0.subject)) }
            .map { ($0.0.id, "\($0.0.host)/\($0.0.check): \($0.0.summary)", $0.1) }
        if shouldStop() { return report }
        report.executed = try executeApproved(shouldStop: shouldStop)
        report.recorded = try recorder.recordPending().map(\.0)
        // The model's pass over new skill drafts, after recording, outside any transaction
        // (Agent+Distill.swift); on a stop request the drafts stay queued for the next cycle.
        if !shouldStop() { try refineSkillDrafts() }
        // Skill suspensions and new drafts, told to the operator once.
        report.notices = try skillRegistry.takeNotices()
        return report
    }
}
