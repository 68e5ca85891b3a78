import Foundation
import LunaCodec
import LunaStore

extension Ledger {
    /// What an execution came to: the action's result, the proposal's own
    /// verification and the finding's re-check, ready to store.
    public struct ExecutionOutcome: Sendable {
        public var exitStatus: Int32?
        public var stdout: String
        public var stderr: String
        public var notes: [String]
        public var verifyExit: Int32?
        public var verifyOutput: String?
        public var verifyPassed: Bool?
        public var checkResolved: Bool?
        public var checkDetail: String?
        /// `succeeded` or `failed`.
        public var state: ProposalState
        /// The transition's note (`exit 0, verified, finding resolved`).
        public var summary: String
    }

    /// Moves an approved proposal to `executing` and opens its execution row, in
    /// one transaction, before the process starts: execution is at most once.
    ///
    /// - Throws: `AgentError.conflict` when the proposal is no longer `approved`.
    public func startExecution(_ id: Int64, argv: [String]) throws {
        try db.transaction {
            try transition(id, from: .approved, to: .executing, note: "starting")
            try db.run("INSERT INTO executions(proposal_id, argv, started_at) VALUES (?,?,?)",
                       [.integer(id), .text(JSONValue.encode(argv)), .text(stamp)])
        }
    }

    /// Stores what an execution came to and moves the proposal to its outcome, in one transaction.
    public func finishExecution(_ id: Int64, _ o: ExecutionOutcome) throws {
        try db.transaction {
            try db.run("""
                UPDATE executions SET finished_at=?, exit_status=?, stdout=?, stderr=?, output_note=?,
                  verify_exit=?, verify_output=?, verify_passed=?, check_resolved=?, check_detail=? WHERE proposal_id=?
                """, [.text(stamp), o.exitStatus.map { .integer(Int64($0)) } ?? .null, .text(o.stdout), .text(o.stderr),
                      o.notes.isEmpty ? .null : .text(o.notes.joined(separator: "; ")),
                      o.verifyExit.map { .integer(Int64($0)) } ?? .null, o.verifyOutput.map { .text($0) } ?? .null,
                      o.verifyPassed.map { .integer($0 ? 1 : 0) } ?? .null,
                      o.checkResolved.map { .integer($0 ? 1 : 0) } ?? .null, o.checkDetail.map { .text($0) } ?? .null,
                      .integer(id)])
            try transition(id, from: .executing, to: o.state, note: o.summary, set: [("outcome", .text(o.state.rawValue))])
        }
    }

    /// Refuses an approved proposal at the last moment (the approval or the gate no longer holds); it never runs.
    ///
    /// - Parameters:
    ///   - reasons: Why, for the row and the commit.
    ///   - gateOutcome: The gate's outcome when the gate said no (nil for a digest mismatch).
    public func refuseApproved(_ id: Int64, reasons: [String], gateOutcome: String? = nil) throws {
        var columns: [(String, SQLValue)] = [("outcome", .text(ProposalState.refused.rawValue)), ("gate_reasons", .text(JSONValue.encode(reasons)))]
        if let gateOutcome { columns.append(("gate_outcome", .text(gateOutcome))) }
        try transition(id, from: .approved, to: .refused, note: reasons.joined(separator: "; "), set: columns)
    }
}
