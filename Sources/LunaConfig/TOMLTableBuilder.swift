/// A mutable table used while parsing; frozen into a ``TOMLTable`` at the end.
///
/// It remembers how each table came to exist, which decides what TOML allows
/// next: a table only implied by a header path (`[a.b]` implies `a`) may still
/// be defined once with its own header; a defined one may not.
final class TOMLTableBuilder {
    /// How the table came to exist.
    enum Origin {
        /// Implied by a longer header path; may still be defined by `[header]`.
        case implicit
        /// Defined by `[header]`, `[[header]]`, an inline table, or the root.
        case explicit
    }

    /// What a key holds while parsing.
    enum Entry {
        /// A finished value (including static arrays and inline tables, which are frozen).
        case value(TOMLValue)
        /// A table that may still grow.
        case table(TOMLTableBuilder)
        /// An array of tables made by `[[header]]`; the last element may still grow.
        case tableArray(TableArray)
    }

    /// The elements of an array of tables, shared so a new `[[header]]` appends
    /// in place (amortised O(1)) instead of copying every earlier element.
    final class TableArray {
        var elements: [TOMLTableBuilder]
        init(first: TOMLTableBuilder) { elements = [first] }
        /// The element that following keys go into.
        var last: TOMLTableBuilder { elements[elements.count - 1] }
    }

    var keys: [String] = []
    var entries: [String: Entry] = [:]
    var keyPositions: [String: SourcePosition] = [:]
    var position: SourcePosition
    var origin: Origin

    init(position: SourcePosition, origin: Origin) {
        self.position = position
        self.origin = origin
    }

    /// Adds a new key (the caller has checked that it is absent).
    func add(_ key: String, _ entry: Entry, at position: SourcePosition) {
        keys.append(key)
        entries[key] = entry
        keyPositions[key] = position
    }

    /// The finished, immutable table (recursively), with `file` set everywhere.
    func freeze(file: String) -> TOMLTable {
        var table = TOMLTable(file: file, position: position)
        for key in keys {
            guard let entry = entries[key] else { continue }
            let value: TOMLValue
            switch entry {
            case .value(let finished): value = finished
            case .table(let child): value = .table(child.freeze(file: file))
            case .tableArray(let array): value = .array(array.elements.map { .table($0.freeze(file: file)) })
            }
            table.set(key, value, at: keyPositions[key])
        }
        return table
    }
}
