/// One named, forward-only schema change.
///
/// ``Database/migrate(_:)`` applies each migration once, in order, in its own
/// `BEGIN IMMEDIATE` transaction, and records its name in `schema_migrations`.
/// Never rename or edit a migration that has shipped: add a new one. The SQL may
/// hold several statements but must not manage transactions itself.
public struct Migration: Sendable, Equatable {
    /// The unique name recorded once applied, e.g. `"001-proposals"`.
    public let name: String
    /// The SQL to run, possibly several statements.
    public let sql: String

    /// Creates a migration.
    ///
    /// - Parameters:
    ///   - name: Unique, stable name.
    ///   - sql: The statements to run.
    public init(_ name: String, _ sql: String) {
        self.name = name
        self.sql = sql
    }
}
