import Foundation
import LunaDiscord
import LunaHTTP
import Testing
import TestSupport

@Suite("Discord REST client against the loopback fake")
struct DiscordClientTests {
    func withFake(_ body: (FakeDiscord, DiscordClient) throws -> Void) throws {
        let fake = try FakeDiscord()
        defer { fake.stop() }
        try body(fake, DiscordClient(apiBase: fake.apiBase, token: fake.token, maxWait: .seconds(2)))
    }

    @Test func createSendsTheDocumentedHeadersAndBody() throws {
        try withFake { fake, client in
            let m = try client.createMessage(channelID: fake.channelID, content: "hello @everyone", nonce: "luna0001")
            #expect(m.authorID == FakeDiscord.botUserID)
            #expect(fake.problems.isEmpty, "\(fake.problems)")
            let sent = try #require(fake.botMessages.first?.body)
            let body = try #require(try JSONSerialization.jsonObject(with: sent) as? [String: Any])
            #expect((body["allowed_mentions"] as? [String: Any])?["parse"] as? [String] == [])
            #expect(body["nonce"] as? String == "luna0001")
            #expect(body["enforce_nonce"] as? Bool == true)
        }
    }

    @Test func aRetriedCreateWithTheSameNonceDoesNotPostTwice() throws {
        try withFake { fake, client in
            let a = try client.createMessage(channelID: fake.channelID, content: "once", nonce: "luna-same")
            let b = try client.createMessage(channelID: fake.channelID, content: "once", nonce: "luna-same")
            #expect(a.id == b.id)
            #expect(fake.botMessages.count == 1)
        }
    }

    @Test func aRateLimitIsWaitedOutBeforeTheRouteIsUsedAgain() throws {
        try withFake { fake, client in
            fake.fail(1, method: "POST", pathContains: "/messages", status: 429, retryAfter: 0.5)
            _ = try client.createMessage(channelID: fake.channelID, content: "after the limit", nonce: "luna-429")
            let posts = fake.log.filter { $0.method == "POST" }
            try #require(posts.count == 2)
            #expect(posts[0].status == 429 && posts[1].status == 200)
            #expect(posts[1].at - posts[0].at >= .milliseconds(500))
            #expect(fake.botMessages.count == 1)
        }
    }

    @Test func anExhaustedBucketWaitsForItsReset() throws {
        try withFake { fake, client in
            fake.exhaustBucket(resetAfter: 0.4)
            _ = try client.messages(channelID: fake.channelID, after: nil)
            _ = try client.messages(channelID: fake.channelID, after: nil)
            let gets = fake.log.filter { $0.method == "GET" }
            try #require(gets.count == 2)
            #expect(gets[1].at - gets[0].at >= .milliseconds(400))
        }
    }

    @Test func aLongRateLimitThrowsAndSendsNothingToThatRouteUntilItPasses() throws {
        try withFake { fake, client in
            fake.fail(1, method: "POST", pathContains: "/messages", status: 429, retryAfter: 30)
            #expect(throws: DiscordError.self) { _ = try client.createMessage(channelID: fake.channelID, content: "x", nonce: "n1") }
            let before = fake.log.count
            do {
                _ = try client.createMessage(channelID: fake.channelID, content: "x", nonce: "n1")
                Issue.record("expected a rate-limit error")
            } catch let error as DiscordError {
                #expect(error.kind == .rateLimited)
                #expect((error.retryAfter ?? 0) > 25)
            }
            #expect(fake.log.count == before, "a request reached a rate-limited route")
            // Another route is not blocked by a route limit.
            _ = try client.messages(channelID: fake.channelID, after: nil)
            #expect(fake.log.count == before + 1)
        }
    }

    @Test func aGlobalRateLimitBlocksEveryRoute() throws {
        try withFake { fake, client in
            fake.fail(1, method: "GET", pathContains: "/messages", status: 429, retryAfter: 30, global: true)
            #expect(throws: DiscordError.self) { _ = try client.messages(channelID: fake.channelID, after: nil) }
            let before = fake.log.count
            #expect(throws: DiscordError.self) { _ = try client.createMessage(channelID: fake.channelID, content: "x", nonce: "n2") }
            #expect(fake.log.count == before)
        }
    }

