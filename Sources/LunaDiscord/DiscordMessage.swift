import Foundation
import LunaCodec

/// A message as the Discord API returns it, reduced to what Luna reads.
public struct DiscordMessage: Sendable, Equatable, Codable {
    /// The message's snowflake id.
    public var id: String
    /// The channel it is in.
    public var channelID: String
    /// The author's user id.
    public var authorID: String
    /// Whether the author is a bot.
    public var authorIsBot: Bool
    /// The text.
    public var content: String
    /// The message this one replies to (`message_reference.message_id`), if any.
    public var referencedMessageID: String?

    /// Creates a message.
    public init(id: String, channelID: String, authorID: String, authorIsBot: Bool = false, content: String,
                referencedMessageID: String? = nil) {
        self.id = id
        self.channelID = channelID
        self.authorID = authorID
        self.authorIsBot = authorIsBot
        self.content = content
        self.referencedMessageID = referencedMessageID
    }

    /// Reads a message object (`id`, `channel_id`, `author`, `content`, `message_reference`).
    ///
    /// - Parameter o: The decoded JSON object.
    /// - Returns: The message, or nil when a required field is missing.
    static func parse(_ o: JSONValue) -> DiscordMessage? {
        guard let id = o["id"]?.stringValue, let author = o["author"], let authorID = author["id"]?.stringValue else { return nil }
        let reference = o["message_reference"]?["message_id"]?.stringValue
        return DiscordMessage(id: id, channelID: o["channel_id"]?.stringValue ?? "", authorID: authorID,
                              authorIsBot: author["bot"]?.boolValue ?? false, content: o["content"]?.stringValue ?? "",
                              referencedMessageID: reference)
    }
}

/// Snowflake ids: decimal text of a 64-bit number that grows with time.
public enum Snowflake {
    /// Whether `text` is a snowflake (1 to 20 decimal digits that fit 64 bits).
    public static func isValid(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 20 && text.allSatisfy(\.isASCII) && UInt64(text) != nil
    }

    /// Whether snowflake `a` is newer than `b` (numeric, not textual, order).
    public static func isNewer(_ a: String, than b: String) -> Bool {
        (UInt64(a) ?? 0) > (UInt64(b) ?? 0)
    }
}
