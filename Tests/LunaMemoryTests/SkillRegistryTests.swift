import Foundation
import LunaMemory
import Testing

@Suite("skill distillation and review")
struct SkillRegistryTests {
    static func evidence(_ id: Int64, host: String = "web1", path: String = "/etc/app.conf", argv: [String]? = nil) -> SkillEvidence {
        SkillEvidence(proposalID: id, host: host, check: "files", params: ["path": path, "aspect": "mode", "expected": "0600"],
                      subject: "\(path) mode", summary: "\(path): mode 0644, reference 0600",
                      argv: argv ?? ["/usr/bin/chmod", "0600", path], verify: ["/usr/bin/stat", "-c", "%04a", path],
                      expect: "0600", risk: "mutating")
    }

    @Test func aDraftIsParameterisedFromTheFinding() throws {
        let draft = Skill.draft(from: Self.evidence(1, argv: ["/usr/bin/setfacl", "-m", "u::rw", "--", "/etc/app.conf"]))
        #expect(draft.argv == ["/usr/bin/setfacl", "-m", "u::rw", "--", "{path}"])
        #expect(draft.verify == ["/usr/bin/stat", "-c", "%04a", "{path}"])
        #expect(draft.expect == "{expected}")
        #expect(draft.match == ["aspect": "mode", "path": "/etc/app.conf", "expected": "0600", "subject": "/etc/app.conf mode"],
                "one fix is evidence for that finding only: every identifying field is matched")
        let chmod = Skill.draft(from: Self.evidence(1))
        #expect(chmod.argv == ["/usr/bin/chmod", "{expected}", "{path}"])
        #expect(chmod.name == "files-chmod-mode")
        // It renders as a SKILL.md that parses back to the same steps, and validates.
        let parsed = try Skill.parse(chmod.render(), file: "draft")
        #expect(parsed.fingerprint == chmod.fingerprint)
        #expect(parsed.body.contains("## When to use") && parsed.body.contains("## Verification"))
        #expect(SkillValidator.problems(parsed).isEmpty, "\(SkillValidator.problems(parsed))")
        let instance = try #require(parsed.instantiate(params: ["path": "/srv/other.conf", "aspect": "mode", "expected": "0640"]))
        #expect(instance.argv == ["/usr/bin/chmod", "0640", "/srv/other.conf"])
    }

    @Test func oneFixOfANewListenerIsNoSkillForEveryNewListener() throws {
        // A benign new public listener, fixed once by a command that names no parameter.
        let e = SkillEvidence(proposalID: 9, host: "web1", check: "ports", params: ["change": "added", "proto": "tcp", "scope": "public"],
                              subject: "+tcp 0.0.0.0:4444", summary: "new public listener tcp 0.0.0.0:4444",
                              argv: ["/usr/bin/systemctl", "stop", "demo.service"], verify: nil, expect: nil, risk: "mutating")
        let draft = Skill.draft(from: e)
        #expect(draft.match["subject"] == "+tcp 0.0.0.0:4444", "\(draft.match)")
        #expect(draft.matches(check: "ports", params: e.identity))
        let other = Skill.matchFields(params: ["change": "added", "proto": "tcp", "scope": "public"], subject: "+tcp 0.0.0.0:5555")
        #expect(!draft.matches(check: "ports", params: other), "another listener is not covered by one fix of this one")
    }

    @Test(arguments: [
        (["/bin/sh", "-c", "chmod 0600 {path}"], "can run anything"),
        (["chmod", "0600", "{path}"], "absolute path"),
        (["{program}", "0600"], "absolute path"),
        (["/usr/bin/env", "/usr/bin/chmod", "0600", "{path}"], "runs another command"),
        (["/usr/bin/rm", "-f", "{path}"], "destructive"),
        (["/usr/bin/chmod", "0600", "../{path}"], "'..'"),
    ])
    func unsafeStepsCannotBeApproved(argv: [String], phrase: String) throws {
        var skill = Skill.draft(from: Self.evidence(1))
        skill.argv = argv
        let problems = SkillValidator.problems(skill)
        #expect(problems.contains { $0.contains(phrase) }, "\(problems)")
    }

    @Test func duplicatesMergeRejectedDraftsAreNotReofferedAndApprovalIsValidated() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let registry = SkillRegistry(db: scratch.db)
        let empty = SkillLibrary(skills: [])
        #expect(try registry.distill(Self.evidence(1), library: empty, now: "t1") == .drafted("files-chmod-mode"))
        // One fix: the draft matches that finding only.
        let first = try Skill.parse(try #require(try registry.record("files-chmod-mode")?.draft), file: "draft")
        #expect(first.match["path"] == "/etc/app.conf" && first.match["subject"] == "/etc/app.conf mode")
        #expect(!first.matches(check: "files", params: ["path": "/srv/b.conf", "aspect": "mode", "expected": "0600", "subject": "/srv/b.conf mode"]))
        // Same steps, verified on another host and path: the draft generalises over what differed, and says so.
        #expect(try registry.distill(Self.evidence(2, host: "web2", path: "/srv/b.conf"), library: empty, now: "t2") == .merged("files-chmod-mode"))
        #expect(try registry.records(status: "pending").map(\.name) == ["files-chmod-mode"])
        #expect(try registry.record("files-chmod-mode")?.evidence == [1, 2])
        let wider = try Skill.parse(try #require(try registry.record("files-chmod-mode")?.draft), file: "draft")
        #expect(wider.match == ["aspect": "mode", "expected": "0600"], "\(wider.match)")
        #expect(wider.body.contains("Generalised over path, subject") && wider.body.contains("#1, #2"), "\(wider.body)")
        let notices = try registry.takeNotices()
        #expect(notices.count == 2 && notices.last?.contains("generalised over path, subject") == true, "\(notices)")
        #expect(try registry.takeNotices().isEmpty, "a notice is told once")

        // Different steps: a second draft with its own name.
        let other = Self.evidence(3, argv: ["/usr/bin/chmod", "u=rw,go=", "/etc/app.conf"])
        #expect(try registry.distill(other, library: empty, now: "t3") == .drafted("files-chmod-mode-2"))

        // Reject it: the same draft is never offered again, even from new evidence.
        try registry.reject("files-chmod-mode-2", reason: "symbolic modes hide the reference value", now: "t4")
        let again = Self.evidence(4, host: "web9", argv: ["/usr/bin/chmod", "u=rw,go=", "/etc/app.conf"])
        #expect(try registry.distill(again, library: empty, now: "t5") == .rejectedBefore("files-chmod-mode-2"))
        #expect(try registry.records(status: "pending").map(\.name) == ["files-chmod-mode"])
        #expect(try registry.record("files-chmod-mode-2")?.reason == "symbolic modes hide the reference value")

        // An edit that breaks validation is refused and leaves the draft as it was.
        let draft = try #require(try registry.record("files-chmod-mode")?.draft)
        let broken = try Self.tamper(draft, "\"/usr/bin/chmod\"", "\"/bin/sh\", \"-c\", \"chmod\"")
        #expect(throws: MemoryError.self) { try registry.replaceDraft("files-chmod-mode", text: broken, now: "t6") }
        #expect(throws: MemoryError.self) { try registry.replaceDraft("files-chmod-mode", text: "---\nname: files-chmod-mode\n", now: "t6") }
        #expect(try registry.record("files-chmod-mode")?.draft == draft)
        #expect(try registry.approvable("files-chmod-mode")?.argv == ["/usr/bin/chmod", "{expected}", "{path}"])
        try registry.markApproved("files-chmod-mode", reason: "fine", now: "t7")
        #expect(try registry.record("files-chmod-mode")?.status == "approved")
        #expect(throws: MemoryError.self) { try registry.approvable("files-chmod-mode") }
    }

    /// A stored draft (`{"SKILL.md": …, "luna.json": …}`) with a text replaced in its luna.json.
    static func tamper(_ draft: String, _ from: String, _ to: String) throws -> String {
        var files = try #require(try JSONSerialization.jsonObject(with: Data(draft.utf8)) as? [String: String])
        let procedure = try #require(files["luna.json"])
        #expect(procedure.contains(from))
        files["luna.json"] = procedure.replacingOccurrences(of: from, with: to)
        return String(decoding: try JSONSerialization.data(withJSONObject: files), as: UTF8.self)
    }

    @Test func aDraftStoredWithUnsafeStepsCannotBeApproved() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let registry = SkillRegistry(db: scratch.db)
        #expect(try registry.distill(Self.evidence(1), library: SkillLibrary(skills: []), now: "t") == .drafted("files-chmod-mode"))
        // Tamper with the stored draft behind the validator's back (as a bad edit of the database would).
        let draft = try #require(try registry.record("files-chmod-mode")?.draft)
        try scratch.db.run("UPDATE skills SET draft=? WHERE name='files-chmod-mode'",
                           [.text(try Self.tamper(draft, "\"/usr/bin/chmod\"", "\"chmod\""))])
        do {
            _ = try registry.approvable("files-chmod-mode")
            Issue.record("expected a refusal")
        } catch let error as MemoryError {
            #expect(error.kind == .refused)
            #expect(error.message.contains("relative"), "\(error)")
        }
    }

    @Test func anApprovedSkillCoversTheFindingAndAFailingSkillIsSuspended() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let registry = SkillRegistry(db: scratch.db, suspendAfter: 3)
        var skill = Skill.draft(from: Self.evidence(1))
        skill.name = "restore-mode"
        let library = SkillLibrary(skills: [skill])
        try registry.sync(library, now: "t0")
        #expect(try registry.distill(Self.evidence(1), library: library, now: "t1") == .covered("restore-mode"))

        #expect(try registry.recordUse(skill: "restore-mode", proposalID: 10, succeeded: true, verified: true, at: "t1") == nil)
        #expect(try registry.recordUse(skill: "restore-mode", proposalID: 11, succeeded: false, verified: false, at: "t2") == nil)
        #expect(try registry.recordUse(skill: "restore-mode", proposalID: 12, succeeded: false, verified: nil, at: "t3") == nil)
        // Counted once per proposal.
        #expect(try registry.recordUse(skill: "restore-mode", proposalID: 12, succeeded: false, verified: nil, at: "t3") == nil)
        #expect(try registry.usable(library).skills.count == 1)
        let notice = try registry.recordUse(skill: "restore-mode", proposalID: 13, succeeded: false, verified: nil, at: "t4")
        #expect(notice?.contains("suspended") == true)
        let r = try #require(try registry.record("restore-mode"))
        #expect((r.status, r.uses, r.successes, r.failures, r.verifyPasses, r.lastUsed) == ("suspended", 4, 1, 3, 1, "t4"))
        #expect(try registry.usable(library).skills.isEmpty, "the planner no longer sees it")
        #expect(try registry.takeNotices().contains { $0.contains("restore-mode is suspended") })
        // Sync from the files does not revive it, but a suspended skill no longer covers findings.
        try registry.sync(library, now: "t5")
        #expect(try registry.record("restore-mode")?.status == "suspended")
        #expect(try registry.distill(Self.evidence(14), library: library, now: "t6") == .merged("restore-mode"))
        // The operator re-enables it.
        #expect(try registry.approvable("restore-mode") == nil)
        try registry.markApproved("restore-mode", reason: "fixed the host", now: "t7")
        #expect(try registry.usable(library).skills.count == 1)
        #expect(try registry.record("restore-mode")?.consecutiveFailures == 0)
    }
}
