import Foundation
import LunaCodec
import LunaPolicy
import LunaStore

extension Ledger {
    /// Stores the gate's verdict on a `proposed` proposal and moves it on:
    /// `awaiting_approval` until `expiresAt` when the gate allowed it, `refused` otherwise.
    ///
    /// - Throws: `AgentError.conflict` when the proposal is no longer `proposed`.
    public func gate(_ id: Int64, verdict: GateVerdict, expiresAt: Date) throws {
        let columns: [(String, SQLValue)] = [
            ("gate_outcome", .text(verdict.outcome.rawValue)),
            ("gate_reasons", .text(JSONValue.encode(verdict.reasons))),
            ("gate_rule", verdict.sudo?.rule.map { .text("\($0.file):\($0.line): \($0.text)") } ?? .null),
            ("gate_detail", .text(verdict.description)),
        ]
        if verdict.outcome == .allowed {
            try transition(id, from: .proposed, to: .awaitingApproval, note: "gate allowed",
                           set: columns + [("expires_at", .text(Timestamp.string(expiresAt)))])
        } else {
            try transition(id, from: .proposed, to: .refused,
                           note: "gate \(verdict.outcome.rawValue): " + verdict.reasons.joined(separator: "; "),
                           set: columns + [("outcome", .text(ProposalState.refused.rawValue))])
        }
    }
}
