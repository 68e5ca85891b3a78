import Foundation
@testable import LunaAgent
import LunaConfig
import LunaDrift
import LunaFleet
import LunaStore
import Testing
import TestSupport

/// What runs without an approval is what the operator declared read-only, an
/// approval covers everything that runs, and a cut listing concludes nothing.
@Suite("rails", .serialized)
struct RailsTests {
    /// A model that asks to `inspect` each form, then gives up.
    func inspecting(_ forms: [[String]], _ me: ModelEstate) throws -> (FakeLLM, Agent) {
        let calls = forms.map { ("inspect", json(["host": "localhost", "argv": $0])) }
        let fake = try FakeLLM(.anthropic, steps: [.tools(calls), .text("Nothing more.")])
        return (fake, try Agent(config: me.configuration(fake)))
    }

    @Test func aModelInspectOfAWritingFormRunsNothingEvenWhenFindIsDeclared() throws {
        // `/usr/bin/find *` is in the read set (as an operator might write it), chmod only in FIX.
        let me = try ModelEstate(fake: nil)
        defer { me.remove() }
        let root = me.estate.ops.root
        let reference = try String(contentsOfFile: me.estate.ops.repo + "/configs/sudoers/luna-localhost", encoding: .utf8)
            .replacingOccurrences(of: "Cmnd_Alias LUNA_READ = ", with: "Cmnd_Alias LUNA_READ = /usr/bin/find *, /usr/bin/date *, /usr/bin/sed *, ")
        try me.estate.ops.write("configs/sudoers/luna-localhost", reference)
        try me.estate.ops.git("commit", "-qam", "find is declared read-only")
        let forms: [[String]] = [
            ["/usr/bin/find", root, "-maxdepth", "0", "-fprint", root + "/created-by-fprint"],
            ["/usr/bin/find", root, "-maxdepth", "0", "-fls", root + "/created-by-fls"],
            ["/usr/bin/sed", "-n", "w " + root + "/created-by-sed", me.estate.target],
            ["/usr/bin/date", "--set=2001-01-01"],
            ["/usr/bin/chmod", "0600", me.estate.target],
        ]
        let (fake, agent) = try inspecting(forms, me)
        defer { fake.stop() }
        _ = try agent.scanner.scan()
        _ = try agent.planning.plan()
        for name in ["created-by-fprint", "created-by-fls", "created-by-sed"] {
            #expect(!FileManager.default.fileExists(atPath: root + "/" + name), "\(name) was created by an unapproved inspect")
        }
        #expect(try me.estate.mode() == 0o644)
        let reasons = try agent.ledger.modelRefusals().map(\.reason)
        #expect(reasons.count == forms.count, "\(reasons)")
        #expect(reasons.allSatisfy { $0.contains("declared read set") }, "\(reasons.joined(separator: "\n"))")
        #expect(reasons.contains { $0.contains("-fprint") }, "the classifier's narrowing is named: \(reasons)")
        #expect(reasons.contains { $0.contains("not in the declared read set") }, "chmod is allowed, not declared: \(reasons)")
    }

    @Test func aDeclaredReadCommandIsInspectedAndAnUndeclaredAllowedOneIsNot() throws {
        let me = try ModelEstate(fake: nil, extraSudoers: "luna ALL = (root) NOPASSWD: /usr/bin/head *\n")
        defer { me.remove() }
        let (fake, agent) = try inspecting([["/usr/bin/cat", me.estate.target], ["/usr/bin/head", me.estate.target]], me)
        defer { fake.stop() }
        _ = try agent.scanner.scan()
        _ = try agent.planning.plan()
        let answers = fake.requests.dropFirst().map(\.bodyText).joined()
        #expect(answers.contains("setting=1"), "cat is in LUNA_READ and ran")
        let refusals = try agent.ledger.modelRefusals()
        #expect(refusals.count == 1 && refusals[0].reason.contains("not in the declared read set"), "\(refusals.map(\.reason))")
    }

    func manual(_ agent: Agent, argv: [String], verify: [String]?, expect: String? = nil) throws -> Proposal {
        let p = try agent.ledger.insert(.init(finding: nil, host: "localhost", identity: "luna", argv: argv,
                                              verifyArgv: verify, expect: expect, rationale: "test", source: "manual", risk: "mutating"))
        return try agent.gating.gateProposal(p)
    }

    @Test func aVerificationOutsideTheReadSetRefusesTheProposalAndNothingRunsUnprivileged() throws {
        let estate = try Estate(sudoers: "luna ALL = (root) NOPASSWD: /usr/bin/touch *\n")
        defer { estate.remove() }
        let agent = try Agent(config: estate.configuration(), environment: AgentEnvironment(log: { _ in }))
        let marker = estate.ops.root + "/verify-ran"
        // touch is allowed (FIX-like), but not declared read-only: as a verification it would run unapproved.
        let p = try manual(agent, argv: ["/usr/bin/chmod", "0600", estate.target], verify: ["/usr/bin/touch", marker])
        #expect(p.state == .refused)
        #expect(p.gateReasons.first?.contains("must be in the declared read set") == true, "\(p.gateReasons)")
        // A verification the gate does not allow at all is refused the same way.
        let q = try manual(agent, argv: ["/usr/bin/chmod", "0600", estate.target], verify: ["/usr/bin/id"])
        #expect(q.state == .refused)
        #expect(try agent.execution.executeApproved().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(try estate.mode() == 0o644)
    }

