import Foundation
@testable import LunaAgent
import LunaConfig
import LunaStore
import Testing
import TestSupport

/// The approval channel abstraction: the registry, the per-channel store, the backoff driver, the CLI's sink.
@Suite("approval channels", .serialized)
struct ChannelTests {
    // MARK: The registry

    @Test(arguments: ["discord", "channels.discord"])
    func theRegistryBuildsDiscordFromEitherSpelling(section: String) throws {
        let d = try DiscordEstate(section: section)
        defer { d.remove() }
        let agent = try d.agent()
        let registry = try ChannelRegistry(agent: agent, environment: [:])
        #expect(registry.channels.map(\.name) == ["discord"])
        // The channel it built works: it posts the card through the loopback fake.
        _ = try agent.cycle()
        #expect(try #require(registry.channels.first).tick(force: true))
        #expect(d.fake.botMessages.contains { $0.content.contains("Luna proposal #1") })
        let listing = try ChannelRegistry.listing(agent: agent)
        #expect(listing.map(\.name) == ["cli", "discord"] && listing.allSatisfy(\.configured))
        #expect(listing.last?.health?.state == .ok)
    }

    @Test func withoutASectionTheRegistryHasOnlyTheCLIAndStatusListsDiscordAsNotConfigured() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let agent = try Agent(config: estate.configuration(), environment: AgentEnvironment(log: { _ in }))
        #expect(try ChannelRegistry(agent: agent, environment: [:]).channels.isEmpty)
        let listing = try ChannelRegistry.listing(agent: agent)
        #expect(listing.map { "\($0.name) \($0.configured)" } == ["cli true", "discord false"])
        let r = try estate.luna("status", "--json")
        let status = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let channels = try #require(status["channels"] as? [[String: Any]])
        #expect(channels.map { $0["channel"] as? String } == ["cli", "discord"])
        #expect(channels.last?["state"] as? String == "not configured")
    }

    @Test func bothSpellingsAtOnceAreAClearErrorNamingFileAndLine() throws {
        let d = try DiscordEstate(section: "channels.discord")
        defer { d.remove() }
        try (try String(contentsOfFile: d.estate.ops.config, encoding: .utf8) + "\n[discord]\nchannel_id = \"1\"\n")
            .write(toFile: d.estate.ops.config, atomically: true, encoding: .utf8)
        let error = #expect(throws: ConfigError.self) { try d.estate.configuration() }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.contains("luna.toml:") && text.contains("[channels.discord]") && text.contains("[discord] at line"), "\(text)")
        let r = try d.estate.luna("status")
        #expect(r.status != 0 && r.err.contains("[discord] at line"), "\(r.err)")
    }

    // MARK: The CLI is a channel

    @Test func lunaApproveDecidesThroughTheSinkAsTheCLIChannel() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let agent = try Agent(config: estate.configuration(), environment: AgentEnvironment(log: { _ in }))
        _ = try agent.cycle()
        #expect(try agent.ledger.proposal(1)?.state == .awaitingApproval)
        let r = try estate.luna("approve", "1")
        #expect(r.status == 0, "\(r.err)")
        let approval = try #require(try agent.ledger.approval(1))
        #expect(approval.channel == ChannelRegistry.cli && approval.channel == "cli" && approval.decision == .approve)
        // The same sink refuses a second decision, whichever channel it is.
        let discord = DecisionSink(ledger: agent.ledger, channel: "discord")
        #expect(throws: AgentError.self) { try discord.decide(1, .deny, approver: "someone") }
        #expect(try agent.ledger.approval(1)?.channel == "cli")
    }

    // MARK: The store survives the upgrade

    @Test func anUpgradeKeepsEveryDiscordRowSoPendingMessagesArePostedOnce() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-upgrade-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/state.db"
        // A database as the previous luna left it: its migrations only, Discord rows in the Discord tables.
        do {
            let old = try Database(path: path)
            try old.migrate(LegacySchema.migrations)
            let at = "2026-01-01T00:00:00.000Z"
            try old.run("""
                INSERT INTO proposals(id, host, identity, runas, argv, rationale, source, risk, state, digest, created_at, updated_at, expires_at)
                VALUES (1, 'web1', 'luna', 'root', '["/bin/true"]', 'test', 'manual', 'mutating', 'awaiting_approval', 'x', ?, ?, '2999-01-01T00:00:00.000Z')
                """, [.text(at), .text(at)])
            try old.run("""
                INSERT INTO discord_outbox(id, kind, proposal_id, content, nonce, message_id, reactions_added, shown_status, created_at, sent_at)
                VALUES (1, 'proposal', 1, 'the card', 'luna0001', '1001', 1, NULL, ?, ?),
                       (2, 'drift', NULL, 'a drift report not yet posted', 'luna0002', NULL, 0, NULL, ?, NULL),
                       (3, 'notice', NULL, 'a notice not yet posted', 'luna0003', NULL, 0, NULL, ?, NULL)
                """, [.text(at), .text(at), .text(at), .text(at)])
            try old.run("INSERT INTO discord_signals(proposal_id, user_id, signal, source, counted, at) VALUES (1, '77', 'approved', 'reaction', 0, ?)",
                        [.text(at)])
            try old.run("INSERT INTO kv(key, value) VALUES ('discord.after', '1005'), ('discord.bot_user_id', '999'), ('other.key', 'stays')")
            try old.run("INSERT INTO channel_health(channel, state, failures, last_error) VALUES ('discord', 'degraded', 2, 'HTTP 503')")
            old.close()
        }

        let ledger = try Ledger(path: path)
        let outbox = ChannelOutbox(ledger: ledger, channel: "discord")
        let unsent = try outbox.unsent()
        #expect(unsent.map(\.nonce) == ["luna0002", "luna0003"], "pending items keep their nonce, so a retry posts once")
        #expect(unsent.map(\.kind) == [.drift, .notice] && unsent.first?.content == "a drift report not yet posted")
        let card = try #require(try outbox.item(.proposal, proposalID: 1))
        #expect(card.externalID == "1001" && card.setupDone && card.nonce == "luna0001")
        #expect(try outbox.proposal(forCard: "1001") == 1)
        #expect(try outbox.proposalsToPublish().isEmpty, "a card already posted is not posted again")
        #expect(try outbox.awaitingOnCards().map(\.1) == ["1001"])
        #expect(try outbox.recordSignal(proposalID: 1, userID: "77", signal: "approved", source: "reaction", counted: false) == false,
                "a signal logged before the upgrade is not logged again")
        #expect(try outbox.value("after") == "1005" && outbox.value("bot_user_id") == "999")
        #expect(try ledger.value("discord.after") == nil && ledger.value("other.key") == "stays")
        let health = try #require(try outbox.health())
        #expect(health.state == .degraded && health.failures == 2 && health.lastError == "HTTP 503")
        #expect(try ledger.db.queryOne("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('discord_outbox','discord_signals')")?.int("n") == 0)
        // Another channel sees none of it.
        #expect(try ChannelOutbox(ledger: ledger, channel: "other").unsent().isEmpty)
        #expect(try ChannelOutbox(ledger: ledger, channel: "other").proposalsToPublish().map(\.id) == [1])
        // Reopening applies nothing again.
        #expect(try Ledger(path: path).db.migrate(Schema.migrations).isEmpty)
    }

    // MARK: One backoff driver, on a test clock

    @Test func theBackoffDoublesUpToItsCapAndASuccessResetsIt() {
        let clock = TestClock()
        let backoff = ChannelBackoff(base: 3)
        #expect(backoff.isDue(at: clock.now, force: false))
        var waits: [Int] = []
        for _ in 0..<9 {
            let next = try! #require(backoff.failed(at: clock.now, .retry))
            waits.append(Int(next.timeIntervalSince(clock.now)))
            #expect(!backoff.isDue(at: clock.now, force: true), "backing off: not even a forced call")
            clock.advance(next.timeIntervalSince(clock.now) - 1)
            #expect(!backoff.isDue(at: clock.now, force: true))
            clock.advance(1)
            #expect(backoff.isDue(at: clock.now, force: false))
        }
        #expect(waits == [6, 12, 24, 48, 96, 192, 300, 300, 300])
        backoff.succeeded(at: clock.now, nextPollIn: 3)
        #expect(backoff.failures == 0 && backoff.notBefore == nil)
        #expect(!backoff.isDue(at: clock.now, force: false) && backoff.isDue(at: clock.now, force: true))
        clock.advance(3)
        #expect(backoff.isDue(at: clock.now, force: false))
        #expect(backoff.failed(at: clock.now, .retry).map { Int($0.timeIntervalSince(clock.now)) } == 6, "the count starts again")
    }

    @Test func aWaitCountsNoFailureAndAHaltIsFinal() {
        let clock = TestClock()
        let backoff = ChannelBackoff(base: 3)
        backoff.failed(at: clock.now, .wait(until: clock.now.addingTimeInterval(30)))
        #expect(backoff.failures == 0)
        clock.advance(29)
        #expect(!backoff.isDue(at: clock.now, force: true))
        clock.advance(1)
        #expect(backoff.isDue(at: clock.now, force: true))
        #expect(backoff.failed(at: clock.now, .halt) == nil)
        clock.advance(86_400)
        #expect(backoff.isHalted && !backoff.isDue(at: clock.now, force: true))
    }

    @Test func attemptRecordsTheChannelsHealthAndNeverThrows() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-backoff-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = TestClock()
        let ledger = try Ledger(path: dir + "/state.db", now: { clock.now })
        let outbox = ChannelOutbox(ledger: ledger, channel: "test")
        let backoff = ChannelBackoff(base: 2)
        struct Down: Error {}
        var lines: [String] = []
        var runs = 0
        func attempt(_ failure: ChannelFailure?) -> Bool {
            backoff.attempt(at: clock.now, force: true, outbox: outbox, log: { lines.append($0) }, classify: { _ in failure ?? .retry },
                            pollIn: { 5 }) {
                runs += 1
                if failure != nil { throw Down() }
            }
        }
        #expect(attempt(.retry) == false)
        var health = try #require(try outbox.health())
        #expect(health.state == .degraded && health.failures == 1 && health.nextAttemptAt == Timestamp.string(clock.now.addingTimeInterval(4)))
        #expect(attempt(nil) == false && runs == 1, "backing off: the exchange does not run")
        clock.advance(4)
        #expect(attempt(nil) && runs == 2)
        health = try #require(try outbox.health())
        #expect(health.state == .ok && health.failures == 0 && health.lastOKAt == Timestamp.string(clock.now))
        #expect(attempt(.halt) == false)
        #expect(try outbox.health()?.state == .halted)
        clock.advance(3_600)
        #expect(attempt(nil) == false && runs == 3, "halted until restart")
        #expect(lines.count == 2 && lines.last?.contains("halted") == true, "\(lines)")
    }

    @Test func aLongDiscordRateLimitDefersTheChannelInsteadOfSleepingInTheLoop() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        _ = try agent.cycle()
        d.fake.fail(1, method: "POST", pathContains: "/messages", status: 429, retryAfter: 30)
        let started = ContinuousClock.now
        #expect(discord.tick(force: true) == false)
        #expect(ContinuousClock.now - started < .seconds(5), "the loop did not wait out the rate limit")
        #expect(discord.health()?.state != .degraded, "a rate limit is not an outage")
        #expect(discord.backoff.failures == 0)
        let sent = d.fake.log.count
        d.clock.advance(29)
        #expect(discord.tick(force: true) == false)
        #expect(d.fake.log.count == sent, "nothing is sent before the rate limit ends")
        d.clock.advance(1)
        // The client keeps its own route closed on real time; the channel only asks again once its clock says so.
        #expect(discord.backoff.isDue(at: d.clock.now, force: true))
    }
}
