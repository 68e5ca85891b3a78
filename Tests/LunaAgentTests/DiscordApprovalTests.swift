import Foundation
@testable import LunaAgent
import LunaConfig
import LunaStore
import LunaSystem
import Synchronization
import Testing
import TestSupport

/// An estate wired to a loopback fake Discord, with an in-process Agent on a test clock.
final class DiscordEstate: Sendable {
    static let operatorID = "2000000000000000001"
    static let strangerID = "2000000000000000002"

    let estate: Estate
    let fake: FakeDiscord
    let clock = TestClock()
    let logLines = LogLines()

    /// - Parameter section: The table that configures the channel (`discord`, or `channels.discord`).
    init(operators: [String] = [DiscordEstate.operatorID], ttlMinutes: Int = 60, sudoers: String = "", section: String = "discord") throws {
        estate = try Estate(sudoers: sudoers, ttlMinutes: ttlMinutes)
        fake = try FakeDiscord()
        let tokenFile = estate.ops.root + "/discord-token"
        _ = FileManager.default.createFile(atPath: tokenFile, contents: Data((fake.token + "\n").utf8), attributes: [.posixPermissions: 0o600])
        let text = """

            [\(section)]
            api_base = "\(fake.apiBase)"
            channel_id = "\(fake.channelID)"
            operator_ids = [\(operators.map { "\"\($0)\"" }.joined(separator: ", "))]
            token_file = "\(tokenFile)"
            poll_seconds = 1

            """
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: estate.ops.config))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    /// A fresh Agent (as after a restart) on the same state.
    func agent() throws -> Agent {
        let clock = self.clock
        return try Agent(config: estate.configuration(),
                         environment: AgentEnvironment(now: { clock.now }, log: { [logLines] line in logLines.append(line) }))
    }

    func channel(_ agent: Agent) throws -> DiscordApprovals {
        try #require(try DiscordApprovals.make(agent: agent, environment: [:]))
    }

    var log: [String] { logLines.lines }

    /// Scan and plan: the drifted file yields proposal 1, awaiting approval. Returns its Discord message id after a sync.
    func proposeAndPost(_ agent: Agent, _ discord: DiscordApprovals) throws -> String {
        _ = try agent.cycle()
        #expect(try agent.ledger.proposal(1)?.state == .awaitingApproval)
        try discord.sync()
        return try #require(try discord.outbox.item(.proposal, proposalID: 1)?.externalID)
    }

    func remove() {
        fake.stop()
        estate.remove()
    }
}

