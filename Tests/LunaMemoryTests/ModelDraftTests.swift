import Foundation
import LunaMemory
import Testing

/// Quality control of a model's skill draft, and its adoption in the registry (real SQLite).
@Suite("model skill drafts")
struct ModelDraftTests {
    static let evidence = SkillRegistryTests.evidence(1)
    /// Every identifying field of the evidence's finding: what a draft from one fix must match.
    static let fullMatch = ["aspect=mode", "expected=0600", "path=/etc/app.conf", "subject=/etc/app.conf mode"]

    static func draft(name: String = "restore-credential-file-mode", argv: [String] = ["/usr/bin/chmod", "{expected}", "{path}"],
                      verify: [String] = ["/usr/bin/stat", "-c", "%04a", "{path}"], expect: String? = "{expected}",
                      match: [String] = fullMatch) -> ModelSkillDraft {
        ModelSkillDraft(name: name, description: "Restore a credentials file's mode.\n(second line)", whenToUse: "A files mode drift.",
                        procedure: "chmod it back.", pitfalls: "Check the reference.", verification: "stat prints the mode.",
                        argv: argv, verify: verify, expect: expect, match: match)
    }

    static func review(_ d: ModelSkillDraft, of e: SkillEvidence = evidence) -> Result<Skill, ModelDraftRefusal> {
        d.review(evidence: e, fallback: Skill.draft(from: e), drafter: "model m1")
    }

    @Test func aFaithfulDraftIsAcceptedWithTheModelsProseAndProvenance() throws {
        let skill = try Self.review(Self.draft()).get()
        #expect(skill.name == "restore-credential-file-mode")
        #expect(skill.description == "Restore a credentials file's mode. (second line)", "one line in the front matter")
        #expect(skill.check == "files" && skill.risk == "mutating", "check and risk come from the evidence")
        #expect(skill.body.contains("## Pitfalls\n\nCheck the reference."))
        let parsed = try Skill.parse(skill.render(), file: "x")
        #expect(parsed.draftedBy == "model m1")
        #expect(parsed.fingerprint == Skill.draft(from: Self.evidence).fingerprint, "the same steps as Luna's own draft")
        // A different, still faithful parameterisation is fine: path literal in match, expected as placeholder.
        let narrow = try Self.review(Self.draft(argv: ["/usr/bin/chmod", "{expected}", "/etc/app.conf"],
                                                verify: ["/usr/bin/stat", "-c", "%04a", "/etc/app.conf"],
                                                match: Self.fullMatch)).get()
        #expect(narrow.match == ["aspect": "mode", "path": "/etc/app.conf", "expected": "0600", "subject": "/etc/app.conf mode"])
        // Matching fewer fields than the finding has is broader than one fix shows.
        guard case .failure(let loose) = Self.review(Self.draft(match: ["aspect=mode", "expected=0600"])) else {
            Issue.record("a draft matching any path was accepted from one fix")
            return
        }
        #expect(loose.description.contains("match leaves out path, subject"), "\(loose)")
    }

    @Test(arguments: [
        (ModelDraftTests.draft(argv: ["/usr/bin/chmod", "0644", "{path}"]), "argv filled from the finding"),
        (ModelDraftTests.draft(argv: ["/bin/sh", "-c", "/usr/bin/chmod {expected} {path}"]), "can run anything"),
        (ModelDraftTests.draft(argv: ["/usr/bin/chmod", "{expected}", "{path}", "{owner}"]), "placeholder has no value"),
        (ModelDraftTests.draft(verify: ["/usr/bin/stat", "{path}"]), "verify_argv filled from the finding"),
        (ModelDraftTests.draft(expect: nil), "expect filled from the finding"),
        (ModelDraftTests.draft(match: []), "broader than the evidence"),
        (ModelDraftTests.draft(match: ["aspect=owner", "expected=0600", "path=/etc/app.conf", "subject=/etc/app.conf mode"]), "differs from the finding's value"),
        (ModelDraftTests.draft(match: ModelDraftTests.fullMatch + ["host=web1"]), "not a parameter of the finding"),
        (ModelDraftTests.draft(match: ["aspect"]), "not key=value"),
        (ModelDraftTests.draft(name: "Restore Mode!"), "not an Agent Skills name"),
        (ModelDraftTests.draft(name: "files--mode"), "not an Agent Skills name"),
    ])
    func anUnfaithfulDraftIsRefusedWithTheReason(draft: ModelSkillDraft, phrase: String) throws {
        guard case .failure(let refusal) = Self.review(draft) else {
            Issue.record("accepted: \(draft)")
            return
        }
        #expect(refusal.description.contains(phrase), "\(refusal)")
    }

