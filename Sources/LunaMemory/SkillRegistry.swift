import Foundation
import LunaStore

/// The skills' lifecycle in the state database: drafts awaiting review, stats, suspension, rejections.
///
/// Approved skills live as files (`skills/<name>/SKILL.md`, read by
/// `SkillLibrary`); this registry keeps what files cannot: pending drafts'
/// text, the evidence behind each skill, usage stats, suspensions and the
/// fingerprints of rejected drafts (so a rejected draft is never offered again).
public struct SkillRegistry: Sendable {
    let db: Database
    /// A skill whose last `suspendAfter` uses all failed is suspended.
    public var suspendAfter: Int

    /// Creates a registry over a migrated database.
    public init(db: Database, suspendAfter: Int = 3) {
        self.db = db
        self.suspendAfter = suspendAfter
    }

    /// One skill's row.
    public struct Record: Sendable, Codable, Equatable {
        public var name: String
        /// pending, approved, rejected, suspended or retired.
        public var status: String
        public var check: String
        public var description: String
        public var uses: Int
        public var successes: Int
        public var failures: Int
        public var verifyPasses: Int
        public var lastUsed: String?
        public var consecutiveFailures: Int
        /// Why it was approved, rejected, suspended or retired.
        public var reason: String?
        /// Proposals whose success drafted or confirmed it.
        public var evidence: [Int64]
        /// A pending draft's files as stored: `{"SKILL.md": …, "luna.json": …}` (or a SKILL.md of the previous format).
        public var draft: String?
        /// Who drafted it: `luna` (deterministic) or `model <name>`; nil for a skill written by hand.
        public var draftedBy: String? = nil
        /// What came of asking the model to draft it (why Luna's own draft stayed), if it was asked.
        public var distillNote: String? = nil
        /// The procedure version its counts are for (a hand edit of `luna.json` starts a new one).
        public var version: Int = 1
        public var lastFailure: String? = nil
        /// The hosts it ran on.
        public var hosts: [String] = []
        /// Approvals, suspensions, retirements, restorations and new versions, oldest first.
        public var history: [SkillStateFile.Event] = []
        /// When it was created (drafted, or its file first seen).
        public var createdAt: String? = nil
        /// Successes over uses, nil before the first use.
        public var successRate: Double? = nil
        /// Approved but unused for longer than `[skills] stale_after_days` (still used by the planner).
        public var stale: Bool = false
        /// Other drafts or skills with the same check and argv shape: candidates for merging at review.
        public var lookAlikes: [String] = []
    }

    /// What distilling one piece of evidence did.
    public enum Distillation: Sendable, Equatable {
        /// A new pending draft.
        case drafted(String)
        /// Same match and steps as an existing skill or draft: added to its evidence.
        case merged(String)
        /// An approved skill already handles the finding.
        case covered(String)
        /// The operator rejected this very draft before.
        case rejectedBefore(String)
        /// No draft: why.
        case skipped(String)
    }

    static func record(_ row: Row, evidence: [Int64]) -> Record {
        Record(name: row.string("name") ?? "", status: row.string("status") ?? "", check: row.string("check_name") ?? "",
               description: row.string("description") ?? "", uses: Int(row.int("uses") ?? 0),
               successes: Int(row.int("successes") ?? 0), failures: Int(row.int("failures") ?? 0),
               verifyPasses: Int(row.int("verify_passes") ?? 0), lastUsed: row.string("last_used"),
               consecutiveFailures: Int(row.int("consecutive_failures") ?? 0), reason: row.string("reason"),
               evidence: evidence, draft: row.string("draft"), draftedBy: row.string("drafted_by"), distillNote: row.string("distill_note"),
               version: Int(row.int("version") ?? 1), lastFailure: row.string("last_failure"),
               hosts: row.string("hosts").flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? [],
               history: row.string("history").flatMap { try? JSONDecoder().decode([SkillStateFile.Event].self, from: Data($0.utf8)) } ?? [],
               createdAt: row.string("created_at"))
    }