@Suite("Discord approvals end to end (loopback fake)", .serialized)
struct DiscordApprovalTests {
    @Test func theOperatorsCheckmarkRunsTheActionAndTheOutcomeIsPosted() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)

        let posted = try #require(d.fake.messages.first { $0.id == message })
        for part in ["#1", "localhost", "luna", "root", "chmod", "0600", "restore-file-mode", "mutating", "Expires", "approve", "deny", "sudoers"] {
            #expect(posted.content.contains(part), "missing \(part)")
        }
        #expect(d.fake.reactions(on: message, emoji: "✅") == [FakeDiscord.botUserID])
        #expect(d.fake.reactions(on: message, emoji: "❌") == [FakeDiscord.botUserID])
        #expect(try d.estate.mode() == 0o644)

        d.fake.react(to: message, emoji: "✅", as: DiscordEstate.operatorID)
        try discord.sync()
        let approval = try #require(try agent.ledger.approval(1))
        #expect(approval.decision == .approve && approval.approver == DiscordEstate.operatorID && approval.channel == "discord")
        #expect(d.fake.replies(to: message).first?.content.contains(DiscordEstate.operatorID) == true)
        #expect(d.fake.messages.first { $0.id == message }?.content.hasPrefix("**Status: approved**") == true)

        #expect(try agent.execution.executeApproved() == [1])
        _ = try agent.recorder.recordPending()
        try discord.sync()
        #expect(try d.estate.mode() == 0o600)
        let replies = d.fake.replies(to: message)
        #expect(replies.count == 2)
        let outcome = try #require(replies.last).content
        let commit = try #require(try agent.ledger.proposal(1)?.commitID)
        #expect(outcome.contains("succeeded") && outcome.contains("exit status 0") && outcome.contains(String(commit.prefix(12))))
        #expect(try d.estate.ops.git("log", "-1", "--format=%B", commit).contains("Channel: discord"))
        let card = try #require(d.fake.messages.first { $0.id == message }).content
        #expect(card.hasPrefix("**Status: succeeded**") && card.contains("no longer read") && !card.contains("Approve: react"))
        #expect(d.fake.problems.isEmpty, "\(d.fake.problems)")
        // Nothing more to say: another round posts nothing.
        let count = d.fake.botMessages.count
        try discord.sync()
        #expect(d.fake.botMessages.count == count)
    }

    @Test func aNonOperatorsCheckmarkOrApproveRunsNothing() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)
        d.fake.react(to: message, emoji: "✅", as: DiscordEstate.strangerID)
        d.fake.post("approve", replyingTo: message, as: DiscordEstate.strangerID)
        try discord.sync()
        try discord.sync()
        #expect(try agent.ledger.proposal(1)?.state == .awaitingApproval)
        #expect(try agent.execution.executeApproved().isEmpty)
        #expect(try d.estate.mode() == 0o644)
        let ignored = d.log.filter { $0.contains("ignored") && $0.contains(DiscordEstate.strangerID) }
        #expect(ignored.count == 2, "each ignored signal is logged once: \(d.log)")
    }

    @Test func withNoOperatorsNobodyMayApprove() throws {
        let d = try DiscordEstate(operators: [])
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)
        d.fake.react(to: message, emoji: "✅", as: DiscordEstate.operatorID)
        try discord.sync()
        #expect(try agent.ledger.proposal(1)?.state == .awaitingApproval)
        #expect(d.log.contains { $0.contains("operator_ids is empty") })
    }

    @Test func aReplyToADifferentMessageApprovesNothing() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        _ = try d.proposeAndPost(agent, discord)
        let other = d.fake.post("what is this about?", as: DiscordEstate.strangerID)
        d.fake.post("approve", replyingTo: other, as: DiscordEstate.operatorID)
        d.fake.post("approve", as: DiscordEstate.operatorID)
        try discord.sync()
        #expect(try agent.ledger.proposal(1)?.state == .awaitingApproval)
        #expect(try discord.cursor() != nil)
    }

    @Test func anOperatorReplyApprovesThatProposal() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)
        d.fake.post("  Approve ", replyingTo: message, as: DiscordEstate.operatorID)
        try discord.sync()
        #expect(try agent.ledger.proposal(1)?.state == .approved)
    }

    @Test func anExpiredProposalCannotBeApproved() throws {
        let d = try DiscordEstate(ttlMinutes: 1)
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)
        d.clock.advance(120)
        d.fake.react(to: message, emoji: "✅", as: DiscordEstate.operatorID)
        try discord.sync()
        #expect(try agent.ledger.proposal(1)?.state == .expired)
        #expect(try agent.ledger.approval(1) == nil)
        #expect(try agent.execution.executeApproved().isEmpty)
        #expect(try d.estate.mode() == 0o644)
        #expect(d.fake.replies(to: message).contains { $0.content.contains("expired") })
    }

    @Test func checkmarkAndCrossTogetherDeny() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)
        d.fake.react(to: message, emoji: "✅", as: DiscordEstate.operatorID)
        d.fake.react(to: message, emoji: "❌", as: DiscordEstate.operatorID)
        try discord.sync()
        let approval = try #require(try agent.ledger.approval(1))
        #expect(approval.decision == .deny)
        #expect(approval.reason?.contains("conflicting") == true)
        #expect(try agent.execution.executeApproved().isEmpty)
    }

    @Test func aDenialsReasonIsInTheCommitAndInMemory() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)
        d.fake.post("deny not during the backup window", replyingTo: message, as: DiscordEstate.operatorID)
        try discord.sync()
        let approval = try #require(try agent.ledger.approval(1))
        #expect(approval.decision == .deny && approval.reason == "not during the backup window")
        _ = try agent.recorder.recordPending()
        let p = try #require(try agent.ledger.proposal(1))
        let commit = try #require(p.commitID)
        // The recorder wraps its paragraph: compare with line breaks as spaces.
        let body = try d.estate.ops.git("log", "-1", "--format=%B", commit).replacingOccurrences(of: "\n", with: " ")
        #expect(body.contains("not during the backup window") && body.contains("Channel: discord"))
        let note = try String(contentsOfFile: d.estate.ops.repo + "/" + (try #require(p.notePath)), encoding: .utf8)
            .replacingOccurrences(of: "\n", with: " ")
        #expect(note.contains("not during the backup window"))
        try discord.sync()
        let replies = d.fake.replies(to: message).map(\.content)
        #expect(replies.count == 2)
        #expect(replies.first?.contains("denied") == true && replies.first?.contains("backup window") == true)
        #expect(replies.last?.contains("denied") == true)
    }

    @Test func aRateLimitIsWaitedOutInTheLoop() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        _ = try agent.cycle()
        d.fake.fail(1, method: "PUT", pathContains: "/reactions/", status: 429, retryAfter: 0.4)
        try discord.sync()
        let puts = d.fake.log.filter { $0.method == "PUT" }
        try #require(puts.count == 3)
        #expect(puts[0].status == 429)
        #expect(puts[1].at - puts[0].at >= .milliseconds(400), "a reaction was sent before retry_after passed")
        #expect(d.fake.problems.isEmpty)
    }

    @Test func aServerErrorStormLeavesProposalsPendingAndTheLoopScanning() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)
        d.fake.react(to: message, emoji: "✅", as: DiscordEstate.operatorID)
        d.fake.setDown(503)
        for _ in 0..<4 {
            #expect(discord.tick(force: true) == false)
            d.clock.advance(301) // past the longest backoff
        }
        // The daemon's cycle still scans with Discord down.
        try Daemon(agent: agent, notifier: SystemdNotifier(environment: [:]), registry: ChannelRegistry(channels: [discord])).run(once: true) { _ in }
        #expect(try agent.ledger.proposal(1)?.state == .awaitingApproval)
        #expect(try agent.ledger.approval(1) == nil)
        let health = try #require(discord.health())
        #expect(health.state == .degraded && health.failures >= 4 && health.lastError?.contains("503") == true)
        // Backing off: right after a failure nothing is sent, forced or not.
        #expect(discord.tick(force: true) == false)
        let before = d.fake.log.count
        #expect(discord.tick() == false)
        #expect(discord.tick(force: true) == false)
        #expect(d.fake.log.count == before)

        d.fake.setDown(nil)
        d.clock.advance(301)
        #expect(discord.tick(force: true))
        #expect(try agent.ledger.proposal(1)?.state == .approved)
        #expect(discord.health()?.state == .ok)
    }

    @Test func aRestartMidApprovalLosesNothingAndExecutesOnce() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        var agent = try d.agent()
        var discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)
        // The operator decides while luna is down.
        d.fake.post("approve", replyingTo: message, as: DiscordEstate.operatorID)
        d.fake.react(to: message, emoji: "✅", as: DiscordEstate.operatorID)

        agent = try d.agent()
        discord = try d.channel(agent)
        try discord.sync()
        #expect(try agent.ledger.proposal(1)?.state == .approved)
        let posted = d.fake.botMessages.count

        // Restart again before executing: the same signals are read again and decide nothing twice.
        agent = try d.agent()
        discord = try d.channel(agent)
        try discord.sync()
        #expect(d.fake.botMessages.count == posted, "nothing is posted twice")
        #expect(try agent.execution.executeApproved() == [1])
        #expect(try agent.execution.executeApproved().isEmpty)
        _ = try agent.recorder.recordPending()

        agent = try d.agent()
        discord = try d.channel(agent)
        try discord.sync()
        try discord.sync()
        let replies = d.fake.replies(to: message)
        #expect(replies.count == 2, "one decision reply, one outcome reply: \(replies.map(\.content))")
        #expect(d.fake.botMessages.filter { $0.replyTo == nil }.count == 1)
        #expect(try agent.ledger.transitions(1).filter { $0.to == "executing" }.count == 1)
    }

    @Test func hostileArgvRendersInert() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let argv = ["/bin/echo", "```", "@everyone", "<@\(DiscordEstate.operatorID)>", "x```\n**bold** @here"]
        let p = try agent.ledger.insert(.init(finding: nil, host: "localhost", identity: "luna", argv: argv,
                                              rationale: "ping @everyone ```", source: "manual", risk: "mutating"))
        try agent.ledger.transition(p.id, from: .proposed, to: .awaitingApproval,
                                    set: [("expires_at", .text(Timestamp.string(d.clock.now.addingTimeInterval(600))))])
        try discord.sync()
        let content = try #require(d.fake.botMessages.first).content
        #expect(!content.contains("@everyone") && !content.contains("@here") && !content.contains("<@2"))
        // Exactly the fences Luna wrote: the argv block and the rule block.
        #expect(content.components(separatedBy: "```").count - 1 == 4, "\(content)")
        let start = try #require(content.range(of: "```json\n"))
        let end = try #require(content.range(of: "\n```", range: start.upperBound..<content.endIndex))
        let shown = try JSONSerialization.jsonObject(with: Data(content[start.upperBound..<end.lowerBound].utf8)) as? [String]
        #expect(shown == argv)
        #expect(d.fake.problems.isEmpty, "\(d.fake.problems)")
    }

    @Test func statusShowsChannelHealthPendingProposalsAndTheLastError() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        _ = try agent.cycle()
        d.fake.setDown(502)
        #expect(discord.tick(force: true) == false)
        let r = try d.estate.luna("status", "--json")
        #expect(r.status == 0, "\(r.err)")
        let status = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let channels = try #require(status["channels"] as? [[String: Any]])
        let discordHealth = try #require(channels.first { $0["channel"] as? String == "discord" })
        #expect(discordHealth["state"] as? String == "degraded")
        #expect((status["lastError"] as? String)?.contains("502") == true)
        #expect((status["pending"] as? [[String: Any]])?.count == 1)
        #expect(status["lastScan"] as? String != nil)
        let text = try d.estate.luna("status")
        #expect(text.out.contains("discord") && text.out.contains("degraded") && text.out.contains("#1"))
    }

    @Test func statusWithoutDiscordSaysNotConfigured() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let r = try estate.luna("status")
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("not configured") && r.out.contains("Last scan: never"))
    }

    @Test func aCLIDecisionIsAnnouncedOnDiscordToo() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)
        try agent.ledger.decide(1, .deny, approver: "alice", channel: "cli", reason: "manual fix instead")
        try discord.sync()
        let reply = try #require(d.fake.replies(to: message).first).content
        #expect(reply.contains("denied") && reply.contains("alice") && reply.contains("via cli") && reply.contains("manual fix instead"))
    }

    @Test func aDeletedCardDoesNotStallTheChannel() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)
        d.fake.delete(message)
        #expect(discord.tick(force: true))
        #expect(discord.tick(force: true))
        #expect(try agent.ledger.proposal(1)?.state == .awaitingApproval)
        #expect(d.log.filter { $0.contains("was deleted") }.count == 1)
        try agent.ledger.decide(1, .approve, approver: "alice", channel: "cli")
        #expect(try agent.execution.executeApproved() == [1])
    }

    @Test func anUnauthorizedAnswerHaltsTheChannelUntilRestart() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        _ = try agent.cycle()
        d.fake.fail(1, method: "POST", pathContains: "/messages", status: 401)
        #expect(discord.tick(force: true) == false)
        let sent = d.fake.log.count
        d.clock.advance(600)
        #expect(discord.tick(force: true) == false)
        #expect(d.fake.log.count == sent, "no hammering after a 401")
        let health = try #require(discord.health())
        #expect(health.state == .halted && health.lastError?.contains("token") == true)
        #expect(try agent.ledger.proposal(1)?.state == .awaitingApproval)
        // A restart (a new client) tries again.
        #expect(try d.channel(try d.agent()).tick(force: true))
    }

    /// A proposal awaiting approval with `argv`, made by hand (the gate is not the subject here).
    func manualProposal(_ d: DiscordEstate, _ agent: Agent, argv: [String]) throws -> Int64 {
        let p = try agent.ledger.insert(.init(finding: nil, host: "localhost", identity: "luna", argv: argv,
                                              rationale: "manual test", source: "manual", risk: "mutating"))
        try agent.ledger.transition(p.id, from: .proposed, to: .awaitingApproval,
                                    set: [("expires_at", .text(Timestamp.string(d.clock.now.addingTimeInterval(600))))])
        return p.id
    }

    @Test func anApprovalCountsOnlyForTheProposalWhoseMessageItIsOn() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let first = try d.proposeAndPost(agent, discord)
        let second = try manualProposal(d, agent, argv: ["/bin/true", "second"])
        let long = try manualProposal(d, agent, argv: (0..<400).map { "argument-\($0)" })
        try discord.sync()
        let secondMessage = try #require(try discord.outbox.item(.proposal, proposalID: second)?.externalID)
        d.fake.react(to: secondMessage, emoji: "✅", as: DiscordEstate.operatorID)
        d.fake.post("deny", replyingTo: secondMessage, as: DiscordEstate.strangerID)
        try discord.sync()
        #expect(try agent.ledger.proposal(second)?.state == .approved)
        #expect(try agent.ledger.proposal(1)?.state == .awaitingApproval)
        #expect(try agent.ledger.proposal(long)?.state == .awaitingApproval)
        #expect(d.fake.replies(to: first).isEmpty)
        let longCard = try #require(d.fake.messages.first { $0.id == (try? discord.outbox.item(.proposal, proposalID: long)?.externalID) })
        #expect(longCard.content.utf16.count <= 2000 && longCard.content.contains("too long to show"))
        #expect(d.fake.problems.isEmpty, "\(d.fake.problems)")
    }

    @Test func lunaRunOncePostsTheProposalAndTheDriftReport() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let r = try d.estate.luna("run", "--once")
        #expect(r.status == 0, "\(r.err)")
        let posted = d.fake.botMessages.map(\.content)
        #expect(posted.contains { $0.hasPrefix("**Drift**") })
        let card = try #require(d.fake.botMessages.first { $0.content.contains("Luna proposal #1") })
        #expect(d.fake.reactions(on: card.id, emoji: "✅") == [FakeDiscord.botUserID])
        #expect(d.fake.problems.isEmpty, "\(d.fake.problems)")
        // The operator approves on Discord; the next cycle reads it, runs it and replies with the outcome.
        d.fake.react(to: card.id, emoji: "✅", as: DiscordEstate.operatorID)
        let again = try d.estate.luna("run", "--once")
        #expect(again.status == 0, "\(again.err)")
        let third = try d.estate.luna("run", "--once")
        #expect(third.status == 0, "\(third.err)")
        #expect(try d.estate.mode() == 0o600)
        #expect(d.fake.replies(to: card.id).contains { $0.content.contains("succeeded") })
    }

    @Test func driftIsReportedOncePerScanWithChanges() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        discord.report(try agent.scanner.scan())
        discord.report(try agent.scanner.scan())
        try discord.sync()
        let drift = d.fake.botMessages.filter { $0.content.hasPrefix("**Drift**") }
        #expect(drift.count == 1)
        #expect(drift.first?.content.contains("localhost/files") == true)
    }
}

