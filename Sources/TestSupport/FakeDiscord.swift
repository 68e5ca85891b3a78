import Foundation
import LunaCodec
import Synchronization

/// A fake Discord API (v10) on a real loopback HTTP server, for tests.
///
/// It speaks the documented shapes for what Luna uses — create and edit a
/// message, add a reaction, list a reaction's users, list a channel's messages
/// with `after` — checks every request's headers and message bodies (problems
/// are collected in ``problems``), honours `nonce` + `enforce_nonce`, and can be
/// told to answer 429 (with `retry_after`), 5xx or 401. A test acts as the
/// operator or anyone else with ``react(to:emoji:as:)`` and ``post(_:replyingTo:as:)``.
///
/// Always call ``stop()``.
public final class FakeDiscord: Sendable {
    /// The bot's own user id (the author of what Luna posts).
    public static let botUserID = "1100000000000000001"

    /// A message as the fake stores it.
    public struct Message: Sendable, Equatable {
        public var id: String
        public var channelID: String
        public var authorID: String
        public var content: String
        public var replyTo: String?
        public var nonce: String?
        /// The raw JSON body the bot sent (nil for messages a test posted).
        public var body: Data?
    }

    /// One request as received, with when and what was answered.
    public struct Logged: Sendable {
        public var method: String
        public var path: String
        public var at: ContinuousClock.Instant
        public var status: Int
    }

    struct Failure: Sendable {
        var method: String
        var pathContains: String
        var status: Int
        var retryAfter: Double?
        var global: Bool
        var remaining: Int
    }

    struct State: Sendable {
        var messages: [Message] = []
        var reactions: [String: [String: [String]]] = [:]
        var nextID: UInt64 = 1_200_000_000_000_000_000
        var failures: [Failure] = []
        var downStatus: Int?
        var log: [Logged] = []
        var problems: [String] = []
        var nonces: [String: String] = [:]
        var exhaustAfter: Double?
    }

    /// The token the fake accepts.
    public let token: String
    /// The channel the fake serves.
    public let channelID: String
    /// The fake's state, shared with the server's handler.
    final class Store: Sendable {
        let mutex = Mutex(State())
    }

    let store: Store
    let server: LoopbackHTTPServer

    /// Starts the fake on an ephemeral loopback port.
    ///
    /// - Parameters:
    ///   - token: The bot token to accept (others get 401).
    ///   - channelID: The one channel that exists.
    /// - Throws: ``LoopbackHTTPServer/SocketError``.
    public init(token: String = "test-token", channelID: String = "1000000000000000042") throws {
        self.token = token
        self.channelID = channelID
        let store = Store()
        self.store = store
        server = try LoopbackHTTPServer { request in
            FakeDiscord.handle(request, store: store, token: token, channelID: channelID)
        }
    }

    /// The API root to configure, e.g. `http://127.0.0.1:40123/api/v10`.
    public var apiBase: String { server.baseURL + "/api/v10" }

    /// Stops the server.
    public func stop() { server.stop() }

    /// Every request received, with its body (what the bot sent, edits included).
    public var requests: [LoopbackHTTPServer.Request] { server.requests }

    // MARK: Acting as a user

    /// Adds `userID`'s reaction `emoji` to a message.
    public func react(to messageID: String, emoji: String, as userID: String) {
        store.mutex.withLock { s in
            var users = s.reactions[messageID]?[emoji] ?? []
            if !users.contains(userID) { users.append(userID) }
            s.reactions[messageID, default: [:]][emoji] = users
        }
    }

    /// Posts a message as `userID`, optionally as a reply; returns its id.
    @discardableResult
    public func post(_ content: String, replyingTo: String? = nil, as userID: String) -> String {
        store.mutex.withLock { s in
            let id = Self.nextID(&s)
            s.messages.append(Message(id: id, channelID: channelID, authorID: userID, content: content, replyTo: replyingTo))
            return id
        }
    }

    /// Deletes a message (as a moderator would), with its reactions.
    public func delete(_ messageID: String) {
        store.mutex.withLock { s in
            s.messages.removeAll { $0.id == messageID }
            s.reactions[messageID] = nil
        }
    }

    // MARK: Inspection

    /// Every message in the channel, oldest first.
    public var messages: [Message] { store.mutex.withLock { $0.messages } }

    /// The messages the bot posted, oldest first.
    public var botMessages: [Message] { messages.filter { $0.authorID == Self.botUserID } }

    /// The bot's replies to `messageID`.
    public func replies(to messageID: String) -> [Message] { botMessages.filter { $0.replyTo == messageID } }

    /// The users who reacted with `emoji` on a message.
    public func reactions(on messageID: String, emoji: String) -> [String] {
        store.mutex.withLock { $0.reactions[messageID]?[emoji] ?? [] }
    }

    /// Every request received, in order, with the status answered.
    public var log: [Logged] { store.mutex.withLock { $0.log } }