    /// One skill's record by name.
    public func record(_ name: String) throws -> Record? {
        guard let row = try db.queryOne("SELECT * FROM skills WHERE name=?", [.text(name)]) else { return nil }
        let ev = try db.query("SELECT proposal_id FROM skill_evidence WHERE skill_id=? ORDER BY proposal_id", [row["id"]]).compactMap { $0.int("proposal_id") }
        return Self.record(row, evidence: ev)
    }

    /// Records, by name; only `status` when given.
    public func records(status: String? = nil) throws -> [Record] {
        let rows = try status.map { try db.query("SELECT name FROM skills WHERE status=? ORDER BY name", [.text($0)]) }
            ?? db.query("SELECT name FROM skills ORDER BY name")
        return try rows.compactMap { try $0.string("name").flatMap(record) }
    }

    /// Makes sure every approved skill file has a row (stats start at zero); statuses already set are kept.
    public func sync(_ library: SkillLibrary, now: String) throws {
        try db.transaction {
            for s in library.skills {
                try db.run("""
                    INSERT INTO skills(name, status, check_name, description, body, fingerprint, created_at, updated_at)
                    VALUES (?,?,?,?,?,?,?,?)
                    ON CONFLICT(name) DO UPDATE SET fingerprint=excluded.fingerprint, check_name=excluded.check_name,
                      description=excluded.description, body=excluded.body,
                      status=CASE WHEN skills.status IN ('pending','rejected') THEN 'approved' ELSE skills.status END
                    WHERE skills.fingerprint IS NOT excluded.fingerprint OR skills.status IN ('pending','rejected')
                      OR skills.description IS NOT excluded.description OR skills.body IS NOT excluded.body
                    """, [.text(s.name), .text("approved"), .text(s.check), .text(s.description), .text(s.body),
                          .text(s.fingerprint), .text(now), .text(now)])
            }
        }
    }

    /// The library without suspended or retired skills: what the planner may use.
    public func usable(_ library: SkillLibrary) throws -> SkillLibrary {
        let off = Set(try db.query("SELECT name FROM skills WHERE status IN ('suspended','retired')").compactMap { $0.string("name") })
        var usable = library
        usable.skills = library.skills.filter { !off.contains($0.name) }
        return usable
    }

    /// Counts one use of a skill by a finished proposal (once per proposal).
    ///
    /// - Parameters:
    ///   - host: The host it ran on (kept in the skill's list of hosts).
    ///   - state: The state the recorder committed as `stats.json` for this use
    ///     (``stateAfterUse(skill:proposalID:succeeded:verified:host:at:)``); computed here when nil.
    /// - Returns: A notice for the operator when this use suspended the skill.
    @discardableResult
    public func recordUse(skill: String, proposalID: Int64, succeeded: Bool, verified: Bool?, host: String? = nil,
                          state committed: SkillStateFile? = nil, at: String) throws -> String? {
        try db.transaction { () throws -> String? in
            let before = try state(skill)
            let next = try committed ?? stateAfterUse(skill: skill, proposalID: proposalID, succeeded: succeeded, verified: verified, host: host, at: at)
            try db.run("INSERT INTO skill_uses(proposal_id, skill, succeeded, verified, at) VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
                       [.integer(proposalID), .text(skill), .integer(succeeded ? 1 : 0), verified.map { .integer($0 ? 1 : 0) } ?? .null, .text(at)])
            guard db.changes > 0, let next else { return nil }
            try store(skill, next, now: at)
            guard before?.status == "approved", next.status == "suspended" else { return nil }
            let text = "Skill \(skill) is suspended: its last \(next.consecutiveFailures) uses failed (latest: proposal \(proposalID)). It is not used until `luna skills approve \(skill) --reason …`."
            try db.run("INSERT INTO skill_notices(skill, text, at, kind) VALUES (?,?,?,'suspended')", [.text(skill), .text(text), .text(at)])
            return text
        }
    }