    @Test(arguments: [401, 403])
    func unauthorizedHaltsTheClient(status: Int) throws {
        try withFake { fake, client in
            fake.fail(1, method: "POST", pathContains: "/messages", status: status)
            do {
                _ = try client.createMessage(channelID: fake.channelID, content: "x", nonce: "n3")
                Issue.record("expected an error")
            } catch let error as DiscordError {
                #expect(error.kind == .unauthorized)
                #expect(error.description.contains("token"))
            }
            let before = fake.log.count
            #expect(throws: DiscordError.self) { _ = try client.messages(channelID: fake.channelID, after: nil) }
            #expect(fake.log.count == before, "no hammering after \(status)")
            #expect(client.haltedBy?.status == status)
        }
    }

    @Test func aWrongTokenIsA401() throws {
        let fake = try FakeDiscord()
        defer { fake.stop() }
        let client = DiscordClient(apiBase: fake.apiBase, token: "wrong")
        #expect(throws: DiscordError.self) { _ = try client.messages(channelID: fake.channelID, after: nil) }
        #expect(fake.log.first?.status == 401)
    }

    @Test func serverErrorsAreUnavailable() throws {
        try withFake { fake, client in
            fake.setDown(503)
            do {
                _ = try client.messages(channelID: fake.channelID, after: nil)
                Issue.record("expected an error")
            } catch let error as DiscordError {
                #expect(error.kind == .unavailable && error.status == 503)
            }
            fake.setDown(nil)
            #expect(client.haltedBy == nil)
            _ = try client.messages(channelID: fake.channelID, after: nil)
        }
    }

    @Test func anUnreachableServerIsUnavailable() throws {
        let fake = try FakeDiscord()
        let base = fake.apiBase
        fake.stop()
        let client = DiscordClient(apiBase: base, token: "t")
        do {
            _ = try client.messages(channelID: "1", after: nil)
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .unavailable)
        }
    }

    @Test func messagesAfterACursorComeOldestFirstWithTheirReplies() throws {
        try withFake { fake, client in
            let root = try client.createMessage(channelID: fake.channelID, content: "root", nonce: "n4")
            let a = fake.post("approve", replyingTo: root.id, as: "42")
            let b = fake.post("chatter", as: "43")
            let list = try client.messages(channelID: fake.channelID, after: root.id)
            #expect(list.map(\.id) == [a, b])
            #expect(list[0].referencedMessageID == root.id && list[0].authorID == "42")
            #expect(try client.messages(channelID: fake.channelID, after: b).isEmpty)
        }
    }

    @Test func reactionsAreAddedAndListed() throws {
        try withFake { fake, client in
            let m = try client.createMessage(channelID: fake.channelID, content: "react", nonce: "n5")
            try client.addReaction(channelID: fake.channelID, messageID: m.id, emoji: "✅")
            fake.react(to: m.id, emoji: "✅", as: "42")
            #expect(try client.reactionUsers(channelID: fake.channelID, messageID: m.id, emoji: "✅") == [FakeDiscord.botUserID, "42"])
            #expect(try client.reactionUsers(channelID: fake.channelID, messageID: m.id, emoji: "❌").isEmpty)
            #expect(fake.problems.isEmpty, "\(fake.problems)")
        }
    }

    @Test func anEditReplacesTheTextWithMentionsStillOff() throws {
        try withFake { fake, client in
            let m = try client.createMessage(channelID: fake.channelID, content: "before", nonce: "n7")
            try client.editMessage(channelID: fake.channelID, messageID: m.id, content: "after")
            #expect(fake.messages.first { $0.id == m.id }?.content == "after")
            #expect(fake.log.last?.method == "PATCH")
            #expect(fake.problems.isEmpty, "\(fake.problems)")
        }
    }

    @Test func contentOverTheLimitIsCut() throws {
        try withFake { fake, client in
            _ = try client.createMessage(channelID: fake.channelID, content: String(repeating: "é", count: 5000), nonce: "n6")
            #expect(fake.problems.isEmpty, "\(fake.problems)")
            #expect(try #require(fake.botMessages.first).content.utf16.count <= 2000)
        }
    }
}