/// Log lines collected from an Agent.
final class LogLines: Sendable {
    private let mutex = Mutex<[String]>([])
    func append(_ line: String) { mutex.withLock { $0.append(line) } }
    var lines: [String] { mutex.withLock { $0 } }

    @Test func secretsInOutputNeverReachDiscord() throws {
        let secret = "s3cr3t-from-env-file-42"
        let d = try DiscordEstate(sudoers: "luna ALL = (root) NOPASSWD: /usr/bin/cat")
        defer { d.remove() }
        try d.estate.ops.write(".gitignore", ".env\n")
        try d.estate.ops.write(".env", "API_KEY=\(secret)\n")
        let leak = d.estate.ops.root + "/target/leak.txt"
        try "config loaded, api key \(secret), password=hunter2hunter2\n".write(toFile: leak, atomically: true, encoding: .utf8)
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let p = try agent.gating.gateProposal(try agent.ledger.insert(.init(finding: nil, host: "localhost", identity: "luna",
            argv: ["/usr/bin/cat", leak], rationale: "read the config", source: "manual", risk: "read-only")))
        #expect(p.state == .awaitingApproval, "\(p.gateReasons)")
        try discord.sync()
        try agent.ledger.decide(p.id, .approve, approver: "op", channel: "cli")
        #expect(try agent.execution.executeApproved() == [p.id])
        #expect(try agent.ledger.execution(p.id)?.stdout?.contains(secret) == true, "the local record keeps the real output")
        _ = try agent.recorder.recordPending()
        try discord.sync()
        let sent = d.fake.botMessages.map(\.content).joined(separator: "\n")
        #expect(sent.contains("Output (excerpt)"))
        #expect(!sent.contains(secret), "a value from .env reached Discord")
        #expect(!sent.contains("hunter2hunter2"), "a password reached Discord")
        #expect(sent.contains("REDACTED"))
    }
}
