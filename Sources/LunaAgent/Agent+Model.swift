import Foundation
import LunaText
import LunaConfig
import LunaMemory
import LunaFleet
import LunaModel
import LunaPolicy
import LunaStore

/// What planning one finding with the model gave.
public struct ModelPlanResult: Sendable {
    /// Proposals made (each already through the gate: awaiting approval or refused).
    public var proposals: [Proposal] = []
    /// Every refusal of model output, with its reason.
    public var refusals: [String] = []
    /// Runbooks committed under docs/runbooks/.
    public var runbooks: [String] = []
    /// Memory note candidates stored as pending.
    public var notes: [String] = []
    /// Read-only commands run for the model.
    public var inspections: Int = 0
    /// The model's own words (its last text), for the operator.
    public var text: String = ""
    /// Why the finding stays without a plan; nil when a proposal awaits approval.
    public var unplannedReason: String?
}

/// The prompt texts from the ops repo's `prompts/` and their hash.
public struct ModelPrompts: Sendable, Equatable {
    public var system: String
    public var plan: String
    public var summary: String

    /// sha256 of the prompt text used (system, plan and summary, length-prefixed).
    public var sha256: String {
        "sha256:" + SHA256.hex([system, plan, summary].map { "\($0.utf8.count):\($0);" }.joined())
    }
}

extension Agent {
    static let maxModelTurns = 4
    static let maxInspectionsPerFinding = 5
    /// Proposals per finding that may pass the gate, and that may be made at all.
    static let maxProposalsPerFinding = 3
    static let maxAttemptsPerFinding = 16
    /// The recon context is cut at about this many tokens (4 characters each).
    static let contextTokenBudget = 6000
    static let mentionPattern = try! NSRegularExpression(pattern: #"@everyone|@here|<@[!&]?[0-9]+>|<#[0-9]+>"#)

    /// Today's model calls and tokens against the daily budget.
    public func modelUsageToday() throws -> ModelUsage {
        try ledger.modelUsage(budget: config.llm?.dailyTokenBudget)
    }

    /// Reads `prompts/system.md`, `prompts/plan.md` and `prompts/summary.md` from the ops repo.
    ///
    /// - Throws: `AgentError.notFound` naming the missing file.
    public func loadPrompts() throws -> ModelPrompts {
        func read(_ name: String) throws -> String {
            let path = config.opsRepo + "/prompts/" + name
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw AgentError(.notFound, "the prompt \(path) is missing; the model planner needs prompts/system.md, plan.md and summary.md")
            }
            return text
        }
        return ModelPrompts(system: try read("system.md"), plan: try read("plan.md"), summary: try read("summary.md"))
    }

    /// The model client for the `[llm]` section, or nil without one.
    ///
    /// - Throws: `ConfigError` when the key file is unsafe or unreadable.
    public func modelClient(sleep: (@Sendable (Duration) -> Void)? = nil) throws -> ModelClient? {
        guard let llm = config.llm else { return nil }
        let key = try SecretFile.resolve(credential: "llm-key", file: llm.keyFile)
        let settings = ModelSettings(format: WireFormat(rawValue: llm.provider) ?? .anthropic, apiBase: llm.apiBase, model: llm.model,
                                     apiKey: key, maxTokens: llm.maxTokens, timeout: .seconds(llm.timeoutSeconds))
        if let sleep { return ModelClient(settings: settings, sleep: sleep) }
        return ModelClient(settings: settings)
    }

    /// A redactor that knows the exact values of the ops repo's gitignored `.env` files.
    public func redactor() -> Redactor {
        let repo = recorder.repo
        var secrets: [String] = []
        let ignored = (try? repo.git(["ls-files", "--others", "--ignored", "--exclude-standard", "-z"])) ?? ""
        for relative in ignored.split(separator: "\0").map(String.init) {
            let name = (relative as NSString).lastPathComponent
            guard name == ".env" || name.hasPrefix(".env.") || name.hasSuffix(".env") else { continue }
            if let text = try? String(contentsOfFile: config.opsRepo + "/" + relative, encoding: .utf8) {
                secrets += Redactor.envValues(text)
            }
        }
        return Redactor(exactSecrets: secrets)
    }

