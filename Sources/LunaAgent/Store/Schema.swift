import LunaMemory
import LunaStore

/// The state database's migrations: each room's own, composed in the order they
/// run (a room's tables may refer to the ledger's, never the other way round).
public enum Schema {
    public static let migrations: [Migration] =
        Ledger.migrations + ChannelOutbox.migrations + MemoryStore.migrations + SkillRegistry.migrations
}
