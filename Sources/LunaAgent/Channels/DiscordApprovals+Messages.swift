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
        lines.append("**Expires:** \(when(p.expiresAt) ?? "never")   **Digest:** \(p.digest.prefix(23))…")
        lines.append("Approve: react ✅ or reply `approve` to this message. Deny: react ❌ or reply `deny <reason>`. "
                     + "Only the configured operators count; ✅ and ❌ together deny.")
        return DiscordText.clip(lines.joined(separator: "\n"), DiscordText.contentLimit)
    }

    /// The reply after a decision: who decided, how, and why.
    public static func decision(_ p: Proposal, _ a: ApprovalRecord) -> String {
        let who = a.channel == DiscordApprovals.channel && Snowflake.isValid(a.approver)
            ? "<@\(a.approver)> (\(a.approver))" : DiscordText.inert(a.approver)
        let verb = a.decision == .approve ? "✅ Proposal #\(p.id) approved" : "❌ Proposal #\(p.id) denied"
        var text = "\(verb) by \(who) via \(DiscordText.inert(a.channel)) at \(when(a.at) ?? DiscordText.inert(a.at))."
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

    /// A UTC stamp as Discord shows it: the absolute time in UTC and, beside it, a
    /// `<t:…:R>` timestamp each reader's client renders relative ("in 58 minutes"); nil for nil.
    public static func when(_ stamp: String?) -> String? {
        guard let stamp else { return nil }
        guard let date = Timestamp.date(stamp) else { return DiscordText.inert(stamp) + " (UTC)" }
        return "\(DiscordText.inert(stamp)) (UTC, <t:\(Int(date.timeIntervalSince1970.rounded(.down))):R>)"
    }

    /// A decided card, rewritten to its final state: the status in the title and on top,
    /// the how-to line replaced, so an old card never looks open.
    public static func decidedCard(_ content: String, status: String) -> String {
        let shown = DiscordText.inert(status)
        let body = content.components(separatedBy: "\n")
            .map { line -> String in
                if line.hasPrefix("Approve: react") { return "Decided: reactions and replies on this message are no longer read." }
                if line.hasPrefix("**Luna proposal #"), line.hasSuffix(" — approval needed") {
                    return String(line.dropLast(" — approval needed".count)) + " — \(shown)"
                }
                if line.hasPrefix("**Expires:**") { return line.replacingOccurrences(of: "**Expires:**", with: "**Was to expire:**") }
                return line
            }
            .joined(separator: "\n")
        return DiscordText.clip("**Status: \(shown)**\n" + body, DiscordText.contentLimit)
    }

    /// The answer to a decision signal from someone who is not an operator.
    public static func ignored(_ id: Int64, user: String, what: String, noOperators: Bool) -> String {
        let who = Snowflake.isValid(user) ? "user \(user)" : "this user"
        return "🚫 Not counted: \(DiscordText.inert(what)) on proposal #\(id) from \(who) changes nothing — "
            + (noOperators ? "no operator is configured (`operator_ids` is empty), so nobody can decide on Discord."
                           : "only the configured operators decide. The proposal still awaits an operator's decision.")
    }

    /// The answer to `approve` or `deny` on a card that is already decided.
    public static func alreadyDecided(_ p: Proposal, _ a: ApprovalRecord?) -> String {
        let status = DiscordText.inert((p.outcome ?? p.state).rawValue)
        var text = "Proposal #\(p.id) is already **\(status)**"
        if let a {
            let who = a.channel == DiscordApprovals.channel && Snowflake.isValid(a.approver) ? "user \(a.approver)" : DiscordText.inert(a.approver)
            text += " (\(a.decision.rawValue) by \(who) via \(DiscordText.inert(a.channel)) at \(when(a.at) ?? DiscordText.inert(a.at)))"
        }
        return DiscordText.clip(text + "; this reply changes nothing.", DiscordText.contentLimit)
    }

    /// The notice that a proposal expired before its decision arrived.
    public static func expired(_ id: Int64) -> String {
        "⌛ Proposal #\(id) expired before it was decided; it can no longer be approved and did not run."
    }

    /// A notice (a blocked ops repo, a repair, a missed or failed scan), told once: redacted and inert.
    public static func notice(_ text: String, redactor: Redactor) -> String {
        DiscordText.clip("⚠️ " + DiscordText.inert(redactor.redact(text)), DiscordText.contentLimit)
    }

    /// The daily digest: its first line as the title, the rest redacted in a code block (inert).
    public static func digest(_ text: String, redactor: Redactor) -> String {
        var lines = text.components(separatedBy: "\n")
        let title = lines.isEmpty ? "Luna daily digest" : lines.removeFirst()
        let body = DiscordText.clip(redactor.redact(lines.joined(separator: "\n")), 1800, note: "see `luna status`")
        return DiscordText.clip("📋 **\(DiscordText.inert(title))**\n" + DiscordText.codeBlock(body), DiscordText.contentLimit)
    }
}
