import Foundation
import LunaCodec
import LunaMemory
import LunaModel
import LunaStore
import LunaText

/// Turns each terminal outcome into a commit in the ops repo plus a memory note.
///
/// Idempotent: a commit carrying the proposal's digest and outcome as trailers
/// is found again after a crash between the commit and the database update, so
/// an outcome is never committed twice.
public struct Recorder: Sendable {
    public var ledger: Ledger
    public var repo: GitRepository

    public init(ledger: Ledger, repo: GitRepository) {
        self.ledger = ledger
        self.repo = repo
    }

    /// Records every terminal proposal that has no commit yet.
    ///
    /// The ops repo is made consistent first (stale git locks a crash left are
    /// removed, see `GitRepository.prepare`). When git cannot record — a live lock,
    /// a failing git — nothing is thrown: the reason is kept in the ledger
    /// (`Ledger.recordingBlock`, told to the operator once) and the outcomes stay
    /// pending for the next call, so scanning and approvals go on meanwhile.
    /// - Returns: The recorded proposal ids with their commit ids.
    /// - Throws: Only state-database errors.
    public func recordPending() throws -> [(Int64, String)] {
        var done: [(Int64, String)] = []
        let pending = try ledger.proposalsToRecord()
        if pending.isEmpty {
            try ledger.clearRecordingBlocked(recorded: 0)
            return done
        }
        do {
            for line in try repo.prepare(now: ledger.now()) { try ledger.addRecordingNotice(line.prefix(1).uppercased() + line.dropFirst() + ".") }
        } catch {
            try ledger.setRecordingBlocked("\(error)")
            return done
        }
        for p in pending {
            do {
                done.append((p.id, try record(p)))
            } catch let blocked as RecordingBlocked {
                try ledger.setRecordingBlocked(blocked.message)
                return done
            }
        }
        try ledger.clearRecordingBlocked(recorded: done.count)
        return done
    }

    /// Git could not record an outcome; the outcome stays pending.
    public struct RecordingBlocked: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Commits one proposal's outcome and stores the commit id (and `recorded` where the machine says so).
    ///
    /// - Throws: ``RecordingBlocked`` when git fails (nothing is marked recorded);
    ///   state-database errors as they are.
    public func record(_ p: Proposal) throws -> String {
        let outcome = (p.outcome ?? p.state).rawValue
        let approval = try ledger.approval(p.id)
        let execution = try ledger.execution(p.id)
        let finding = try p.findingID.flatMap { try ledger.finding($0) }
        // The ops repo may be pushed: host data in it (command output, verification printout,
        // finding text) is redacted exactly as for the model and Discord.
        let redactor = repo.redactor()
        let message = redactor.redact(Self.message(p, outcome: outcome, approval: approval, execution: execution, finding: finding))
        // The outcome note goes through the memory API (file + index); the file is part of the outcome commit.
        let now = Timestamp.string(ledger.now())
        var note = Self.memoryNote(p, outcome: outcome, approval: approval, execution: execution, finding: finding,
                                   created: now)
        note.title = redactor.redact(note.title)
        note.body = redactor.redact(note.body)
        let notePath = note.relativePath
        let day = String(p.createdAt.prefix(10))
        var files = [notePath: note.render()]
        if p.gateOutcome == "escalate" {
            files["docs/runbooks/\(day)-p\(p.id)-\(Slug.make(p.argv.first.map { ($0 as NSString).lastPathComponent } ?? "action", maxLength: 40, fallback: "action")).md"] = redactor.redact(Self.runbook(p, finding: finding))
        }
        // The skill's stats after this use go into the same commit (state in git).
        let skillState = try skillState(p, execution: execution, at: now)
        if let skillState, FileManager.default.fileExists(atPath: repo.path + "/" + (skillState.path as NSString).deletingLastPathComponent + "/" + SkillFormat.markdownFile) {
            files[skillState.path] = skillState.state.encoded()
        }

        let commit: String
        do {
            if let found = try repo.findCommit(trailers: ["Digest: \(p.digest)", "Outcome: \(outcome)"]) {
                // Committed before a crash: the operator's index (and a missing file) may lag HEAD.
                let repairs = try repo.repairIndex(paths: files.keys.sorted())
                if !repairs.isEmpty {
                    try ledger.addRecordingNotice("Proposal \(p.id)'s commit \(found.prefix(12)) was made before luna stopped; repaired the ops repo's "
                                                  + repairs.joined(separator: ", ") + ".")
                }
                commit = found
            } else {
                commit = try repo.commit(files: files, message: message)
            }
        } catch {
            throw RecordingBlocked(message: "recording proposal \(p.id) failed: \(error)")
        }

        try ledger.transaction {
            try memory.index(note)
            // Skill stats, and a draft from a verified success no approved skill covers.
            try learn(p, execution: execution, finding: finding, state: skillState?.state, at: now)
            try ledger.markRecorded(p, commit: commit, notePath: notePath)
        }
        return commit
    }

    /// One line for the commit summary and the note title.
    static func title(_ p: Proposal, outcome: String) -> String {
        let what = p.skill ?? ((p.argv.first.map { ($0 as NSString).lastPathComponent }) ?? "action")
        let subject = oneLine(p.findingSummary ?? p.argv.joined(separator: " "))
        return Clip.characters("luna: \(outcome) on \(p.host): \(what) — \(subject)", 100)
    }

