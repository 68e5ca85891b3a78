import Foundation
import LunaAgent
import LunaMemory
import Testing
import TestSupport

/// Skills end to end: a real ops repo with real git, `luna` commands run in process (`skills edit` spawns the binary, for its editor).
@Suite("skill lifecycle", .serialized)
struct SkillLifecycleTests {
    static func editor(_ command: String) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["VISUAL"] = nil
        env["EDITOR"] = command
        return env
    }

    static func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    @Test func aHandMadeFixBecomesAReviewedSkillThatPlansTheNextFinding() throws {
        let estate = try Estate(sudoers: "luna ALL = (root) NOPASSWD: /usr/bin/chmod 0640 @ROOT@/target/other.conf",
                                readOnly: ["/usr/bin/stat -c %04a @ROOT@/target/other.conf"])
        defer { estate.remove() }
        // No skill for file modes in this estate.
        try estate.ops.git("rm", "-rq", "skills/restore-file-mode")
        try estate.ops.git("commit", "-qm", "no skills yet")

        let first = try estate.luna("run", "--once")
        #expect(first.status == 0, "\(first.err)")
        #expect(first.out.contains("no skill covers files findings"), "\(first.out)")

        // The operator solves it once with a hand-made proposal (through the same gate and approval).
        do {
            let agent = try Agent(config: try estate.configuration(), environment: AgentEnvironment(log: { _ in }))
            let finding = try #require(try agent.ledger.findings().first)
            let made = try agent.ledger.insert(Ledger.NewProposal(
                finding: finding, host: "localhost", identity: agent.config.identity, runas: "root",
                argv: ["/usr/bin/chmod", "0600", estate.target], verifyArgv: ["/usr/bin/stat", "-c", "%04a", estate.target],
                expect: "0600", rationale: "restore the reference mode by hand", source: "operator", skill: nil, risk: "mutating"))
            #expect(try agent.gating.gateProposal(made).state == .awaitingApproval)
            _ = try agent.ledger.decide(made.id, .approve, approver: "tester", channel: "cli")
            _ = try agent.execution.executeApproved()
            #expect(try agent.recorder.recordPending().count == 1)
        }
        #expect(try estate.mode() == 0o600)
        // The next cycle tells the operator about the draft, once.
        let told = try estate.luna("run", "--once")
        #expect(told.out.contains("New skill draft files-chmod-mode from proposal 1"), "\(told.out)")
        #expect(!(try estate.luna("run", "--once").out.contains("New skill draft")))

        // A pending draft, parameterised from the finding.
        let pending = try #require(try Self.json(try estate.luna("skills", "list", "--pending", "--json").out) as? [[String: Any]])
        #expect(pending.map { $0["name"] as? String } == ["files-chmod-mode"])
        #expect(pending.first?["evidence"] as? [Int] == [1])
        let show = try estate.luna("skills", "show", "files-chmod-mode")
        #expect(show.out.contains("skills/files-chmod-mode/luna.json:"), "\(show.out)")
        #expect(show.out.contains(#""argv": ["/usr/bin/chmod", "{expected}", "{path}"]"#), "\(show.out)")
        // Drafted from one fix, it matches that finding only (every identifying field).
        #expect(show.out.contains(#""path": "\#(estate.target)""#) && show.out.contains(#""subject": "\#(estate.target) mode""#), "\(show.out)")
        let diff = try estate.luna("skills", "diff", "files-chmod-mode")
        #expect(diff.out.contains("+name: files-chmod-mode"), "\(diff.out)")
        // The outcome note is indexed and searchable.
        #expect(try estate.luna("memory", "search", "--tag", "outcome", "chmod").out.contains("outcomes/"))

        // Edits are validated on save: a relative program is refused, a new description kept.
        let bad = try estate.luna("skills", "edit", "files-chmod-mode", environment: Self.editor("sed -i s#/usr/bin/chmod#chmod#"))
        #expect(bad.status == 2 && bad.err.contains("relative"), "\(bad.err)")
        let good = try estate.luna("skills", "edit", "files-chmod-mode", environment: Self.editor("sed -i s/^description:.*/description:\\ Restore\\ a\\ reference\\ mode./"))
        #expect(good.status == 0, "\(good.err)")
        #expect(try estate.luna("skills", "show", "files-chmod-mode").out.contains("description: Restore a reference mode."))
        #expect(!(try estate.luna("skills", "show", "files-chmod-mode").out.contains("\"chmod\"")))
        // The operator widens it by hand to every mode drift: the steps are right for any path and mode.
        let widened = try estate.luna("skills", "edit", "files-chmod-mode", environment: Self.editor(#"sed -i 's/^  "match": .*/  "match": {"aspect": "mode"},/'"#))
        #expect(widened.status == 0, "\(widened.err)")
        #expect(try estate.luna("skills", "show", "files-chmod-mode").out.contains(#""match": {"aspect": "mode"},"#))

        // The operator approves it: the file is committed with the reason.
        let approve = try estate.luna("skills", "approve", "files-chmod-mode", "--reason", "worked by hand on localhost")
        #expect(approve.status == 0, "\(approve.err)")
        let message = try estate.ops.git("log", "-1", "--format=%B")
        #expect(message.contains("Skill: files-chmod-mode") && message.contains("Reason: worked by hand on localhost"), "\(message)")
        #expect(try estate.ops.git("show", "--name-only", "--format=", "HEAD")
                == "skills/files-chmod-mode/SKILL.md\nskills/files-chmod-mode/luna.json\nskills/files-chmod-mode/stats.json")
        #expect(try estate.luna("skills", "approve", "files-chmod-mode").status == 2, "approved once")

        // The same kind of finding on another path is planned from the skill.
        try FileManager.default.createDirectory(atPath: estate.ops.root + "/target", withIntermediateDirectories: true)
        let other = estate.ops.root + "/target/other.conf"
        FileManager.default.createFile(atPath: other, contents: Data("x\n".utf8), attributes: [.posixPermissions: 0o644])
        try estate.ops.write("configs/files/localhost", "\(estate.target) 0600 *\n\(other) 0640 *\n")
        try estate.ops.git("commit", "-qam", "reference for other.conf")
        let second = try estate.luna("run", "--once")
        #expect(second.status == 0, "\(second.err)")
        let awaiting = try #require(try Self.json(try estate.luna("proposals", "--state", "awaiting_approval", "--json").out) as? [[String: Any]])
        #expect(awaiting.count == 1)
        #expect(awaiting.first?["skill"] as? String == "files-chmod-mode")
        #expect(awaiting.first?["argv"] as? [String] == ["/usr/bin/chmod", "0640", other])
        let id = try #require(awaiting.first?["id"] as? Int)
        #expect(try estate.luna("approve", String(id)).status == 0)
        #expect(try estate.luna("run", "--once").status == 0)
        #expect((try FileManager.default.attributesOfItem(atPath: other)[.posixPermissions] as? Int) == 0o640)
        #expect(try estate.ops.git("log", "-1", "--format=%B").contains("Skill: files-chmod-mode"))
        let stats = try #require(try Self.json(try estate.luna("skills", "show", "files-chmod-mode", "--json").out) as? [String: Any])
        #expect(stats["uses"] as? Int == 1 && stats["successes"] as? Int == 1 && stats["verifyPasses"] as? Int == 1, "\(stats)")
        // A success planned by an approved skill drafts nothing new.
        #expect(try estate.luna("skills", "list", "--pending").out.contains("No pending skill drafts."))

        // Retire: its file is removed in a commit and the planner stops using it.
        #expect(try estate.luna("skills", "retire", "files-chmod-mode", "--reason", "superseded").status == 0)
        #expect(!FileManager.default.fileExists(atPath: estate.ops.repo + "/skills/files-chmod-mode/SKILL.md"))
        #expect(try estate.ops.git("log", "-1", "--format=%B").contains("skills: retire files-chmod-mode"))
    }

    @Test func notesAreAddedApprovedSearchedAndRemovedThroughGit() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let add = try estate.luna("memory", "add", "--title", "Pi-hole v6 keeps records in pihole.toml",
                                  "--body", "Not custom.list.", "--hosts", "localhost", "--tags", "dns,Gotcha")
        #expect(add.status == 0, "\(add.err)")
        let path = "memory/pi-hole-v6-keeps-records-in-pihole-toml.md"
        #expect(try estate.ops.git("show", "--name-only", "--format=", "HEAD") == path)
        #expect(try estate.luna("memory", "add", "--title", "x", "--body", "y", "--hosts", "nowhere").status == 2)

        let found = try #require(try Self.json(try estate.luna("memory", "search", "--host", "localhost", "--json", "custom.list").out) as? [[String: Any]])
        #expect(found.first?["slug"] as? String == "pi-hole-v6-keeps-records-in-pihole-toml")
        #expect(found.first?["tags"] as? [String] == ["dns", "gotcha"])

        // A note suggested by the agent waits for approval and is not searchable until then.
        #expect(try estate.luna("memory", "add", "--title", "Suggested gotcha", "--body", "quokka", "--source", "agent").status == 0)
        #expect(try estate.luna("memory", "search", "quokka").status == 1)
        #expect(try estate.luna("memory", "list", "--pending").out.contains("suggested-gotcha"))
        #expect(try estate.luna("memory", "approve", "suggested-gotcha").status == 0)
        #expect(try estate.luna("memory", "search", "quokka").status == 0)
        #expect(FileManager.default.fileExists(atPath: estate.ops.repo + "/memory/suggested-gotcha.md"))

        // Edited in git, reflected after reindex; a broken file is reported with file:line.
        try estate.ops.write(path, "---\ntitle: Pi-hole v6 records\ntags: dns\nsource: operator\n---\n\nThe hosts array of pihole.toml.\n")
        try estate.ops.write("memory/broken.md", "---\ntitle: broken\nsource: nobody\n---\n")
        let reindex = try estate.luna("memory", "reindex")
        #expect(reindex.status == 1)
        #expect(reindex.out.contains("memory/broken.md:3: source must be"), "\(reindex.out)")
        #expect(try estate.luna("memory", "search", "custom.list").status == 1)
        #expect(try estate.luna("memory", "show", "pi-hole-v6-keeps-records-in-pihole-toml").out.contains("The hosts array"))

        // A note file committed by hand is picked up when the daemon starts.
        try estate.ops.write("memory/broken.md", "---\ntitle: fixed\n---\n\nwombat\n")
        try estate.ops.write("memory/by-hand.md", "---\ntitle: Written by hand\nhosts: localhost\n---\n\nnumbat\n")
        try estate.ops.git("add", "memory")
        try estate.ops.git("commit", "-qm", "notes by hand")
        #expect(try estate.luna("memory", "search", "numbat").status == 1)
        #expect(try estate.luna("run", "--once").status == 0)
        #expect(try estate.luna("memory", "search", "numbat").out.contains("by-hand"))

        #expect(try estate.luna("memory", "rm", "pi-hole-v6-keeps-records-in-pihole-toml").status == 0)
        #expect(!FileManager.default.fileExists(atPath: estate.ops.repo + "/" + path))
        #expect(try estate.ops.git("show", "--name-status", "--format=", "HEAD") == "D\t\(path)")
        #expect(try estate.luna("memory", "show", "pi-hole-v6-keeps-records-in-pihole-toml").status == 2)
    }
}
