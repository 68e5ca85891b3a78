import Foundation
@testable import LunaAgent
import LunaMemory
import LunaModel
import Testing
import TestSupport

/// Memory and skills as the agent uses them through whole cycles (real SQLite, git, FakeLLM, `luna`).
@Suite("memory and skills in use", .serialized)
struct MemoryUseTests {
    @Test func planningReadsMemoryThroughTheStoreAndMarksWhatItUsed() throws {
        let me = try ModelEstate(fake: nil)
        defer { me.remove() }
        let fake = try FakeLLM(.openai, steps: [.text("Nothing to do.")])
        defer { fake.stop() }
        let agent = try Agent(config: me.configuration(fake), environment: AgentEnvironment(log: { _ in }))
        let (used, _) = try agent.curation.addNote(title: "app.conf on localhost holds credentials", body: "Keep it 0600; files drift after restores.",
                                          hosts: ["localhost"], tags: ["files"])
        let (unrelated, _) = try agent.curation.addNote(title: "Pi-hole v6 keeps records in pihole.toml", body: "Not custom.list.")
        let (pending, _) = try agent.curation.addNote(title: "Unreviewed files idea for localhost", body: "UNREVIEWED-NOTE-BODY",
                                             hosts: ["localhost"], tags: ["files"], source: .agent, pending: true)
        _ = try agent.scanner.scan()
        let finding = try #require(try agent.ledger.findings().first { $0.check == "files" })

        // A dry run shows the note but does not count as a use.
        let preview = try agent.modelPlanner.modelRequestPreview(findingID: finding.id)
        #expect(preview.contains("app.conf on localhost holds credentials"), "\(preview.prefix(2000))")
        #expect(try agent.memory.note(used.slug)?.lastUsed == nil)

        _ = try agent.planning.plan()
        #expect(fake.requests.count == 1)
        let sent = try #require(fake.requests.first?.bodyText)
        #expect(sent.contains("app.conf on localhost holds credentials") && sent.contains("<<<DATA memory notes>>>"))
        #expect(!sent.contains("UNREVIEWED-NOTE-BODY") && !sent.contains("Pi-hole"))
        #expect(try agent.memory.note(used.slug)?.lastUsed != nil, "planning marks the notes it read as used")
        #expect(try agent.memory.note(unrelated.slug)?.lastUsed == nil)
        #expect(try agent.memory.note(pending.slug)?.lastUsed == nil)
    }

    @Test func aPlainAgentSkillIsReconContextForMatchingFindingsAndPlansNothing() throws {
        let me = try ModelEstate(fake: nil)
        defer { me.remove() }
        // A Claude Code / Hermes skill dropped into skills/: no Luna procedure.
        try me.estate.ops.write("skills/file-permissions/SKILL.md", """
            ---
            name: file-permissions
            description: How this estate handles files whose mode drifted after a restore.
            ---

            Restores from the backup server reset modes to 0644; PLAIN-SKILL-GUIDANCE. Token \(ModelEstate.plantedEnvSecret).
            """)
        try me.estate.ops.write("skills/dns-records/SKILL.md", "---\nname: dns-records\ndescription: Pi-hole records.\nmetadata:\n  luna-applies-to: dns\n---\nUNRELATED-SKILL-BODY\n")
        try me.estate.ops.git("add", "-A")
        try me.estate.ops.git("commit", "-qm", "reference skills")
        let fake = try FakeLLM(.openai, steps: [.text("Nothing to do.")])
        defer { fake.stop() }
        let agent = try Agent(config: me.configuration(fake), environment: AgentEnvironment(log: { _ in }))
        #expect(try agent.curation.usableSkills().references.map(\.name) == ["dns-records", "file-permissions"])
        _ = try agent.scanner.scan()
        let finding = try #require(try agent.ledger.findings().first { $0.check == "files" })
        let preview = try agent.modelPlanner.modelRequestPreview(findingID: finding.id)
        #expect(preview.contains("reference skill file-permissions") && preview.contains("PLAIN-SKILL-GUIDANCE"), "\(preview.prefix(3000))")
        #expect(!preview.contains(ModelEstate.plantedEnvSecret), "redacted like other recon")
        #expect(!preview.contains("UNRELATED-SKILL-BODY"))
        // It never plans an argv: the finding goes to the model.
        _ = try agent.planning.plan()
        #expect(fake.requests.count == 1)
        #expect(try agent.ledger.db.query("SELECT id FROM proposals WHERE skill IS NOT NULL").isEmpty)
        #expect(try me.estate.luna("skills", "list").out.contains("dns-records                      reference          guidance for the model planner (no luna.json); applies to dns"))
        #expect(try me.estate.luna("skills", "show", "file-permissions").out.contains("reference (no luna.json)"))
        // Lint has nothing to say about the reference skills (only this estate's test skill of the previous format).
        let lint = try me.estate.luna("skills", "lint")
        #expect(lint.out.contains("restore-file-mode/SKILL.md") && !lint.out.contains("file-permissions") && !lint.out.contains("dns-records"), "\(lint.out)")
    }

