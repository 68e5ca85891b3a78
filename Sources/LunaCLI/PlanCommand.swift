import Foundation
import LunaAgent
import LunaText

/// `luna plan FINDING-ID [--dry-run] [--json]`: plan one finding now (skill first, else the model).
enum PlanCommand {
    struct Report: Encodable {
        var finding: Int64
        var proposals: [Proposal]
        var refusals: [String]
        var runbooks: [String]
        var notes: [String]
        var unplanned: String?
        var modelText: String
        var usage: ModelUsage
    }

    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let dryRun = args.flag("--dry-run")
        let json = args.flag("--json")
        let idText = try args.positional("a finding id")
        try args.finish()
        guard let id = Int64(idText), id > 0 else { throw UsageError(message: "'\(idText)' is not a finding id", command: "plan") }
        let agent = try context.agent()
        if dryRun {
            // Exactly the body that would be posted (redacted); the key is in a header and never shown.
            let llm = agent.config.llm
            printError("luna: dry run: this is the request body \(llm.map { "POST \($0.apiBase) (\($0.provider))" } ?? "(no [llm] section: nothing would be sent)") would get; nothing was sent")
            emit(InertText.json(try agent.modelPlanner.modelRequestPreview(findingID: id)))
            return Exit.ok
        }
        let result = try agent.planning.planFinding(id)
        let usage = try agent.modelUsageToday()
        if json {
            try printJSON(Report(finding: id, proposals: result.proposals, refusals: result.refusals, runbooks: result.runbooks,
                                 notes: result.notes, unplanned: result.unplannedReason, modelText: result.text, usage: usage))
        } else {
            for p in result.proposals {
                emit("Proposal \(p.id) (\(shown(p.source.rawValue))) on \(shown(p.host)): \(shownArgv(p.argv))")
                emit("  \(p.state == .awaitingApproval ? "awaiting your approval: luna approve \(p.id)" : "\(p.state.rawValue): " + p.gateReasons.map(shown).joined(separator: "; "))")
                if let v = p.verifyArgv {
                    emit("  then verify: \(shownArgv(v))\(p.expect.map { " (must print \"\(shown($0))\")" } ?? "")")
                }
                emit("  why: \(shown(p.rationale))")
            }
            for r in result.refusals { emit("Refused: \(shown(r))") }
            for r in result.runbooks { emit("Runbook committed: \(shown(r))") }
            for n in result.notes { emit("Memory note candidate (pending review): \(shown(n))") }
            if let why = result.unplannedReason { emit("No plan: \(shown(why))") }
            // The model's prose may span lines; each is indented so none can pass for Luna's own output.
            if !result.text.isEmpty { emit("Model: " + shownLines(result.text).replacingOccurrences(of: "\n", with: "\n       ")) }
            emit("Model use today (\(usage.day) UTC): \(usage.tokens)\(usage.budget.map { " of \($0)" } ?? "") tokens in \(usage.calls) calls")
        }
        return result.proposals.contains { $0.state == .awaitingApproval } ? Exit.ok : Exit.negative
    }
}
