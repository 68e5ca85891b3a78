import Foundation
import LunaAgent
import LunaMemory

/// `luna skills list|show|diff|approve|reject|edit|retire`.
enum SkillsCommand {
    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let sub = try args.positional("a skills subcommand (list, show, diff, approve, reject, edit, retire)")
        switch sub {
        case "list": return try list(&args, context)
        case "show": return try show(&args, context)
        case "diff": return try diff(&args, context)
        case "approve": return try approve(&args, context)
        case "reject": return try reject(&args, context)
        case "edit": return try edit(&args, context)
        case "retire": return try retire(&args, context)
        default: throw UsageError(message: "unknown skills subcommand '\(sub)'", command: "skills")
        }
    }

    static func list(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let pending = args.flag("--pending")
        let json = args.flag("--json")
        try args.finish()
        let agent = try context.agent()
        _ = try agent.usableSkills()   // registers skill files added by hand
        let records = try agent.skillRegistry.records(status: pending ? "pending" : nil)
        if json { try printJSON(records); return Exit.ok }
        if records.isEmpty { emit(pending ? "No pending skill drafts." : "No skills.") }
        for r in records {
            emit("\(shown(r.name).padding(toLength: 32, withPad: " ", startingAt: 0)) \(shown(r.status).padding(toLength: 10, withPad: " ", startingAt: 0)) uses \(r.uses) (\(r.successes) ok, \(r.failures) failed, \(r.verifyPasses) verified)\(r.evidence.isEmpty ? "" : "  evidence: proposals " + r.evidence.map(String.init).joined(separator: ","))")
        }
        return Exit.ok
    }

    static func record(_ agent: Agent, _ name: String) throws -> SkillRegistry.Record {
        _ = try agent.usableSkills()
        guard let r = try agent.skillRegistry.record(name) else {
            throw UsageError(message: "no skill named '\(name)' (see: luna skills list)", command: "skills")
        }
        return r
    }

    /// The current approved text of a skill, if it has a file.
    static func current(_ agent: Agent, _ name: String) -> String? {
        try? String(contentsOfFile: agent.config.skillsDirectory + "/\(name)/SKILL.md", encoding: .utf8)
    }

    static func show(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let name = try args.positional("a skill name")
        let json = args.flag("--json")
        try args.finish()
        let agent = try context.agent()
        let r = try record(agent, name)
        if json { try printJSON(r); return Exit.ok }
        emit("Skill \(shown(r.name)) — \(shown(r.status))\(r.reason.map { " (\(shown($0)))" } ?? "")")
        emit("uses \(r.uses): \(r.successes) succeeded, \(r.failures) failed, \(r.verifyPasses) verified; last used \(shown(r.lastUsed ?? "never"))")
        if !r.evidence.isEmpty { emit("evidence: proposals \(r.evidence.map(String.init).joined(separator: ", "))") }
        let text = r.draft ?? current(agent, name) ?? ""
        // Provenance: Luna's deterministic draft or the model's (checked) draft, and why the model's was not taken.
        let drafter = r.draftedBy ?? (try? Skill.parse(text, file: name))?.draftedBy
        emit("drafted by: " + (drafter.map { $0 == "luna" ? "luna (deterministic, from the executed steps)" : shown($0) } ?? "written by hand (no drafted-by field)"))
        if let note = r.distillNote { emit("model draft: \(shown(note))") }
        if let skill = try? Skill.parse(text, file: name) {
            let problems = SkillValidator.problems(skill)
            if !problems.isEmpty { emit("cannot be approved: " + problems.map(shown).joined(separator: "; ")) }
        }
        emit("\n" + shownLines(text))
        return Exit.ok
    }

    static func diff(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let name = try args.positional("a skill name")
        try args.finish()
        let agent = try context.agent()
        let r = try record(agent, name)
        guard let draft = r.draft else { emit("Skill \(shown(name)) has no pending draft."); return Exit.ok }
        let old = current(agent, name) ?? ""
        let dir = NSTemporaryDirectory() + "luna-diff-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try old.write(toFile: dir + "/current", atomically: true, encoding: .utf8)
        try draft.write(toFile: dir + "/draft", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
        p.arguments = ["-u", "--label", "skills/\(name)/SKILL.md (current)", "--label", "draft", dir + "/current", dir + "/draft"]
        // diff's output is the draft's text: it is captured and shown inert, never written to the terminal raw.
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        emit(shownLines(String(decoding: output, as: UTF8.self)), terminator: "")
        return Exit.ok
    }

    static func approve(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let name = try args.positional("a skill name")
        let reason = try args.value("--reason")
        try args.finish()
        let agent = try context.agent()
        _ = try record(agent, name)
        let commit = try agent.approveSkill(name, reason: reason, approver: DecideCommand.localUser())
        emit(commit.map { "Approved skill \(name): skills/\(name)/SKILL.md (commit \($0.prefix(12)))." } ?? "Skill \(name) is approved again.")
        return Exit.ok
    }

    static func reject(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let name = try args.positional("a skill name")
        guard let reason = try args.value("--reason"), !reason.isEmpty else {
            throw UsageError(message: "skills reject needs --reason TEXT (it is remembered)", command: "skills")
        }
        try args.finish()
        let agent = try context.agent()
        try agent.skillRegistry.reject(name, reason: reason, now: Timestamp.string(Date()))
        emit("Rejected \(name); the same draft will not be offered again.")
        return Exit.ok
    }

    static func edit(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let name = try args.positional("a skill name")
        try args.finish()
        let agent = try context.agent()
        let r = try record(agent, name)
        guard r.status == "pending", let draft = r.draft else {
            throw UsageError(message: "skill \(name) is not a pending draft; edit skills/\(name)/SKILL.md in the ops repo instead", command: "skills")
        }
        let path = NSTemporaryDirectory() + "luna-skill-\(name)-\(UUID().uuidString.prefix(8)).md"
        try draft.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let editor = ProcessInfo.processInfo.environment["VISUAL"] ?? ProcessInfo.processInfo.environment["EDITOR"] ?? "vi"
        // The operator's editor setting may carry arguments ("code -w"); it is the operator's own choice.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", editor + " \"$1\"", "editor", path]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { printError("luna: the editor exited \(p.terminationStatus); draft unchanged"); return Exit.error }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        do {
            try agent.skillRegistry.replaceDraft(name, text: text, now: Timestamp.string(Date()))
        } catch {
            printError("luna: draft not saved: \(error)")
            return Exit.error
        }
        emit("Draft \(name) saved and valid. Approve it with  luna skills approve \(name) --reason \"…\"")
        return Exit.ok
    }

    static func retire(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let name = try args.positional("a skill name")
        let reason = try args.value("--reason")
        try args.finish()
        let agent = try context.agent()
        _ = try record(agent, name)
        let commit = try agent.retireSkill(name, reason: reason, by: DecideCommand.localUser())
        emit("Retired \(name)\(commit.map { " (commit \($0.prefix(12)))" } ?? "").")
        return Exit.ok
    }
}