    @Test func theApprovalCoversTheVerificationAndItsExpectedOutput() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let agent = try Agent(config: estate.configuration(), environment: AgentEnvironment(log: { _ in }))
        let verify = ["/usr/bin/stat", "-c", "%04a", estate.target]
        let p = try manual(agent, argv: ["/usr/bin/chmod", "0600", estate.target], verify: verify, expect: "0600")
        #expect(p.state == .awaitingApproval, "\(p.gateReasons)")
        // Different verification or expectation, different digest.
        let other = Proposal.digest(id: p.id, host: p.host, identity: p.identity, runas: p.runas, argv: p.argv, verifyArgv: verify, expect: "0644")
        #expect(other != p.digest)
        #expect(Proposal.digest(id: p.id, host: p.host, identity: p.identity, runas: p.runas, argv: p.argv, verifyArgv: nil, expect: nil) != p.digest)
        try agent.ledger.decide(p.id, .approve, approver: "op", channel: "cli")
        // The expected output is changed in the database after the approval: nothing runs.
        try agent.ledger.db.run("UPDATE proposals SET expect='0644' WHERE id=?", [.integer(p.id)])
        #expect(try agent.execution.executeApproved() == [p.id])
        let after = try #require(try agent.ledger.proposal(p.id))
        #expect(after.state == .refused && after.gateReasons.joined().contains("digest"))
        #expect(try agent.ledger.execution(p.id) == nil)
        #expect(try estate.mode() == 0o644)
    }

    @Test func aPendingProposalWithTheFirstDigestFormatIsReboundAndAnAlteredOneIsNot() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let config = try estate.configuration()
        var ids: [Int64] = []
        do {
            let agent = try Agent(config: config, environment: AgentEnvironment(log: { _ in }))
            let verify = ["/usr/bin/stat", "-c", "%04a", estate.target]
            for _ in 0..<2 { ids.append(try manual(agent, argv: ["/usr/bin/chmod", "0600", estate.target], verify: verify, expect: "0600").id) }
            // As a previous version stored them: the v1 digest (argv only); the second row was also altered.
            for id in ids {
                let v1 = v1Digest(id: id, argv: ["/usr/bin/chmod", "0600", estate.target])
                try agent.ledger.db.run("UPDATE proposals SET digest=? WHERE id=?", [.text(v1), .integer(id)])
            }
            // (v1 covered the argv only, so that is what an alteration it can catch looks like.)
            try agent.ledger.db.run("UPDATE proposals SET argv=? WHERE id=?", [.text("[\"/usr/bin/chmod\",\"0777\",\"\(estate.target)\"]"), .integer(ids[1])])
        }
        let reopened = try Agent(config: config, environment: AgentEnvironment(log: { _ in }))
        let good = try #require(try reopened.ledger.proposal(ids[0]))
        #expect(good.digest == good.computedDigest)
        try reopened.ledger.decide(ids[0], .approve, approver: "op", channel: "cli")
        #expect(throws: AgentError.self) { try reopened.ledger.decide(ids[1], .approve, approver: "op", channel: "cli") }
    }

    func v1Digest(id: Int64, argv: [String]) -> String {
        var text = ""
        for field in ["luna-proposal-v1", String(id), "localhost", "luna", "root"] + argv { text += "\(field.utf8.count):\(field);" }
        return "sha256:" + sha256Hex(text)
    }

    func sha256Hex(_ s: String) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try? p.run()
        input.fileHandleForWriting.write(Data(s.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }

    @Test func aListingCutAtTheOutputLimitIsAnErrorThatResolvesNothing() throws {
        let check = PortsCheck()
        let cut = CommandResult(exitStatus: 0, stdout: Data("tcp LISTEN 0 128 127.0.0.1:1 0.0.0.0:*\n".utf8), stderr: Data(),
                                stdoutTruncated: true, duration: 0.1)
        let results = try HostCollection.check([check], host: "h", executor: FixedOutput(host: "h", result: cut),
                                               references: References(directory: "/nonexistent-\(UUID())"), timeout: .seconds(5))
        // Without a reference the check is unavailable before it runs; with one, the cut output is an error.
        #expect(results.first?.status != .ok)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-cut-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir + "/ports", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "tcp 0.0.0.0:22\n".write(toFile: dir + "/ports/h", atomically: true, encoding: .utf8)
        let withReference = try HostCollection.check([check], host: "h", executor: FixedOutput(host: "h", result: cut),
                                                     references: References(directory: dir), timeout: .seconds(5))
        let result = try #require(withReference.first)
        #expect(result.status == .error, "\(result)")
        #expect(result.detail.contains("output limit") && result.detail.contains("output_limit_bytes"), "\(result.detail)")
        #expect(result.items.isEmpty, "no expected listener is reported gone from a cut listing")
        let open = [FindingKey(host: "h", check: "ports", subject: "+tcp 0.0.0.0:31337"): "new public listener"]
        #expect(FindingReconciler.reconcile(results: [result], open: open).isEmpty, "nothing resolved")
    }

    @Test func aPartialListingReportsWhatItSawButResolvesNothing() throws {
        let partial = CheckResult(host: "h", check: "suid", status: .ok, detail: "some directories unreadable", partial: true)
        let open = [FindingKey(host: "h", check: "suid", subject: "-/usr/bin/passwd"): "known SUID file is gone"]
        #expect(FindingReconciler.reconcile(results: [partial], open: open).isEmpty)
        let complete = CheckResult(host: "h", check: "suid", status: .ok, detail: "all in the baseline")
        #expect(FindingReconciler.reconcile(results: [complete], open: open) == [.resolved(open.keys.first!)])
        // The SUID check marks an unreadable scan partial.
        let output = CommandResult(exitStatus: 1, stdout: Data("4755 /usr/bin/su\0".utf8),
                                   stderr: Data("find: '/root': Permission denied\n".utf8), duration: 0.1)
        let baseline = try Baseline.parse("", file: "suid/h")
        #expect(SUIDCheck().evaluate(host: "h", output: output, reference: baseline).partial)
    }
}

