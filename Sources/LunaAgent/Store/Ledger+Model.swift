import Foundation
import LunaModel
import LunaStore

/// Today's model use against the budget.
public struct ModelUsage: Sendable, Codable, Equatable {
    /// The UTC day, `YYYY-MM-DD`.
    public var day: String
    public var calls: Int
    /// Input, output and cache tokens together.
    public var tokens: Int
    /// The daily budget, nil without an `[llm]` section.
    public var budget: Int?
}

/// A refusal of something the model asked for, with its reason.
public struct ModelRefusal: Sendable, Codable, Equatable {
    public var findingID: Int64?
    public var tool: String
    public var reason: String
    /// The input as the model sent it (redacted, clipped).
    public var input: String
    public var proposalID: Int64?
}

extension Ledger {
    static func day(_ date: Date) -> String { String(Timestamp.string(date).prefix(10)) }

    /// Stores one model call (successful or not) with its token usage.
    ///
    /// `purpose` is `plan` (the planner) or `distill` (a skill draft, with the draft's `skill` name).
    func recordModelCall(findingID: Int64?, provider: String, model: String, status: String, attempts: Int,
                         usage: TokenUsage, stopReason: String?, promptHash: String, error: String?,
                         purpose: String = "plan", skill: String? = nil) throws {
        let at = now()
        try db.run("""
            INSERT INTO model_calls(at, day, finding_id, provider, model, status, attempts, input_tokens, output_tokens,
                                    cache_read_tokens, cache_write_tokens, stop_reason, prompt_sha256, error, purpose, skill)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """, [.text(Timestamp.string(at)), .text(Self.day(at)), findingID.map { .integer($0) } ?? .null, .text(provider),
                  .text(model), .text(status), .integer(Int64(attempts)), .integer(Int64(usage.input)), .integer(Int64(usage.output)),
                  .integer(Int64(usage.cacheRead)), .integer(Int64(usage.cacheWrite)), stopReason.map { .text($0) } ?? .null,
                  .text(promptHash), error.map { .text($0) } ?? .null, .text(purpose), skill.map { .text($0) } ?? .null])
    }

    /// Calls and tokens of the current UTC day.
    public func modelUsage(budget: Int?) throws -> ModelUsage {
        let day = Self.day(now())
        let row = try db.queryOne("""
            SELECT count(*) AS calls, coalesce(sum(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens), 0) AS tokens
            FROM model_calls WHERE day=?
            """, [.text(day)])
        return ModelUsage(day: day, calls: Int(row?.int("calls") ?? 0), tokens: Int(row?.int("tokens") ?? 0), budget: budget)
    }

    /// Records a refusal of model output.
    func recordRefusal(findingID: Int64?, tool: String, reason: String, input: String, proposalID: Int64? = nil) throws {
        try db.run("INSERT INTO model_refusals(at, finding_id, tool, reason, input, proposal_id) VALUES (?,?,?,?,?,?)",
                   [.text(stamp), findingID.map { .integer($0) } ?? .null, .text(tool), .text(reason),
                    .text(String(input.prefix(4000))), proposalID.map { .integer($0) } ?? .null])
    }

    /// Every refusal of model output for a finding (all when nil), oldest first.
    public func modelRefusals(findingID: Int64? = nil) throws -> [ModelRefusal] {
        let rows = try findingID.map { try db.query("SELECT * FROM model_refusals WHERE finding_id=? ORDER BY id", [.integer($0)]) }
            ?? db.query("SELECT * FROM model_refusals ORDER BY id")
        return rows.map {
            ModelRefusal(findingID: $0.int("finding_id"), tool: $0.string("tool") ?? "", reason: $0.string("reason") ?? "",
                         input: $0.string("input") ?? "", proposalID: $0.int("proposal_id"))
        }
    }

    /// Whether the model already planned this finding's current content.
    func modelPlanned(_ finding: FindingRecord) throws -> String? {
        try db.queryOne("SELECT outcome FROM model_plans WHERE finding_id=? AND occurrence=? ORDER BY id DESC LIMIT 1",
                        [.integer(finding.id), .integer(finding.occurrence)])?.string("outcome")
    }

    func recordModelPlan(_ finding: FindingRecord, outcome: String) throws {
        try db.run("INSERT INTO model_plans(finding_id, finding_summary, occurrence, at, outcome) VALUES (?,?,?,?,?)",
                   [.integer(finding.id), .text(finding.summary), .integer(finding.occurrence), .text(stamp), .text(outcome)])
    }

    /// The sha256 of the prompt text a model proposal was made with.
    public func promptHash(proposal id: Int64) throws -> String? {
        try db.queryOne("SELECT prompt_sha256 FROM proposals WHERE id=?", [.integer(id)])?.string("prompt_sha256")
    }

}
