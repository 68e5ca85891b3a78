import Foundation
import LunaMemory
import Testing
import TestSupport

/// Skills as Agent Skills: the format, the previous format, reference skills, lint.
@Suite("portable skills")
struct SkillPortabilityTests {
    static var projectSkills: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("skills").path
    }

    static let evidence = SkillEvidence(proposalID: 7, host: "web1", check: "files",
                                        params: ["path": "/etc/app.conf", "aspect": "mode", "expected": "0600", "actual": "0644"],
                                        subject: "/etc/app.conf mode", summary: "/etc/app.conf: mode 0644, reference 0600",
                                        argv: ["/usr/bin/chmod", "0600", "/etc/app.conf"],
                                        verify: ["/usr/bin/stat", "-c", "%04a", "/etc/app.conf"], expect: "0600", risk: "mutating")

    static let legacy = """
        ---
        name: restore-file-mode
        description: Restore a mode.
        check: files
        match: {"aspect": "mode"}
        argv: ["/usr/bin/chmod", "{expected}", "{path}"]
        verify: ["/usr/bin/stat", "-c", "%04a", "{path}"]
        expect: {expected}
        risk: mutating
        ---

        ## When to use
        """

    /// A Claude Code / Hermes style skill: only Agent Skills fields, a folded description.
    static let plain = """
        ---
        name: sshd-hardening
        description: >
          Review sshd settings against the estate's hardening baseline
          before changing them.
        allowed-tools: Bash(sshd -T)
        ---

        # sshd hardening

        Never disable password authentication before a key login was tested.
        """

    static func folder(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-skills-\(UUID().uuidString.prefix(8))").path
        for (path, text) in files {
            try FileManager.default.createDirectory(atPath: ((dir + "/" + path) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: dir + "/" + path, atomically: true, encoding: .utf8)
        }
        return dir
    }

    @Test func shippedSkillsAreInTheCurrentFormatAndPassLint() throws {
        let library = SkillLibrary.load(directory: Self.projectSkills)
        #expect(library.problems.isEmpty, "\(library.problems)")
        #expect(library.legacy.isEmpty, "still in the previous format: \(library.legacy)")
        #expect(library.skills.count == 3)
        #expect(SkillLint.check(directory: Self.projectSkills).isEmpty, "\(SkillLint.check(directory: Self.projectSkills))")
    }

    @Test func aDraftWritesOnlyAgentSkillsFieldsAndAStrictlyTypedProcedure() throws {
        var draft = Skill.draft(from: Self.evidence)
        draft.description = "Fix: restore #mode, {expected}"   // text a YAML loader would misread unquoted
        let files = draft.files()
        let markdown = try #require(files["SKILL.md"])
        let front = markdown.split(separator: "\n").dropFirst().prefix { $0 != "---" }
        let keys = front.filter { !$0.hasPrefix(" ") }.map { String($0.prefix { $0 != ":" }) }
        #expect(Set(keys).isSubset(of: SkillFormat.specFields), "\(keys)")
        #expect(markdown.contains(#"description: "Fix: restore #mode, {expected}""#), "\(markdown)")
        #expect(markdown.contains("luna.json"), "the body points at the procedure")
        let procedureText = try #require(files["luna.json"])
        let procedure = try #require(try JSONSerialization.jsonObject(with: Data(procedureText.utf8)) as? [String: Any])
        #expect(procedure["expect"] as? String == "{expected}", "a string, not a mapping")
        #expect(procedure["argv"] as? [String] == ["/usr/bin/chmod", "{expected}", "{path}"])
        // Read back from the folder: the same skill.
        let dir = try Self.folder(["\(draft.name)/SKILL.md": markdown, "\(draft.name)/luna.json": files["luna.json"]!])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let loaded = try #require(SkillLibrary.load(directory: dir).skills.first)
        #expect(loaded.fingerprint == draft.fingerprint && loaded.description == draft.description && loaded.draftedBy == "luna")
        #expect(SkillLint.check(directory: dir).isEmpty, "\(SkillLint.check(directory: dir))")
        // The stored form of a draft parses back too.
        #expect(try Skill.parse(draft.render(), file: "draft").fingerprint == draft.fingerprint)
    }

    @Test func awkwardValuesSurviveTheProcedureFile() throws {
        var skill = Skill.draft(from: Self.evidence)
        skill.argv = ["/usr/bin/printf", #"a",",b\"#, "x, y", "{path}", "é \u{7}"]
        skill.match = ["aspect": #"v": "w"#]
        skill.expect = "{expected}\n"
        skill.draftedBy = "model m \"1\""
        let read = try SkillFormat.read(markdown: skill.markdown(), procedure: skill.procedure(), file: "x/SKILL.md")
        guard case .procedure(let back, let legacy) = read else { Issue.record("not a procedure"); return }
        #expect(!legacy)
        #expect(back.argv == skill.argv)
        #expect(back.match == skill.match)
        #expect(back.expect == skill.expect)
        #expect(back.draftedBy == skill.draftedBy)
    }

    @Test func skillMarkdownHoldsNoControlCharacter() throws {
        var skill = Skill.draft(from: Self.evidence)
        skill.description = "Restore\u{1b}[2J the mode\u{202e}"
        skill.body = "## When to use\n\nA line\u{1b}]0;title\u{7} and \u{9b}31m more."
        let markdown = skill.markdown()
        #expect(!markdown.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x07 || $0.value == 0x9b || $0.value == 0x202e }, "\(markdown)")
        #expect(markdown.contains("## When to use\n\nA line"))
    }

    @Test func thePreviousFormatIsStillReadAndLintSaysHowToConvertIt() throws {
        let dir = try Self.folder(["restore-file-mode/SKILL.md": Self.legacy])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let before = SkillLibrary.load(directory: dir)
        let skill = try #require(before.skills.first)
        #expect(before.legacy == ["restore-file-mode"])
        #expect(skill.expect == "{expected}" && skill.match == ["aspect": "mode"])
        let problems = SkillLint.check(directory: dir)
        #expect(problems.count == 1)
        #expect(problems.first?.description.hasPrefix(dir + "/restore-file-mode/SKILL.md:4: Luna's procedure") == true, "\(problems)")
        #expect(problems.first?.fix.contains("luna skills lint --fix") == true)
        #expect(try SkillLint.fix(directory: dir) == ["restore-file-mode/SKILL.md", "restore-file-mode/luna.json"])
        #expect(SkillLint.check(directory: dir).isEmpty)
        let after = SkillLibrary.load(directory: dir)
        #expect(after.legacy.isEmpty && after.skills.first?.fingerprint == skill.fingerprint)
    }

    @Test func aPlainAgentSkillIsAReferenceSkillThatNeverPlans() throws {
        let dir = try Self.folder(["sshd-hardening/SKILL.md": Self.plain,
                                   "dns-notes/SKILL.md": "---\nname: dns-notes\ndescription: Pi-hole notes.\nmetadata:\n  luna-applies-to: dns, ports\n---\nKeep records in pihole.toml.\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let library = SkillLibrary.load(directory: dir)
        #expect(library.problems.isEmpty, "\(library.problems)")
        #expect(library.skills.isEmpty, "a reference skill plans nothing")
        #expect(library.references.map(\.name) == ["dns-notes", "sshd-hardening"])
        let sshd = try #require(library.references.last)
        #expect(sshd.description == "Review sshd settings against the estate's hardening baseline before changing them.")
        #expect(sshd.body.contains("key login"))
        #expect(library.references(check: "sshd", summary: "passwordauthentication yes, reference no").map(\.name) == ["sshd-hardening"])
        #expect(library.references(check: "dns", summary: "pihole.toml changed").map(\.name) == ["dns-notes"])
        #expect(library.references(check: "files", summary: "/etc/app.conf: mode 0644").isEmpty)
        #expect(library.match(check: "sshd", params: [:]) == nil)
        #expect(SkillLint.check(directory: dir).isEmpty, "\(SkillLint.check(directory: dir))")
    }

    @Test(arguments: [
        ("skills-x", "---\nname: Skills-X\ndescription: d\n---\n", "SKILL.md:2: the name 'Skills-X' may hold only lowercase"),
        ("a--b", "---\nname: a--b\ndescription: d\n---\n", "SKILL.md:2: the name 'a--b' must not contain '--'"),
        ("other", "---\nname: mine\ndescription: d\n---\n", "SKILL.md:2: name 'mine' differs from its folder 'other'"),
        ("long", "---\nname: long\ndescription: \(String(repeating: "x", count: 1025))\n---\n", "SKILL.md:3: the description has 1025 characters"),
        ("colon", "---\nname: colon\ndescription: Fix: the mode\n---\n", "SKILL.md:3: 'description' is not read as this text by a YAML loader"),
        ("extra", "---\nname: extra\ndescription: d\nversion: 2\n---\n", "SKILL.md:4: unexpected front-matter field 'version'"),
        ("nodesc", "---\nname: nodesc\n---\n", "SKILL.md:1: missing required field 'description'"),
    ])
    func lintNamesTheFileLineAndFix(folder: String, markdown: String, phrase: String) throws {
        let dir = try Self.folder(["\(folder)/SKILL.md": markdown])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let problems = SkillLint.check(directory: dir)
        #expect(problems.contains { $0.description.contains("\(folder)/" + phrase) && !$0.fix.isEmpty }, "\(problems)")
    }

    @Test(arguments: [
        (#"{"check": "files", "argv": ["/usr/bin/chmod"], "risk": "mutating", "verfy": ["/usr/bin/stat"]}"#, "luna.json:1: unknown key 'verfy'"),
        ("{\n  \"check\": \"files\",\n  \"argv\": [\"chmod\", \"{expected}\"],\n  \"risk\": \"mutating\"\n}", "luna.json:3: argv: the program 'chmod' must be an absolute path"),
        ("{\n  \"check\": \"files\",\n  \"argv\": [\"/usr/bin/chmod\"],\n  \"expect\": {\"expected\": 1},\n  \"risk\": \"mutating\"\n}", "luna.json:4: 'expect' must be a string"),
        (#"{"check": "files", "argv": "/usr/bin/chmod", "risk": "mutating"}"#, "luna.json:1: 'argv' must be a non-empty array of strings"),
        ("[1]", "luna.json:1: not a JSON object"),
    ])
    func lintChecksTheProcedure(procedure: String, phrase: String) throws {
        let dir = try Self.folder(["fix/SKILL.md": "---\nname: fix\ndescription: A fix.\n---\n", "fix/luna.json": procedure])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let problems = SkillLint.check(directory: dir)
        #expect(problems.contains { $0.description.contains("fix/" + phrase) }, "\(problems)")
        if !phrase.contains("absolute path") {   // unsafe steps load (the gate refuses them); malformed ones do not
            #expect(SkillLibrary.load(directory: dir).skills.isEmpty, "a skill with a malformed procedure is not loaded")
        }
    }
}

/// The Agent Skills reference validator (`skills-ref` from PyPI, installed by .ci/run) over the shipped skills and a fresh draft.
@Suite("Agent Skills reference validator", .enabled(if: SystemRequirements.available(tools: ["agentskills"])))
struct ReferenceValidatorTests {
    static func validate(_ folder: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(SystemRequirements.which("agentskills"), "agentskills (pip install skills-ref) is not on PATH"))
        p.arguments = ["validate", folder]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func everyShippedSkillPasses() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: SkillPortabilityTests.projectSkills).filter { !$0.hasPrefix(".") }.sorted()
        #expect(names.count >= 3)
        for name in names {
            let r = try Self.validate(SkillPortabilityTests.projectSkills + "/" + name)
            #expect(r.status == 0, "\(name): \(r.output)")
        }
    }

    @Test func aFreshDraftPassesAndTheOldFormatDoesNot() throws {
        var draft = Skill.draft(from: SkillPortabilityTests.evidence)
        draft.name = SkillFormat.portableName(draft.name)
        let tricky = draft.name + "-2"
        var quoted = draft
        quoted.name = tricky
        quoted.description = "Fix: restore #mode to {expected} — after 'drift'"
        var files: [String: String] = [:]
        for s in [draft, quoted] { for (f, t) in s.files() { files["\(s.name)/\(f)"] = t } }
        files["restore-file-mode/SKILL.md"] = SkillPortabilityTests.legacy
        let dir = try SkillPortabilityTests.folder(files)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in [draft.name, tricky] {
            let r = try Self.validate(dir + "/" + name)
            #expect(r.status == 0, "\(name): \(r.output)")
        }
        // The validator itself tells the formats apart: the previous one is refused.
        let old = try Self.validate(dir + "/restore-file-mode")
        #expect(old.status != 0, "\(old.output)")
    }
}

/// The state database rebuilt from `skills/` (real SQLite).
@Suite("skill state files")
struct SkillStateFileTests {
    @Test func aUseAlreadyInTheFileIsNotCountedTwiceAndAnEditedProcedureStartsAVersion() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let registry = SkillRegistry(db: scratch.db)
        var skill = Skill.draft(from: SkillPortabilityTests.evidence)
        skill.name = "restore-mode"
        var files: [String: String] = [:]
        for (f, t) in skill.files() { files["restore-mode/\(f)"] = t }
        // As an outcome commit leaves it when recording stopped right after the commit: the use of proposal 5 is in the file only.
        let written = SkillStateFile(fingerprint: skill.fingerprint, uses: 1, successes: 1, lastUsed: "t1", hosts: ["web1"], lastProposal: 5)
        files["restore-mode/stats.json"] = written.encoded()
        let dir = try SkillPortabilityTests.folder(files)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try registry.sync(directory: dir, now: "t2")
        #expect(try registry.state("restore-mode") == written)
        // Recording resumes: proposal 5 is not counted again; proposal 6 is.
        #expect(try registry.stateAfterUse(skill: "restore-mode", proposalID: 5, succeeded: true, verified: true, host: "web1", at: "t3")?.uses == 1)
        try registry.recordUse(skill: "restore-mode", proposalID: 5, succeeded: true, verified: true, host: "web1", at: "t3")
        try registry.recordUse(skill: "restore-mode", proposalID: 6, succeeded: false, verified: false, host: "web2", at: "t4")
        let after = try #require(try registry.state("restore-mode"))
        #expect(after.uses == 2 && after.successes == 1 && after.failures == 1 && after.hosts == ["web1", "web2"] && after.lastFailure == "t4")
        // A hand edit of luna.json: version 2, counts from zero, the history says why.
        var edited = skill
        edited.argv = ["/usr/bin/chmod", "--", "{expected}", "{path}"]
        try edited.procedure().write(toFile: dir + "/restore-mode/luna.json", atomically: true, encoding: .utf8)
        try registry.sync(directory: dir, now: "t5")
        let v2 = try #require(try registry.state("restore-mode"))
        #expect(v2.version == 2 && v2.uses == 0 && v2.fingerprint == edited.fingerprint && v2.history.last?.event == "new-version")
    }
}
