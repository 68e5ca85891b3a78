import Foundation
import LunaAgent
import LunaMemory
import Testing
import TestSupport

/// Skill state in git and curation, through whole cycles: real SQLite, real git, `luna` commands run in process.
@Suite("skill state in git", .serialized)
struct SkillStateTests {
    /// A skill in the current format whose fix always fails (`/usr/bin/false`).
    static let failing: [String: String] = [
        "skills/restore-file-mode/SKILL.md": "---\nname: restore-file-mode\ndescription: A fix that always fails.\n---\n\nTest skill; see luna.json.\n",
        "skills/restore-file-mode/luna.json": #"{"check": "files", "match": {"aspect": "mode"}, "argv": ["/usr/bin/false", "{path}"], "risk": "mutating"}"#,
    ]

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    /// Three drifted files, each planned by the failing skill, approved and run: the skill ends suspended.
    static func suspendedEstate() throws -> Estate {
        let estate = try Estate(sudoers: "luna ALL = (root) NOPASSWD: /usr/bin/false *", files: failing)
        var reference = ""
        for name in ["a", "b", "c"] {
            let path = estate.ops.root + "/target/\(name).conf"
            FileManager.default.createFile(atPath: path, contents: Data("x\n".utf8), attributes: [.posixPermissions: 0o644])
            reference += "\(path) 0600 *\n"
        }
        try estate.ops.write("configs/files/localhost", reference)
        try estate.ops.git("commit", "-qam", "three drifted files")
        let agent = try Agent(config: try estate.configuration(), environment: AgentEnvironment(log: { _ in }))
        let first = try agent.cycle()
        for p in first.proposed { _ = try agent.ledger.decide(p.id, .approve, approver: "tester", channel: "cli") }
        _ = try agent.cycle()
        return estate
    }

    @Test func statsSuspensionAndRejectionsSurviveTheLossOfTheStateDirectory() throws {
        let estate = try Self.suspendedEstate()
        defer { estate.remove() }
        // Each outcome commit carried the skill's stats.
        let commits = try estate.ops.git("log", "--format=%s", "--", "skills/restore-file-mode/stats.json").split(separator: "\n")
        #expect(commits.count == 3 && commits.allSatisfy { $0.hasPrefix("luna: failed on localhost: restore-file-mode") }, "\(commits)")
        let committed = try Self.json(try estate.ops.git("show", "HEAD:skills/restore-file-mode/stats.json"))
        #expect(committed["status"] as? String == "suspended" && committed["uses"] as? Int == 3 && committed["consecutive_failures"] as? Int == 3, "\(committed)")

        // A pending draft, rejected: the rejection is committed to skills/.rejected.
        let agent = try Agent(config: try estate.configuration(), environment: AgentEnvironment(log: { _ in }))
        let evidence = SkillEvidence(proposalID: 99, host: "localhost", check: "files",
                                     params: ["path": estate.target, "aspect": "owner", "expected": "root:root", "actual": "luna:luna"],
                                     subject: "\(estate.target) owner", summary: "owner", argv: ["/usr/bin/chown", "root:root", estate.target],
                                     verify: ["/usr/bin/stat", "-c", "%U:%G", estate.target], expect: "root:root", risk: "mutating")
        guard case .drafted(let draft) = try agent.skillRegistry.distill(evidence, library: try agent.curation.usableSkills(), now: "t") else {
            Issue.record("expected a draft"); return
        }
        let reject = try estate.luna("skills", "reject", draft, "--reason", "owners are managed by the package")
        #expect(reject.status == 0, "\(reject.err)")
        #expect(try estate.ops.git("show", "--name-only", "--format=", "HEAD") == "skills/.rejected")

        // The state directory is lost; the next start rebuilds it from the repo.
        try FileManager.default.removeItem(atPath: estate.ops.state)
        let shown = try Self.json(try estate.luna("skills", "show", "restore-file-mode", "--json").out)
        #expect(shown["status"] as? String == "suspended", "\(shown)")
        #expect(shown["uses"] as? Int == 3 && shown["failures"] as? Int == 3 && shown["successes"] as? Int == 0)
        #expect(shown["hosts"] as? [String] == ["localhost"] && shown["lastFailure"] != nil)
        let fresh = try Agent(config: try estate.configuration(), environment: AgentEnvironment(log: { _ in }))
        #expect(try fresh.curation.usableSkills().skills.isEmpty, "still suspended: the planner does not use it")
        #expect(try fresh.skillRegistry.distill(evidence, library: try fresh.curation.usableSkills(), now: "t2") == .rejectedBefore(draft))
    }

