import Foundation
import LunaConfig
import LunaDrift
import LunaMemory
import LunaPolicy

/// The supervised loop's composition root: it opens the state, builds the gate and
/// hands the shared context to the services that do the work —
/// `scanner` (collect and reconcile), `planning` (skills, then the model),
/// `gating` (every proposal through the gate), `execution` (approved actions, at
/// most once, verified), `recorder` (outcomes into git) and `curation` (memory
/// notes, skills, baselines). `cycle` runs them in order.
///
/// Each step is durable before the next starts; the Agent holds no state that a
/// crash could lose. The run lock (see `RunLock`) keeps a second runner out.
public final class Agent: AgentService {
    public let context: AgentContext

    /// Opens the state database under the configured state directory.
    public init(config: LunaConfiguration, environment: AgentEnvironment = AgentEnvironment()) throws {
        try StateDirectory.prepare(config.stateDirectory, configFile: config.file)
        let ledger = try Ledger(path: config.stateDirectory + "/luna.db", now: environment.now)
        context = AgentContext(config: config, ledger: ledger, environment: environment,
                               gate: Agent.makeGate(config, now: environment.now))
    }

    /// The gate for a configuration: its inventory, groups and usrmerge settings.
    ///
    /// - Parameters:
    ///   - now: The clock time-bounded sudoers rules are judged by (the agent's environment's).
    ///   - sudoersDirectory: Where the `luna-<host>` references are read (default the ops repo's;
    ///     `luna init` judges references it has not committed yet from a scratch copy).
    public static func makeGate(_ config: LunaConfiguration, now: @escaping @Sendable () -> Date = { Date() },
                                sudoersDirectory: String? = nil) -> Gate {
        var hosts: [String: HostPolicy] = [:]
        for h in config.hosts {
            hosts[h.name] = HostPolicy(groups: h.groups, usrmerge: h.usrmerge, local: h.transport == .local,
                                       addresses: h.addresses, uid: h.uid,
                                       accounts: h.accounts.map { SudoAccount(name: $0.name, uid: $0.uid, shell: $0.shell) },
                                       loginShells: h.loginShells)
        }
        return Gate(sudoersDirectory: sudoersDirectory ?? config.sudoersDirectory, hosts: hosts, user: config.identity,
                    readOnlyAliases: Set(config.readOnlyAliases), now: now)
    }

    // MARK: Services

    public var scanner: ScanService { ScanService(context: context) }
    public var gating: ProposalGate { ProposalGate(context: context) }
    public var planning: PlanningService { PlanningService(context: context) }
    public var modelPlanner: ModelPlanner { ModelPlanner(context: context) }
    public var recon: ReconBuilder { ReconBuilder(context: context) }
    public var execution: ExecutionService { ExecutionService(context: context) }
    public var recorder: Recorder { Recorder(ledger: ledger, repo: repo) }
    public var curation: CurationService { CurationService(context: context) }
    public var skillRefiner: SkillRefiner { SkillRefiner(context: context) }

    // MARK: Cycle

    /// One whole cycle: expire, scan, plan, execute, record. (Crash recovery is `Daemon.recover`, once at start.)
    public func cycle(shouldStop: () -> Bool = { false }) throws -> CycleReport {
        var report = CycleReport()
        report.expired = try ledger.expireOverdue()
        if shouldStop() { return report }
        report.scan = try scanner.scan()
        if shouldStop() { return report }
        let planned = try planning.plan()
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
        report.executed = try execution.executeApproved(shouldStop: shouldStop)
        // The scan ran before the fixes: what a fix resolved is reported as fixed, not as drift.
        for id in report.executed {
            guard let p = try ledger.proposal(id), (p.outcome ?? p.state) == .succeeded,
                  let findingID = p.findingID, let f = try ledger.finding(findingID) else { continue }
            report.scan?.fixed[FindingKey(host: f.host, check: f.check, subject: f.subject)] = id
        }
        report.recorded = try recorder.recordPending().map(\.0)
        // The model's pass over new skill drafts, after recording, outside any transaction
        // (Curation/SkillRefiner.swift); on a stop request the drafts stay queued for the next cycle.
        if !shouldStop() { try skillRefiner.refineSkillDrafts() }
        // Skill suspensions and new drafts, told to the operator once.
        report.notices = try skillRegistry.takeNotices()
        return report
    }
}
