import Foundation
import LunaText
import LunaMemory
import LunaStore

/// Curation: the memory notes, the skills' review and lifecycle, and (in
/// CurationService+Baseline.swift) the references in the ops repo — every
/// operator decision about what Luna knows, each committed to git.
public struct CurationService: AgentService {
    public let context: AgentContext

    var git: GitRepository { repo }

    /// Rebuilds the memory index from the files and registers the approved skill files.
    ///
    /// The daemon calls it at start; `luna memory reindex` on demand. Problems
    /// (file:line) are logged and returned; the rest still load.
    @discardableResult
    public func reconcileMemory() throws -> MemoryStore.ReindexReport {
        let now = Timestamp.string(environment.now())
        let report = try memory.reindex(now: now)
        for problem in report.problems { environment.log(.warning, "memory note skipped: \(problem)") }
        // Skill stats, suspensions and rejections come back from skills/ (state in git).
        try skillRegistry.sync(directory: config.skillsDirectory, now: now)
        return report
    }

    /// The approved skill files minus suspended and retired skills: what the planner uses.
    public func usableSkills() throws -> SkillLibrary {
        let library = try skillRegistry.sync(directory: config.skillsDirectory, now: Timestamp.string(environment.now()))
        for problem in library.problems { environment.log(.warning, "skill skipped: \(problem)") }
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
                                    message: "memory: \(Clip.characters(Recorder.oneLine(title), 80))\n\nNote added by the operator.\n\nNote: \(note.relativePath)\nSource: \(source.rawValue)\n")
        try memory.index(note)
        return (note, commit)
    }

    /// Approves a pending note: writes and commits its file, then marks it active.
    public func approveNote(_ slug: String, approver: String) throws -> String {
        guard var note = try memory.note(slug) else { throw AgentError(.notFound, "no note '\(slug)' (see: luna memory list --pending)") }
        guard note.status == "pending" else { throw AgentError(.invalid, "note '\(slug)' is not pending") }
        note.status = "active"
        let commit = try git.commit(files: [note.relativePath: note.render()],
                                    message: "memory: \(Clip.characters(Recorder.oneLine(note.title), 80))\n\nA \(note.source.rawValue) note approved by \(approver).\n\nNote: \(note.relativePath)\nApproved-by: \(approver)\n")
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
                                    message: "memory: remove \(Clip.characters(Recorder.oneLine(note.title), 70))\n\nRemoved by \(who).\n\nNote: \(note.relativePath)\n")
        }
        try memory.unindex(slug)
        return commit
    }

    /// Approves a pending skill draft: writes `skills/<name>/SKILL.md`, `luna.json`
    /// and a fresh `stats.json`, commits them with the reason, and marks it
    /// approved. A suspended skill is re-enabled (its `stats.json` committed).
    /// A draft whose steps fail validation is refused.
    ///
    /// - Returns: The commit.
    public func approveSkill(_ name: String, reason: String?, approver: String) throws -> String? {
        let now = Timestamp.string(environment.now())
        let why = reason.map { Recorder.oneLine($0) } ?? "approved after review"
        guard let skill = try skillRegistry.approvable(name) else {
            let state = try skillRegistry.stateAfter("re-enabled", name, status: "approved", by: approver, reason: reason ?? "re-enabled by \(approver)", at: now)
            var commit: String? = nil
            if FileManager.default.fileExists(atPath: config.skillsDirectory + "/\(name)/\(SkillFormat.markdownFile)") {
                commit = try git.commit(files: ["skills/\(name)/\(SkillStateFile.fileName)": state.encoded()],
                                        message: "skills: re-enable \(name)\n\n\(Recorder.wrap("Reason: \(why)."))\n\nSkill: \(name)\nApproved-by: \(approver)\n")
            }
            try skillRegistry.markApproved(name, reason: reason ?? "re-enabled by \(approver)", now: now)
            try skillRegistry.store(name, state, now: now)
            return commit
        }
        let r = try skillRegistry.record(name)
        let message = """
            skills: approve \(name)

            \(Recorder.wrap("\(skill.description) Reason: \(why). Evidence: proposals \(r?.evidence.map(String.init).joined(separator: ", ") ?? "none")."))

            Skill: \(name)
            Approved-by: \(approver)
            Reason: \(why)

            """
        let state = try skillRegistry.stateAfter("approved", name, status: "approved", by: approver, reason: why, at: now)
        var files: [String: String] = ["skills/\(name)/\(SkillStateFile.fileName)": state.encoded()]
        for (file, text) in skill.files() { files["skills/\(name)/\(file)"] = text }
        let commit = try git.commit(files: files, message: message)
        try skillRegistry.markApproved(name, reason: why, now: now)
        try skillRegistry.store(name, state, now: now)
        return commit
    }

    /// Rejects a pending draft: its fingerprints are committed to `skills/.rejected`, so it is never offered again,
    /// even after the state directory is lost.
    public func rejectSkill(_ name: String, reason: String, by who: String) throws -> String {
        let now = Timestamp.string(environment.now())
        guard let r = try skillRegistry.record(name), r.status == "pending" else {
            throw AgentError(.invalid, "skill \(name) is not a pending draft; retire an approved skill instead")
        }
        let path = "skills/\(SkillStateFile.rejectedFile)"
        let current = (try? String(contentsOfFile: config.opsRepo + "/" + path, encoding: .utf8)) ?? ""
        let text = try skillRegistry.rejectedText(after: name, reason: reason, at: now, current: current)
        let commit = try git.commit(files: [path: text],
                                    message: "skills: reject draft \(name)\n\n\(Recorder.wrap("Reason: \(Recorder.oneLine(reason))."))\n\nSkill: \(name)\nRejected-by: \(who)\n")
        try skillRegistry.reject(name, reason: reason, now: now)
        return commit
    }

    /// Retires an approved or suspended skill: moves its folder to `skills/.retired/<name>/` (one commit,
    /// with its history in `stats.json`) and marks it retired; `restoreSkill` brings it back.
    public func retireSkill(_ name: String, reason: String?, by who: String) throws -> String? {
        let now = Timestamp.string(environment.now())
        guard let r = try skillRegistry.record(name), ["approved", "suspended"].contains(r.status) else {
            throw AgentError(.invalid, "skill \(name) is not approved or suspended; reject a pending draft instead")
        }
        let why = reason.map(Recorder.oneLine) ?? "retired by the operator"
        let state = try skillRegistry.stateAfter("retired", name, status: "retired", by: who, reason: why, at: now)
        let commit = try moveSkill(name, from: "skills/\(name)", to: "skills/\(SkillStateFile.retiredFolder)/\(name)", state: state,
                                   message: "skills: retire \(name)\n\n\(Recorder.wrap(why))\n\nSkill: \(name)\nRetired-by: \(who)\n")
        try skillRegistry.retire(name, reason: why, now: now)
        try skillRegistry.store(name, state, now: now)
        return commit
    }

    /// Restores a retired skill: moves its folder back from `skills/.retired/` (one commit) and marks it approved.
    ///
    /// - Throws: `AgentError.notFound` when the skill is not retired or its folder is gone (then only git history has it).
    public func restoreSkill(_ name: String, reason: String?, by who: String) throws -> String {
        let now = Timestamp.string(environment.now())
        guard let r = try skillRegistry.record(name), r.status == "retired" else {
            throw AgentError(.invalid, "skill \(name) is not retired (see: luna skills list)")
        }
        let from = "skills/\(SkillStateFile.retiredFolder)/\(name)"
        guard FileManager.default.fileExists(atPath: config.opsRepo + "/\(from)/\(SkillFormat.markdownFile)") else {
            throw AgentError(.notFound, "\(from)/SKILL.md is missing; a skill retired before retirements were kept is only in git history (git log -- skills/\(name))")
        }
        let why = reason.map(Recorder.oneLine) ?? "restored by the operator"
        var state = try skillRegistry.stateAfter("restored", name, status: "approved", by: who, reason: why, at: now)
        state.consecutiveFailures = 0
        guard let commit = try moveSkill(name, from: from, to: "skills/\(name)", state: state,
                                         message: "skills: restore \(name)\n\n\(Recorder.wrap(why))\n\nSkill: \(name)\nRestored-by: \(who)\n") else {
            throw AgentError(.notFound, "\(from) has no SKILL.md to restore")
        }
        try skillRegistry.store(name, state, now: now)   // approved again, its failure streak cleared
        return commit
    }

    /// Moves a skill folder's files (tracked or not) in one commit, writing `state` as its `stats.json`.
    func moveSkill(_ name: String, from: String, to: String, state: SkillStateFile, message: String) throws -> String? {
        let fm = FileManager.default
        let source = config.opsRepo + "/" + from
        guard let entries = try? fm.contentsOfDirectory(atPath: source), entries.contains(SkillFormat.markdownFile) else { return nil }
        var files: [String: String] = [:]
        var removing: [String] = []
        for entry in entries.sorted() {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: source + "/" + entry, isDirectory: &isDir), !isDir.boolValue,
                  let text = fm.contents(atPath: source + "/" + entry).flatMap({ String(data: $0, encoding: .utf8) }) else { continue }
            files["\(to)/\(entry)"] = text
            removing.append("\(from)/\(entry)")
        }
        files["\(to)/\(SkillStateFile.fileName)"] = state.encoded()
        let commit = try git.commit(files: files, removing: removing, message: message)
        _ = rmdir(source)   // only when empty: anything the commit did not carry stays
        return commit
    }
}