    /// What the fake found wrong in requests (missing headers, bad bodies); empty when all was well.
    public var problems: [String] { store.mutex.withLock { $0.problems } }

    // MARK: Failures

    /// Answers the next `count` requests whose method and path match with `status`.
    ///
    /// - Parameters:
    ///   - retryAfter: For 429: the body's `retry_after` (seconds) and the `Retry-After` header.
    ///   - global: For 429: whether it is the global limit.
    public func fail(_ count: Int = 1, method: String, pathContains: String, status: Int, retryAfter: Double? = nil, global: Bool = false) {
        store.mutex.withLock { s in
            s.failures.append(Failure(method: method, pathContains: pathContains, status: status, retryAfter: retryAfter,
                                      global: global, remaining: count))
        }
    }

    /// Makes the next successful answer say its bucket is used up (`X-RateLimit-Remaining: 0`)
    /// until `resetAfter` seconds pass.
    public func exhaustBucket(resetAfter: Double) { store.mutex.withLock { $0.exhaustAfter = resetAfter } }

    /// Answers every request with `status` (a 5xx storm) until called with nil.
    public func setDown(_ status: Int?) { store.mutex.withLock { $0.downStatus = status } }

    // MARK: Serving

    static func nextID(_ s: inout State) -> String {
        s.nextID += 1
        return String(s.nextID)
    }

    static func json(_ value: JSONValue, status: Int = 200, headers: [(String, String)] = []) -> LoopbackHTTPServer.Response {
        LoopbackHTTPServer.Response(status: status, headers: [("Content-Type", "application/json")] + headers, body: value.data)
    }

