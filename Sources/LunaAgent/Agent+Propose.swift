import Foundation

extension Agent {
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
