import Foundation
import LunaMemory
import LunaStore

/// Issue 7: the memory and skill-review operations that touch git (the CLI calls these).
extension Agent {
    /// The memory index over the ops repo's `memory/`.
    public var memory: MemoryStore { MemoryStore(db: ledger.db, directory: config.memoryDirectory) }

    /// The skills' lifecycle state.
    public var skillRegistry: SkillRegistry { SkillRegistry(db: ledger.db) }

    var git: GitRepository { recorder.repo }

    /// Rebuilds the memory index from the files and registers the approved skill files.
    ///
    /// The daemon calls it at start; `luna memory reindex` on demand. Problems
    /// (file:line) are logged and returned; the rest still load.
    @discardableResult
    public func reconcileMemory() throws -> MemoryStore.ReindexReport {
        let now = Timestamp.string(environment.now())
        let report = try memory.reindex(now: now)
        for problem in report.problems { environment.log("memory note skipped: \(problem)") }
        let library = SkillLibrary.load(directory: config.skillsDirectory)
        try skillRegistry.sync(library, now: now)
        return report
    }

    /// The approved skill files minus suspended and retired skills: what the planner uses.
    public func usableSkills() throws -> SkillLibrary {
        let library = SkillLibrary.load(directory: config.skillsDirectory)
        for problem in library.problems { environment.log("skill skipped: \(problem)") }
        try skillRegistry.sync(library, now: Timestamp.string(environment.now()))
        return try skillRegistry.usable(library)
    }

    /// Adds a note: an active one is written to `memory/<slug>.md` and committed;
    /// a pending one (model-suggested) waits in the index for `approveNote`.
    ///
    /// - Returns: The note (its slug made unique) and the commit, if one was made.
    public func addNote(title: String, body: String, hosts: [String] = [], tags: [String] = [],
                        source: MemoryNote.Source = .operator_, pending: Bool = false, slug: String? = nil) throws -> (MemoryNote, String?) {
        for h in hosts where config.host(h) == nil {
            throw AgentError(.invalid, "host '\(h)' is not in the inventory (\(config.file))")
        }
        let base = slug ?? MemoryNote.slug(from: title)
        guard MemoryNote.isValidSlug(base) else { throw AgentError(.invalid, "'\(base)' is not a valid slug: lowercase letters, digits and '-'") }
        var unique = base
        var n = 2
        while try memory.note(unique) != nil || FileManager.default.fileExists(atPath: config.memoryDirectory + "/\(unique).md") {
            unique = "\(base)-\(n)"; n += 1
        }
        let note = MemoryNote(slug: unique, title: title, body: body, hosts: hosts, tags: tags.map { $0.lowercased() },
                              source: source, status: pending ? "pending" : "active", created: Timestamp.string(environment.now()))
        guard !pending else { try memory.index(note); return (note, nil) }
        let commit = try git.commit(files: [note.relativePath: note.render()],
                                    message: "memory: \(Recorder.clip(Recorder.oneLine(title), 80))\n\nNote added by the operator.\n\nNote: \(note.relativePath)\nSource: \(source.rawValue)\n")
        try memory.index(note)
        return (note, commit)
    }

    /// Approves a pending note: writes and commits its file, then marks it active.
    public func approveNote(_ slug: String, approver: String) throws -> String {
        guard var note = try memory.note(slug) else { throw AgentError(.notFound, "no note '\(slug)' (see: luna memory list --pending)") }
        guard note.status == "pending" else { throw AgentError(.invalid, "note '\(slug)' is not pending") }
        note.status = "active"
        let commit = try git.commit(files: [note.relativePath: note.render()],
                                    message: "memory: \(Recorder.clip(Recorder.oneLine(note.title), 80))\n\nA \(note.source.rawValue) note approved by \(approver).\n\nNote: \(note.relativePath)\nApproved-by: \(approver)\n")
        try memory.index(note)
        return commit
    }

    /// Removes a note: its file (committed) and its row.
    ///
    /// - Returns: The commit, or nil for a pending note (which has no file).
    public func removeNote(_ slug: String, by who: String) throws -> String? {
        guard let note = try memory.note(slug) else { throw AgentError(.notFound, "no note '\(slug)' (see: luna memory list)") }
        var commit: String? = nil
        if FileManager.default.fileExists(atPath: config.opsRepo + "/" + note.relativePath) {
            commit = try git.commit(removing: [note.relativePath],
                                    message: "memory: remove \(Recorder.clip(Recorder.oneLine(note.title), 70))\n\nRemoved by \(who).\n\nNote: \(note.relativePath)\n")
        }
        try memory.unindex(slug)
        return commit
    }

    /// Approves a pending skill draft: writes `skills/<name>/SKILL.md`, commits
    /// it with the reason, and marks it approved (a suspended skill is simply
    /// re-enabled). A draft whose steps fail validation is refused.
    ///
    /// - Returns: The commit, or nil when a suspended skill was re-enabled.
    public func approveSkill(_ name: String, reason: String?, approver: String) throws -> String? {
        let now = Timestamp.string(environment.now())
        guard let skill = try skillRegistry.approvable(name) else {
            try skillRegistry.markApproved(name, reason: reason ?? "re-enabled by \(approver)", now: now)
            return nil
        }
        let r = try skillRegistry.record(name)
        let path = "skills/\(name)/SKILL.md"
        let why = reason.map { Recorder.oneLine($0) } ?? "approved after review"
        let message = """
            skills: approve \(name)

            \(Recorder.wrap("\(skill.description) Reason: \(why). Evidence: proposals \(r?.evidence.map(String.init).joined(separator: ", ") ?? "none")."))

            Skill: \(name)
            Approved-by: \(approver)
            Reason: \(why)

            """
        let commit = try git.commit(files: [path: skill.render()], message: message)
        try skillRegistry.markApproved(name, reason: why, now: now)
        return commit
    }

    /// Retires an approved or suspended skill: removes its file (committed) and marks it retired.
    public func retireSkill(_ name: String, reason: String?, by who: String) throws -> String? {
        try skillRegistry.retire(name, reason: reason, now: Timestamp.string(environment.now()))
        let path = "skills/\(name)/SKILL.md"
        guard FileManager.default.fileExists(atPath: config.opsRepo + "/" + path) else { return nil }
        return try git.commit(removing: [path], message: "skills: retire \(name)\n\n\(reason.map(Recorder.oneLine) ?? "Retired by the operator.")\n\nSkill: \(name)\nRetired-by: \(who)\n")
    }
}
