import Foundation
import LunaCodec
import LunaDrift
import LunaMemory
import LunaPolicy
import LunaStore

/// A finding as stored.
public struct FindingRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var host: String
    public var check: String
    public var subject: String
    public var state: String
    public var summary: String
    public var params: [String: String]
    public var observed: String
    public var firstSeen: String
    public var lastSeen: String
    public var resolvedAt: String?
    /// Which appearance of the finding this is: 1 at first, one more each time it
    /// comes back after being resolved or its content changes. Planning is once per occurrence.
    public var occurrence: Int64

    init(row: Row) {
        id = row.int("id") ?? 0
        host = row.string("host") ?? ""
        check = row.string("check_name") ?? ""
        subject = row.string("subject") ?? ""
        state = row.string("state") ?? ""
        summary = row.string("summary") ?? ""
        params = JSONValue.decodeStringMembers(row.string("params"))
        observed = row.string("observed") ?? ""
        firstSeen = row.string("first_seen") ?? ""
        lastSeen = row.string("last_seen") ?? ""
        resolvedAt = row.string("resolved_at")
        occurrence = row.int("occurrence") ?? 1
    }

    /// The finding's identity across scans.
    public var key: FindingKey { FindingKey(host: host, check: check, subject: subject) }
}

/// One step of a proposal's history.
public struct TransitionRecord: Sendable, Codable, Equatable {
    public var from: String?
    public var to: String
    public var at: String
    public var note: String?
}

/// The decision on a proposal.
public struct ApprovalRecord: Sendable, Codable, Equatable {
    public var decision: Decision
    public var approver: String
    public var channel: String
    public var digest: String
    public var reason: String?
    public var at: String
}

/// What ran for a proposal and what came of it.
public struct ExecutionRecord: Sendable, Codable, Equatable {
    public var argv: [String]
    public var startedAt: String
    public var finishedAt: String?
    public var exitStatus: Int?
    public var stdout: String?
    public var stderr: String?
    public var outputNote: String?
    public var verifyExit: Int?
    public var verifyOutput: String?
    public var verifyPassed: Bool?
    /// Whether the finding's own check, run again after the action, no longer reported it
    /// (nil when the proposal had no finding or the action failed first).
    public var checkResolved: Bool? = nil
    /// What that re-run said.
    public var checkDetail: String? = nil
}

/// The durable record of scans, findings and proposals in the state database:
/// LunaAgent's store. Every SQL statement about its tables is in `Ledger*.swift`
/// and its migrations in `Ledger+Migrations.swift`; callers get typed methods,
/// never the database handle. The memory notes and the skills are LunaMemory's
/// stores over the same file (`memory(directory:)`, `skills`).
///
/// Every proposal transition is one IMMEDIATE transaction that checks the state
/// it leaves, so two processes (the daemon and `luna approve`) can never move
/// the same proposal twice.
public final class Ledger: Sendable {
    let db: Database
    let now: @Sendable () -> Date

    /// Opens (creating if needed) and migrates the state database.
    public init(path: String, now: @escaping @Sendable () -> Date = { Date() }) throws {
        db = try Database(path: path)
        try db.migrate(Schema.migrations)
        self.now = now
        try upgradePendingDigests()
    }

    /// Re-binds undecided proposals written with the first digest format (which
    /// did not cover the verification) to the current one.
    ///
    /// Only a row whose stored digest is exactly its v1 digest is touched, so a
    /// row altered in the database still fails the digest check. An *approved*
    /// v1 row is left alone: its approval did not cover the verification, so
    /// execution refuses it and the operator is asked again by a new proposal.
    func upgradePendingDigests() throws {
        let rows = try db.query("SELECT * FROM proposals WHERE state IN ('proposed','awaiting_approval') AND digest LIKE 'sha256:%'")
        let stale = rows.map(Proposal.init(row:)).filter {
            $0.digest != $0.computedDigest
                && $0.digest == Proposal.digestV1(id: $0.id, host: $0.host, identity: $0.identity, runas: $0.runas, argv: $0.argv)
        }
        guard !stale.isEmpty else { return }
        try db.transaction {
            for p in stale {
                try db.run("UPDATE proposals SET digest=? WHERE id=? AND digest=?", [.text(p.computedDigest), .integer(p.id), .text(p.digest)])
            }
        }
    }

    var stamp: String { Timestamp.string(now()) }

