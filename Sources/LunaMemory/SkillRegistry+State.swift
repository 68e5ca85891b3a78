import Foundation
import LunaStore

/// Skill state kept in git (`skills/<name>/stats.json`, `skills/.rejected`,
/// `skills/.retired/`) and the state database rebuilt from it.
///
/// Every change is committed before the database is updated, so the files are
/// never behind the database: at start (and whenever the library is synced)
/// a skill's `stats.json` is taken as the truth, and the rejections in
/// `skills/.rejected` are added back. A `luna.json` whose fingerprint differs
/// from the one its counts are for was edited by hand: a new version starts
/// with fresh counts.
extension SkillRegistry {
    /// A skill's state as `stats.json` holds it; nil for an unknown name.
    public func state(_ name: String) throws -> SkillStateFile? {
        guard let row = try db.queryOne("SELECT * FROM skills WHERE name=?", [.text(name)]) else { return nil }
        func decode<T: Decodable>(_ column: String, _ type: T.Type) -> T? {
            row.string(column).flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
        }
        return SkillStateFile(version: Int(row.int("version") ?? 1),
                              fingerprint: row.string("stats_fingerprint") ?? row.string("fingerprint") ?? "",
                              status: row.string("status") ?? "approved", reason: row.string("reason"),
                              uses: Int(row.int("uses") ?? 0), successes: Int(row.int("successes") ?? 0),
                              failures: Int(row.int("failures") ?? 0), verifyPasses: Int(row.int("verify_passes") ?? 0),
                              consecutiveFailures: Int(row.int("consecutive_failures") ?? 0),
                              lastUsed: row.string("last_used"), lastFailure: row.string("last_failure"),
                              hosts: decode("hosts", [String].self) ?? [], lastProposal: row.int("last_proposal"),
                              history: decode("history", [SkillStateFile.Event].self) ?? [])
    }

