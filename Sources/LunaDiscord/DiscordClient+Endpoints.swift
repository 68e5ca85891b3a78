import Foundation
import LunaCodec
import LunaHTTP

extension DiscordClient {
    /// Posts a message; a retried post with the same nonce never posts twice.
    ///
    /// The body always carries `"allowed_mentions": {"parse": []}` (nothing in the
    /// text can ping anyone), `nonce` and `"enforce_nonce": true`. Content longer
    /// than 2000 characters is cut with a note.
    ///
    /// - Parameters:
    ///   - channelID: The channel.
    ///   - content: The text.
    ///   - nonce: At most 25 characters, the same on every retry of this message.
    ///   - replyTo: The message this one replies to, if any.
    /// - Returns: The posted message.
    /// - Throws: ``DiscordError``.
    public func createMessage(channelID: String, content: String, nonce: String, replyTo: String? = nil) throws(DiscordError) -> DiscordMessage {
        let route = "POST /channels/\(channelID)/messages"
        var body: [String: JSONValue] = [
            "content": .string(DiscordText.clip(content, DiscordText.contentLimit)),
            "allowed_mentions": ["parse": []],
            "nonce": .string(String(nonce.prefix(25))),
            "enforce_nonce": true,
        ]
        if let replyTo {
            body["message_reference"] = ["message_id": .string(replyTo), "fail_if_not_exists": false]
        }
        let response = try call("POST", "/channels/\(channelID)/messages", route: route, json: .object(body))
        guard let message = DiscordMessage.parse(try Self.json(response, route: route)) else {
            throw DiscordError(.invalidResponse, "no message object in the answer", route: route, status: response.status)
        }
        return message
    }

    /// Replaces a message's text (mentions still disabled).
    ///
    /// - Parameters:
    ///   - channelID: The channel.
    ///   - messageID: The message.
    ///   - content: The new text.
    /// - Throws: ``DiscordError``.
    public func editMessage(channelID: String, messageID: String, content: String) throws(DiscordError) {
        _ = try call("PATCH", "/channels/\(channelID)/messages/\(messageID)", route: "PATCH /channels/\(channelID)/messages/{id}",
                     json: ["content": .string(DiscordText.clip(content, DiscordText.contentLimit)), "allowed_mentions": ["parse": []]])
    }

    /// Adds the bot's reaction `emoji` (a Unicode emoji) to a message.
    ///
    /// - Throws: ``DiscordError``.
    public func addReaction(channelID: String, messageID: String, emoji: String) throws(DiscordError) {
        _ = try call("PUT", "/channels/\(channelID)/messages/\(messageID)/reactions/\(Self.encode(emoji))/@me",
                     route: "PUT /channels/\(channelID)/messages/{id}/reactions")
    }

    /// The ids of the users who reacted with `emoji` (up to 100).
    ///
    /// - Returns: User ids, in Discord's order.
    /// - Throws: ``DiscordError``.
    public func reactionUsers(channelID: String, messageID: String, emoji: String) throws(DiscordError) -> [String] {
        let route = "GET /channels/\(channelID)/messages/{id}/reactions"
        let response = try call("GET", "/channels/\(channelID)/messages/\(messageID)/reactions/\(Self.encode(emoji))?limit=100",
                                route: route)
        guard let users = try Self.json(response, route: route).arrayValue else {
            throw DiscordError(.invalidResponse, "expected an array of users", route: route, status: response.status)
        }
        return users.compactMap { $0["id"]?.stringValue }
    }

    /// Messages of a channel newer than `after`, oldest first (up to `limit`, at most 100).
    ///
    /// - Parameters:
    ///   - channelID: The channel.
    ///   - after: Only messages with a larger id; nil for the latest.
    ///   - limit: 1…100.
    /// - Returns: The messages, oldest first.
    /// - Throws: ``DiscordError``.
    public func messages(channelID: String, after: String?, limit: Int = 100) throws(DiscordError) -> [DiscordMessage] {
        let route = "GET /channels/\(channelID)/messages"
        var path = "/channels/\(channelID)/messages?limit=\(min(100, max(1, limit)))"
        if let after { path += "&after=\(after)" }
        let response = try call("GET", path, route: route)
        guard let array = try Self.json(response, route: route).arrayValue else {
            throw DiscordError(.invalidResponse, "expected an array of messages", route: route, status: response.status)
        }
        return array.compactMap(DiscordMessage.parse).sorted { Snowflake.isNewer($1.id, than: $0.id) }
    }

    /// Percent-encodes an emoji for a path segment.
    static func encode(_ emoji: String) -> String {
        emoji.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? emoji
    }
}