    /// The first request the model would get for a finding, exactly as it would be sent (redacted).
    ///
    /// - Returns: The request body as JSON text.
    public func modelRequestPreview(findingID: Int64) throws -> String {
        guard let finding = try ledger.finding(findingID) else { throw AgentError(.notFound, "no finding \(findingID)") }
        let prompts = try loadPrompts()
        let conversation = try firstConversation(finding, prompts: prompts, redactor: redactor())
        let settings = ModelSettings(format: WireFormat(rawValue: config.llm?.provider ?? "anthropic") ?? .anthropic,
                                     apiBase: config.llm?.apiBase ?? "", model: config.llm?.model ?? "(no [llm] section)",
                                     apiKey: nil, maxTokens: config.llm?.maxTokens ?? 2048)
        return String(decoding: ModelClient(settings: settings).body(conversation), as: UTF8.self)
    }

    func firstConversation(_ finding: FindingRecord, prompts: ModelPrompts, redactor: Redactor, markUsed: Bool = false) throws -> ModelConversation {
        let context = try reconContext(finding, redactor: redactor, markUsed: markUsed)
        let user = prompts.plan + "\n\n" + context + "\n\n" + prompts.summary
        return ModelConversation(system: prompts.system, tools: PlannerTools.all, turns: [.user(redactor.redact(user))])
    }

    // MARK: Planning

    /// Plans one finding with the model: recon, the call, and each tool call handled.
    ///
    /// Never called for a finding a skill covers. Without `[llm]`, over the daily
    /// budget, or when the model already planned this finding's content (unless
    /// `force`), nothing is sent and the reason says why.
    public func planWithModel(_ finding: FindingRecord, skillReason: String, force: Bool = false,
                              sleep: (@Sendable (Duration) -> Void)? = nil) throws -> ModelPlanResult {
        var result = ModelPlanResult()
        guard let llm = config.llm else {
            result.unplannedReason = skillReason + "; no model is configured ([llm])"
            return result
        }
        if !force, let earlier = try ledger.modelPlanned(finding) {
            result.unplannedReason = "the model had no plan for this finding: \(earlier)"
            return result
        }
        let prompts: ModelPrompts
        do { prompts = try loadPrompts() } catch {
            result.unplannedReason = "\(error)"
            return result
        }
        let redactor = redactor()
        let client: ModelClient
        do {
            guard let c = try modelClient(sleep: sleep) else { return result }
            client = c
        } catch {
            result.unplannedReason = "the model cannot be reached: \(error)"
            return result
        }
        // Planning marks the memory notes it read as used (a dry run does not).
        var conversation = try firstConversation(finding, prompts: prompts, redactor: redactor, markUsed: true)
        var session = ModelSession(finding: finding, redactor: redactor, promptHash: prompts.sha256)

        for _ in 0..<Self.maxModelTurns {
            let usage = try modelUsageToday()
            if usage.tokens >= llm.dailyTokenBudget {
                let day = usage.day
                if try ledger.value("model.budget_notice") != day {
                    try ledger.setValue("model.budget_notice", day)
                    environment.log("model planner stopped: today's \(usage.tokens) tokens reached the daily budget of \(llm.dailyTokenBudget)")
                }
                result.unplannedReason = "over the daily token budget (\(usage.tokens) of \(llm.dailyTokenBudget) tokens used today); the model was not asked"
                break
            }
            let reply: ModelReply
            do {
                reply = try client.send(conversation)
            } catch {
                try ledger.recordModelCall(findingID: finding.id, provider: llm.provider, model: llm.model, status: error.kind.rawValue,
                                           attempts: error.attempts, usage: TokenUsage(), stopReason: nil, promptHash: prompts.sha256,
                                           error: error.description)
                result.unplannedReason = "the model call failed: \(error)"
                return result   // not marked planned: the next cycle tries again
            }
            try ledger.recordModelCall(findingID: finding.id, provider: llm.provider, model: llm.model, status: "ok",
                                       attempts: reply.attempts, usage: reply.usage, stopReason: reply.stopReason,
                                       promptHash: prompts.sha256, error: nil)
            if !reply.text.isEmpty { result.text = reply.text }
            conversation.turns.append(.assistant(text: reply.text, calls: reply.calls))
            guard !reply.calls.isEmpty else { break }
            var results: [ToolResult] = []
            var wantsMore = false
            for call in reply.calls {
                let answer = try handle(call, session: &session, result: &result)
                if call.name == PlannerTools.inspect.name { wantsMore = true }
                results.append(ToolResult(callID: call.id, content: redactor.redact(answer.text), isError: answer.isError))
            }
            conversation.turns.append(.toolResults(results))
            if !wantsMore { break }
        }
        if result.unplannedReason == nil && !result.proposals.contains(where: { $0.state == .awaitingApproval }) {
            var why: [String] = []
            if !result.runbooks.isEmpty { why.append("escalated: runbook \(result.runbooks.joined(separator: ", "))") }
            if !result.refusals.isEmpty { why.append("\(result.refusals.count) model request(s) refused") }
            if why.isEmpty { why.append("the model proposed nothing" + (result.text.isEmpty ? "" : ": " + Clip.characters(Recorder.oneLine(result.text), 200))) }
            result.unplannedReason = why.joined(separator: "; ")
        }
        if let reason = result.unplannedReason, !reason.hasPrefix("over the daily token budget") {
            try ledger.recordModelPlan(finding, outcome: reason)
        } else if result.unplannedReason == nil {
            try ledger.recordModelPlan(finding, outcome: "proposed \(result.proposals.map { String($0.id) }.joined(separator: ", "))")
        }
        return result
    }

