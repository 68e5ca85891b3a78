import Foundation
import LunaConfig

/// One kind of approval channel: its settings type and how to build it.
public struct ChannelKind: Sendable {
    /// The kind's name (`discord`): its `[channels.<name>]` table and its channel's name.
    public let name: String
    /// The settings type the configuration reads.
    public let settings: any ChannelSettings.Type
    private let build: @Sendable (LunaConfiguration, ChannelContext) throws -> (any ApprovalChannel)?

    /// A kind whose channel `make` builds from its settings.
    public init<S: ChannelSettings>(_ type: S.Type, _ make: @escaping @Sendable (S, ChannelContext) throws -> any ApprovalChannel) {
        name = S.kind
        settings = type
        build = { config, context in try config.channels[S.self].map { try make($0, context) } }
    }

    /// The channel when the configuration has the kind's section, else nil.
    func channel(_ config: LunaConfiguration, _ context: ChannelContext) throws -> (any ApprovalChannel)? {
        try build(config, context)
    }
}

/// The approval channels this build has, and the ones the configuration turns on.
///
/// The CLI (`luna approve/deny`, channel ``cli``) is always there; every other
/// kind is one line of ``kinds``.
public struct ChannelRegistry: Sendable {
    /// The CLI's channel name.
    public static let cli = "cli"

    /// Every kind of channel besides the CLI, one line each.
    public static let kinds: [ChannelKind] = [
        ChannelKind(DiscordSettings.self, DiscordApprovals.make),
    ]

    /// The settings types to read `[channels.<kind>]` with (`LunaConfiguration.load(…, channelKinds:)`).
    public static var settingsKinds: [any ChannelSettings.Type] { kinds.map(\.settings) }

    /// The configured channels, in ``kinds`` order.
    public let channels: [any ApprovalChannel]

    /// Builds every configured channel for the agent.
    ///
    /// - Parameter environment: Where credentials are looked up.
    /// - Throws: A channel's error (e.g. `ConfigError` when its token cannot be read safely).
    public init(agent: Agent, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        channels = try Self.kinds.compactMap { kind in
            try kind.channel(agent.config, ChannelContext(agent: agent, name: kind.name, environment: environment))
        }
    }

    /// A registry with exactly these channels (tests).
    public init(channels: [any ApprovalChannel]) { self.channels = channels }

    /// A channel as `luna status` lists it.
    public struct Listing: Sendable {
        public var name: String
        public var configured: Bool
        /// Its recorded health (nil: never contacted; the CLI has none).
        public var health: ChannelHealth?
    }

    /// Every channel, configured or not: the CLI first, then each kind, with its recorded
    /// health. Reads the database only; builds no channel and reads no token.
    public static func listing(agent: Agent) throws -> [Listing] {
        try [Listing(name: cli, configured: true, health: nil)] + kinds.map { kind in
            Listing(name: kind.name, configured: agent.config.channels.isConfigured(kind.name),
                    health: try ChannelOutbox(ledger: agent.ledger, channel: kind.name).health())
        }
    }
}