    static func messageObject(_ m: Message) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(m.id), "channel_id": .string(m.channelID), "content": .string(m.content), "type": m.replyTo == nil ? 0 : 19,
            "author": ["id": .string(m.authorID), "username": m.authorID == botUserID ? "luna" : "user\(m.authorID.suffix(4))",
                       "bot": .bool(m.authorID == botUserID)],
            "timestamp": "2026-01-01T00:00:00.000000+00:00", "tts": false, "mention_everyone": false,
            "mentions": [], "attachments": [], "embeds": [], "pinned": false,
        ]
        if let r = m.replyTo { o["message_reference"] = ["message_id": .string(r), "channel_id": .string(m.channelID)] }
        if let n = m.nonce { o["nonce"] = .string(n) }
        return .object(o)
    }

    static func handle(_ request: LoopbackHTTPServer.Request, store: Store, token: String,
                       channelID: String) -> LoopbackHTTPServer.Response {
        let response = store.mutex.withLock { s -> LoopbackHTTPServer.Response in
            var r = route(request, &s, token: token, channelID: channelID)
            if let after = s.exhaustAfter, (200..<300).contains(r.status) {
                s.exhaustAfter = nil
                r.headers = r.headers.map { h in
                    switch h.name {
                    case "X-RateLimit-Remaining": HTTPHeaderPair(h.name, "0")
                    case "X-RateLimit-Reset-After": HTTPHeaderPair(h.name, String(after))
                    default: h
                    }
                }
            }
            return r
        }
        store.mutex.withLock { $0.log.append(Logged(method: request.method, path: request.path, at: .now, status: response.status)) }
        return response
    }

    static func route(_ request: LoopbackHTTPServer.Request, _ s: inout State, token: String,
                      channelID: String) -> LoopbackHTTPServer.Response {
        let rateHeaders: (String) -> [(String, String)] = { bucket in
            [("X-RateLimit-Limit", "50"), ("X-RateLimit-Remaining", "49"), ("X-RateLimit-Reset-After", "1.0"),
             ("X-RateLimit-Bucket", bucket)]
        }
        // Headers every request must carry.
        let ua = request.header("User-Agent") ?? ""
        if ua.range(of: #"^DiscordBot \([^,()]+, [^,()]+\)$"#, options: .regularExpression) == nil {
            s.problems.append("\(request.method) \(request.path): User-Agent '\(ua)' is not 'DiscordBot (url, version)'")
        }
        if !request.body.isEmpty, request.header("Content-Type") != "application/json" {
            s.problems.append("\(request.method) \(request.path): body without Content-Type: application/json")
        }
        guard request.header("Authorization") == "Bot " + token else {
            return json(["message": "401: Unauthorized", "code": 0], status: 401)
        }
        if let down = s.downStatus { return json(["message": "server error", "code": 0], status: down) }
        if let i = s.failures.firstIndex(where: { $0.method == request.method && request.path.contains($0.pathContains) && $0.remaining > 0 }) {
            let f = s.failures[i]
            s.failures[i].remaining -= 1
            if f.status == 429 {
                let after = f.retryAfter ?? 1
                return json(["message": "You are being rate limited.", "retry_after": .double(after), "global": .bool(f.global), "code": 0], status: 429,
                            headers: [("Retry-After", String(Int(after.rounded(.up))))] + (f.global ? [("X-RateLimit-Global", "true")] : []))
            }
            return json(["message": "failure \(f.status)", "code": 0], status: f.status)
        }
        guard request.pathWithoutQuery.hasPrefix("/api/v10/") else { return json(["message": "404: Not Found", "code": 0], status: 404) }
        let parts = request.pathWithoutQuery.dropFirst("/api/v10/".count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0] == "channels", parts[2] == "messages" else {
            return json(["message": "404: Not Found", "code": 0], status: 404)
        }
        guard parts[1] == channelID else { return json(["message": "Unknown Channel", "code": 10003], status: 404) }
        func find(_ id: String) -> Int? { s.messages.firstIndex { $0.id == id } }
        switch (request.method, parts.count) {
        case ("POST", 3):
            guard let body = try? JSONValue.parse(request.body), let content = body["content"]?.stringValue else {
                return json(["message": "Invalid Form Body", "code": 50035], status: 400)
            }
            check(body, content: content, request: request, &s)
            let nonce = body["nonce"]?.stringValue
            if let nonce, body["enforce_nonce"]?.boolValue == true, let existing = s.nonces[nonce], let i = find(existing) {
                return json(messageObject(s.messages[i]), headers: rateHeaders("create"))
            }
            let reply = body["message_reference"]?["message_id"]?.stringValue
            let m = Message(id: nextID(&s), channelID: channelID, authorID: botUserID, content: content, replyTo: reply,
                            nonce: nonce, body: request.body)
            s.messages.append(m)
            if let nonce { s.nonces[nonce] = m.id }
            return json(messageObject(m), headers: rateHeaders("create"))
        case ("PATCH", 4):
            guard let i = find(parts[3]) else { return json(["message": "Unknown Message", "code": 10008], status: 404) }
            guard let body = try? JSONValue.parse(request.body), let content = body["content"]?.stringValue else {
                return json(["message": "Invalid Form Body", "code": 50035], status: 400)
            }
            check(body, content: content, request: request, &s)
            s.messages[i].content = content
            return json(messageObject(s.messages[i]), headers: rateHeaders("edit"))
        case ("GET", 3):
            let limit = min(100, max(1, Int(request.query["limit"] ?? "50") ?? 50))
            var list = s.messages
            if let after = request.query["after"].flatMap(UInt64.init) {
                list = list.filter { (UInt64($0.id) ?? 0) > after }
                list = Array(list.prefix(limit))
            } else {
                list = Array(list.suffix(limit))
            }
            // Discord returns newest first.
            return json(.array(list.reversed().map(messageObject)), headers: rateHeaders("list"))
        case ("PUT", 7) where parts[4] == "reactions" && parts[6] == "@me":
            guard find(parts[3]) != nil else { return json(["message": "Unknown Message", "code": 10008], status: 404) }
            let emoji = parts[5].removingPercentEncoding ?? parts[5]
            var users = s.reactions[parts[3]]?[emoji] ?? []
            if !users.contains(botUserID) { users.append(botUserID) }
            s.reactions[parts[3], default: [:]][emoji] = users
            return LoopbackHTTPServer.Response(status: 204, headers: rateHeaders("react"))
        case ("GET", 6) where parts[4] == "reactions":
            guard find(parts[3]) != nil else { return json(["message": "Unknown Message", "code": 10008], status: 404) }
            let emoji = parts[5].removingPercentEncoding ?? parts[5]
            let users = (s.reactions[parts[3]]?[emoji] ?? []).map { id -> JSONValue in
                ["id": .string(id), "username": id == botUserID ? "luna" : "user\(id.suffix(4))", "bot": .bool(id == botUserID)]
            }
            return json(.array(users), headers: rateHeaders("reactions"))
        default:
            return json(["message": "405: Method Not Allowed", "code": 0], status: 405)
        }
    }

    /// Checks a message body against Discord's limits and Luna's rules.
    static func check(_ body: JSONValue, content: String, request: LoopbackHTTPServer.Request, _ s: inout State) {
        let what = "\(request.method) \(request.path)"
        if content.utf16.count > 2000 { s.problems.append("\(what): content has \(content.utf16.count) characters (limit 2000)") }
        let parse = body["allowed_mentions"]?["parse"]?.arrayValue
        if parse == nil || !parse!.isEmpty { s.problems.append("\(what): allowed_mentions.parse is not []") }
        if request.method == "POST" {
            if let n = body["nonce"]?.stringValue {
                if n.count > 25 { s.problems.append("\(what): nonce longer than 25") }
            } else {
                s.problems.append("\(what): no nonce")
            }
            if body["enforce_nonce"]?.boolValue != true { s.problems.append("\(what): enforce_nonce is not true") }
        }
    }
}