    struct ModelSession {
        var finding: FindingRecord
        var redactor: Redactor
        var promptHash: String
        var inspections = 0
        var proposals = 0
        var attempts = 0
    }

    /// Handles one tool call; returns the text sent back to the model.
    func handle(_ call: ToolCall, session: inout ModelSession, result: inout ModelPlanResult) throws -> (text: String, isError: Bool) {
        let finding = session.finding
        let shown = session.redactor.redact(call.rawArguments)
        func refuse(_ reason: String, proposal: Int64? = nil) throws -> (text: String, isError: Bool) {
            try ledger.recordRefusal(findingID: finding.id, tool: call.name.isEmpty ? "(none)" : String(call.name.prefix(64)),
                                     reason: reason, input: shown, proposalID: proposal)
            result.refusals.append("\(call.name): \(reason)")
            environment.log("model request refused (\(call.name)) for finding \(finding.id): \(reason)")
            return ("refused: \(reason)", true)
        }
        guard let spec = PlannerTools.all.first(where: { $0.name == call.name }) else {
            return try refuse("unknown tool '\(String(call.name.prefix(64)))'")
        }
        guard call.arguments != nil else { return try refuse("the arguments are not valid JSON") }
        let input: ToolInput
        do { input = try spec.validate(call.arguments) } catch { return try refuse(error.problems.joined(separator: "; ")) }
        for (field, value) in input.strings.sorted(by: { $0.key < $1.key }) + input.arrays.flatMap({ k, v in v.map { (k, $0) } }) {
            let ns = value as NSString
            if Self.mentionPattern.firstMatch(in: value, range: NSRange(location: 0, length: ns.length)) != nil {
                return try refuse("'\(field)' contains a mention (@everyone, @here or <@…>); the model may not address people")
            }
            if value.contains("[REDACTED-") && (field == "argv" || field == "verify_argv" || field == "host") {
                return try refuse("'\(field)' contains a redaction placeholder; the model never sees secrets and cannot use them")
            }
        }
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
            if !verify.isEmpty {
                let v = gate.evaluate(host: host, argv: verify, runas: "root")
                guard v.runsWithoutApproval else {
                    return try refuse("verify_argv must be in the declared read set of \(host) for \(config.identity): "
                                      + (v.outcome == .allowed ? (v.readSet?.reason ?? "not declared read-only") : v.reasons.joined(separator: "; ")))
                }
            }
            let gated: Proposal
            do {
                let promptHash = session.promptHash
                gated = try propose(Ledger.NewProposal(
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
            let verdict = gate.evaluate(host: hostName, argv: argv, runas: "root")
            guard verdict.outcome == .allowed else {
                return try refuse("the gate does not allow it for \(config.identity): " + verdict.reasons.joined(separator: "; "))
            }
            // Read-only is what the operator declared in the reference, never what a heuristic guessed.
            guard verdict.runsWithoutApproval else {
                return try refuse("inspect runs only commands in the declared read set of \(hostName): "
                                  + (verdict.readSet?.reason ?? "not declared read-only"))
            }
            session.inspections += 1
            result.inspections += 1
            do {
                let r = try environment.executor(host, config).run(spawnArgv(argv, runas: "root"), timeout: .seconds(config.commandTimeoutSeconds))
                let output = Clip.utf8(r.stdoutText + (r.stderrText.isEmpty ? "" : "\n[stderr]\n" + r.stderrText), 4000)
                return ("exit \(r.exitStatus)\n" + Self.dataBlock("command output", session.redactor.redact(output)), r.exitStatus != 0)
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
            let safe = InertText.render(recorder.repo.redactor().redact(text), multiline: true)
            do {
                _ = try recorder.repo.commit(files: [path: safe], message: message)
            } catch {
                // A locked or failing ops repo must not stop the cycle (scanning and gating go on).
                environment.log("runbook for finding \(finding.id) not committed: \(error)")
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

    /// Untrusted text as a clearly delimited block the prompts call data, never instructions.
    static func dataBlock(_ name: String, _ text: String) -> String {
        let safe = text.replacingOccurrences(of: "<<<", with: "‹‹‹").replacingOccurrences(of: ">>>", with: "›››")
        return "<<<DATA \(name)>>>\n\(safe)\n<<<END DATA \(name)>>>"
    }
}

extension Agent {
    /// Plans one finding now (`luna plan`): an approved skill first, otherwise the model.
    ///
    /// - Parameter findingID: An open finding without an active proposal.
    /// - Returns: What came of it.
    /// - Throws: `AgentError` — `.notFound`, `.conflict` (resolved, or a proposal is already active).
    public func planFinding(_ findingID: Int64, sleep: (@Sendable (Duration) -> Void)? = nil) throws -> ModelPlanResult {
        guard let finding = try ledger.finding(findingID) else { throw AgentError(.notFound, "no finding \(findingID)") }
        guard finding.state == "open" else { throw AgentError(.conflict, "finding \(findingID) is \(finding.state), not open") }
        if let active = try ledger.proposals().first(where: {
            $0.findingID == findingID && [.proposed, .awaitingApproval, .approved, .executing].contains($0.state)
        }) {
            throw AgentError(.conflict, "finding \(findingID) already has proposal \(active.id) (\(active.state.rawValue))")
        }
        let library = try usableSkills()   // approved, non-suspended skills only
        switch Planner(skills: library, identity: config.identity).plan(finding) {
        case .proposal(let new):
            var result = ModelPlanResult()
            result.proposals = [try propose(new)]
            if result.proposals[0].state != .awaitingApproval { result.unplannedReason = "the skill's proposal was refused by the gate" }
            return result
        case .none(let reason):
            return try planWithModel(finding, skillReason: reason, force: true, sleep: sleep)
        }
    }
}
