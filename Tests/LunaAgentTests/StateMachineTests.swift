import Foundation
@testable import LunaAgent
import LunaStore
import Testing
import TestSupport

/// The proposal state machine in-process, with a test clock, on a real SQLite file.
@Suite("state machine", .serialized)
struct StateMachineTests {
    func agent(_ estate: Estate, clock: TestClock) throws -> Agent {
        try Agent(config: estate.configuration(), environment: AgentEnvironment(now: { clock.now }, log: { _ in }))
    }

    /// An estate whose drifted file has been scanned and planned: one proposal awaiting approval.
    func planned(ttlMinutes: Int = 60, clock: TestClock = TestClock()) throws -> (Estate, Agent, Proposal) {
        let estate = try Estate(ttlMinutes: ttlMinutes)
        let a = try agent(estate, clock: clock)
        _ = try a.scanner.scan()
        guard let p = try a.planning.plan().proposals.first else {
            estate.remove()
            throw TestFailure("the drifted file was not planned")
        }
        return (estate, a, p)
    }

    func manual(_ agent: Agent, argv: [String], verify: [String]? = nil) throws -> Proposal {
        let p = try agent.ledger.insert(.init(finding: nil, host: "localhost", identity: "luna", argv: argv,
                                              verifyArgv: verify, rationale: "test", source: "manual", risk: "mutating"))
        return try agent.gating.gateProposal(p)
    }

    @Test func onlyValidStepsAreTaken() throws {
        #expect(ProposalState.proposed.successors == [.refused, .awaitingApproval])
        #expect(ProposalState.executing.successors == [.succeeded, .failed, .interrupted])
        #expect(ProposalState.interrupted.successors.isEmpty)
        let estate = try Estate()
        defer { estate.remove() }
        let clock = TestClock()
        let a = try agent(estate, clock: clock)
        _ = try a.scanner.scan()
        let made = try a.planning.plan().proposals
        #expect(made.count == 1)
        let p = made[0]
        #expect(p.state == .awaitingApproval)
        #expect(p.gateRule?.contains("luna-localhost:4") == true, "\(p.gateRule ?? "nil")")
        #expect(throws: AgentError.self) { try a.ledger.transition(p.id, from: .awaitingApproval, to: .executing) }
        #expect(throws: AgentError.self) { try a.ledger.transition(p.id, from: .approved, to: .executing) }
        #expect(try a.ledger.transitions(p.id).map(\.to) == ["proposed", "awaiting_approval"])
    }

    @Test func anExpiredProposalCannotBeApprovedAndIsRecorded() throws {
        let clock = TestClock()
        let (estate, a, p) = try planned(ttlMinutes: 5, clock: clock)
        defer { estate.remove() }
        clock.advance(6 * 60)
        do {
            try a.ledger.decide(p.id, .approve, approver: "op", channel: "cli")
            Issue.record("an expired proposal was approved")
        } catch let error as AgentError {
            #expect(error.kind == .expired)
        }
        #expect(try a.ledger.proposal(p.id)?.state == .expired)
        #expect(try a.execution.executeApproved().isEmpty)
        let recorded = try a.recorder.recordPending()
        #expect(recorded.count == 1)
        #expect(try estate.ops.git("log", "-1", "--format=%B").contains("Outcome: expired"))
        #expect(try estate.mode() == 0o644)
    }

    @Test func undecidedProposalsExpireExplicitlyNeverSilently() throws {
        let clock = TestClock()
        let (estate, a, p) = try planned(ttlMinutes: 5, clock: clock)
        defer { estate.remove() }
        clock.advance(4 * 60)
        #expect(try a.ledger.expireOverdue().isEmpty)
        clock.advance(2 * 60)
        #expect(try a.ledger.expireOverdue() == [p.id])
        #expect(try a.ledger.proposal(p.id)?.outcome == .expired)
        #expect(try a.ledger.approval(p.id) == nil, "expiry is not a denial")
    }

    @Test func anApprovalBindsToTheDigest() throws {
        let (estate, a, p) = try planned()
        defer { estate.remove() }
        try a.ledger.decide(p.id, .approve, approver: "op", channel: "cli")
        // Someone rewrites the argv in the database after the approval.
        try a.ledger.db.run("UPDATE proposals SET argv=? WHERE id=?", [.text("[\"/usr/bin/chmod\",\"0777\",\"\(estate.target)\"]"), .integer(p.id)])
        #expect(try a.execution.executeApproved() == [p.id])
        let after = try #require(try a.ledger.proposal(p.id))
        #expect(after.state == .refused)
        #expect(after.gateReasons.joined().contains("digest"))
        #expect(try a.ledger.execution(p.id) == nil, "nothing ran")
        #expect(try estate.mode() == 0o644)
    }