    /// Notices not yet shown to the operator (suspensions, new drafts); marks them shown.
    public func takeNotices() throws -> [String] {
        try db.transaction {
            // A draft notice is stale once the draft was reviewed.
            let rows = try db.query("""
                SELECT n.id, n.text FROM skill_notices n LEFT JOIN skills s ON s.name = n.skill
                WHERE n.reported=0 AND (n.kind != 'draft' OR s.status = 'pending') ORDER BY n.id
                """)
            try db.run("UPDATE skill_notices SET reported=1 WHERE reported=0")
            return rows.compactMap { $0.string("text") }
        }
    }

    /// Drafts a pending skill from a verified success, unless one exists already.
    ///
    /// - Parameters:
    ///   - evidence: The executed proposal.
    ///   - library: The approved skills (files).
    ///   - now: The timestamp stored.
    public func distill(_ evidence: SkillEvidence, library: SkillLibrary, now: String) throws -> Distillation {
        if let covering = library.match(check: evidence.check, params: evidence.identity),
           try record(covering.name).map({ !["suspended", "retired"].contains($0.status) }) ?? true {
            return .covered(covering.name)
        }
        var draft = Skill.draft(from: evidence)
        draft.name = SkillFormat.portableName(draft.name)   // every draft passes the Agent Skills name rules
        guard SkillValidator.problems(draft).isEmpty else {
            return .skipped("the steps cannot become a skill: " + SkillValidator.problems(draft).joined(separator: "; "))
        }
        let fingerprint = draft.fingerprint
        return try db.transaction { () throws -> Distillation in
            if let rejected = try db.queryOne("SELECT name FROM skill_rejections WHERE fingerprint=?", [.text(fingerprint)]) {
                return .rejectedBefore(rejected.string("name") ?? "")
            }
            // origin_fingerprint: a draft the model rewrote still stands for Luna's deterministic draft (migration 007).
            let same = try db.queryOne("SELECT id, name FROM skills WHERE (fingerprint=? OR origin_fingerprint=?) AND status IN ('pending','approved','suspended') ORDER BY id LIMIT 1", [.text(fingerprint), .text(fingerprint)])
                ?? library.skills.first(where: { $0.fingerprint == fingerprint }).flatMap { s in try db.queryOne("SELECT id, name FROM skills WHERE name=?", [.text(s.name)]) }
                ?? pendingDraftReproducing(evidence)
            if let same, let id = same.int("id") {
                try addEvidence(id, evidence, now: now)
                return .merged(same.string("name") ?? "")
            }
            if let wider = try generalising(draft, evidence) {
                let rows = try db.query("SELECT proposal_id FROM skill_evidence WHERE skill_id=? ORDER BY proposal_id", [.integer(wider.id)])
                let proposals = (rows.compactMap { $0.int("proposal_id") } + [evidence.proposalID]).map { "#\($0)" }
                var skill = wider.skill
                skill.body += "\n\nGeneralised over \(wider.over.joined(separator: ", ")): verified fixes with different values "
                    + "(proposals \(proposals.joined(separator: ", "))) ran the same steps."
                try db.run("UPDATE skills SET draft=?, body=?, fingerprint=?, origin_fingerprint=?, updated_at=? WHERE id=?",
                           [.text(skill.render()), .text(skill.body), .text(skill.fingerprint), .text(skill.fingerprint), .text(now),
                            .integer(wider.id)])
                try addEvidence(wider.id, evidence, now: now)
                try db.run("INSERT INTO skill_notices(skill, text, at, kind) VALUES (?,?,?,'draft')",
                           [.text(wider.name), .text("Skill draft \(wider.name) now covers more findings: generalised over \(wider.over.joined(separator: ", ")) by proposal \(evidence.proposalID); review it with `luna skills show \(wider.name)`."), .text(now)])
                return .merged(wider.name)
            }
            // A free name: the draft's, or with -2, -3 … when taken by a different skill.
            var name = draft.name
            var n = 2
            while try db.queryOne("SELECT 1 FROM skills WHERE name=?", [.text(name)]) != nil || library.skills.contains(where: { $0.name == name })
                    || library.references.contains(where: { $0.name == name }) {
                name = SkillFormat.portableName(String(draft.name.prefix(60))) + "-\(n)"
                n += 1
            }
            draft.name = name
            try db.run("""
                INSERT INTO skills(name, status, check_name, description, body, draft, fingerprint, created_at, updated_at,
                                   drafted_by, origin_fingerprint, distill_state)
                VALUES (?,'pending',?,?,?,?,?,?,?,?,?,'queued')
                """, [.text(name), .text(draft.check), .text(draft.description), .text(draft.body), .text(draft.render()),
                      .text(fingerprint), .text(now), .text(now), .text(draft.draftedBy ?? "luna"), .text(fingerprint)])
            try addEvidence(db.lastInsertRowID, evidence, now: now)
            try db.run("INSERT INTO skill_notices(skill, text, at, kind) VALUES (?,?,?,'draft')",
                       [.text(name), .text("New skill draft \(name) from proposal \(evidence.proposalID): review with `luna skills show \(name)`, then approve or reject it."), .text(now)])
            return .drafted(name)
        }
    }

