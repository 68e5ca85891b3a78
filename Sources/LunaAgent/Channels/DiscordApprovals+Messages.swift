import Foundation
import LunaDiscord
import LunaModel
import LunaDrift

/// The texts the Discord channel posts. Everything that came from a host, a skill,
/// a model or a Discord user goes through `DiscordText` (inert, escaped); text
/// that leaves the host goes through the redactor; every text is cut to
/// Discord's 2000-character limit with a note.
public enum DiscordMessages {
    /// The approval message for a proposal: what runs, where, as whom, why, and how to decide.
    ///
    /// - Parameters:
    ///   - p: A proposal awaiting approval.
    ///   - r: The redactor (secrets never leave the host: the same redaction as for the model).
    /// - Returns: At most 2000 characters.
    public static func proposal(_ p: Proposal, redactor r: Redactor) -> String {
        let more = "see `luna show \(p.id)`"
        var argv = r.redact(DiscordText.argvJSON(p.argv))
        var argvNote = ""
        if DiscordText.length(argv) > 900 {
            argv = DiscordText.clip(argv, 900)
            argvNote = "\n**The command is too long to show here: review it with `luna show \(p.id)` before approving.**"
        }
        var lines = [
            "**Luna proposal #\(p.id)** — approval needed",
            "**Host:** \(DiscordText.inert(p.host))   **as** \(DiscordText.inert(p.identity)) → **runas** \(DiscordText.inert(p.runas))",
            "**Command** (exact argv, JSON):",
            DiscordText.codeBlock(argv, language: "json") + argvNote,
            "**Why:** " + DiscordText.clip(DiscordText.inert(r.redact(p.rationale)), 300, note: more),
        ]
        if let finding = p.findingSummary {
            lines.append("**Finding:** " + DiscordText.clip(DiscordText.inert(r.redact(finding)), 200, note: more))
        }
        if p.source.isInteractiveAgent {
            // An interactive agent's proposal says so: the operator sees who asked before approving.
            lines.append("**Proposed by:** \(DiscordText.inert(p.source.rawValue)) (an interactive agent through `luna mcp`)")
        }
        lines.append("**Risk:** \(DiscordText.inert(p.risk))" + (p.skill.map { "   **Skill:** \(DiscordText.inert($0))" } ?? ""))
        lines.append("**Allowed by sudoers rule:** " + DiscordText.codeBlock(DiscordText.clip(r.redact(p.gateRule ?? "(none recorded)"), 250)))
        if let verify = p.verifyArgv {
            // Part of what the approval covers (the digest binds it): shown whole, or the card says where to read it.
            let shown = r.redact(DiscordText.argvJSON(verify))
            let expect = p.expect.map(r.redact)
            let cut = DiscordText.length(shown) > 250 || (expect.map { DiscordText.length($0) > 80 } ?? false)
            lines.append("**Then verifies** (runs without a second approval): "
                         + DiscordText.codeBlock(DiscordText.clip(shown, 250), language: "json")
                         + (expect.map { "must print: " + DiscordText.clip(DiscordText.inert($0), 80) } ?? "")
                         + (cut ? "\n**The verification is too long to show here: review it with `luna show \(p.id)` before approving.**" : ""))
        }
        lines.append("**Expires:** \(p.expiresAt ?? "never") (UTC)   **Digest:** \(p.digest.prefix(23))…")
        lines.append("Approve: react ✅ or reply `approve` to this message. Deny: react ❌ or reply `deny <reason>`. "
                     + "Only the configured operators count; ✅ and ❌ together deny.")
        return DiscordText.clip(lines.joined(separator: "\n"), DiscordText.contentLimit)
    }