/// An executor that prints one fixed result for every command: a host whose collector printed too much.
struct FixedOutput: Executor {
    let host: String
    let result: CommandResult
    func run(_ argv: [String], timeout: Duration) throws(FleetError) -> CommandResult { result }
}

/// `sudo -u <service user> luna approve`, the documented way, records the human behind it.
@Suite("the human behind a CLI decision", .serialized)
struct DecisionIdentityTests {
    static let serviceUser = "luna-svc-test"

    @Test(.enabled(if: SystemRequirements.available(tools: ["sudo", "useradd"], needsRoot: true)))
    func anApprovalThroughSudoNamesTheOperatorNotTheServiceAccount() throws {
        if getpwnam(Self.serviceUser) == nil {
            let made = try ProcessRunner.run(["/usr/sbin/useradd", "-r", "-M", "-s", "/bin/sh", Self.serviceUser])
            #expect(made.exitStatus == 0 || made.exitStatus == 9, "\(made.stderrText)")
        }
        let estate = try Estate()
        defer { estate.remove() }
        let agent = try Agent(config: estate.configuration(), environment: AgentEnvironment(log: { _ in }))
        _ = try agent.scanner.scan()
        let p = try #require(try agent.planning.plan().proposals.first)
        #expect(p.state == .awaitingApproval)
        // The service account owns the state, as under systemd.
        let chown = try ProcessRunner.run(["/usr/bin/chown", "-R", Self.serviceUser, estate.ops.root])
        #expect(chown.exitStatus == 0, "\(chown.stderrText)")
        let run = try ProcessRunner.run(["/usr/bin/sudo", "-u", Self.serviceUser, "--", LunaBinary.path, "--config", estate.ops.config,
                                         "approve", String(p.id)], timeout: .seconds(60))
        #expect(run.exitStatus == 0, "\(run.stderrText)")
        let approval = try #require(try agent.ledger.approval(p.id))
        let me = String(cString: getpwuid(getuid())!.pointee.pw_name)
        #expect(approval.approver == me, "recorded \(approval.approver), expected the sudo caller \(me)")
        #expect(approval.approver != Self.serviceUser)
        #expect(run.stdoutText.contains("by \(me)"), "\(run.stdoutText)")
    }
}

/// Every part of what the operator approves is redacted on the Discord card, not only the argv.
@Suite("card redaction")
struct CardRedactionTests {
    @Test func theRuleTheVerificationAndTheExpectationAreRedactedOnTheCard() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let agent = try Agent(config: estate.configuration(), environment: AgentEnvironment(log: { _ in }))
        let p = try agent.ledger.insert(.init(finding: nil, host: "localhost", identity: "luna", argv: ["/usr/bin/true"],
                                              verifyArgv: ["/usr/bin/mysql", "--password=Verify5ecretValue9", "-e", "select 1"],
                                              expect: "token=ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                                              rationale: "test", source: "manual", risk: "mutating"))
        try agent.ledger.db.run("UPDATE proposals SET gate_rule=? WHERE id=?",
                                [.text("luna-localhost:3: luna ALL = /usr/bin/mysql -pRuleS3cretValue7 -e *"), .integer(p.id)])
        let card = DiscordMessages.proposal(try #require(try agent.ledger.proposal(p.id)), redactor: agent.redactor())
        for secret in ["RuleS3cretValue7", "Verify5ecretValue9", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"] {
            #expect(!card.contains(secret), "\(secret) reached the card:\n\(card)")
        }
        #expect(card.contains("/usr/bin/mysql") && card.contains("[REDACTED-"), "\(card)")
    }
}