    /// A pending draft for the same check with the same steps (argv, verify and
    /// expect templates) whose match differs from this evidence only in values
    /// the steps do not need: with those fields dropped it still gives back
    /// exactly what ran here. Two verified fixes with different values are the
    /// evidence that the template generalises over those fields.
    ///
    /// - Returns: The draft's row id and name, the wider skill, and the fields it no longer matches on.
    func generalising(_ draft: Skill, _ e: SkillEvidence) throws -> (id: Int64, name: String, skill: Skill, over: [String])? {
        for row in try db.query("SELECT id, name, draft FROM skills WHERE status='pending' AND check_name=? ORDER BY id", [.text(e.check)]) {
            guard let id = row.int("id"), let name = row.string("name"),
                  let existing = try? Skill.parse(row.string("draft") ?? "", file: "draft \(name)"),
                  existing.argv == draft.argv, existing.verify == draft.verify, existing.expect == draft.expect,
                  Set(existing.match.keys).isSubset(of: Set(e.identity.keys)) else { continue }
            let over = existing.match.filter { e.identity[$0.key] != $0.value }.keys.sorted()
            guard !over.isEmpty else { continue }
            var wider = existing
            for key in over { wider.match.removeValue(forKey: key) }
            guard wider.matches(check: e.check, params: e.identity), let again = wider.instantiate(params: e.identity),
                  again.argv == e.argv, again.verify == e.verify, again.expect == e.expect,
                  try db.queryOne("SELECT 1 FROM skill_rejections WHERE fingerprint=?", [.text(wider.fingerprint)]) == nil else { continue }
            return (id, name, wider, over)
        }
        return nil
    }

