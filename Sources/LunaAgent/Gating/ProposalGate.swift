import Foundation
import LunaText
import LunaConfig
import LunaDrift
import LunaFleet
import LunaMemory
import LunaPolicy
import LunaStore

/// The gate in the flow: every proposal passes it when made (insert and gate in
/// one transaction), and again just before it runs. A planner or a channel never
/// writes a proposal any other way.
public struct ProposalGate: AgentService {
    public let context: AgentContext

    /// The gate's verdict on everything that would run for a proposal: the
    /// action, and its verification, which runs after the action without a
    /// second approval and so must be in the host's declared read set.
    public func verdict(for p: Proposal) -> GateVerdict {
        var verdict = gate.evaluate(host: p.host, argv: p.argv, runas: p.runas)
        guard verdict.outcome == .allowed, let verify = p.verifyArgv else { return verdict }
        let v = gate.evaluate(host: p.host, argv: verify, runas: p.runas)
        if !v.runsWithoutApproval {
            let why = v.outcome == .allowed ? (v.readSet?.reason ?? "not in the declared read set") : v.reasons.joined(separator: "; ")
            verdict.outcome = .refused
            verdict.reasons.insert("the verification \(verify.joined(separator: " ")) must be in the declared read set of \(p.host), "
                                   + "since it runs without a second approval: \(why)", at: 0)
        }
        return verdict
    }

    /// Passes a `proposed` proposal through the gate: `awaiting_approval` or `refused`.
    public func gateProposal(_ p: Proposal) throws -> Proposal {
        try ledger.gate(p.id, verdict: verdict(for: p),
                        expiresAt: environment.now().addingTimeInterval(Double(config.approvalTTLMinutes) * 60))
        return try ledger.proposal(p.id)!
    }

    /// Inserts a proposal and passes it through the gate in one transaction.
    ///
    /// A luna killed between the two would otherwise leave a proposal `proposed`
    /// for ever: never gated, never shown, and (as the finding's active proposal)
    /// blocking any new plan for its finding.
    /// - Throws: `AgentError.conflict` when the finding already has an active proposal (see `Ledger.insert`).
    public func propose(_ new: Ledger.NewProposal) throws -> Proposal {
        try ledger.transaction {
            try gateProposal(try ledger.insert(new))
        }
    }

    /// Gates the proposals a luna that stopped between insert and gate left `proposed`.
    ///
    /// Since `propose` is one transaction, such rows come only from an older luna;
    /// called at start under the run lock.
    /// - Returns: The ids gated.
    @discardableResult
    public func gateLeftoverProposals() throws -> [Int64] {
        var ids: [Int64] = []
        for p in try ledger.proposals(state: .proposed) {
            do {
                _ = try gateProposal(p)
                ids.append(p.id)
            } catch let error as AgentError where error.kind == .conflict {
                continue   // gated meanwhile by another process
            }
        }
        return ids
    }
}
