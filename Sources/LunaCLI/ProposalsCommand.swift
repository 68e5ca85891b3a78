import Foundation
import LunaCodec
import LunaAgent
import LunaSystem
import LunaText

/// `luna proposals` and `luna show`.
enum ProposalsCommand {
    static func list(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let stateText = try args.value("--state")
        let json = args.flag("--json")
        try args.finish()
        var state: ProposalState? = nil
        if let stateText {
            guard let s = ProposalState(rawValue: stateText) else {
                throw UsageError(message: "unknown state '\(stateText)'; states: \(ProposalState.allCases.map(\.rawValue).joined(separator: ", "))", command: "proposals")
            }
            state = s
        }
        let agent = try context.agent()
        let proposals = try agent.ledger.proposals(state: state)
        if json {
            try printJSON(proposals)
            return Exit.ok
        }
        if proposals.isEmpty {
            emit("No proposals\(state.map { " in state \($0.rawValue)" } ?? "").")
        }
        for p in proposals {
            let state = p.state == .recorded ? "recorded (\(shown(p.outcome?.rawValue ?? "?")))" : p.state.rawValue
            emit("#\(p.id)  \(state.padding(toLength: 22, withPad: " ", startingAt: 0)) \(shown(p.host))  \(shownArgv(p.argv))")
        }
        return Exit.ok
    }

    /// Everything known about one proposal.
    struct Record: Encodable {
        var proposal: Proposal
        var finding: FindingRecord?
        var transitions: [TransitionRecord]
        var approval: ApprovalRecord?
        var execution: ExecutionRecord?
    }

    static func parseID(_ text: String, command: String) throws -> Int64 {
        let digits = text.hasPrefix("#") ? String(text.dropFirst()) : text
        guard let id = Int64(digits), id > 0 else { throw UsageError(message: "'\(text)' is not a proposal id (a number, like 12)", command: command) }
        return id
    }

    static func show(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let id = try parseID(try args.positional("a proposal id"), command: "show")
        let json = args.flag("--json")
        try args.finish()
        let agent = try context.agent()
        guard let p = try agent.ledger.proposal(id) else {
            printError("luna: no proposal \(id)")
            return Exit.error
        }
        let record = Record(proposal: p, finding: try p.findingID.flatMap { try agent.ledger.finding($0) },
                            transitions: try agent.ledger.transitions(id), approval: try agent.ledger.approval(id),
                            execution: try agent.ledger.execution(id))
        if json {
            try printJSON(record)
            return Exit.ok
        }
        var out = "Proposal #\(p.id) — \(p.state.rawValue)\(p.outcome.map { p.state == $0 ? "" : " (\(shown($0.rawValue)))" } ?? "")\n"
        out += "  host:        \(shown(p.host))\n  identity:    \(shown(p.identity)) → runas \(shown(p.runas))\n"
        out += "  argv:        \(Self.json(p.argv))\n"
        if let v = p.verifyArgv { out += "  verify:      \(Self.json(v))\(p.expect.map { " expecting \(Self.json([$0]).dropFirst().dropLast())" } ?? "")\n" }
        out += "  why:         \(shown(p.rationale))\n  source:      \(shown(p.source.rawValue))\(p.skill.map { " (skill \(shown($0)))" } ?? "")   risk: \(shown(p.risk))\n"
        if let f = record.finding { out += "  finding:     #\(f.id) \(shown(f.host))/\(shown(f.check)): \(shown(f.summary)) [\(shown(f.state))]\n" }
        if let g = p.gateOutcome { out += "  gate:        \(shown(g))\(p.gateReasons.isEmpty ? "" : ": " + p.gateReasons.map(shown).joined(separator: "; "))\n" }
        if let rule = p.gateRule { out += "  rule:        \(shown(rule))\n" }
        out += "  digest:      \(p.digest)\n  created:     \(p.createdAt)\(p.expiresAt.map { "   expires: \($0)" } ?? "")\n"
        if let a = record.approval {
            out += "  decision:    \(a.decision.rawValue) by \(shown(a.approver)) via \(shown(a.channel)) at \(shown(a.at))\(a.reason.map { ": \(shown($0))" } ?? "")\n"
            out += "               bound to \(a.digest)\n"
        }
        if let e = record.execution {
            out += "  ran:         \(Self.json(e.argv))\n  exit status: \(e.exitStatus.map(String.init) ?? "none")  (\(e.startedAt) → \(e.finishedAt ?? "not finished"))\n"
            if let note = e.outputNote { out += "  note:        \(shown(note))\n" }
            if let s = e.stdout, !s.isEmpty { out += "  stdout:\n" + Self.indent(shownLines(s)) }
            if let s = e.stderr, !s.isEmpty { out += "  stderr:\n" + Self.indent(shownLines(s)) }
            if let passed = e.verifyPassed { out += "  verified:    \(passed ? "yes" : "no")\(e.verifyOutput.map { " — printed \(shown($0.trimmingCharacters(in: .whitespacesAndNewlines)))" } ?? "")\n" }
            if let resolved = e.checkResolved { out += "  re-checked:  \(resolved ? "resolved" : "not resolved")\(e.checkDetail.map { " — \(shown($0))" } ?? "")\n" }
        }
        if let c = p.commitID { out += "  commit:      \(shown(c))\(p.notePath.map { "  (note \(shown($0)))" } ?? "")\n" }
        out += "  history:\n"
        for t in record.transitions { out += "    \(shown(t.at))  \(shown(t.from ?? "—")) → \(shown(t.to))\(t.note.map { "  \(shown($0))" } ?? "")\n" }
        emit(out, terminator: "")
        return Exit.ok
    }

