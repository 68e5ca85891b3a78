/// One named, forward-only schema change.
///
/// ``Database/migrate(_:)`` applies each migration once, in order, in its own
/// `BEGIN IMMEDIATE` transaction, and records its name in `schema_migrations`.
/// Never edit a migration that has shipped: add a new one. A shipped migration may
/// be renamed or split only by naming it in `supersedes`, so a database that
/// applied it under the old name does not run it again. The SQL may hold several
/// statements but must not manage transactions itself.
public struct Migration: Sendable, Equatable {
    /// The unique name recorded once applied, e.g. `"001-proposals"`.
    public let name: String
    /// The SQL to run, possibly several statements.
    public let sql: String
    /// Names this migration shipped under before (it was renamed, or split out of a
    /// larger one): when any of them is recorded, the changes are already in the
    /// database, so only the new name is recorded and the SQL does not run.
    public let supersedes: [String]

    /// Creates a migration.
    ///
    /// - Parameters:
    ///   - name: Unique, stable name.
    ///   - sql: The statements to run.
    ///   - supersedes: Former names whose application already made these changes.
    public init(_ name: String, _ sql: String, supersedes: [String] = []) {
        self.name = name
        self.sql = sql
        self.supersedes = supersedes
    }
}
