/// Keys, key/value pairs and table headers, with TOML's rules about which
/// tables may be defined or extended where. Dotted parts are for headers
/// (`[a.b]`); a dotted key in a key/value pair is refused as unsupported.
extension TOMLParser {
    /// One segment of a (possibly dotted) key and where it was written.
    struct KeyPart {
        var name: String
        var position: SourcePosition
    }

    /// A key as written, for messages: segments joined with `.`, quoted when not bare.
    static func display(_ parts: some Collection<KeyPart>) -> String {
        parts.map { displayKey($0.name) }.joined(separator: ".")
    }

    /// A single key for messages: bare when it can be, else a quoted string.
    static func displayKey(_ key: String) -> String {
        if !key.isEmpty && key.utf8.allSatisfy(Byte.isBareKey) { return key }
        var escaped = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return "\"" + escaped + "\""
    }

    static func describe(_ position: SourcePosition) -> String {
        "line \(position.line), column \(position.column)"
    }

    // MARK: Keys

    /// Parses `a`, `"a b"`, `'a'`, `a.b."c"` (whitespace allowed around dots; dotted
    /// only in headers); leaves the cursor after trailing whitespace.
    mutating func parseKey() throws(ConfigError) -> [KeyPart] {
        var parts: [KeyPart] = []
        while true {
            let start = position
            guard parts.count < Self.maximumKeyParts else {
                throw error("a key may have at most \(Self.maximumKeyParts) dotted parts", at: start)
            }
            let name = try parseSimpleKey()
            parts.append(KeyPart(name: name, position: start))
            skipWhitespace()
            guard currentByte == Byte.dot else { return parts }
            index += 1
            skipWhitespace()
        }
    }

    mutating func parseSimpleKey() throws(ConfigError) -> String {
        guard let byte = currentByte else { throw error("expected a key, found end of file") }
        switch byte {
        case Byte.quote, Byte.apostrophe:
            if self.byte(at: index + 1) == byte && self.byte(at: index + 2) == byte {
                throw error("a multi-line string cannot be used as a key")
            }
            return byte == Byte.quote ? try parseBasicString() : try parseLiteralString()
        case _ where Byte.isBareKey(byte):
            let start = index
            while let next = currentByte, Byte.isBareKey(next) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        default:
            throw error(
                "expected a key (letters, digits, '_', '-', or a quoted string), found \(describeCurrent())")
        }
    }

    // MARK: Key/value pairs

    /// Parses `key = value` and adds it to `table`.
    mutating func parseKeyValue(into table: TOMLTableBuilder) throws(ConfigError) {
        let key = try parseValueKey()
        guard currentByte == Byte.equals else {
            throw error("expected '=' after key '\(Self.displayKey(key.name))', found \(describeCurrent())")
        }
        index += 1
        skipWhitespace()
        let value = try parseValue()
        try insert(value, at: key, into: table)
    }

    /// The key of a key/value pair: one part; a dotted one is refused where it starts.
    mutating func parseValueKey() throws(ConfigError) -> KeyPart {
        let key = try parseKey()
        guard key.count == 1, let only = key.first else {
            throw error(
                "dotted keys are not supported in luna.toml (found '\(Self.display(key))'); "
                    + "write \(Self.displayKey(key[key.count - 1].name)) = … under the header [\(Self.display(key.dropLast()))]",
                at: key[0].position, kind: .unsupported)
        }
        return only
    }

    /// Adds `value` under `key`, refusing a key the table already has.
    func insert(_ value: TOMLValue, at key: KeyPart, into table: TOMLTableBuilder) throws(ConfigError) {
        if table.entries[key.name] != nil {
            let first = Self.describe(table.keyPositions[key.name] ?? key.position)
            throw error(
                "duplicate key '\(Self.displayKey(key.name))' (first defined at \(first))",
                at: key.position, kind: .duplicate)
        }
        table.add(key.name, .value(value), at: key.position)
    }

    // MARK: Headers

    /// Parses `[a.b]` or `[[a.b]]` and returns the table that following keys go into.
    mutating func parseTableHeader(root: TOMLTableBuilder) throws(ConfigError) -> TOMLTableBuilder {
        let headerPosition = position
        index += 1
        let isArray = currentByte == Byte.openBracket
        if isArray { index += 1 }
        skipWhitespace()
        let key = try parseKey()
        let close = isArray ? "]]" : "]"
        guard currentByte == Byte.closeBracket, !isArray || byte(at: index + 1) == Byte.closeBracket else {
            let open = isArray ? "[[" : "["
            if isArray && currentByte == Byte.closeBracket { index += 1 }  // point past the lone ']'
            throw error(
                "expected '\(close)' to close the table header \(open)\(Self.display(key)), found \(describeCurrent())")
        }
        index += close.utf8.count

        var node = root
        for (offset, part) in key.dropLast().enumerated() {
            let path = Self.display(key.prefix(offset + 1))
            guard let entry = node.entries[part.name] else {
                let child = TOMLTableBuilder(position: part.position, origin: .implicit)
                node.add(part.name, .table(child), at: part.position)
                node = child
                continue
            }
            let first = Self.describe(node.keyPositions[part.name] ?? part.position)
            switch entry {
            case .table(let child):
                node = child
            case .tableArray(let array):
                node = array.last
            case .value(.table):
                throw error(
                    "'\(path)' is an inline table (defined at \(first)) and cannot be extended",
                    at: part.position, kind: .duplicate)
            case .value:
                throw error(
                    "key '\(path)' is already defined as a value at \(first); it cannot also be a table",
                    at: part.position, kind: .duplicate)
            }
        }

        guard let last = key.last else { return node }
        let path = Self.display(key)
        let fresh = TOMLTableBuilder(position: headerPosition, origin: .explicit)
        guard let entry = node.entries[last.name] else {
            node.add(last.name, isArray ? .tableArray(TOMLTableBuilder.TableArray(first: fresh)) : .table(fresh), at: last.position)
            return fresh
        }
        let first = Self.describe(node.keyPositions[last.name] ?? last.position)
        switch (entry, isArray) {
        case (.tableArray(let array), true):
            array.elements.append(fresh)  // in place: copying the array per header would be quadratic
            return fresh
        case (.table(let existing), false) where existing.origin == .implicit:
            existing.origin = .explicit
            existing.position = headerPosition
            return existing
        case (.table(let existing), false):
            throw error(
                "table [\(path)] is defined twice (first at \(Self.describe(existing.position)))",
                at: last.position, kind: .duplicate)
        case (.table(let existing), true):
            throw error(
                "cannot define [[\(path)]]: '\(path)' is already a table (defined at \(Self.describe(existing.position)))",
                at: last.position, kind: .duplicate)
        case (.tableArray, false):
            throw error(
                "[\(path)] is an array of tables (first defined at \(first)); use [[\(path)]] to add an element",
                at: last.position, kind: .duplicate)
        case (.value(.table), _):
            throw error(
                "'\(path)' is an inline table (defined at \(first)) and cannot be redefined",
                at: last.position, kind: .duplicate)
        case (.value(.array), true):
            throw error(
                "cannot append to '\(path)' with [[\(path)]]: it is a static array (defined at \(first))",
                at: last.position, kind: .duplicate)
        case (.value, _):
            throw error(
                "key '\(path)' is already defined as a value at \(first); it cannot also be a table",
                at: last.position, kind: .duplicate)
        }
    }
}