    static func json(_ argv: [String]) -> String {
        InertText.json(JSONValue.encode(argv))
    }

    static func indent(_ s: String) -> String {
        let lines = s.split(separator: "\n", omittingEmptySubsequences: false).prefix(40)
        return lines.map { "    " + $0 }.joined(separator: "\n") + "\n"
    }
}

/// `luna approve ID` and `luna deny ID [--reason TEXT]`.
enum DecideCommand {
    static func run(_ args: inout Arguments, _ context: Context, _ decision: Decision) throws -> Int32 {
        let name = decision == .approve ? "approve" : "deny"
        let id = try ProposalsCommand.parseID(try args.positional("a proposal id"), command: name)
        let reason = decision == .deny ? try args.value("--reason") : nil
        let json = args.flag("--json")
        try args.finish()
        let agent = try context.agent()
        // The CLI is a channel like any other: it decides through the same sink.
        let sink = DecisionSink(ledger: agent.ledger, channel: ChannelRegistry.cli)
        let p = try sink.decide(id, decision, approver: localUser(), reason: reason)
        if json {
            struct Out: Encodable { var proposal: Int64; var state: ProposalState; var approval: ApprovalRecord? }
            try printJSON(Out(proposal: id, state: p.state, approval: try agent.ledger.approval(id)))
            return Exit.ok
        }
        emit("Proposal \(id) \(p.state.rawValue) by \(shown(localUser())) (bound to \(p.digest)).")
        if decision == .approve { emit("It runs at the next cycle of luna run (or: luna run --once).") }
        return Exit.ok
    }

    /// The human behind a CLI decision, never just the account Luna runs as.
    ///
    /// `sudo -u luna luna approve 3` is the documented way: sudo then sets
    /// `SUDO_USER`/`SUDO_UID` to the operator, and the real uid is no longer
    /// theirs. Next comes the login name of the controlling terminal (`getlogin`,
    /// which survives `su` and `sudo`), then the account's own name.
    static func localUser() -> String {
        let env = ProcessInfo.processInfo.environment
        if let viaSudo = env["SUDO_USER"], !viaSudo.isEmpty,
           SystemUser.effectiveID == 0 || env["SUDO_UID"].flatMap({ uid_t($0) }).map({ $0 != SystemUser.realID }) == true {
            return viaSudo
        }
        if let login = SystemUser.loginName() { return login }
        if let name = SystemUser.name(of: SystemUser.realID) { return name }
        return "uid-\(SystemUser.realID)"
    }
}
