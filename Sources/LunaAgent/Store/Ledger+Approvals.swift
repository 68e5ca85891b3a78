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
                    throw AgentError(.conflict, "proposal \(id) was already \(a.decision.rawValue) by \(a.approver) via \(a.channel) at \(a.at); it is \(p.state.rawValue) now")
                }
                throw AgentError(.conflict, "proposal \(id) is \(p.state.rawValue); only a proposal awaiting approval can be decided")
            }
            if let expiry = Timestamp.date(p.expiresAt), expiry <= now() {
                try transition(id, from: .awaitingApproval, to: .expired, note: "expired at \(p.expiresAt!) before \(approver) decided via \(channel)",
                               set: [("outcome", .text(ProposalState.expired.rawValue))])
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
                           set: decision == .deny ? [("outcome", .text(ProposalState.denied.rawValue))] : [])
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
                           set: [("outcome", .text(ProposalState.expired.rawValue))])
            ids.append(p.id)
        }
        return ids
    }

    /// What the restart found of the proposals left `executing`.
    public struct Recovery: Sendable {
        /// Its luna stopped and its action is not running (never started, or gone with luna): now `interrupted`.
        public var interrupted: [Int64] = []
        /// The action was seen running on after luna stopped and has ended since: now `interrupted`, exit status unknown.
        public var endedUnobserved: [Int64] = []
        /// The action's process still lives: left `executing`, with its pid.
        public var stillRunning: [(id: Int64, pid: Int32)] = []
    }

    static let outlivedMarker = "outlived luna"

    /// Resolves the proposals found `executing` when no luna is executing them; none is ever re-run.
    ///
    /// One whose action process (pid and start time, see `ActionProcess`) still
    /// lives stays `executing`, is marked as having outlived luna, and is reported;
    /// a later call resolves it once it has ended. Call only while holding the run
    /// lock and with no `execute` in flight in this process, so every `executing`
    /// row belongs to a luna that is gone.
    public func recoverExecuting() throws -> Recovery {
        var recovery = Recovery()
        for p in try proposals(state: .executing) {
            let process = try actionProcess(p.id)
            let seenRunning = (try execution(p.id)?.outputNote ?? "").contains(Self.outlivedMarker)
            if let process, process.isRunning {
                if !seenRunning {
                    try db.run("UPDATE executions SET output_note=coalesce(output_note || '; ','') || ? WHERE proposal_id=?",
                               [.text("\(Self.outlivedMarker) (pid \(process.pid) still running at \(stamp))"), .integer(p.id)])
                }
                recovery.stillRunning.append((p.id, process.pid))
                continue
            }
            let note: String
            let output: String
            if seenRunning, let process {
                note = "luna stopped while this was running; the action (pid \(process.pid)) ran to completion unobserved, "
                    + "so its exit status is unknown; it was not re-run — check the host, then propose again"
                output = "interrupted: the action ran to completion after luna stopped; exit status and output unknown"
            } else if let process {
                note = "luna stopped while this was running; the action (pid \(process.pid)) was gone at the restart — it ended "
                    + "or was stopped with luna, its exit status is unknown; it was not re-run — check the host, then propose again"
                output = "interrupted: luna stopped before the result was stored; the action (pid \(process.pid)) was gone at the restart"
            } else {
                note = "luna stopped while this was running; it was not re-run — check the host, then propose again"
                output = "interrupted: luna stopped before the result was stored"
            }
            try db.transaction {
                try transition(p.id, from: .executing, to: .interrupted, note: note, set: [("outcome", .text(ProposalState.interrupted.rawValue))])
                try db.run("UPDATE executions SET finished_at=?, output_note=coalesce(output_note || '; ','') || ? WHERE proposal_id=? AND finished_at IS NULL",
                           [.text(stamp), .text(output), .integer(p.id)])
            }
            if seenRunning { recovery.endedUnobserved.append(p.id) } else { recovery.interrupted.append(p.id) }
        }
        return recovery
    }
}