    /// Runs `body` in one IMMEDIATE transaction (nested calls become savepoints), so
    /// steps of several stores over this file commit together or not at all.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try db.transaction(body)
    }

    /// The memory notes' index in this state database (LunaMemory's store).
    public func memory(directory: String) -> MemoryStore { MemoryStore(db: db, directory: directory) }

    /// The skills' lifecycle in this state database (LunaMemory's store).
    public var skills: SkillRegistry { SkillRegistry(db: db) }

    // MARK: Scans and findings

    /// Starts a scan row and returns its id.
    public func beginScan() throws -> Int64 {
        try db.run("INSERT INTO scans(started_at) VALUES (?)", [.text(stamp)])
        return db.lastInsertRowID
    }

    /// Stores a scan's results and its finding events in one transaction.
    public func finishScan(_ scanID: Int64, results: [CheckResult], events: [FindingEvent]) throws {
        let at = stamp
        try db.transaction {
            for r in results {
                try db.run("INSERT INTO observations(scan_id, host, check_name, status, detail, at) VALUES (?,?,?,?,?,?)",
                           [.integer(scanID), .text(r.host), .text(r.check), .text(r.status.rawValue), .text(r.detail), .text(at)])
            }
            for event in events {
                let k = event.key
                switch event {
                case .appeared(_, let item), .changed(_, let item):
                    try db.run("""
                        INSERT INTO findings(host, check_name, subject, state, summary, params, observed, first_seen, last_seen, last_reported_at)
                        VALUES (?,?,?,'open',?,?,?,?,?,?)
                        ON CONFLICT(host, check_name, subject) DO UPDATE SET
                          occurrence=CASE WHEN findings.state='resolved' OR findings.summary<>excluded.summary
                                          THEN findings.occurrence + 1 ELSE findings.occurrence END,
                          state='open', summary=excluded.summary, params=excluded.params, observed=excluded.observed,
                          first_seen=CASE WHEN findings.state='resolved' THEN excluded.first_seen ELSE findings.first_seen END,
                          last_seen=excluded.last_seen, resolved_at=NULL, last_reported_at=excluded.last_reported_at
                        """, [.text(k.host), .text(k.check), .text(k.subject), .text(item.summary),
                              .text(JSONValue.encode(item.params)), .text(item.observed), .text(at), .text(at), .text(at)])
                case .ongoing(_, let item):
                    try db.run("UPDATE findings SET last_seen=?, observed=? WHERE host=? AND check_name=? AND subject=?",
                               [.text(at), .text(item.observed), .text(k.host), .text(k.check), .text(k.subject)])
                case .resolved:
                    try db.run("UPDATE findings SET state='resolved', resolved_at=? WHERE host=? AND check_name=? AND subject=?",
                               [.text(at), .text(k.host), .text(k.check), .text(k.subject)])
                }
            }
            try db.run("UPDATE scans SET finished_at=?, summary=? WHERE id=?",
                       [.text(at), .text("\(results.count) results, \(events.count) events"), .integer(scanID)])
        }
    }

    /// The open findings with their summaries, for reconciliation.
    public func openFindings() throws -> [FindingKey: String] {
        var open: [FindingKey: String] = [:]
        for row in try db.query("SELECT host, check_name, subject, summary FROM findings WHERE state='open'") {
            open[FindingKey(host: row.string("host")!, check: row.string("check_name")!, subject: row.string("subject")!)] = row.string("summary")
        }
        return open
    }

    /// The finding with `id`.
    public func finding(_ id: Int64) throws -> FindingRecord? {
        try db.queryOne("SELECT * FROM findings WHERE id=?", [.integer(id)]).map(FindingRecord.init)
    }

    /// Findings in `state` (all when nil), newest first.
    public func findings(state: String? = "open") throws -> [FindingRecord] {
        if let state {
            return try db.query("SELECT * FROM findings WHERE state=? ORDER BY host, check_name, subject", [.text(state)]).map(FindingRecord.init)
        }
        return try db.query("SELECT * FROM findings ORDER BY host, check_name, subject").map(FindingRecord.init)
    }

    /// Open findings that need a plan: no active proposal, and none yet made for this occurrence.
    ///
    /// A denied, refused or failed proposal is not made again for the same
    /// occurrence; when the finding changes, or comes back after it was
    /// resolved, it is a new occurrence and is planned anew.
    public func findingsNeedingPlan() throws -> [FindingRecord] {
        try db.query("""
            SELECT f.* FROM findings f
            WHERE f.state='open' AND NOT EXISTS (
                SELECT 1 FROM proposals p WHERE p.finding_id=f.id
                AND (p.state IN ('proposed','awaiting_approval','approved','executing') OR p.finding_occurrence=f.occurrence))
            ORDER BY f.id
            """).map(FindingRecord.init)
    }

    /// The latest result of each host and check.
    public func latestObservations() throws -> [CheckResult] {
        try db.query("""
            SELECT o.* FROM observations o
            WHERE o.id = (SELECT max(id) FROM observations WHERE host=o.host AND check_name=o.check_name)
            ORDER BY o.host, o.check_name
            """).map {
            CheckResult(host: $0.string("host") ?? "", check: $0.string("check_name") ?? "",
                        status: CheckStatus(rawValue: $0.string("status") ?? "") ?? .error, detail: $0.string("detail") ?? "")
        }
    }

    // MARK: Proposals

    /// What a planner hands over; the identity and runas come from the configuration.
    public struct NewProposal: Sendable {
        public var finding: FindingRecord?
        public var host: String
        public var identity: String
        public var runas: String
        public var argv: [String]
        public var verifyArgv: [String]?
        public var expect: String?
        public var rationale: String
        public var source: ProposalSource
        public var skill: String?
        public var risk: String
        /// Active proposals for the same finding made by the same planning session (a model's
        /// alternatives); any other active proposal for the finding makes `insert` refuse.
        public var alongside: [Int64]
        /// The sha256 of the model prompt the proposal came from (model proposals only).
        public var promptHash: String?

        public init(finding: FindingRecord?, host: String, identity: String, runas: String = "root", argv: [String],
                    verifyArgv: [String]? = nil, expect: String? = nil, rationale: String, source: ProposalSource,
                    skill: String? = nil, risk: String, alongside: [Int64] = [], promptHash: String? = nil) {
            self.alongside = alongside
            self.promptHash = promptHash
            self.finding = finding
            self.host = host
            self.identity = identity
            self.runas = runas
            self.argv = argv
            self.verifyArgv = verifyArgv
            self.expect = expect
            self.rationale = rationale
            self.source = source
            self.skill = skill
            self.risk = risk
        }
    }

    /// Inserts a proposal in state `proposed` with its digest, in one transaction.
    ///
    /// The same (IMMEDIATE) transaction checks that the finding has no active
    /// proposal other than `alongside`, so concurrent planners — the daemon and any
    /// number of `luna plan` — cannot make a second one; the unique index
    /// `proposals_one_active_per_finding` backs this.
    /// - Throws: `AgentError.conflict` naming the active proposal.
    public func insert(_ p: NewProposal) throws -> Proposal {
        let at = stamp
        let id: Int64 = try db.transaction {
            var slot: Int64 = 0
            if let finding = p.finding {
                let active = try db.query("""
                    SELECT id, state, plan_slot FROM proposals WHERE finding_id=?
                    AND state IN ('proposed','awaiting_approval','approved','executing') ORDER BY id
                    """, [.integer(finding.id)])
                if let other = active.first(where: { !p.alongside.contains($0.int("id") ?? 0) }) {
                    throw AgentError(.conflict, "finding \(finding.id) already has proposal \(other.int("id") ?? 0) (\(other.string("state") ?? "?"))")
                }
                let taken = Set(active.compactMap { $0.int("plan_slot") })
                while taken.contains(slot) { slot += 1 }
            }
            try db.run("""
                INSERT INTO proposals(finding_id, finding_summary, finding_occurrence, host, identity, runas, argv, verify_argv, expect,
                                      rationale, source, skill, risk, state, created_at, updated_at, plan_slot, prompt_sha256)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,'proposed',?,?,?,?)
                """, [p.finding.map { .integer($0.id) } ?? .null, p.finding.map { .text($0.summary) } ?? .null,
                      p.finding.map { .integer($0.occurrence) } ?? .null,
                      .text(p.host), .text(p.identity), .text(p.runas), .text(JSONValue.encode(p.argv)),
                      p.verifyArgv.map { .text(JSONValue.encode($0)) } ?? .null, p.expect.map { .text($0) } ?? .null,
                      .text(p.rationale), .text(p.source.rawValue), p.skill.map { .text($0) } ?? .null, .text(p.risk),
                      .text(at), .text(at), .integer(slot), p.promptHash.map { .text($0) } ?? .null])
            let id = db.lastInsertRowID
            let digest = Proposal.digest(id: id, host: p.host, identity: p.identity, runas: p.runas, argv: p.argv,
                                         verifyArgv: p.verifyArgv, expect: p.expect)
            try db.run("UPDATE proposals SET digest=? WHERE id=?", [.text(digest), .integer(id)])
            try db.run("INSERT INTO transitions(proposal_id, from_state, to_state, at, note) VALUES (?,NULL,'proposed',?,?)",
                       [.integer(id), .text(at), .text("from \(p.source)\(p.skill.map { " " + $0 } ?? "")")])
            return id
        }
        return try proposal(id)!
    }

    /// The proposal with `id`, or nil.
    public func proposal(_ id: Int64) throws -> Proposal? {
        try db.queryOne("SELECT * FROM proposals WHERE id=?", [.integer(id)]).map(Proposal.init)
    }

    /// Proposals in `state` (all when nil), oldest first.
    public func proposals(state: ProposalState? = nil) throws -> [Proposal] {
        if let state {
            return try db.query("SELECT * FROM proposals WHERE state=? ORDER BY id", [.text(state.rawValue)]).map(Proposal.init)
        }
        return try db.query("SELECT * FROM proposals ORDER BY id").map(Proposal.init)
    }

    /// The last `limit` proposals on `host`, newest first (what the planner reads as past outcomes).
    public func recentProposals(host: String, limit: Int) throws -> [Proposal] {
        try db.query("SELECT * FROM proposals WHERE host=? ORDER BY id DESC LIMIT ?", [.text(host), .integer(Int64(limit))]).map(Proposal.init)
    }

    /// Moves a proposal from `from` to `to` in the current transaction (or its own).
    /// Only the ledger's own typed steps (gate, decide, execute, record) call it.
    ///
    /// - Parameters:
    ///   - set: Extra columns to set in the same statement.
    /// - Throws: `AgentError.conflict` when the proposal is not in `from`, or the step is not allowed.
    func transition(_ id: Int64, from: ProposalState, to: ProposalState, note: String? = nil,
                           set: [(String, SQLValue)] = []) throws {
        guard from.successors.contains(to) else {
            throw AgentError(.invalid, "proposal \(id): \(from.rawValue) → \(to.rawValue) is not a valid step")
        }
        let at = stamp
        try db.transaction {
            let columns = (["state=?", "updated_at=?"] + set.map { $0.0 + "=?" }).joined(separator: ", ")
            try db.run("UPDATE proposals SET \(columns) WHERE id=? AND state=?",
                       [.text(to.rawValue), .text(at)] + set.map(\.1) + [.integer(id), .text(from.rawValue)])
            guard db.changes == 1 else {
                let current = try db.queryOne("SELECT state FROM proposals WHERE id=?", [.integer(id)])?.string("state")
                throw AgentError(.conflict, current.map { "proposal \(id) is \($0), not \(from.rawValue)" } ?? "no proposal \(id)")
            }
            try db.run("INSERT INTO transitions(proposal_id, from_state, to_state, at, note) VALUES (?,?,?,?,?)",
                       [.integer(id), .text(from.rawValue), .text(to.rawValue), .text(at), note.map { .text($0) } ?? .null])
        }
    }

    /// A proposal's history, oldest first.
    public func transitions(_ id: Int64) throws -> [TransitionRecord] {
        try db.query("SELECT * FROM transitions WHERE proposal_id=? ORDER BY id", [.integer(id)]).map {
            TransitionRecord(from: $0.string("from_state"), to: $0.string("to_state") ?? "", at: $0.string("at") ?? "", note: $0.string("note"))
        }
    }

    /// The decision on a proposal, if any.
    public func approval(_ id: Int64) throws -> ApprovalRecord? {
        try db.queryOne("SELECT * FROM approvals WHERE proposal_id=?", [.integer(id)]).map {
            ApprovalRecord(decision: Decision(rawValue: $0.string("decision") ?? "") ?? .deny, approver: $0.string("approver") ?? "",
                           channel: $0.string("channel") ?? "", digest: $0.string("digest") ?? "",
                           reason: $0.string("reason"), at: $0.string("at") ?? "")
        }
    }

    /// What ran for a proposal, if anything.
    public func execution(_ id: Int64) throws -> ExecutionRecord? {
        try db.queryOne("SELECT * FROM executions WHERE proposal_id=?", [.integer(id)]).map {
            ExecutionRecord(argv: JSONValue.decodeStrings($0.string("argv")) ?? [], startedAt: $0.string("started_at") ?? "",
                            finishedAt: $0.string("finished_at"), exitStatus: $0.int("exit_status").map(Int.init),
                            stdout: $0.string("stdout"), stderr: $0.string("stderr"), outputNote: $0.string("output_note"),
                            verifyExit: $0.int("verify_exit").map(Int.init), verifyOutput: $0.string("verify_output"),
                            verifyPassed: $0.int("verify_passed").map { $0 != 0 },
                            checkResolved: $0.int("check_resolved").map { $0 != 0 }, checkDetail: $0.string("check_detail"))
        }
    }

    // MARK: Key–value

    /// A cursor or marker value.
    public func value(_ key: String) throws -> String? {
        try db.queryOne("SELECT value FROM kv WHERE key=?", [.text(key)])?.string("value")
    }

    /// Sets a cursor or marker value.
    public func setValue(_ key: String, _ value: String) throws {
        try db.run("INSERT INTO kv(key, value) VALUES (?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value", [.text(key), .text(value)])
    }

    /// When the latest scan finished, if any.
    public func lastScanAt() throws -> String? {
        try db.queryOne("SELECT max(finished_at) AS at FROM scans")?.string("at")
    }
}