    @Test func aSkillWhoseRunsFailIsSuspendedTheOperatorToldAndItPlansNothingMore() throws {
        let skill = """
            ---
            name: restore-file-mode
            description: A fix that always fails.
            check: files
            match: {"aspect": "mode"}
            argv: ["/usr/bin/false", "{path}"]
            risk: mutating
            ---
            Test skill.
            """
        let estate = try Estate(sudoers: "luna ALL = (root) NOPASSWD: /usr/bin/false *", files: ["skills/restore-file-mode/SKILL.md": skill])
        defer { estate.remove() }
        let root = estate.ops.root
        var reference = ""
        for name in ["a", "b", "c", "d"] {
            let path = root + "/target/\(name).conf"
            FileManager.default.createFile(atPath: path, contents: Data("x\n".utf8), attributes: [.posixPermissions: 0o644])
            if name != "d" { reference += "\(path) 0600 *\n" }
        }
        try estate.ops.write("configs/files/localhost", reference)
        try estate.ops.git("commit", "-qam", "three drifted files")
        let agent = try Agent(config: try estate.configuration(), environment: AgentEnvironment(log: { _ in }))

        // Cycle 1: the skill plans all three; the operator approves them.
        let first = try agent.cycle()
        #expect(first.proposed.count == 3 && first.proposed.allSatisfy { $0.skill == "restore-file-mode" && $0.state == .awaitingApproval })
        for p in first.proposed { _ = try agent.ledger.decide(p.id, .approve, approver: "tester", channel: "cli") }
        // Cycle 2: all three fail; the third failure in a row suspends the skill, and the report says so once.
        let second = try agent.cycle()
        #expect(second.executed.count == 3 && second.recorded.count == 3)
        #expect(second.notices.contains { $0.contains("Skill restore-file-mode is suspended") && $0.contains("last 3 uses failed") }, "\(second.notices)")
        let r = try #require(try agent.skillRegistry.record("restore-file-mode"))
        #expect(r.status == "suspended" && r.failures == 3 && r.uses == 3)
        // A new finding of the same kind is no longer planned from it.
        try estate.ops.write("configs/files/localhost", reference + "\(root)/target/d.conf 0600 *\n")
        try estate.ops.git("commit", "-qam", "a fourth")
        let third = try agent.cycle()
        #expect(third.proposed.isEmpty)
        #expect(third.unplanned.contains { $0.2.contains("no skill covers files findings") }, "\(third.unplanned)")
        #expect(third.notices.isEmpty, "told once")
        let status = try estate.luna("skills", "show", "restore-file-mode")
        #expect(status.out.contains("suspended (last 3 uses failed)"), "\(status.out)")
    }

    @Test(arguments: [FakeLLM.Format.anthropic, .openai])
    func aModelNoteWithANonASCIITitleCanBeApproved(format: FakeLLM.Format) throws {
        let me = try ModelEstate(fake: nil)
        defer { me.remove() }
        let fake = try FakeLLM(format, steps: [.tools([
            ("note", json(["title": "Ünïcødé café: 日本 — sudo-rs wildcards", "body": "sudo-rs does not support wildcard subcommands."])),
            ("note", json(["title": "日本語", "body": "only non-ASCII"])),
        ])])
        defer { fake.stop() }
        try me.appendLLMSection(fake)
        #expect(try me.estate.luna("run", "--once").status == 0)
        let agent = try me.agent()
        let slugs = try agent.memory.list(status: "pending").map(\.slug).sorted()
        #expect(slugs.count == 2, "\(slugs)")
        #expect(slugs.allSatisfy(MemoryNote.isValidSlug), "\(slugs)")
        #expect(slugs.contains { $0.hasSuffix("-caf-sudo-rs-wildcards") }, "\(slugs)")
        #expect(slugs.contains { $0.hasSuffix("-note") }, "\(slugs)")
        for slug in slugs {
            let approve = try me.estate.luna("memory", "approve", slug)
            #expect(approve.status == 0, "\(approve.err)")
            #expect(FileManager.default.fileExists(atPath: me.estate.ops.repo + "/memory/\(slug).md"))
        }
        let reindex = try me.estate.luna("memory", "reindex")
        #expect(reindex.status == 0, "\(reindex.out) \(reindex.err)")
        #expect(try me.estate.luna("memory", "search", "wildcard").out.contains("sudo-rs"))
    }
}