    @Test func adoptionRenamesMergesOrKeepsLunasDraft() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let registry = SkillRegistry(db: scratch.db)
        let empty = SkillLibrary(skills: [])
        #expect(try registry.distill(Self.evidence, library: empty, now: "t1") == .drafted("files-chmod-mode"))
        let queued = try registry.queuedDrafts()
        #expect(queued.map(\.name) == ["files-chmod-mode"] && queued.first?.proposalID == 1)
        #expect(try registry.record("files-chmod-mode")?.draftedBy == "luna")

        // A name taken by another skill: Luna's draft stays, with the reason.
        let other = SkillRegistryTests.evidence(2, argv: ["/usr/bin/setfacl", "-m", "u::rw", "--", "/etc/app.conf"])
        #expect(try registry.distill(other, library: empty, now: "t1") == .drafted("files-setfacl-mode"))
        let taken = try Self.review(Self.draft(name: "files-setfacl-mode")).get()
        guard case .kept(let why) = try registry.adoptModelDraft("files-chmod-mode", skill: taken, library: empty, now: "t2") else {
            Issue.record("adopted under a taken name"); return
        }
        #expect(why.contains("is taken"))
        #expect(try registry.record("files-chmod-mode")?.distillNote?.contains("is taken") == true)
        #expect(try registry.queuedDrafts().map(\.name) == ["files-setfacl-mode"], "one model pass per draft")

        // Adopted under the model's name; the pending notice follows the rename.
        let good = try Self.review(Self.draft(name: "setfacl-restore", argv: ["/usr/bin/setfacl", "-m", "u::rw", "--", "{path}"]), of: other).get()
        #expect(try registry.adoptModelDraft("files-setfacl-mode", skill: good, library: empty, now: "t3") == .adopted("setfacl-restore"))
        let adopted = try #require(try registry.record("setfacl-restore"))
        #expect(adopted.draftedBy == "model m1" && adopted.evidence == [2] && adopted.status == "pending")
        #expect(try registry.record("files-setfacl-mode") == nil)
        let notices = try registry.takeNotices()
        #expect(notices.contains { $0.contains("New skill draft setfacl-restore from proposal 2") && $0.contains("show setfacl-restore`") }, "\(notices)")

        // A repeat of the same success merges into the rewritten draft (origin fingerprint), no new queue entry.
        #expect(try registry.distill(SkillRegistryTests.evidence(3, host: "web3", argv: ["/usr/bin/setfacl", "-m", "u::rw", "--", "/etc/app.conf"]),
                                     library: empty, now: "t4") == .merged("setfacl-restore"))
        #expect(try registry.queuedDrafts().isEmpty)

        // A model draft equal to another skill's steps merges the evidence there and drops Luna's draft.
        // (Registry level: `adoptModelDraft` trusts `review`; this draft's steps are taken as given.)
        let third = SkillRegistryTests.evidence(4, argv: ["/usr/bin/chmod", "0600", "--", "/etc/app.conf"])
        #expect(try registry.distill(third, library: empty, now: "t5") == .drafted("files-chmod-mode-2"))
        let same = try #require(try registry.record("files-chmod-mode")?.draft.map { try Skill.parse($0, file: "x") })
        #expect(try registry.adoptModelDraft("files-chmod-mode-2", skill: same, library: empty, now: "t6") == .merged(into: "files-chmod-mode"))
        #expect(try registry.record("files-chmod-mode")?.evidence == [1, 4])
        #expect(try registry.record("files-chmod-mode-2") == nil)

        // Rejecting a rewritten draft also rejects Luna's draft it came from: not re-offered.
        try registry.reject("setfacl-restore", reason: "use chmod", now: "t7")
        #expect(try registry.distill(SkillRegistryTests.evidence(5, argv: ["/usr/bin/setfacl", "-m", "u::rw", "--", "/etc/app.conf"]),
                                     library: empty, now: "t8") == .rejectedBefore("setfacl-restore"))
    }
}
