import Foundation
import LunaText
import LunaConfig
import LunaMemory
import LunaFleet
import LunaModel
import LunaPolicy
import LunaStore

extension ModelPlanner {
    /// Handles one tool call; returns the text sent back to the model.
    func handle(_ call: ToolCall, session: inout ModelSession, result: inout PlanResult) throws -> (text: String, isError: Bool) {
        let finding = session.finding
        let shown = session.redactor.redact(call.rawArguments)
        func refuse(_ reason: String, proposal: Int64? = nil) throws -> (text: String, isError: Bool) {
            try ledger.recordRefusal(findingID: finding.id, tool: call.name.isEmpty ? "(none)" : String(call.name.prefix(64)),
                                     reason: reason, input: shown, proposalID: proposal)
            result.refusals.append("\(call.name): \(reason)")
            environment.log(.warning, "model request refused (\(call.name)) for finding \(finding.id): \(reason)")
            return ("refused: \(reason)", true)
        }
        guard let spec = PlannerTools.all.first(where: { $0.name == call.name }) else {
            return try refuse("unknown tool '\(String(call.name.prefix(64)))'")
        }
        guard call.arguments != nil else { return try refuse("the arguments are not valid JSON") }
        let input: ToolInput
        do { input = try spec.validate(call.arguments) } catch { return try refuse(error.problems.joined(separator: "; ")) }
        if let refusal = UntrustedRequests.screen(input, who: "the model") { return try refuse(refusal) }
        switch spec.name {
        case PlannerTools.proposeAction.name:
            let host = input.string("host")
            guard config.host(host) != nil else { return try refuse("host '\(host)' is not in the inventory") }
            guard session.proposals < Self.maxProposalsPerFinding, session.attempts < Self.maxAttemptsPerFinding else {
                return try refuse("at most \(Self.maxProposalsPerFinding) proposals (\(Self.maxAttemptsPerFinding) attempts) per finding")
            }
            session.attempts += 1
            let verify = input.array("verify_argv")
            // The verification runs after the action without a second approval: it must be in the
            // host's declared read set (the gate checks this again for every proposal).
            if !verify.isEmpty, let refusal = verificationRefusal(host: host, verify: verify) { return try refuse(refusal) }
            let gated: Proposal
            do {
                let promptHash = session.promptHash
                gated = try ProposalGate(context: context).propose(Ledger.NewProposal(
                    finding: finding, host: host, identity: config.identity, runas: "root", argv: input.array("argv"),
                    verifyArgv: verify.isEmpty ? nil : verify, rationale: input.string("rationale"),
                    source: "model", risk: input.string("risk"), alongside: result.proposals.map(\.id), promptHash: promptHash))
            } catch let error as AgentError where error.kind == .conflict {
                // Another planner (the daemon or a concurrent `luna plan`) got there first.
                return ("not proposed: \(error.message); that proposal stands", true)
            }
            result.proposals.append(gated)
            if gated.state == .refused {
                _ = try refuse("the gate said \(gated.gateOutcome ?? "no"): " + gated.gateReasons.joined(separator: "; "), proposal: gated.id)
                return ("proposal \(gated.id) refused by the gate: " + gated.gateReasons.joined(separator: "; "), true)
            }
            session.proposals += 1
            return ("proposal \(gated.id) passed the gate and awaits the operator's approval", false)

        case PlannerTools.inspect.name:
            let hostName = input.string("host")
            guard let host = config.host(hostName) else { return try refuse("host '\(hostName)' is not in the inventory") }
            guard session.inspections < Self.maxInspectionsPerFinding else {
                return try refuse("at most \(Self.maxInspectionsPerFinding) inspections per finding")
            }
            let argv = input.array("argv")
            if let refusal = inspectionRefusal(host: hostName, argv: argv) { return try refuse(refusal) }
            session.inspections += 1
            result.inspections += 1
            do {
                let inspection = try runInspection(host, argv: argv, redactor: session.redactor)
                return (inspection.text, inspection.exitStatus != 0)
            } catch {
                return ("could not run it: \(error)", true)
            }

        case PlannerTools.escalate.name:
            let title = Recorder.oneLine(input.string("title"))
            let day = String(Timestamp.string(environment.now()).prefix(10))
            let path = "docs/runbooks/\(day)-f\(finding.id)-\(Slug.make(title, maxLength: 40, fallback: "runbook")).md"
            let text = """
                # Runbook draft: \(title)

                Host: \(finding.host) · Finding \(finding.id) (\(finding.check): \(Recorder.oneLine(finding.summary)))
                Status: draft written by the model planner, for the operator's own account. Review every step.

                ## Why luna does not do this itself

                \(input.string("why"))

                ## Steps

                \(input.string("steps_markdown"))

                """
            let message = "luna: runbook draft for \(finding.host): \(Clip.characters(title, 60))\n\n"
                + Recorder.wrap("Escalated by the model planner for finding \(finding.id): \(Recorder.oneLine(input.string("why")))")
                + "\n\nFinding: \(finding.id)\nHost: \(finding.host)\nSource: model\nPrompt-SHA256: \(session.promptHash)\n"
            // The model's words are untrusted: redacted like every text leaving the host, and inert in the file.
            let safe = InertText.render(repo.redactor().redact(text), multiline: true)
            do {
                _ = try repo.commit(files: [path: safe], message: message)
            } catch {
                // A locked or failing ops repo must not stop the cycle (scanning and gating go on).
                environment.log(.error, "runbook for finding \(finding.id) not committed: \(error)")
                return ("the runbook could not be committed to the ops repo: \(error)", true)
            }
            result.runbooks.append(path)
            return ("runbook committed at \(path)", false)

        default:   // note
            let title = Recorder.oneLine(input.string("title"))
            // MemoryNote.slug: ASCII only, so `luna memory approve` and reindex accept it whatever the title's script.
            let slug = "agent/\(String(Timestamp.string(environment.now()).prefix(10)))-f\(finding.id)-\(MemoryNote.slug(from: title))"
            try memory.suggest(slug: slug, title: title, body: input.string("body"), host: finding.host,
                               tags: "agent \(finding.check)", at: Timestamp.string(environment.now()))
            result.notes.append(slug)
            return ("note stored as a candidate for the operator's review", false)
        }
    }
}
