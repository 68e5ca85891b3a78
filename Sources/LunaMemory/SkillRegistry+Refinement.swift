import Foundation
import LunaStore

/// Model-drafted skills. A new deterministic draft is `queued`; the
/// agent asks the model (outside any transaction) and then either adopts the
/// model's checked draft or keeps Luna's own, recording why.
extension SkillRegistry {
    /// A deterministic draft waiting for the model's pass.
    public struct QueuedDraft: Sendable, Equatable {
        public var name: String
        /// The proposal whose success drafted it.
        public var proposalID: Int64
        /// Luna's deterministic draft; nil when its text no longer parses (then it is only kept, with the reason).
        public var draft: Skill?
        /// Why the draft text does not parse, when it does not.
        public var problem: String?
    }

    /// What came of a model's draft.
    public enum Adoption: Sendable, Equatable {
        /// The model's draft replaced Luna's (possibly under a new name).
        case adopted(String)
        /// The model's draft equals an existing skill's: the evidence went there and Luna's draft was dropped.
        case merged(into: String)
        /// Luna's deterministic draft stays: why (the stored note says so in full).
        case kept(String)
    }

    /// Pending deterministic drafts not yet shown to the model, oldest first.
    public func queuedDrafts() throws -> [QueuedDraft] {
        try db.query("""
            SELECT s.name, s.draft, min(e.proposal_id) AS proposal FROM skills s JOIN skill_evidence e ON e.skill_id = s.id
            WHERE s.status='pending' AND s.distill_state='queued' GROUP BY s.id ORDER BY s.id
            """).compactMap { row in
            guard let name = row.string("name"), let id = row.int("proposal") else { return nil }
            do {
                return QueuedDraft(name: name, proposalID: id, draft: try Skill.parse(row.string("draft") ?? "", file: "draft \(name)"))
            } catch {
                return QueuedDraft(name: name, proposalID: id, draft: nil, problem: "\(error)")
            }
        }
    }

    /// Keeps Luna's deterministic draft and records why (shown by `luna skills show`).
    public func keepDeterministic(_ name: String, note: String, now: String) throws {
        try db.run("UPDATE skills SET distill_state='done', distill_note=?, updated_at=? WHERE name=? AND distill_state='queued'",
                   [.text(note), .text(now), .text(name)])
    }

    /// Puts a checked model draft in place of Luna's deterministic draft `name`.
    ///
    /// Refused (Luna's draft stays, with the reason) when the draft is no
    /// longer pending, when the model's name is taken by another skill, or when
    /// the operator rejected this very draft before. When its fingerprint
    /// equals another pending, approved or suspended skill's, the evidence is
    /// merged into that skill and Luna's draft is dropped.
    ///
    /// - Parameters:
    ///   - name: The queued deterministic draft.
    ///   - skill: The model's draft, already checked by `ModelSkillDraft.review`.
    ///   - library: The approved skill files.
    ///   - now: The timestamp stored.
    public func adoptModelDraft(_ name: String, skill: Skill, library: SkillLibrary, now: String) throws -> Adoption {
        let fingerprint = skill.fingerprint
        return try db.transaction { () throws -> Adoption in
            guard let row = try db.queryOne("SELECT id FROM skills WHERE name=? AND status='pending' AND distill_state='queued'", [.text(name)]),
                  let id = row.int("id") else {
                return .kept("the draft \(name) is no longer a queued pending draft")
            }
            func keep(_ why: String) throws -> Adoption {
                try db.run("UPDATE skills SET distill_state='done', distill_note=?, updated_at=? WHERE id=?",
                           [.text("the model's draft was refused: \(why); Luna's deterministic draft stays"), .text(now), .integer(id)])
                return .kept(why)
            }
            if let rejected = try db.queryOne("SELECT name FROM skill_rejections WHERE fingerprint=?", [.text(fingerprint)]) {
                return try keep("the operator rejected the same draft before (\(rejected.string("name") ?? ""))")
            }
            let other = try db.queryOne("SELECT id, name FROM skills WHERE fingerprint=? AND id != ? AND status IN ('pending','approved','suspended') ORDER BY id LIMIT 1",
                                        [.text(fingerprint), .integer(id)])
                ?? library.skills.first(where: { $0.fingerprint == fingerprint && $0.name != name })
                    .flatMap { s in try db.queryOne("SELECT id, name FROM skills WHERE name=?", [.text(s.name)]) }
            if let other, let otherID = other.int("id"), let otherName = other.string("name") {
                try db.run("INSERT INTO skill_evidence(skill_id, proposal_id, host, at) SELECT ?, proposal_id, host, at FROM skill_evidence WHERE skill_id=? ON CONFLICT DO NOTHING",
                           [.integer(otherID), .integer(id)])
                try db.run("DELETE FROM skill_evidence WHERE skill_id=?", [.integer(id)])
                try db.run("DELETE FROM skills WHERE id=?", [.integer(id)])
                try db.run("DELETE FROM skill_notices WHERE skill=? AND kind='draft' AND reported=0", [.text(name)])
                return .merged(into: otherName)
            }
            if skill.name != name,
               try db.queryOne("SELECT 1 FROM skills WHERE name=?", [.text(skill.name)]) != nil || library.skills.contains(where: { $0.name == skill.name })
                   || library.references.contains(where: { $0.name == skill.name }) {
                return try keep("the name '\(skill.name)' is taken by another skill")
            }
            try db.run("""
                UPDATE skills SET name=?, description=?, body=?, draft=?, fingerprint=?, drafted_by=?, distill_state='done',
                  distill_note=?, updated_at=? WHERE id=?
                """, [.text(skill.name), .text(skill.description), .text(skill.body), .text(skill.render()), .text(fingerprint),
                      .text(skill.draftedBy ?? "model"), .text("drafted by \(skill.draftedBy ?? "the model"); its steps reproduce what ran"),
                      .text(now), .integer(id)])
            if skill.name != name {
                try db.run("UPDATE skill_notices SET skill=?, text=replace(text, ?, ?) WHERE skill=? AND kind='draft' AND reported=0",
                           [.text(skill.name), .text("draft \(name) "), .text("draft \(skill.name) "), .text(name)])
                try db.run("UPDATE skill_notices SET text=replace(text, ?, ?) WHERE skill=? AND kind='draft' AND reported=0",
                           [.text("show \(name)`"), .text("show \(skill.name)`"), .text(skill.name)])
            }
            return .adopted(skill.name)
        }
    }

    /// A pending draft that, filled from this evidence's parameters, gives back exactly its steps.
    ///
    /// Catches a repeat of a success whose draft the model rewrote (its
    /// templates differ from Luna's deterministic ones), so the repeat merges.
    func pendingDraftReproducing(_ e: SkillEvidence) throws -> Row? {
        for row in try db.query("SELECT id, name, draft FROM skills WHERE status='pending' AND check_name=? ORDER BY id", [.text(e.check)]) {
            guard let skill = try? Skill.parse(row.string("draft") ?? "", file: "draft"),
                  skill.matches(check: e.check, params: e.identity),
                  let instance = skill.instantiate(params: e.identity),
                  instance.argv == e.argv, instance.verify == e.verify, instance.expect == e.expect else { continue }
            return row
        }
        return nil
    }
}