    /// The reply after a decision: who decided, how, and why.
    public static func decision(_ p: Proposal, _ a: ApprovalRecord) -> String {
        let who = a.channel == DiscordApprovals.channel && Snowflake.isValid(a.approver)
            ? "<@\(a.approver)> (\(a.approver))" : DiscordText.inert(a.approver)
        let verb = a.decision == .approve ? "✅ Proposal #\(p.id) approved" : "❌ Proposal #\(p.id) denied"
        var text = "\(verb) by \(who) via \(DiscordText.inert(a.channel)) at \(a.at)."
        if let reason = a.reason { text += "\nReason: " + DiscordText.clip(DiscordText.inert(reason), 500) }
        if a.decision == .approve { text += "\nIt runs at the next approval poll; the outcome follows here." }
        return DiscordText.clip(text, DiscordText.contentLimit)
    }

    /// The reply after recording: outcome, exit status, an output excerpt, the commit.
    public static func outcome(_ p: Proposal, _ e: ExecutionRecord?, redactor: Redactor) -> String {
        let outcome = (p.outcome ?? p.state).rawValue
        var text = "Proposal #\(p.id) **\(DiscordText.inert(outcome))**"
        if let e {
            text += ": exit status \(e.exitStatus.map(String.init) ?? "none")"
            if let v = e.verifyPassed { text += v ? ", verification passed" : ", verification failed" }
        }
        text += ". Commit `\(DiscordText.inert(String((p.commitID ?? "none").prefix(12))))`."
        if let e {
            let output = redactor.redact([e.stdout ?? "", e.stderr ?? "", e.outputNote ?? ""].filter { !$0.isEmpty }.joined(separator: "\n"))
            if !output.isEmpty {
                text += "\nOutput (excerpt):\n" + DiscordText.codeBlock(DiscordText.clip(output, 600, note: "see `luna show \(p.id)`"))
            }
        }
        return DiscordText.clip(text, DiscordText.contentLimit)
    }

    /// One message for a scan's changes (appeared, changed, resolved), or nil when nothing changed.
    public static func drift(_ scan: ScanReport, at: Date, redactor: Redactor) -> String? {
        var lines: [String] = []
        for event in scan.events {
            switch event {
            case .appeared(let k, let item): lines.append("+ new     \(k.host)/\(k.check): \(item.summary)" + (scan.waived[k].map { " — " + $0.shown } ?? ""))
            case .changed(let k, let item): lines.append("~ changed \(k.host)/\(k.check): \(item.summary)" + (scan.waived[k].map { " — " + $0.shown } ?? ""))
            case .resolved(let k): lines.append("- resolved \(k.host)/\(k.check): \(k.subject)")
            case .ongoing: continue
            }
        }
        for w in scan.lapsed { lines.append("! lapsed  \(w.key): the waiver by \(w.owner) ended after \(w.until ?? "?")") }
        guard !lines.isEmpty else { return nil }
        let body = DiscordText.clip(redactor.redact(lines.joined(separator: "\n")), 1700, note: "see `luna scan`")
        return DiscordText.clip("**Drift** (scan at \(Timestamp.string(at))): \(lines.count) change\(lines.count == 1 ? "" : "s")\n"
                                + DiscordText.codeBlock(body), DiscordText.contentLimit)
    }

    /// A decided card: a status line on top, the how-to line replaced, so an old card never looks open.
    public static func decidedCard(_ content: String, status: String) -> String {
        let body = content.components(separatedBy: "\n")
            .map { $0.hasPrefix("Approve: react") ? "Decided: reactions and replies on this message are no longer read." : $0 }
            .joined(separator: "\n")
        return DiscordText.clip("**Status: \(DiscordText.inert(status))**\n" + body, DiscordText.contentLimit)
    }

    /// The notice that a proposal expired before its decision arrived.
    public static func expired(_ id: Int64) -> String {
        "⌛ Proposal #\(id) expired before it was decided; it can no longer be approved and did not run."
    }

    /// A notice from the recorder (a blocked ops repo, a repair), told once.
    public static func notice(_ text: String) -> String { "⚠️ " + text }
}
