import Foundation

/// The settings of one kind of approval channel, read from its `[channels.<kind>]` table.
///
/// A kind's settings type is all LunaConfig knows of a channel: the registry in
/// LunaAgent (`ChannelRegistry`) hands the list of kinds to
/// ``LunaConfiguration/load(path:stateDirectory:knownChecks:channelKinds:knownProviders:)``
/// and builds each configured channel from its settings.
public protocol ChannelSettings: Sendable {
    /// The kind's name: its table under `[channels]` and the channel's name in decisions (`discord`).
    static var kind: String { get }
    /// A top-level table that configures the kind too (`[discord]`, its first spelling), or nil.
    static var legacyTable: String? { get }
    /// Reads the kind's table.
    ///
    /// - Parameters:
    ///   - table: `[channels.<kind>]` (or the legacy table).
    ///   - folder: The config file's folder, for relative paths.
    /// - Throws: ``ConfigError`` naming file:line:column.
    static func parse(_ table: TableReader, folder: String) throws(ConfigError) -> Self
}

extension ChannelSettings {
    public static var legacyTable: String? { nil }
}

/// The configured approval channels besides the CLI, by kind.
public struct ChannelSections: Sendable {
    private var byKind: [String: any ChannelSettings] = [:]

    /// No channel configured: the CLI is the only one.
    public init() {}

    /// The settings of `type`'s kind, or nil when it is not configured.
    public subscript<S: ChannelSettings>(_ type: S.Type) -> S? {
        get { byKind[S.kind] as? S }
        set { byKind[S.kind] = newValue }
    }

    /// Whether the kind called `kind` is configured.
    public func isConfigured(_ kind: String) -> Bool { byKind[kind] != nil }

    /// The configured kinds, sorted.
    public var kinds: [String] { byKind.keys.sorted() }

    /// The kinds LunaConfig reads when the caller names none (Discord, the one built in).
    public static let standardKinds: [any ChannelSettings.Type] = [DiscordSettings.self]

    /// Reads `[channels.<kind>]` for each of `kinds`, and each kind's legacy table.
    ///
    /// - Throws: ``ConfigError``: an unknown kind under `[channels]` (with a
    ///   suggestion), a kind's own errors, or a kind configured in both
    ///   spellings (positioned at `[channels.<kind>]`, naming the other's line).
    static func parse(root: TableReader, folder: String, kinds: [any ChannelSettings.Type]) throws(ConfigError) -> ChannelSections {
        var sections = ChannelSections()
        var types: [String: any ChannelSettings.Type] = [:]
        for type in kinds { types[type.kind] = type }
        let channels = try root.table("channels")
        if let channels {
            try channels.checkKnownKeys(Set(types.keys))
            for key in channels.keys {
                guard let type = types[key], let table = try channels.table(key) else { continue }
                sections.byKind[key] = try type.parse(table, folder: folder)
            }
        }
        for type in kinds {
            guard let name = type.legacyTable, let legacy = try root.table(name) else { continue }
            if let both = try channels?.table(type.kind) {
                throw both.error(nil, "configures the \(type.kind) channel a second time: [\(name)] at line \(legacy.position.line) "
                                 + "already does; keep one of them (they take the same keys)")
            }
            sections.byKind[type.kind] = try type.parse(legacy, folder: folder)
        }
        return sections
    }
}