    func addEvidence(_ skillID: Int64, _ e: SkillEvidence, now: String) throws {
        try db.run("INSERT INTO skill_evidence(skill_id, proposal_id, host, at) VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                   [.integer(skillID), .integer(e.proposalID), .text(e.host), .text(now)])
    }

    /// The skill `approve` would write: the pending draft (or, for a suspended skill, nil: its file stays), validated.
    ///
    /// - Throws: `MemoryError.notFound` for an unknown name; `.refused` when the
    ///   draft is malformed or its steps fail validation, or the skill is not pending or suspended.
    public func approvable(_ name: String) throws -> Skill? {
        guard let r = try record(name) else { throw MemoryError(.notFound, "no skill named '\(name)' (see: luna skills list --pending)") }
        switch r.status {
        case "suspended": return nil
        case "pending": break
        default: throw MemoryError(.refused, "skill \(name) is \(r.status); only pending drafts and suspended skills can be approved")
        }
        let skill: Skill
        do { skill = try Skill.parse(r.draft ?? "", file: "draft \(name)") } catch {
            throw MemoryError(.refused, "the draft does not parse: \(error)")
        }
        guard skill.name == name else { throw MemoryError(.refused, "the draft's name '\(skill.name)' differs from '\(name)'") }
        let problems = SkillValidator.problems(skill)
        guard problems.isEmpty else {
            throw MemoryError(.refused, "skill \(name) cannot be approved: " + problems.joined(separator: "; "))
        }
        return skill
    }

    /// Marks a skill approved (after its file was committed), clearing the failure streak.
    public func markApproved(_ name: String, reason: String?, now: String) throws {
        let fingerprint = try approvable(name)?.fingerprint
        try db.run("UPDATE skills SET status='approved', reason=?, consecutive_failures=0, draft=NULL, fingerprint=coalesce(?, fingerprint), updated_at=? WHERE name=?",
                   [reason.map { .text($0) } ?? .null, fingerprint.map { .text($0) } ?? .null, .text(now), .text(name)])
    }

    /// Rejects a pending draft; the same draft (same check, match and steps) is never offered again.
    public func reject(_ name: String, reason: String, now: String) throws {
        guard let r = try record(name), r.status == "pending" else {
            throw MemoryError(.refused, "skill \(name) is not a pending draft; retire an approved skill instead")
        }
        let row = try db.queryOne("SELECT fingerprint, origin_fingerprint FROM skills WHERE name=?", [.text(name)])
        // Both the draft as reviewed and Luna's deterministic draft it came from (when the model rewrote it).
        let fingerprints = Set([row?.string("fingerprint") ?? "", row?.string("origin_fingerprint") ?? ""].filter { !$0.isEmpty })
        try db.transaction {
            for fingerprint in fingerprints.sorted() {
                try db.run("INSERT INTO skill_rejections(fingerprint, name, reason, at) VALUES (?,?,?,?) ON CONFLICT(fingerprint) DO UPDATE SET reason=excluded.reason",
                           [.text(fingerprint), .text(name), .text(reason), .text(now)])
            }
            try db.run("UPDATE skills SET status='rejected', reason=?, updated_at=? WHERE name=?", [.text(reason), .text(now), .text(name)])
        }
    }

    /// Marks an approved or suspended skill retired (its file is removed by the caller).
    public func retire(_ name: String, reason: String?, now: String) throws {
        guard let r = try record(name), ["approved", "suspended"].contains(r.status) else {
            throw MemoryError(.refused, "skill \(name) is not approved or suspended; reject a pending draft instead")
        }
        try db.run("UPDATE skills SET status='retired', reason=?, updated_at=? WHERE name=?", [.text(reason ?? "retired by the operator"), .text(now), .text(name)])
    }

    /// Replaces a pending draft after an edit; it must parse and validate.
    ///
    /// `text` is the stored form (``Skill/render()``) or a `SKILL.md` of the previous format.
    ///
    /// - Throws: `MemoryError.refused` naming the problem (with file:line for a parse error).
    @discardableResult
    public func replaceDraft(_ name: String, text: String, now: String) throws -> Skill {
        guard let r = try record(name), r.status == "pending" else { throw MemoryError(.refused, "skill \(name) is not a pending draft") }
        let skill: Skill
        do { skill = try Skill.parse(text, file: "draft \(name)") } catch { throw MemoryError(.refused, "\(error)") }
        guard skill.name == name else { throw MemoryError(.refused, "the name must stay '\(name)'") }
        let problems = SkillValidator.problems(skill)
        guard problems.isEmpty else { throw MemoryError(.refused, problems.joined(separator: "; ")) }
        let stored = skill.render()   // written in the current format whatever was read
        try db.run("UPDATE skills SET draft=?, description=?, body=?, check_name=?, fingerprint=?, updated_at=? WHERE name=?",
                   [.text(stored), .text(skill.description), .text(skill.body), .text(skill.check), .text(skill.fingerprint), .text(now), .text(name)])
        return skill
    }
}
