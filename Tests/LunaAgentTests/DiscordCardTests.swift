import Foundation
@testable import LunaAgent
import Testing
import TestSupport

/// What an operator sees on Discord after a card is decided, and when somebody who cannot decide answers.
@Suite("Discord cards and answers (loopback fake)", .serialized)
struct DiscordCardTests {
    @Test func aDecidedCardIsRewrittenToItsFinalState() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)
        #expect(try #require(d.fake.messages.first { $0.id == message }).content.contains("— approval needed"))
        d.fake.react(to: message, emoji: "✅", as: DiscordEstate.operatorID)
        try discord.sync()
        let card = try #require(d.fake.messages.first { $0.id == message }).content
        let lines = card.components(separatedBy: "\n")
        #expect(lines.first == "**Status: approved**")
        #expect(lines.dropFirst().first == "**Luna proposal #1** — approved", "\(card)")
        #expect(!card.contains("approval needed") && !card.contains("**Expires:**") && card.contains("no longer read"), "\(card)")
    }

    @Test func theCardShowsTheExpiryInUTCAndAsADiscordTimestamp() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)
        let expires = try #require(try agent.ledger.proposal(1)?.expiresAt)
        let unix = Int(try #require(Timestamp.date(expires)).timeIntervalSince1970)
        let card = try #require(d.fake.messages.first { $0.id == message }).content
        #expect(card.contains("**Expires:** \(expires) (UTC, <t:\(unix):R>)"), "\(card)")
    }

    @Test func aStrangersSignalsAreAnsweredOnDiscordOnce() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)
        d.fake.react(to: message, emoji: "✅", as: DiscordEstate.strangerID)
        let reply = d.fake.post("approve", replyingTo: message, as: DiscordEstate.strangerID)
        try discord.sync()
        try discord.sync()
        #expect(try agent.ledger.proposal(1)?.state == .awaitingApproval)
        let onCard = d.fake.replies(to: message).filter { $0.content.contains("Not counted") }
        #expect(onCard.count == 1 && onCard[0].content.contains("✅") && onCard[0].content.contains(DiscordEstate.strangerID), "\(onCard)")
        let onReply = d.fake.replies(to: reply)
        #expect(onReply.count == 1 && onReply[0].content.contains("Not counted") && onReply[0].content.contains("only the configured operators"),
                "\(onReply)")
        #expect(!d.fake.messages.first { $0.id == message }!.content.hasPrefix("**Status"), "the card still awaits a decision")
    }

    @Test func anApproveOnADecidedCardIsAnsweredAndChangesNothing() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        let agent = try d.agent()
        let discord = try d.channel(agent)
        let message = try d.proposeAndPost(agent, discord)
        try agent.ledger.decide(1, .deny, approver: "alice", channel: "cli", reason: "not now")
        try discord.sync()
        let late = d.fake.post("approve", replyingTo: message, as: DiscordEstate.operatorID)
        try discord.sync()
        try discord.sync()
        #expect(try agent.ledger.proposal(1)?.state == .denied)
        let answers = d.fake.replies(to: late)
        #expect(answers.count == 1, "\(answers)")
        #expect(answers.first?.content.contains("Proposal #1 is already **denied** (denied by alice via cli") == true, "\(answers)")
        #expect(answers.first?.content.contains("this reply changes nothing") == true)
    }
}
