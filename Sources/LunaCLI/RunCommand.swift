import Foundation
import LunaAgent
import LunaDrift
import LunaSystem

/// `luna run [--once]`.
enum RunCommand {
    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let once = args.flag("--once")
        let json = args.flag("--json")
        if json && !once { throw UsageError(message: "--json needs --once (the daemon logs events; one cycle prints one report)", command: "run") }
        try args.finish()
        let config = try context.configuration()
        try StateDirectory.prepare(config.stateDirectory, configFile: config.file)
        let lock = try RunLock(stateDirectory: config.stateDirectory)
        defer { withExtendedLifetime(lock) {} }
        let agent = try Agent(config: config, environment: Context.environment(logLevel: config.operations.logLevel))
        Daemon.installSignalHandlers()
        // SIGHUP (`systemctl reload luna`) re-reads the same file with the same options.
        var daemon = Daemon(agent: agent, registry: try ChannelRegistry(agent: agent), configure: { try context.configuration() })
        // The daemon logs events (the journal); one cycle run by hand prints its report instead.
        daemon.supervised = !once
        let recovery = try daemon.recover()
        for id in recovery.interrupted where !json {
            emit("Proposal \(id) was executing when luna last stopped: marked interrupted, not re-run. See: luna show \(id)")
        }
        for id in recovery.endedUnobserved where !json {
            emit("Proposal \(id) was executing when luna last stopped; its action ran to completion unobserved (exit status unknown): marked interrupted, not re-run. See: luna show \(id)")
        }
        for (id, pid) in recovery.stillRunning where !json {
            emit("Proposal \(id) is still running (pid \(pid)) from before luna last stopped: left executing, not re-run; it is resolved when it ends.")
        }
        fflush(nil)
        let last = try daemon.run(once: once) { report in
            guard once else { return }
            if json {
                try? printJSON(CycleJSON(report, agent: agent, recovery: recovery))
            } else {
                emit(CycleText.render(report, agent: agent, context: context))
            }
            fflush(nil)
        }
        // A cycle that failed is recorded and logged (above); by hand it is also the exit status.
        if once, last?.problems.contains(where: { $0.kind == .failed }) == true { return Exit.error }
        // One cycle that could not commit its outcomes is not a success: the block is printed above.
        if once, let block = try agent.ledger.recordingBlock() {
            // Told once in the report; every later --once still says why it exits 1.
            printError("luna: outcomes not recorded (blocked since \(block.since)): \(block.reason)")
            return Exit.negative
        }
        return Exit.ok
    }
}

/// One cycle as JSON (`run --once --json`): what a script needs to act on it.
struct CycleJSON: Encodable {
    struct Unplanned: Encodable { var finding: Int64; var summary: String; var reason: String }
    var results: [CheckResult]
    var events: [ScanCommand.JSONReport.Event]
    var expired: [Int64]
    var proposed: [Proposal]
    var unplanned: [Unplanned]
    var executed: [Proposal]
    var recorded: [Int64]
    var notices: [String]
    var interrupted: [Int64]
    var recordingBlocked: RecordingBlock?

    init(_ report: CycleReport, agent: Agent, recovery: Ledger.Recovery) {
        results = report.scan?.results ?? []
        events = report.scan.map(ScanCommand.events) ?? []
        expired = report.expired
        proposed = report.proposed
        unplanned = report.unplanned.map { Unplanned(finding: $0.0, summary: $0.1, reason: $0.2) }
        executed = report.executed.compactMap { try? agent.ledger.proposal($0) }
        recorded = report.recorded
        notices = report.notices
        interrupted = recovery.interrupted + recovery.endedUnobserved
        recordingBlocked = try? agent.ledger.recordingBlock()
    }
}

/// The readable report of one cycle.
enum CycleText {
    static func render(_ report: CycleReport, agent: Agent, context: Context) -> String {
        var out = ""
        if let scan = report.scan {
            out += "Scan at \(Timestamp.string(agent.environment.now())):\n" + scan.text
        }
        for id in report.expired { out += "Proposal \(id) expired without a decision.\n" }
        for id in report.executed {
            if let p = try? agent.ledger.proposal(id) {
                out += "Proposal \(id) \(shown((p.outcome ?? p.state).rawValue)): \(shownArgv(p.argv))\n"
            }
        }
        let refused = report.proposed.filter { $0.state == .refused }
        if !refused.isEmpty {
            out += "\nRefused by the gate (not run, recorded):\n"
            for p in refused {
                out += "  #\(p.id)  \(shown(p.host))  \(shownArgv(p.argv))\n        \(p.gateReasons.map(shown).joined(separator: "; "))\n"
            }
        }
        if !report.unplanned.isEmpty {
            out += "\nFindings without a plan:\n"
            for (_, what, why) in report.unplanned { out += "  \(shown(what))\n        \(shown(why))\n" }
        }
        let pending = (try? agent.ledger.proposals(state: .awaitingApproval)) ?? []
        if pending.isEmpty {
            out += "\nNo proposal is awaiting approval.\n"
        } else {
            let flags = (context.configPath == "/etc/luna/luna.toml" ? "" : " --config \(shown(context.configPath))")
                + (context.stateDirectory.map { " --state-dir \(shown($0))" } ?? "")
            out += "\nAwaiting your approval:\n"
            for p in pending {
                out += "  #\(p.id)  \(shown(p.host))  as \(shown(p.identity)) → \(shown(p.runas))  \(shownArgv(p.argv))\n"
                if let v = p.verifyArgv {
                    out += "        then verify: \(shownArgv(v))\(p.expect.map { " (must print \"\(shown($0))\")" } ?? "")\n"
                }
                out += "        why: \(shown(p.rationale))\n"
                if let rule = p.gateRule { out += "        allowed by: \(shown(rule))\n" }
                out += "        expires: \(shown(p.expiresAt ?? "never"))\n"
            }
            let first = pending[0].id
            out += "Approve one with:  luna\(flags) approve \(first)\n"
            out += "Deny it with:      luna\(flags) deny \(first) --reason \"…\"\n"
            out += "Then run a cycle:  luna\(flags) run --once\n"
        }
        for id in report.recorded {
            if let p = try? agent.ledger.proposal(id), let c = p.commitID {
                out += "Recorded proposal \(id) (\(shown((p.outcome ?? p.state).rawValue))) as commit \(shown(String(c.prefix(12)))).\n"
            }
        }
        for notice in report.notices { out += shown(notice) + "\n" }
        return out
    }
}
