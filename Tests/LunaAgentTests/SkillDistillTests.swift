import Foundation
@testable import LunaAgent
import LunaConfig
import LunaMemory
import LunaModel
import Testing
import TestSupport

/// Model-drafted skills, with the real FakeLLM on loopback, real SQLite, real git and `luna` commands run in process.
@Suite("model-drafted skills", .serialized)
struct SkillDistillTests {
    static let drafted = "restore-credential-file-mode"

    /// A `draft_skill` call; `argv` and `verify` may be overridden to make it unfaithful.
    /// The match a draft from one fix of the estate's finding must have: every identifying field.
    static func fullMatch(_ target: String) -> [String] {
        ["aspect=mode", "expected=0600", "path=\(target)", "subject=\(target) mode"]
    }

    static func draftCall(target: String, name: String = drafted, argv: [String] = ["/usr/bin/chmod", "{expected}", "{path}"],
                          verify: [String] = ["/usr/bin/stat", "-c", "%04a", "{path}"]) -> FakeLLM.Step {
        .tools([("draft_skill", json([
            "name": name,
            "description": "Restore a credentials file's mode to its reference.",
            "when_to_use": "A files finding says a file's mode drifted from configs/files.",
            "procedure": "chmod sets the reference mode back; nothing else changes.",
            "pitfalls": "Make sure the reference mode, not the host's, is the intended one.",
            "verification": "stat prints the mode, which must equal the reference.",
            "argv": argv, "verify_argv": verify, "expect": "{expected}", "match": fullMatch(target),
        ]))])
    }

