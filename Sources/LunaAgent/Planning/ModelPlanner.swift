import Foundation
import LunaCodec
import LunaText
import LunaConfig
import LunaMemory
import LunaFleet
import LunaModel
import LunaPolicy
import LunaStore

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

/// Plans a finding with the model: the recon bundle (Planning/ReconBuilder.swift),
/// the conversation within the turn, inspection and proposal bounds and the daily
/// token budget, and each tool call handled on its own (ModelPlanner+Tools.swift).
/// Everything the model says is untrusted: its proposals pass the same gate as a
/// skill's, its inspections only the declared read set.
public struct ModelPlanner: Planner, AgentService {
    public let context: AgentContext
    /// How the model client waits between retries (injectable for tests).
    public var sleep: (@Sendable (Duration) -> Void)?

    public init(context: AgentContext, sleep: (@Sendable (Duration) -> Void)? = nil) {
        self.context = context
        self.sleep = sleep
    }

    /// Plans with the model, told why the planners before it had no plan.
    public func plan(_ finding: FindingRecord, declined: [String], force: Bool) throws -> PlannerAnswer {
        .planned(try planWithModel(finding, skillReason: declined.joined(separator: "; "), force: force, sleep: sleep))
    }

    static let maxModelTurns = 4
    static let maxInspectionsPerFinding = 5
    /// Proposals per finding that may pass the gate, and that may be made at all.
    static let maxProposalsPerFinding = 3
    static let maxAttemptsPerFinding = 16

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

    /// The first request the model would get for a finding, exactly as it would be sent (redacted).
    ///
    /// - Returns: The request body as JSON text.
    public func modelRequestPreview(findingID: Int64) throws -> String {
        guard let finding = try ledger.finding(findingID) else { throw AgentError(.notFound, "no finding \(findingID)") }
        let prompts = try loadPrompts()
        let conversation = try firstConversation(finding, prompts: prompts, redactor: redactor())
        guard let format = WireFormat(rawValue: config.llm?.provider ?? "anthropic") else {
            throw AgentError(.invalid, "unknown [llm] provider \"\(config.llm?.provider ?? "")\" in \(config.file)")
        }
        let settings = ModelSettings(format: format,
                                     apiBase: config.llm?.apiBase ?? "", model: config.llm?.model ?? "(no [llm] section)",
                                     apiKey: nil, maxTokens: config.llm?.maxTokens ?? 2048)
        return String(decoding: ModelClient(settings: settings).body(conversation), as: UTF8.self)
    }

    func firstConversation(_ finding: FindingRecord, prompts: ModelPrompts, redactor: Redactor, markUsed: Bool = false) throws -> ModelConversation {
        let recon = try ReconBuilder(context: context).reconContext(finding, redactor: redactor, markUsed: markUsed)
        let user = prompts.plan + "\n\n" + recon + "\n\n" + prompts.summary
        return ModelConversation(system: prompts.system, tools: PlannerTools.all, turns: [.user(redactor.redact(user))])
    }

    // MARK: Planning

    /// Plans one finding with the model: recon, the call, and each tool call handled.
    ///
    /// Never called for a finding a skill covers. Without `[llm]`, over the daily
    /// budget, or when the model already planned this finding's content (unless
    /// `force`), nothing is sent and the reason says why.
    public func planWithModel(_ finding: FindingRecord, skillReason: String, force: Bool = false,
                              sleep: (@Sendable (Duration) -> Void)? = nil) throws -> PlanResult {
        var result = PlanResult()
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
                    environment.log(.warning, "model planner stopped: today's \(usage.tokens) tokens reached the daily budget of \(llm.dailyTokenBudget)")
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
}