    @Test func aTamperedProposalCannotBeApproved() throws {
        let (estate, a, p) = try planned()
        defer { estate.remove() }
        try a.ledger.db.run("UPDATE proposals SET host='elsewhere' WHERE id=?", [.integer(p.id)])
        #expect(throws: AgentError.self) { try a.ledger.decide(p.id, .approve, approver: "op", channel: "cli") }
        #expect(try a.ledger.proposal(p.id)?.state == .awaitingApproval)
    }

    @Test func aDeniedProposalRunsNothingAndIsRecordedWithItsReason() throws {
        let (estate, a, p) = try planned()
        defer { estate.remove() }
        try a.ledger.decide(p.id, .deny, approver: "op", channel: "cli", reason: "maintenance window")
        #expect(throws: AgentError.self) { try a.ledger.decide(p.id, .approve, approver: "op", channel: "cli") }
        #expect(try a.execution.executeApproved().isEmpty)
        _ = try a.recorder.recordPending()
        let message = try estate.ops.git("log", "-1", "--format=%B")
        #expect(message.contains("maintenance window"))
        #expect(message.contains("Denied-by: op") && !message.contains("Approved-by:"), "\(message)")
        let note = try a.ledger.db.queryOne("SELECT source, body FROM memory_notes WHERE source='denial'")
        #expect(note?.string("body")?.contains("maintenance window") == true)
        // A second pass commits nothing new.
        let head = try estate.ops.git("rev-parse", "HEAD")
        #expect(try a.recorder.recordPending().isEmpty)
        #expect(try estate.ops.git("rev-parse", "HEAD") == head)
    }

    @Test func recordingIsIdempotentAfterACrashBeforeTheDatabaseUpdate() throws {
        let (estate, a, p) = try planned()
        defer { estate.remove() }
        try a.ledger.decide(p.id, .deny, approver: "op", channel: "cli", reason: "no")
        let commit = try #require(try a.recorder.recordPending().first?.1)
        // Simulate the crash: the commit exists but the database never learned of it.
        try a.ledger.db.run("UPDATE proposals SET commit_id=NULL WHERE id=?", [.integer(p.id)])
        let again = try #require(try a.recorder.recordPending().first?.1)
        #expect(again == commit)
        #expect(try estate.ops.git("rev-list", "--count", "HEAD") == "3")
    }

    @Test func refusedProposalsAreRecordedWithTheReason() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let a = try agent(estate, clock: TestClock())
        let p = try manual(a, argv: ["chmod", "0600", estate.target])
        #expect(p.state == .refused)
        #expect(!p.gateReasons.isEmpty)
        _ = try a.recorder.recordPending()
        let message = try estate.ops.git("log", "-1", "--format=%B")
        #expect(message.contains("Outcome: refused"))
        #expect(message.contains("The gate refused it"))
    }

    @Test func hugeAndNonUTF8OutputIsStoredTruncatedWithANote() throws {
        let estate = try Estate(sudoers: "luna ALL = (root) NOPASSWD: /usr/bin/head -c 10485760 /dev/zero, /usr/bin/printf")
        defer { estate.remove() }
        let a = try agent(estate, clock: TestClock())
        let big = try manual(a, argv: ["/usr/bin/head", "-c", "10485760", "/dev/zero"])
        let odd = try manual(a, argv: ["/usr/bin/printf", "caf\\351 \\377\\n"])
        #expect(big.state == .awaitingApproval, "\(big.gateReasons)")
        #expect(odd.state == .awaitingApproval, "\(odd.gateReasons)")
        try a.ledger.decide(big.id, .approve, approver: "op", channel: "cli")
        try a.ledger.decide(odd.id, .approve, approver: "op", channel: "cli")
        #expect(try a.execution.executeApproved().count == 2)
        let e1 = try #require(try a.ledger.execution(big.id))
        #expect(e1.exitStatus == 0)
        #expect(e1.outputNote?.contains("stdout truncated") == true)
        #expect((e1.stdout?.utf8.count ?? 0) <= 1_048_576 + 20)
        let e2 = try #require(try a.ledger.execution(odd.id))
        #expect(e2.outputNote?.contains("not valid UTF-8") == true)
        #expect(e2.stdout?.hasPrefix("caf") == true)
        #expect(try a.recorder.recordPending().count == 2)
    }
}
