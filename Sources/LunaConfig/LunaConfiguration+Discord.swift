import Foundation

/// The optional `[channels.discord]` section (or `[discord]`, its first spelling; not
/// both): operator approvals over an outbound-only bot.
///
/// Without it the CLI is the only approval channel. The token never
/// lives here: `token_file` names a 0600 file, or the systemd credential
/// `discord-token` is used (see ``SecretFile/resolve(credential:file:environment:)``).
public struct DiscordSettings: ChannelSettings, Equatable {
    /// The API root, e.g. `https://discord.com/api/v10`.
    public var apiBase: String
    /// The channel where proposals are posted and replies are read.
    public var channelID: String
    /// The user ids whose approvals count; empty means nobody may approve (fail closed).
    public var operatorIDs: [String]
    /// The token file, if configured (the systemd credential wins when present).
    public var tokenFile: String?
    /// Seconds between polls while anything awaits approval.
    public var pollSeconds: Int

    /// The systemd credential name that holds the bot token.
    public static let credentialName = "discord-token"
    public static let kind = "discord"
    public static let legacyTable: String? = "discord"

    /// Creates settings.
    public init(apiBase: String = "https://discord.com/api/v10", channelID: String, operatorIDs: [String],
                tokenFile: String? = nil, pollSeconds: Int = 3) {
        self.apiBase = apiBase
        self.channelID = channelID
        self.operatorIDs = operatorIDs
        self.tokenFile = tokenFile
        self.pollSeconds = pollSeconds
    }

    /// Reads the `[channels.discord]` (or `[discord]`) table.
    ///
    /// - Parameters:
    ///   - table: The table.
    ///   - folder: The config file's folder, for a relative `token_file`.
    /// - Returns: The settings.
    /// - Throws: ``ConfigError`` naming file:line:column: unknown keys, a non-http(s)
    ///   `api_base` (plain http only to a loopback address), ids that are not
    ///   snowflakes, `poll_seconds` outside 1…300.
    public static func parse(_ table: TableReader, folder: String) throws(ConfigError) -> DiscordSettings {
        try table.checkKnownKeys(["api_base", "channel_id", "operator_ids", "token_file", "poll_seconds"])
        let apiBase = try table.optionalString("api_base") ?? "https://discord.com/api/v10"
        guard let url = URL(string: apiBase), let scheme = url.scheme?.lowercased(), let host = url.host else {
            throw table.error("api_base", "api_base must be an absolute URL like https://discord.com/api/v10")
        }
        guard scheme == "https" || (scheme == "http" && LunaConfiguration.isLoopbackHost(host)) else {
            throw table.error("api_base", "api_base must use https (plain http only to a loopback address, for tests)")
        }
        let channel = try table.string("channel_id")
        guard isSnowflake(channel) else { throw table.error("channel_id", "channel_id must be a Discord id (digits), found '\(channel)'") }
        let operators = try table.optionalStringArray("operator_ids") ?? []
        for id in operators where !isSnowflake(id) {
            throw table.error("operator_ids", "operator_ids must be Discord user ids (digits), found '\(id)'")
        }
        let tokenFile = try table.optionalString("token_file").map { path in
            ((path.hasPrefix("/") ? path : folder + "/" + path) as NSString).standardizingPath
        }
        let poll = try table.optionalInt("poll_seconds", in: 1...300) ?? 3
        return DiscordSettings(apiBase: apiBase, channelID: channel, operatorIDs: operators, tokenFile: tokenFile, pollSeconds: poll)
    }

    static func isSnowflake(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 20 && s.allSatisfy { $0.isASCII && $0.isNumber } && UInt64(s) != nil
    }

    /// The bot token: the systemd credential `discord-token`, else `token_file`.
    ///
    /// - Parameter environment: Where `CREDENTIALS_DIRECTORY` is looked up.
    /// - Returns: The token.
    /// - Throws: ``ConfigError`` when neither source exists or the file is unsafe.
    public func token(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> String {
        guard let token = try SecretFile.resolve(credential: Self.credentialName, file: tokenFile, environment: environment) else {
            throw ConfigError(file: tokenFile ?? "[discord]", position: .wholeFile,
                              message: "no Discord bot token: set token_file in [channels.discord] (or [discord]) or provide the systemd credential '\(Self.credentialName)'",
                              kind: .invalidValue)
        }
        return token
    }
}