    /// The commit message: summary, rationale paragraph, trailers.
    static func message(_ p: Proposal, outcome: String, approval: ApprovalRecord?, execution: ExecutionRecord?, finding: FindingRecord?) -> String {
        var body: [String] = []
        if let finding {
            body.append("Finding (\(finding.check) check on \(finding.host)): \(oneLine(finding.summary)).")
        }
        body.append("Proposed \(p.skill.map { "by skill \($0)" } ?? "from \(p.source)"): \(oneLine(p.rationale))")
        switch outcome {
        case "refused":
            body.append("The gate refused it: \(p.gateReasons.map(oneLine).joined(separator: "; ")).")
            if p.gateOutcome == "escalate" { body.append("It needs the operator's own account: a runbook draft is in docs/runbooks/.") }
        case "denied":
            body.append("Denied by \(approval?.approver ?? "?") via \(approval?.channel ?? "?")" + (approval?.reason.map { ": \(oneLine($0))." } ?? "."))
        case "expired":
            body.append("Nobody decided before it expired at \(p.expiresAt ?? "?"); it did not run.")
        case "interrupted":
            if execution?.outputNote?.contains("ran to completion after luna stopped") == true {
                body.append("Luna stopped while it was running; the action ran to completion unobserved, so its exit status is unknown. "
                            + "It was not run again. Check the host before proposing it again.")
            } else {
                body.append("Luna stopped while it was running; it was not run again. Check the host before proposing it again.")
            }
        default:
            if let e = execution {
                body.append("Ran \(shellLike(e.argv)): exit status \(e.exitStatus.map(String.init) ?? "?").")
                if let v = p.verifyArgv {
                    let passed = e.verifyPassed == true ? "passed" : "failed"
                    body.append("Verification \(shellLike(v)) \(passed)" + (e.verifyOutput.map { ", printed \(Clip.characters(oneLine($0).trimmingCharacters(in: .whitespaces), 120))." } ?? "."))
                }
                if let detail = e.checkDetail { body.append("Re-checked: \(oneLine(detail)).") }
            }
        }
        var trailers = [
            "Proposal: \(p.id)",
            "Host: \(p.host)",
            "Argv: \(oneLine(JSONValue.encode(p.argv)))",
            "Identity: \(p.identity)",
            "Runas: \(p.runas)",
            approval.map { $0.decision == .approve ? "Approved-by: \($0.approver)" : "Denied-by: \($0.approver)" } ?? "Approved-by: none",
            "Channel: \(approval?.channel ?? "none")",
            "Exit-status: \(execution?.exitStatus.map(String.init) ?? "none")",
            "Outcome: \(outcome)",
        ]
        if let rule = p.gateRule { trailers.append("Rule: \(oneLine(rule))") }
        if let skill = p.skill { trailers.append("Skill: \(skill)") }
        if p.source.isInteractiveAgent { trailers.append("Proposed-by: \(oneLine(p.source.rawValue))") }
        trailers.append("Digest: \(p.digest)")
        return title(p, outcome: outcome) + "\n\n" + wrap(body.joined(separator: " ")) + "\n\n" + trailers.joined(separator: "\n") + "\n"
    }

    /// The memory note for the outcome: `memory/outcomes/<day>-p<id>-<outcome>.md`.
    static func memoryNote(_ p: Proposal, outcome: String, approval: ApprovalRecord?, execution: ExecutionRecord?,
                           finding: FindingRecord?, created: String) -> MemoryNote {
        var body = message(p, outcome: outcome, approval: approval, execution: execution, finding: finding)
        if let e = execution, let out = e.stdout, !out.isEmpty {
            body += "\nOutput (excerpt):\n\n```\n\(Clip.characters(out.replacingOccurrences(of: "```", with: "'''"), 2000))\n```\n"
        }
        return MemoryNote(slug: "outcomes/\(p.createdAt.prefix(10))-p\(p.id)-\(outcome)", title: title(p, outcome: outcome), body: body,
                          hosts: [p.host], tags: ["outcome", outcome] + [finding?.check ?? "manual"] + (p.skill.map { ["skill-" + $0] } ?? []),
                          source: outcome == "denied" || outcome == "refused" ? .denial : .outcome, created: created, proposal: p.id)
    }

    /// A runbook draft for an action luna must not run itself.
    ///
    /// The draft quotes the model's rationale and host data, so it is rendered inert (lines kept).
    static func runbook(_ p: Proposal, finding: FindingRecord?) -> String {
        InertText.render("""
        # Runbook draft: \(oneLine(p.findingSummary ?? p.argv.joined(separator: " ")))

        Host: \(p.host) · Proposal \(p.id) · Status: draft, for the operator's own account

        ## Why this is not done by luna

        \(p.gateReasons.map { "- " + oneLine($0) }.joined(separator: "\n"))

        ## Proposed step

        ```
        \(shellLike(p.argv))
        ```

        ## Rationale

        \(p.rationale)

        ## Before you run it

        - Confirm the finding on the host\(finding.map { " (\($0.check): \(oneLine($0.summary)))" } ?? "").
        - Make sure a backup or a way back exists.
        - Run it with your own account, then let Luna's next scan confirm.
        """, multiline: true)
    }

    static func oneLine(_ s: String) -> String {
        s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }



    /// An argv shown readably with POSIX quoting (for people; never executed).
    static func shellLike(_ argv: [String]) -> String {
        argv.map { a in
            a.range(of: "^[A-Za-z0-9_./:=@%+,-]+$", options: .regularExpression) != nil ? a : "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }

    static func wrap(_ text: String, width: Int = 72) -> String {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + word.count + 1 > width { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.joined(separator: "\n")
    }
}