    @Test func aHandEditOfTheProcedureStartsANewVersionAndRetirementIsRestorable() throws {
        let estate = try Self.suspendedEstate()
        defer { estate.remove() }
        // The operator fixes the procedure by hand and commits it: version 2, counts from zero, status kept.
        try estate.ops.write("skills/restore-file-mode/luna.json",
                             #"{"check": "files", "match": {"aspect": "mode"}, "argv": ["/usr/bin/false", "--", "{path}"], "risk": "mutating"}"#)
        try estate.ops.git("commit", "-qam", "skills: a better fix")
        let edited = try Self.json(try estate.luna("skills", "show", "restore-file-mode", "--json").out)
        #expect(edited["version"] as? Int == 2 && edited["uses"] as? Int == 0 && edited["status"] as? String == "suspended", "\(edited)")
        #expect((edited["history"] as? [[String: Any]])?.last?["event"] as? String == "new-version")
        let approve = try estate.luna("skills", "approve", "restore-file-mode", "--reason", "fixed by hand")
        #expect(approve.status == 0, "\(approve.err)")
        #expect(try Self.json(try estate.ops.git("show", "HEAD:skills/restore-file-mode/stats.json"))["version"] as? Int == 2)
        #expect(try estate.ops.git("show", "HEAD~2:skills/restore-file-mode/stats.json").contains("\"uses\" : 3"), "the old counts stay in history")

        // Retired: the folder moves to skills/.retired/ in one commit, and the state survives a lost state dir.
        #expect(try estate.luna("skills", "retire", "restore-file-mode", "--reason", "superseded").status == 0)
        #expect(try estate.ops.git("show", "--name-status", "--format=", "HEAD").contains("skills/.retired/restore-file-mode/luna.json"))
        #expect(!FileManager.default.fileExists(atPath: estate.ops.repo + "/skills/restore-file-mode"))
        try FileManager.default.removeItem(atPath: estate.ops.state)
        #expect(try estate.luna("skills", "list").out.contains("restore-file-mode                retired"))
        let restore = try estate.luna("skills", "restore", "restore-file-mode", "--reason", "needed again")
        #expect(restore.status == 0, "\(restore.err)")
        let back = try Self.json(try estate.luna("skills", "show", "restore-file-mode", "--json").out)
        #expect(back["status"] as? String == "approved" && back["version"] as? Int == 2, "\(back)")
        let events = (back["history"] as? [[String: Any]] ?? []).compactMap { $0["event"] as? String }
        #expect(events == ["suspended", "new-version", "re-enabled", "retired", "restored"], "\(events)")
        #expect(SkillLint.check(directory: estate.ops.repo + "/skills").isEmpty, "\(SkillLint.check(directory: estate.ops.repo + "/skills"))")
    }

    @Test func theListShowsRatesHostsStaleSkillsAndLookAlikeDraftsToMerge() throws {
        let estate = try Self.suspendedEstate()
        defer { estate.remove() }
        let list = try estate.luna("skills", "list").out
        #expect(list.contains("uses 3 (0 ok, 3 failed, 0 verified, 0% success)") && list.contains("hosts localhost") && list.contains("last failure 20"), "\(list)")

        // Unused for longer than stale_after_days: shown stale, still approved.
        var stats = try Self.json(try String(contentsOfFile: estate.ops.repo + "/skills/restore-file-mode/stats.json", encoding: .utf8))
        stats["status"] = "approved"
        stats["consecutive_failures"] = 0
        stats["last_used"] = "2020-01-01T00:00:00.000Z"
        try estate.ops.write("skills/restore-file-mode/stats.json", String(decoding: try JSONSerialization.data(withJSONObject: stats), as: UTF8.self))
        try estate.ops.git("commit", "-qam", "re-enable by hand")
        try (try String(contentsOfFile: estate.ops.config, encoding: .utf8) + "\n[skills]\nstale_after_days = 30\n").write(toFile: estate.ops.config, atomically: true, encoding: .utf8)
        let staleList = try estate.luna("skills", "list").out
        #expect(staleList.contains("approved (stale)"), "\(staleList)")
        let agent = try Agent(config: try estate.configuration(), environment: AgentEnvironment(log: { _ in }))
        #expect(try agent.curation.usableSkills().skills.map(\.name) == ["restore-file-mode"], "a stale skill is still used")

        // Two drafts with the same check and argv shape: review says they look alike and merges one into the other.
        func evidence(_ id: Int64, _ mode: String) -> SkillEvidence {
            SkillEvidence(proposalID: id, host: "localhost", check: "files",
                          params: ["path": estate.target, "aspect": "owner", "expected": "root:root", "actual": "luna:luna"],
                          subject: "\(estate.target) owner", summary: "owner", argv: ["/usr/bin/chown", mode, estate.target], verify: ["/usr/bin/stat", "-c", "%U:%G", estate.target],
                          expect: "root:root", risk: "mutating")
        }
        guard case .drafted(let a) = try agent.skillRegistry.distill(evidence(90, "root:root"), library: try agent.curation.usableSkills(), now: "t"),
              case .drafted(let b) = try agent.skillRegistry.distill(evidence(91, "root:"), library: try agent.curation.usableSkills(), now: "t") else {
            Issue.record("expected two drafts"); return
        }
        let pending = try estate.luna("skills", "list", "--pending").out
        #expect(pending.contains("looks like: \(b)") && pending.contains("looks like: \(a)"), "\(pending)")
        #expect(try estate.luna("skills", "show", b).out.contains("luna skills merge DRAFT --into SKILL"))
        let merge = try estate.luna("skills", "merge", b, "--into", a)
        #expect(merge.status == 0, "\(merge.err)")
        #expect(try agent.skillRegistry.record(a)?.evidence == [90, 91])
        #expect(try agent.skillRegistry.record(b)?.status == "rejected")
        #expect(try estate.ops.git("show", "--format=", "HEAD").contains("merged into \(a)"))
        #expect(try estate.luna("skills", "list", "--pending").out.contains("looks like") == false)
    }
}