    /// Writes a state into the skill's row.
    public func store(_ name: String, _ s: SkillStateFile, now: String) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let hosts = String(decoding: try e.encode(s.hosts), as: UTF8.self)
        let history = String(decoding: try e.encode(s.history), as: UTF8.self)
        try db.run("""
            UPDATE skills SET version=?, stats_fingerprint=?, status=?, reason=?, uses=?, successes=?, failures=?, verify_passes=?,
              consecutive_failures=?, last_used=?, last_failure=?, hosts=?, last_proposal=?, history=?, updated_at=? WHERE name=?
            """, [.integer(Int64(s.version)), .text(s.fingerprint), .text(s.status), s.reason.map { .text($0) } ?? .null,
                  .integer(Int64(s.uses)), .integer(Int64(s.successes)), .integer(Int64(s.failures)), .integer(Int64(s.verifyPasses)),
                  .integer(Int64(s.consecutiveFailures)), s.lastUsed.map { .text($0) } ?? .null, s.lastFailure.map { .text($0) } ?? .null,
                  .text(hosts), s.lastProposal.map { .integer($0) } ?? .null, .text(history), .text(now), .text(name)])
    }

    /// The state after one use by a finished proposal, not yet stored; nil when that use was counted already or the skill is unknown.
    ///
    /// The recorder writes it as `stats.json` into the outcome commit, then
    /// ``recordUse(skill:proposalID:succeeded:verified:host:state:at:)`` stores the same state.
    public func stateAfterUse(skill: String, proposalID: Int64, succeeded: Bool, verified: Bool?, host: String?, at: String) throws -> SkillStateFile? {
        guard try db.queryOne("SELECT 1 FROM skill_uses WHERE proposal_id=?", [.integer(proposalID)]) == nil,
              var s = try state(skill) else { return nil }
        // Counted already: the outcome commit carried it, then recording stopped and the file was read back.
        if s.lastProposal == proposalID { return s }
        s.lastProposal = proposalID
        s.uses += 1
        s.lastUsed = at
        if succeeded {
            s.successes += 1
            s.consecutiveFailures = 0
        } else {
            s.failures += 1
            s.consecutiveFailures += 1
            s.lastFailure = at
        }
        if verified == true { s.verifyPasses += 1 }
        if let host, !s.hosts.contains(host) { s.hosts = (s.hosts + [host]).sorted() }
        if s.status == "approved", s.consecutiveFailures >= suspendAfter {
            s.status = "suspended"
            s.reason = "last \(s.consecutiveFailures) uses failed"
            s.history.append(SkillStateFile.Event(at: at, event: "suspended", by: "luna", reason: "last \(s.consecutiveFailures) uses failed (latest: proposal \(proposalID))", version: s.version))
        }
        return s
    }

    /// The state after a lifecycle change (approved, re-enabled, retired, restored), not yet stored.
    public func stateAfter(_ event: String, _ name: String, status: String, by: String, reason: String?, at: String) throws -> SkillStateFile {
        var s = try state(name) ?? SkillStateFile(fingerprint: "")
        if event == "approved" {
            // A newly approved draft: version 1 of its procedure, no uses yet.
            let fingerprint = try approvable(name)?.fingerprint ?? s.fingerprint
            s = SkillStateFile(fingerprint: fingerprint, history: s.history)
        }
        if event == "re-enabled" { s.consecutiveFailures = 0 }
        s.status = status
        s.reason = reason
        s.history.append(SkillStateFile.Event(at: at, event: event, by: by, reason: reason, version: s.version))
        return s
    }

    /// Rebuilds the skills' state from the ops repo's `skills/` folder and returns its library.
    ///
    /// Registers every skill file (``sync(_:now:)``), takes each `stats.json`
    /// as the truth (a hand-edited procedure starts a new version), marks the
    /// skills under `.retired/` retired, and adds back the rejections of
    /// `.rejected`. Idempotent: run at start, and before the library is used.
    @discardableResult
    public func sync(directory: String, now: String) throws -> SkillLibrary {
        let library = SkillLibrary.load(directory: directory)
        let states = SkillStateFile.load(directory: directory)
        let retiredDirectory = directory + "/" + SkillStateFile.retiredFolder
        let retired = SkillLibrary.load(directory: retiredDirectory)
        let retiredStates = SkillStateFile.load(directory: retiredDirectory)
        let rejections = (try? String(contentsOfFile: directory + "/" + SkillStateFile.rejectedFile, encoding: .utf8))
            .map(SkillStateFile.rejections) ?? []
        try db.transaction {
            // Rows from before state in git: their counts are for the fingerprint they have now.
            try db.run("UPDATE skills SET stats_fingerprint=fingerprint WHERE stats_fingerprint IS NULL AND status IN ('approved','suspended')")
            try sync(library, now: now)
            for skill in library.skills {
                guard let current = try state(skill.name) else { continue }
                var s = states[skill.name] ?? current
                if s.status == "retired" { s.status = "approved" }   // its folder is back in skills/: restored by hand
                if s.fingerprint != skill.fingerprint { s = s.newVersion(fingerprint: skill.fingerprint, at: now) }
                if s != current { try store(skill.name, s, now: now) }
            }
            for skill in retired.skills {
                try db.run("""
                    INSERT INTO skills(name, status, check_name, description, body, fingerprint, created_at, updated_at)
                    VALUES (?,'retired',?,?,?,?,?,?) ON CONFLICT(name) DO NOTHING
                    """, [.text(skill.name), .text(skill.check), .text(skill.description), .text(skill.body),
                          .text(skill.fingerprint), .text(now), .text(now)])
                if var s = retiredStates[skill.name], library.skills.allSatisfy({ $0.name != skill.name }) {
                    s.status = "retired"
                    if try state(skill.name) != s { try store(skill.name, s, now: now) }
                }
            }
            for r in rejections {
                try db.run("INSERT INTO skill_rejections(fingerprint, name, reason, at) VALUES (?,?,?,?) ON CONFLICT(fingerprint) DO NOTHING",
                           [.text(r.fingerprint), .text(r.name), .text(r.reason), .text(r.at)])
            }
        }
        return library
    }

    /// The `skills/.rejected` text with a pending draft's rejection added (the draft as reviewed and Luna's draft it came from).
    public func rejectedText(after name: String, reason: String, at: String, current: String) throws -> String {
        let row = try db.queryOne("SELECT fingerprint, origin_fingerprint FROM skills WHERE name=?", [.text(name)])
        let fingerprints = Set([row?.string("fingerprint") ?? "", row?.string("origin_fingerprint") ?? ""].filter { !$0.isEmpty })
        let known = Set(SkillStateFile.rejections(current).map(\.fingerprint))
        var text = current
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        for f in fingerprints.sorted() where !known.contains(f) {
            text += SkillStateFile.Rejection(fingerprint: f, name: name, reason: reason.replacingOccurrences(of: "\n", with: " "), at: at).line() + "\n"
        }
        return text
    }
}
