import Foundation
import LunaCodec
import LunaAgent
import LunaMemory

/// `luna skills list|show|diff|approve|reject|edit|merge|retire|restore|lint`.
enum SkillsCommand {
    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let sub = try args.positional("a skills subcommand (list, show, diff, approve, reject, edit, merge, retire, restore, lint)")
        switch sub {
        case "list": return try list(&args, context)
        case "show": return try show(&args, context)
        case "diff": return try diff(&args, context)
        case "approve": return try approve(&args, context)
        case "reject": return try reject(&args, context)
        case "edit": return try edit(&args, context)
        case "retire": return try retire(&args, context)
        case "restore": return try restore(&args, context)
        case "merge": return try merge(&args, context)
        case "lint": return try lint(&args, context)
        default: throw UsageError(message: "unknown skills subcommand '\(sub)'", command: "skills")
        }
    }

    static func list(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let pending = args.flag("--pending")
        let json = args.flag("--json")
        try args.finish()
        let agent = try context.agent()
        let records = try curated(agent, status: pending ? "pending" : nil)
        if json { try printJSON(records); return Exit.ok }
        let references = pending ? [] : SkillLibrary.load(directory: agent.config.skillsDirectory).references
        if records.isEmpty && references.isEmpty { emit(pending ? "No pending skill drafts." : "No skills.") }
        for r in records {
            let status = shown(r.status) + (r.stale ? " (stale)" : "")
            var line = "\(shown(r.name).padding(toLength: 32, withPad: " ", startingAt: 0)) \(status.padding(toLength: 18, withPad: " ", startingAt: 0)) v\(r.version) uses \(r.uses) (\(r.successes) ok, \(r.failures) failed, \(r.verifyPasses) verified"
            line += r.successRate.map { ", \(Int(($0 * 100).rounded()))% success)" } ?? ")"
            if r.uses > 0 { line += "  last used \(shown(day(r.lastUsed)))" }
            if let f = r.lastFailure { line += "  last failure \(shown(day(f)))" }
            if !r.hosts.isEmpty { line += "  hosts \(r.hosts.map(shown).joined(separator: ","))" }
            if !r.evidence.isEmpty { line += "  evidence: proposals " + r.evidence.map(String.init).joined(separator: ",") }
            if !r.lookAlikes.isEmpty { line += "  looks like: \(r.lookAlikes.map(shown).joined(separator: ", "))" }
            emit(line)
        }
        for r in references {
            emit("\(shown(r.name).padding(toLength: 32, withPad: " ", startingAt: 0)) \("reference".padding(toLength: 18, withPad: " ", startingAt: 0)) guidance for the model planner (no luna.json)\(r.appliesTo.isEmpty ? "" : "; applies to " + r.appliesTo.map(shown).joined(separator: ", "))")
        }
        return Exit.ok
    }

    /// The day of a timestamp, for the list.
    static func day(_ t: String?) -> String { t.map { String($0.prefix(10)) } ?? "never" }

    /// Records with success rate, stale flag and look-alikes (`[skills] stale_after_days`).
    static func curated(_ agent: Agent, status: String?) throws -> [SkillRegistry.Record] {
        _ = try agent.curation.usableSkills()   // registers skill files added by hand, rebuilds state from git
        let cutoff = Timestamp.string(agent.environment.now().addingTimeInterval(-Double(agent.config.skillStaleAfterDays) * 86_400))
        return try agent.skillRegistry.curated(status: status, library: SkillLibrary.load(directory: agent.config.skillsDirectory),
                                               staleBefore: cutoff)
    }

    static func record(_ agent: Agent, _ name: String) throws -> SkillRegistry.Record {
        _ = try agent.curation.usableSkills()
        guard let r = try agent.skillRegistry.record(name) else {
            throw UsageError(message: "no skill named '\(name)' (see: luna skills list)", command: "skills")
        }
        return r
    }

    /// The current files of a skill folder (SKILL.md, luna.json), if it has them.
    static func current(_ agent: Agent, _ name: String) -> [String: String] {
        var files: [String: String] = [:]
        for file in [SkillFormat.markdownFile, SkillFormat.procedureFile] {
            if let text = try? String(contentsOfFile: agent.config.skillsDirectory + "/\(name)/\(file)", encoding: .utf8) { files[file] = text }
        }
        return files
    }

    /// A draft's files as the operator reviews them (a draft of the previous format is shown in the current one).
    static func draftFiles(_ name: String, _ draft: String) -> [String: String] {
        (try? Skill.parse(draft, file: "draft \(name)"))?.files() ?? [SkillFormat.markdownFile: draft]
    }

    static func show(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let name = try args.positional("a skill name")
        let json = args.flag("--json")
        try args.finish()
        let agent = try context.agent()
        if let reference = SkillLibrary.load(directory: agent.config.skillsDirectory).references.first(where: { $0.name == name }) {
            if json { try printJSON(reference); return Exit.ok }
            emit("Skill \(shown(name)) — reference (no luna.json): guidance given to the model planner\(reference.appliesTo.isEmpty ? " for findings its name and description words match" : " for " + reference.appliesTo.map(shown).joined(separator: ", ") + " findings"); it never plans a command.")
            emit("\n" + shownLines((try? String(contentsOfFile: reference.file, encoding: .utf8)) ?? reference.body))
            return Exit.ok
        }
        _ = try record(agent, name)
        guard let r = try curated(agent, status: nil).first(where: { $0.name == name }) else {
            throw UsageError(message: "no skill named '\(name)' (see: luna skills list)", command: "skills")
        }
        if json { try printJSON(r); return Exit.ok }
        emit("Skill \(shown(r.name)) — \(shown(r.status))\(r.stale ? ", stale" : "")\(r.reason.map { " (\(shown($0)))" } ?? "")")
        emit("version \(r.version): uses \(r.uses): \(r.successes) succeeded, \(r.failures) failed, \(r.verifyPasses) verified; last used \(shown(r.lastUsed ?? "never")); last failure \(shown(r.lastFailure ?? "never"))")
        if !r.hosts.isEmpty { emit("ran on: \(r.hosts.map(shown).joined(separator: ", "))") }
        if !r.evidence.isEmpty { emit("evidence: proposals \(r.evidence.map(String.init).joined(separator: ", "))") }
        let files = r.draft.map { draftFiles(name, $0) } ?? current(agent, name)
        let skill = r.draft.flatMap { try? Skill.parse($0, file: name) } ?? SkillLibrary.load(directory: agent.config.skillsDirectory).skills.first { $0.name == name }
        // Provenance: Luna's deterministic draft or the model's (checked) draft, and why the model's was not taken.
        let drafter = r.draftedBy ?? skill?.draftedBy
        emit("drafted by: " + (drafter.map { $0 == "luna" ? "luna (deterministic, from the executed steps)" : shown($0) } ?? "written by hand (no drafted-by in luna.json)"))
        if let note = r.distillNote { emit("model draft: \(shown(note))") }
        if !r.lookAlikes.isEmpty {
            emit("looks like: \(r.lookAlikes.map(shown).joined(separator: ", ")) (same check and argv shape); merge a draft into one with  luna skills merge DRAFT --into SKILL")
        }
        for e in r.history { emit("history: \(shown(e.at)) \(shown(e.event))\(e.version.map { " v\($0)" } ?? "")\(e.by.map { " by \(shown($0))" } ?? "")\(e.reason.map { ": \(shown($0))" } ?? "")") }
        if let skill {
            let problems = SkillValidator.problems(skill)
            if !problems.isEmpty { emit("cannot be approved: " + problems.map(shown).joined(separator: "; ")) }
        }
        for file in files.keys.sorted(by: { $0 == SkillFormat.markdownFile || ($1 != SkillFormat.markdownFile && $0 < $1) }) {
            emit("\nskills/\(shown(name))/\(file):\n\n" + shownLines(files[file] ?? ""))
        }
        return Exit.ok
    }

    static func diff(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let name = try args.positional("a skill name")
        try args.finish()
        let agent = try context.agent()
        let r = try record(agent, name)
        guard let draft = r.draft else { emit("Skill \(shown(name)) has no pending draft."); return Exit.ok }
        let old = current(agent, name)
        let new = draftFiles(name, draft)
        let dir = NSTemporaryDirectory() + "luna-diff-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for file in Set(old.keys).union(new.keys).sorted() {
            try (old[file] ?? "").write(toFile: dir + "/current", atomically: true, encoding: .utf8)
            try (new[file] ?? "").write(toFile: dir + "/draft", atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
            p.arguments = ["-u", "--label", "skills/\(name)/\(file) (current)", "--label", "draft \(file)", dir + "/current", dir + "/draft"]
            // diff's output is the draft's text: it is captured and shown inert, never written to the terminal raw.
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            emit(shownLines(String(decoding: output, as: UTF8.self)), terminator: "")
        }
        return Exit.ok
    }

    static func approve(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let name = try args.positional("a skill name")
        let reason = try args.value("--reason")
        try args.finish()
        let agent = try context.agent()
        _ = try record(agent, name)
        let commit = try agent.curation.approveSkill(name, reason: reason, approver: DecideCommand.localUser())
        let again = try agent.skillRegistry.record(name)?.history.last?.event == "re-enabled"
        emit(again ? "Skill \(name) is approved again\(commit.map { " (commit \($0.prefix(12)))" } ?? "")."
                    : "Approved skill \(name): skills/\(name)/SKILL.md and luna.json\(commit.map { " (commit \($0.prefix(12)))" } ?? "").")
        return Exit.ok
    }

    static func reject(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let name = try args.positional("a skill name")
        guard let reason = try args.value("--reason"), !reason.isEmpty else {
            throw UsageError(message: "skills reject needs --reason TEXT (it is remembered)", command: "skills")
        }
        try args.finish()
        let agent = try context.agent()
        _ = try record(agent, name)
        let commit = try agent.curation.rejectSkill(name, reason: reason, by: DecideCommand.localUser())
        emit("Rejected \(name) (skills/.rejected, commit \(commit.prefix(12))); the same draft will not be offered again.")
        return Exit.ok
    }

    static func edit(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let name = try args.positional("a skill name")
        try args.finish()
        let agent = try context.agent()
        let r = try record(agent, name)
        guard r.status == "pending", let draft = r.draft else {
            throw UsageError(message: "skill \(name) is not a pending draft; edit skills/\(name)/ in the ops repo instead (a changed luna.json starts a new version with fresh stats)", command: "skills")
        }
        // Both files of the draft, in a folder named like the skill, opened together.
        let dir = NSTemporaryDirectory() + "luna-skill-\(UUID().uuidString.prefix(8))"
        let folder = dir + "/\(name)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = draftFiles(name, draft)
        for (file, text) in files { try text.write(toFile: folder + "/" + file, atomically: true, encoding: .utf8) }
        let paths = files.keys.sorted().map { folder + "/" + $0 }
        let editor = ProcessInfo.processInfo.environment["VISUAL"] ?? ProcessInfo.processInfo.environment["EDITOR"] ?? "vi"
        // The operator's editor setting may carry arguments ("code -w"); it is the operator's own choice.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", editor + " \"$@\"", "editor"] + paths
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { printError("luna: the editor exited \(p.terminationStatus); draft unchanged"); return Exit.error }
        var edited: [String: String] = [:]
        for file in files.keys { edited[file] = try String(contentsOfFile: folder + "/" + file, encoding: .utf8) }
        let text = JSONValue.encode(edited)
        do {
            try agent.skillRegistry.replaceDraft(name, text: text, now: Timestamp.string(agent.environment.now()))
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
        let commit = try agent.curation.retireSkill(name, reason: reason, by: DecideCommand.localUser())
        emit("Retired \(name)\(commit.map { " (commit \($0.prefix(12)))" } ?? "").")
        return Exit.ok
    }

    static func restore(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let name = try args.positional("a skill name")
        let reason = try args.value("--reason")
        try args.finish()
        let agent = try context.agent()
        _ = try record(agent, name)
        let commit = try agent.curation.restoreSkill(name, reason: reason, by: DecideCommand.localUser())
        emit("Restored \(name) from skills/.retired/ (commit \(commit.prefix(12))).")
        return Exit.ok
    }

    static func merge(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let name = try args.positional("a pending draft's name")
        guard let target = try args.value("--into") else {
            throw UsageError(message: "skills merge needs --into SKILL (a look-alike from `luna skills show`)", command: "skills")
        }
        try args.finish()
        let agent = try context.agent()
        _ = try record(agent, name)
        _ = try record(agent, target)
        try agent.skillRegistry.mergeEvidence(name, into: target, library: SkillLibrary.load(directory: agent.config.skillsDirectory))
        let commit = try agent.curation.rejectSkill(name, reason: "merged into \(target)", by: DecideCommand.localUser())
        emit("Merged \(shown(name)) into \(shown(target)): its evidence is \(target)'s; the draft is rejected (commit \(commit.prefix(12))).")
        return Exit.ok
    }

    static func lint(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let dir = try args.value("--dir")
        let json = args.flag("--json")
        let fix = args.flag("--fix")
        try args.finish()
        let directory = try dir ?? context.configuration().skillsDirectory
        if fix {
            for file in try SkillLint.fix(directory: directory) { emit("rewrote \(shown(directory))/\(shown(file)) in the current format (not committed)") }
        }
        let problems = SkillLint.check(directory: directory)
        if json { try printJSON(problems) } else {
            for p in problems { emit(shown(p.description)) }
            if problems.isEmpty { emit("\(shown(directory)): every skill is valid (Luna's rules and the Agent Skills rules).") }
        }
        return problems.isEmpty ? Exit.ok : Exit.negative
    }
}
