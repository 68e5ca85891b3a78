import Foundation
import LunaStore

/// Curation: success rates, stale skills and near-duplicate drafts.
extension SkillRegistry {
    /// Records with what review needs: success rate, `stale`, and look-alikes.
    ///
    /// - Parameters:
    ///   - status: Only this status, when given.
    ///   - library: The skill files (look-alikes are searched among them and the pending drafts).
    ///   - staleBefore: An approved skill last used (or approved) before this timestamp is stale.
    public func curated(status: String? = nil, library: SkillLibrary, staleBefore: String?) throws -> [Record] {
        let all = try records()
        let procedures = all.reduce(into: [String: Skill]()) { out, r in out[r.name] = procedure(r, library: library) }
        return all.filter { status == nil || $0.status == status }.map { r in
            var r = r
            r.successRate = r.uses > 0 ? Double(r.successes) / Double(r.uses) : nil
            if r.status == "approved", let staleBefore {
                let since = r.lastUsed ?? r.history.last(where: { ["approved", "re-enabled", "restored"].contains($0.event) })?.at ?? r.createdAt
                r.stale = since.map { $0 < staleBefore } ?? false
            }
            if let mine = procedures[r.name], ["pending", "approved", "suspended"].contains(r.status) {
                r.lookAlikes = all.filter { other in
                    other.name != r.name && ["pending", "approved", "suspended"].contains(other.status)
                        && (r.status == "pending" || other.status == "pending")
                        && procedures[other.name].map { Self.shape($0) == Self.shape(mine) } == true
                }.map(\.name)
            }
            return r
        }
    }

    /// A skill's shape for finding near-duplicates: its check, program, argument count and flags.
    ///
    /// `chmod {expected} {path}` and `chmod 0600 {path}` have the same shape:
    /// one of them is the other narrowed or widened, which is for the operator to settle.
    public static func shape(_ skill: Skill) -> String {
        let argv = skill.argv.enumerated().map { i, a in i == 0 || a.hasPrefix("-") ? a : "_" }
        return ([skill.check] + argv).joined(separator: "\u{1F}")
    }

    /// The procedure of a record: its pending draft, or its file.
    func procedure(_ r: Record, library: SkillLibrary) -> Skill? {
        if r.status == "pending", let draft = r.draft { return try? Skill.parse(draft, file: "draft \(r.name)") }
        return library.skills.first { $0.name == r.name }
    }

    /// Merges a pending draft into a look-alike: its evidence moves to `target`; the caller rejects the draft.
    ///
    /// - Throws: `MemoryError.refused` unless `name` is pending and `target`
    ///   is a pending draft or an approved or suspended skill of the same shape.
    public func mergeEvidence(_ name: String, into target: String, library: SkillLibrary) throws {
        guard let r = try record(name), r.status == "pending" else { throw MemoryError(.refused, "skill \(name) is not a pending draft") }
        guard let t = try record(target), ["pending", "approved", "suspended"].contains(t.status) else {
            throw MemoryError(.refused, "skill \(target) is not a pending draft or an approved or suspended skill")
        }
        guard let a = procedure(r, library: library), let b = procedure(t, library: library), Self.shape(a) == Self.shape(b) else {
            throw MemoryError(.refused, "\(name) and \(target) do not have the same check and argv shape; review them one by one")
        }
        try db.run("""
            INSERT INTO skill_evidence(skill_id, proposal_id, host, at)
            SELECT (SELECT id FROM skills WHERE name=?), proposal_id, host, at FROM skill_evidence
            WHERE skill_id=(SELECT id FROM skills WHERE name=?) ON CONFLICT DO NOTHING
            """, [.text(target), .text(name)])
    }
}