    /// The operator fixes the mode drift once by hand (through the gate and an approval), and it is executed.
    ///
    /// - Parameter record: Also record the outcome (which drafts the skill).
    /// - Returns: The proposal id.
    @discardableResult
    static func fixByHand(_ agent: Agent, _ estate: Estate, record: Bool = true) throws -> Int64 {
        if try agent.ledger.findings().isEmpty { _ = try agent.scanner.scan() }
        let finding = try #require(try agent.ledger.findings().first { $0.check == "files" })
        let made = try agent.ledger.insert(Ledger.NewProposal(
            finding: finding, host: "localhost", identity: agent.config.identity, runas: "root",
            argv: ["/usr/bin/chmod", "0600", estate.target], verifyArgv: ["/usr/bin/stat", "-c", "%04a", estate.target],
            expect: "0600", rationale: "restore the reference mode by hand", source: "operator", skill: nil, risk: "mutating"))
        #expect(try agent.gating.gateProposal(made).state == .awaitingApproval)
        _ = try agent.ledger.decide(made.id, .approve, approver: "tester", channel: "cli")
        #expect(try agent.execution.executeApproved() == [made.id])
        #expect(try estate.mode() == 0o600)
        if record { #expect(try agent.recorder.recordPending().map(\.0) == [made.id]) }
        return made.id
    }

    static func distillCalls(_ agent: Agent) throws -> [(status: String, error: String?, skill: String?)] {
        try agent.ledger.db.query("SELECT status, error, skill FROM model_calls WHERE purpose='distill' ORDER BY id").map {
            ($0.string("status") ?? "", $0.string("error"), $0.string("skill"))
        }
    }

    @Test(arguments: [FakeLLM.Format.anthropic, .openai])
    func aFaithfulModelDraftReplacesLunasAndKeepsItsProvenanceThroughApproval(format: FakeLLM.Format) throws {
        let me = try ModelEstate(fake: nil)
        defer { me.remove() }
        let fake = try FakeLLM(format, steps: [Self.draftCall(target: me.estate.target)])
        defer { fake.stop() }
        // Executed by hand without [llm]; the cycle of `luna run --once` (with [llm]) records and asks the model.
        let id = try Self.fixByHand(try me.agent(), me.estate, record: false)
        try me.appendLLMSection(fake)
        let run = try me.estate.luna("run", "--once")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("New skill draft \(Self.drafted) from proposal \(id)"), "\(run.out)")
        #expect(fake.requests.count == 1, "one distill call, no planning call (the finding is resolved)")

        // What the model got: the distill prompt, one tool, the evidence and Luna's draft, as data; no secret.
        let body = try #require(fake.requests.first?.bodyText)
        #expect(body.contains("draft_skill") && !body.contains("propose_action"))
        #expect(body.contains("You are Luna's skill writer"))
        #expect(body.contains("<<<DATA evidence>>>") && body.contains("param aspect: mode"))
        #expect(body.contains("executed argv:") && body.contains("verify argv:") && body.contains("expect: 0600"), "\(body.prefix(3000))")
        #expect(body.contains("name: files-chmod-mode"), "Luna's deterministic draft is included")
        #expect(!body.contains(ModelEstate.plantedEnvSecret) && !body.contains(ModelEstate.plantedOutputSecret))
        #expect(!body.contains("sk-test-key-not-real"))

        // The model's draft replaced Luna's: its name and prose, the very same steps.
        let agent = try me.agent()
        #expect(try agent.skillRegistry.record("files-chmod-mode") == nil)
        let r = try #require(try agent.skillRegistry.record(Self.drafted))
        #expect(r.status == "pending" && r.draftedBy == "model fake-model" && r.evidence == [id])
        #expect(r.description == "Restore a credentials file's mode to its reference.")
        let skill = try Skill.parse(try #require(r.draft), file: "draft")
        #expect(skill.argv == ["/usr/bin/chmod", "{expected}", "{path}"] && skill.expect == "{expected}")
        #expect(skill.body.contains("Make sure the reference mode"))
        let calls = try Self.distillCalls(agent)
        #expect(calls.count == 1 && calls.first?.status == "ok" && calls.first?.error == nil && calls.first?.skill == "files-chmod-mode")
        #expect(try agent.modelUsageToday().tokens == 120, "distill calls count against the daily budget")

        let show = try me.estate.luna("skills", "show", Self.drafted)
        #expect(show.out.contains("drafted by: model fake-model"), "\(show.out)")
        let shown = try #require(try JSONSerialization.jsonObject(with: Data(try me.estate.luna("skills", "show", Self.drafted, "--json").out.utf8)) as? [String: Any])
        #expect(shown["draftedBy"] as? String == "model fake-model")

        // The same success again (the mode drifts back): evidence merges, no second model call.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: me.estate.target)
        let configured = try Agent(config: me.configuration(fake), environment: AgentEnvironment(log: { _ in }))
        let second = try Self.fixByHand(configured, me.estate)
        #expect(try configured.skillRefiner.refineSkillDrafts(sleep: { _ in }).isEmpty)
        #expect(fake.requests.count == 1)
        #expect(try configured.skillRegistry.record(Self.drafted)?.evidence == [id, second])
        #expect(try configured.skillRegistry.records(status: "pending").map(\.name) == [Self.drafted])

        // Approved: luna.json keeps the provenance; SKILL.md holds only Agent Skills fields.
        let approve = try me.estate.luna("skills", "approve", Self.drafted, "--reason", "reviewed")
        #expect(approve.status == 0, "\(approve.err)")
        let file = try String(contentsOfFile: me.estate.ops.repo + "/skills/\(Self.drafted)/luna.json", encoding: .utf8)
        #expect(file.contains("\"drafted-by\": \"model fake-model\""), "\(file)")
        let markdown = try String(contentsOfFile: me.estate.ops.repo + "/skills/\(Self.drafted)/SKILL.md", encoding: .utf8)
        #expect(!markdown.contains("drafted-by"), "\(markdown)")
        #expect(SkillLibrary.load(directory: me.estate.ops.repo + "/skills").skills.first { $0.name == Self.drafted }?.draftedBy == "model fake-model")
    }

    @Test(arguments: [FakeLLM.Format.anthropic, .openai], [
        (["/usr/bin/chmod", "0644", "{path}"], "argv filled from the finding is"),
        (["/bin/sh", "-c", "/usr/bin/chmod {expected} {path}"], "can run anything"),
    ])
    func aModelDraftThatChangesWhatRanIsRefusedAndLunasDraftStays(format: FakeLLM.Format, change: ([String], String)) throws {
        let (argv, phrase) = change
        let me = try ModelEstate(fake: nil)
        defer { me.remove() }
        let fake = try FakeLLM(format, steps: [Self.draftCall(target: me.estate.target, argv: argv)])
        defer { fake.stop() }
        let logs = Lines()
        let agent = try Agent(config: me.configuration(fake), environment: AgentEnvironment(log: logs.log))
        let id = try Self.fixByHand(agent, me.estate)
        let refined = try agent.skillRefiner.refineSkillDrafts(sleep: { _ in })
        #expect(fake.requests.count == 1)
        guard case .kept(let why)? = refined.first?.outcome else { Issue.record("\(refined)"); return }
        #expect(why.contains(phrase) && why.contains("Luna's deterministic draft stays"), "\(why)")

        let r = try #require(try agent.skillRegistry.record("files-chmod-mode"))
        #expect(r.status == "pending" && r.draftedBy == "luna" && r.evidence == [id])
        #expect(r.distillNote?.contains("the model's draft was refused") == true)
        #expect(try Skill.parse(try #require(r.draft), file: "d").argv == ["/usr/bin/chmod", "{expected}", "{path}"])
        #expect(try agent.skillRegistry.record(Self.drafted) == nil)
        // The ledger keeps the call (with why its output was refused) and the refusal with the input.
        let calls = try Self.distillCalls(agent)
        #expect(calls.count == 1 && calls[0].status == "ok" && calls[0].error?.contains(phrase) == true, "\(calls)")
        let refusals = try agent.ledger.modelRefusals().filter { $0.tool == "draft_skill" }
        #expect(refusals.count == 1 && refusals.first?.proposalID == id && refusals.first?.input.contains(argv[0]) == true)
        #expect(logs.all.contains { $0.contains("the model's draft was refused") })

        let show = try me.estate.luna("skills", "show", "files-chmod-mode")
        #expect(show.out.contains("drafted by: luna (deterministic"), "\(show.out)")
        #expect(show.out.contains("model draft: the model's draft was refused"), "\(show.out)")
        #expect(try agent.skillRefiner.refineSkillDrafts().isEmpty, "one model pass per draft")
    }

    @Test func aModelDraftNamedLikeAnotherSkillIsRefused() throws {
        let me = try ModelEstate(fake: nil)
        defer { me.remove() }
        // The estate's approved skill for ports findings is called restore-file-mode.
        let fake = try FakeLLM(.anthropic, steps: [Self.draftCall(target: me.estate.target, name: "restore-file-mode")])
        defer { fake.stop() }
        let agent = try Agent(config: me.configuration(fake), environment: AgentEnvironment(log: { _ in }))
        try Self.fixByHand(agent, me.estate)
        let refined = try agent.skillRefiner.refineSkillDrafts(sleep: { _ in })
        guard case .kept(let why)? = refined.first?.outcome else { Issue.record("\(refined)"); return }
        #expect(why == "the model's draft was refused: the name 'restore-file-mode' is taken by another skill; Luna's deterministic draft stays")
        #expect(try agent.skillRegistry.record("files-chmod-mode")?.draftedBy == "luna")
        #expect(try Self.distillCalls(agent).first?.error == "draft refused: the name 'restore-file-mode' is taken by another skill")
        #expect(try agent.ledger.modelRefusals().contains { $0.tool == "draft_skill" && $0.reason.contains("is taken") })
    }

    enum Garbage: String, CaseIterable, Sendable { case prose, wrongTool, badJSON, serverError, timeout, down }

    @Test(arguments: [FakeLLM.Format.anthropic, .openai], Garbage.allCases)
    func garbageOrAFailingModelLeavesLunasDraft(format: FakeLLM.Format, garbage: Garbage) throws {
        let me = try ModelEstate(fake: nil)
        defer { me.remove() }
        let step: FakeLLM.Step = switch garbage {
        case .prose: .text("You should chmod the file, I think.")
        case .wrongTool: .tools([("propose_action", json(["host": "localhost", "argv": ["/bin/true"]]))])
        case .badJSON: .tools([("draft_skill", format == .openai ? #"{"name": "x", "#: #"{"name": 7}"#)])
        case .serverError: .status(500)
        case .timeout: .slow(.seconds(3))
        case .down: Self.draftCall(target: me.estate.target)
        }
        let fake = try FakeLLM(format, steps: [step])
        defer { fake.stop() }
        var config = try me.configuration(fake)
        config.llm?.timeoutSeconds = 1
        let agent = try Agent(config: config, environment: AgentEnvironment(log: { _ in }))
        try Self.fixByHand(agent, me.estate)
        if garbage == .down { fake.stop() }
        let refined = try agent.skillRefiner.refineSkillDrafts(sleep: { _ in })
        #expect(fake.requests.count >= (garbage == .down ? 0 : 1))
        guard case .kept(let why)? = refined.first?.outcome else { Issue.record("\(refined)"); return }
        let expected = switch garbage {
        case .prose: "did not call draft_skill"
        case .wrongTool: "instead of draft_skill"
        case .badJSON: format == .openai ? "not valid JSON" : "must be a string"
        case .serverError, .timeout, .down: "the model call failed"
        }
        #expect(why.contains(expected), "\(why)")
        let r = try #require(try agent.skillRegistry.record("files-chmod-mode"))
        #expect(r.status == "pending" && r.draftedBy == "luna" && r.distillNote == why)
        let calls = try Self.distillCalls(agent)
        #expect(calls.count == 1)
        switch garbage {
        case .serverError: #expect(calls.first?.status == "status" && fake.requests.count > 1, "retried, then recorded as failed")
        case .timeout, .down: #expect(calls.first?.status == "transport", "\(calls)")
        default: #expect(calls.first?.status == "ok" && calls.first?.error?.hasPrefix("draft refused: ") == true)
        }
    }

    enum Unasked: String, CaseIterable, Sendable { case noLLM, noPrompt, overBudget }

    @Test(arguments: Unasked.allCases)
    func withoutAModelPromptOrBudgetNothingIsSentAndTheReasonIsKept(_ why: Unasked) throws {
        let me = try ModelEstate(fake: nil)
        defer { me.remove() }
        let fake = try FakeLLM(.anthropic, steps: [Self.draftCall(target: me.estate.target)])
        defer { fake.stop() }
        if why == .noPrompt {
            try me.estate.ops.git("rm", "-q", "prompts/distill.md")
            try me.estate.ops.git("commit", "-qm", "an older ops repo without distill.md")
        }
        let config = why == .noLLM ? try me.estate.configuration() : try me.configuration(fake, budget: why == .overBudget ? 0 : 200_000)
        let agent = try Agent(config: config, environment: AgentEnvironment(log: { _ in }))
        try Self.fixByHand(agent, me.estate, record: false)
        // Through the cycle, as the daemon does it.
        let cycle = try agent.cycle()
        #expect(cycle.notices.contains { $0.contains("New skill draft files-chmod-mode") }, "\(cycle.notices)")
        #expect(fake.requests.isEmpty)
        let note = try #require(try agent.skillRegistry.record("files-chmod-mode")?.distillNote)
        let phrase = switch why {
        case .noLLM: "no model is configured ([llm])"
        case .noPrompt: "prompts/distill.md is missing"
        case .overBudget: "over the daily token budget"
        }
        #expect(note.contains(phrase), "\(note)")
        #expect(try Self.distillCalls(agent).isEmpty)
    }
}
