import Foundation
import LunaStore

/// An operator's decision on a proposal.
public enum Decision: String, Sendable, Codable {
    case approve = "approved"
    case deny = "denied"
}

extension Ledger {
    /// Records an operator's decision; the one path for every approval channel.
    ///
    /// The approval binds to the proposal's digest (host, identity, runas, argv,
    /// id) as stored when it was proposed; a proposal whose fields no longer match
    /// its digest cannot be approved. A proposal past its expiry becomes `expired`
    /// (recorded) and the decision is refused.
    ///
    /// - Parameters:
    ///   - id: The proposal.
    ///   - decision: Approve or deny.
    ///   - approver: Who decided (a local user name, a Discord user id).
    ///   - channel: Where (`cli`, `discord`).
    ///   - reason: Why, for a denial.
    /// - Returns: The proposal after the decision.
    /// - Throws: `AgentError` — `.notFound`, `.conflict` (already decided, or not
    ///   awaiting approval), `.expired`.
    @discardableResult
    public func decide(_ id: Int64, _ decision: Decision, approver: String, channel: String, reason: String? = nil) throws -> Proposal {
        var expiredAt: String? = nil
        try db.transaction {
            guard let p = try proposal(id) else { throw AgentError(.notFound, "no proposal \(id)") }
            guard p.state == .awaitingApproval else {
                if let a = try approval(id) {
                    throw AgentError(.conflict, "proposal \(id) was already \(a.decision) by \(a.approver) via \(a.channel) at \(a.at); it is \(p.state.rawValue) now")
                }
                throw AgentError(.conflict, "proposal \(id) is \(p.state.rawValue); only a proposal awaiting approval can be decided")
            }
            if let expiry = Timestamp.date(p.expiresAt), expiry <= now() {
                try transition(id, from: .awaitingApproval, to: .expired, note: "expired at \(p.expiresAt!) before \(approver) decided via \(channel)",
                               set: [("outcome", .text("expired"))])
                expiredAt = p.expiresAt
                return
            }
            let digest = p.computedDigest
            guard digest == p.digest else {
                throw AgentError(.conflict, "proposal \(id) no longer matches the digest it was proposed with; refusing to decide on it")
            }
            try db.run("INSERT INTO approvals(proposal_id, decision, approver, channel, digest, reason, at) VALUES (?,?,?,?,?,?,?)",
                       [.integer(id), .text(decision.rawValue), .text(approver), .text(channel), .text(digest),
                        reason.map { .text($0) } ?? .null, .text(stamp)])
            let to: ProposalState = decision == .approve ? .approved : .denied
            try transition(id, from: .awaitingApproval, to: to, note: "\(decision.rawValue) by \(approver) via \(channel)" + (reason.map { ": " + $0 } ?? ""),
                           set: decision == .deny ? [("outcome", .text("denied"))] : [])
        }
        if let expiredAt {
            throw AgentError(.expired, "proposal \(id) expired at \(expiredAt) and can no longer be approved; it is recorded as expired")
        }
        return try proposal(id)!
    }

    /// Moves every proposal whose approval window has passed to `expired`.
    ///
    /// - Returns: The ids that expired.
    public func expireOverdue() throws -> [Int64] {
        let nowText = Timestamp.string(now())
        var ids: [Int64] = []
        for p in try proposals(state: .awaitingApproval) {
            guard let expiry = p.expiresAt, expiry <= nowText else { continue }
            try transition(p.id, from: .awaitingApproval, to: .expired, note: "no decision before \(expiry)",
                           set: [("outcome", .text("expired"))])
            ids.append(p.id)
        }
        return ids
    }

    /// Marks every proposal found `executing` as `interrupted`; it is never re-run on its own.
    ///
    /// Call only while holding the run lock, so no live process is executing.
    /// - Returns: The ids that were interrupted.
    public func recoverInterrupted() throws -> [Int64] {
        var ids: [Int64] = []
        for p in try proposals(state: .executing) {
            try db.transaction {
                try transition(p.id, from: .executing, to: .interrupted,
                               note: "luna stopped while this was running; it was not re-run — check the host, then propose again",
                               set: [("outcome", .text("interrupted"))])
                try db.run("UPDATE executions SET finished_at=?, output_note=coalesce(output_note,'') || 'interrupted: luna stopped before the result was stored' WHERE proposal_id=? AND finished_at IS NULL",
                           [.text(stamp), .integer(p.id)])
            }
            ids.append(p.id)
        }
        return ids
    }
}
