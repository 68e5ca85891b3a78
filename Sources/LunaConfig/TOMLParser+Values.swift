/// Values: strings, integers, booleans, arrays and inline tables; the TOML
/// values luna.toml has no use for are refused as unsupported where they start.
extension TOMLParser {
    /// Parses the value at the cursor.
    mutating func parseValue() throws(ConfigError) -> TOMLValue {
        guard let byte = currentByte else { throw error("expected a value after '=', found end of file") }
        switch byte {
        case Byte.quote, Byte.apostrophe:
            if self.byte(at: index + 1) == byte && self.byte(at: index + 2) == byte {
                throw error(
                    "multi-line strings are not supported in luna.toml; write the value on one line "
                        + "(\\n in a \"...\" string is a line break)", kind: .unsupported)
            }
            return .string(byte == Byte.quote ? try parseBasicString() : try parseLiteralString())
        case Byte.openBracket:
            return try parseArray()
        case Byte.openBrace:
            return try parseInlineTable()
        case Byte.plus, Byte.minus:
            return try parseNumber()
        case _ where Byte.isDigit(byte):
            return try parseNumber()
        case _ where Byte.isLetter(byte):
            let start = index
            let startPosition = position
            while let next = currentByte, Byte.isBareKey(next) { index += 1 }
            let word = String(decoding: bytes[start..<index], as: UTF8.self)
            switch word {
            case "true": return .boolean(true)
            case "false": return .boolean(false)
            case "inf", "nan": throw unsupportedFloat(word, at: startPosition)
            default:
                throw error(
                    "expected a value, found the bare word '\(word)'; strings must be quoted (\"\(word)\")",
                    at: startPosition)
            }
        default:
            throw error(
                "expected a value (string, number, boolean, array or inline table), found \(describeCurrent())")
        }
    }

    // MARK: Strings

    /// Parses `"..."` with escapes; the cursor is on the opening quote.
    mutating func parseBasicString() throws(ConfigError) -> String {
        let start = position
        index += 1
        var out: [UInt8] = []
        while true {
            guard let byte = currentByte else {
                throw error("unterminated string: missing closing '\"' before end of file", at: start)
            }
            switch byte {
            case Byte.quote:
                index += 1
                return String(decoding: out, as: UTF8.self)
            case Byte.backslash:
                try parseEscape(into: &out)
            case Byte.newline, Byte.carriageReturn:
                throw error("unterminated string: missing closing '\"' before end of line", at: start)
            case _ where Byte.isControl(byte):
                throw error(
                    "control character \(Byte.scalarName(byte)) is not allowed in a string; "
                        + "write it as an escape (\\u\(Byte.scalarName(byte).dropFirst(2)))")
            default:
                out.append(byte)
                index += 1
            }
        }
    }

    /// Parses `'...'` (no escapes); the cursor is on the opening apostrophe.
    mutating func parseLiteralString() throws(ConfigError) -> String {
        let start = position
        index += 1
        let contentStart = index
        while true {
            guard let byte = currentByte else {
                throw error("unterminated string: missing closing \"'\" before end of file", at: start)
            }
            switch byte {
            case Byte.apostrophe:
                index += 1
                return String(decoding: bytes[contentStart..<(index - 1)], as: UTF8.self)
            case Byte.newline, Byte.carriageReturn:
                throw error("unterminated string: missing closing \"'\" before end of line", at: start)
            case _ where Byte.isControl(byte):
                throw error("control character \(Byte.scalarName(byte)) is not allowed in a string")
            default:
                index += 1
            }
        }
    }

    /// Decodes one escape; the cursor is on the backslash.
    mutating func parseEscape(into out: inout [UInt8]) throws(ConfigError) {
        let start = position
        index += 1
        guard let byte = currentByte else {
            throw error("unterminated string: missing closing '\"' before end of file", at: start)
        }
        let simple: UInt8?
        switch byte {
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "t"): simple = Byte.tab
        case UInt8(ascii: "n"): simple = Byte.newline
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "r"): simple = Byte.carriageReturn
        case Byte.quote: simple = Byte.quote
        case Byte.backslash: simple = Byte.backslash
        default: simple = nil
        }
        if let simple {
            out.append(simple)
            index += 1
            return
        }
        guard byte == UInt8(ascii: "u") || byte == UInt8(ascii: "U") else {
            let shown = (byte == Byte.newline || byte == Byte.carriageReturn || Byte.isControl(byte))
                ? "\\ followed by \(describeCurrent())" : "'\\\(scalar(at: index))'"
            throw error(
                "invalid escape sequence \(shown); valid escapes are "
                    + "\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX", at: start)
        }
        let count = byte == UInt8(ascii: "u") ? 4 : 8
        let letter = byte == UInt8(ascii: "u") ? "u" : "U"
        index += 1
        var code: UInt32 = 0
        for offset in 0..<count {
            guard let digit = self.byte(at: index + offset), Byte.isHexDigit(digit) else {
                throw error(
                    "invalid escape sequence: \\\(letter) must be followed by \(count) hex digits", at: start)
            }
            code = code << 4 | UInt32(hexValue(digit))
        }
        guard let scalar = Unicode.Scalar(code) else {
            let hex = String(code, radix: 16, uppercase: true)
            throw error(
                "invalid escape sequence: U+\(hex) is not a Unicode scalar value (surrogate or too large)",
                at: start)
        }
        index += count
        out.append(contentsOf: String(Character(scalar)).utf8)
    }

    private func hexValue(_ digit: UInt8) -> UInt8 {
        switch digit {
        case 0x30...0x39: digit - 0x30
        case 0x41...0x46: digit - 0x41 + 10
        default: digit - 0x61 + 10
        }
    }

    // MARK: Numbers

    /// Parses a decimal integer; refuses floats, other radixes, dates and times as unsupported.
    mutating func parseNumber() throws(ConfigError) -> TOMLValue {
        let start = index
        let startPosition = position
        while let byte = currentByte,
            Byte.isBareKey(byte) || byte == Byte.plus || byte == Byte.dot || byte == Byte.colon
        {
            index += 1
        }
        let token = Array(bytes[start..<index])
        let text = String(decoding: token, as: UTF8.self)
        if looksLikeDateOrTime(token) {
            throw error(
                "dates and times are not supported in luna.toml (found '\(text)'); write it as a string",
                at: startPosition, kind: .unsupported)
        }
        let unsigned = token.first == Byte.plus || token.first == Byte.minus ? token.dropFirst() : token[...]
        if unsigned.count > 1, unsigned.first == UInt8(ascii: "0"),
            let second = unsigned.dropFirst().first, [UInt8(ascii: "x"), UInt8(ascii: "o"), UInt8(ascii: "b")].contains(second)
        {
            throw error(
                "hexadecimal, octal and binary integers are not supported in luna.toml (found '\(text)'); write the number in decimal",
                at: startPosition, kind: .unsupported)
        }
        if unsigned.elementsEqual("inf".utf8) || unsigned.elementsEqual("nan".utf8)
            || unsigned.contains(where: { $0 == Byte.dot || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
        {
            throw unsupportedFloat(text, at: startPosition)
        }
        do {
            return .integer(try TOMLNumber.parse(token))
        } catch {
            throw self.error("invalid number '\(text)': \(error.reason)", at: startPosition)
        }
    }

    func unsupportedFloat(_ text: String, at position: SourcePosition) -> ConfigError {
        error("floats are not supported in luna.toml (found '\(text)'); every setting is a whole number",
              at: position, kind: .unsupported)
    }

    private func looksLikeDateOrTime(_ token: [UInt8]) -> Bool {
        func digits(_ range: Range<Int>) -> Bool {
            range.upperBound <= token.count && token[range].allSatisfy(Byte.isDigit)
        }
        if digits(0..<4) && token.count > 4 && token[4] == Byte.minus { return true }
        if digits(0..<2) && token.count > 2 && token[2] == Byte.colon { return true }
        return false
    }

    // MARK: Arrays and inline tables

    /// Skips whitespace, newlines and comments (inside arrays).
    mutating func skipBlank() throws(ConfigError) {
        while let byte = currentByte {
            if byte == Byte.space || byte == Byte.tab {
                index += 1
            } else if byte == Byte.hash {
                try skipComment()
            } else if byte == Byte.newline || byte == Byte.carriageReturn {
                try consumeNewline()
            } else {
                return
            }
        }
    }

    /// Parses `[ v, v, ... ]` (multi-line, comments, trailing comma, mixed types).
    mutating func parseArray() throws(ConfigError) -> TOMLValue {
        let start = position
        try enterNesting(at: start)
        defer { nesting -= 1 }
        index += 1
        var items: [TOMLValue] = []
        while true {
            try skipBlank()
            if currentByte == Byte.closeBracket {
                index += 1
                return .array(items)
            }
            if currentByte == nil {
                throw error("unterminated array: missing ']' (array opened at \(Self.describe(start)))")
            }
            items.append(try parseValue())
            try skipBlank()
            switch currentByte {
            case Byte.comma:
                index += 1
            case Byte.closeBracket:
                index += 1
                return .array(items)
            case nil:
                throw error("unterminated array: missing ']' (array opened at \(Self.describe(start)))")
            default:
                throw error("expected ',' or ']' after an array element, found \(describeCurrent())")
            }
        }
    }

    /// Parses `{ k = v, ... }` on one line (TOML 1.0: no newlines, no trailing comma).
    mutating func parseInlineTable() throws(ConfigError) -> TOMLValue {
        let start = position
        try enterNesting(at: start)
        defer { nesting -= 1 }
        index += 1
        let table = TOMLTableBuilder(position: start, origin: .explicit)
        skipWhitespace()
        if currentByte == Byte.closeBrace {
            index += 1
            return .table(table.freeze(file: file))
        }
        while true {
            if atNewline || currentByte == Byte.carriageReturn {
                throw error("an inline table must be on one line: expected a key or '}', found end of line")
            }
            let key = try parseValueKey()
            guard currentByte == Byte.equals else {
                throw error("expected '=' after key '\(Self.displayKey(key.name))', found \(describeCurrent())")
            }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            try insert(value, at: key, into: table)
            skipWhitespace()
            switch currentByte {
            case Byte.comma:
                index += 1
                skipWhitespace()
                if currentByte == Byte.closeBrace {
                    throw error("a trailing comma is not allowed in an inline table")
                }
            case Byte.closeBrace:
                index += 1
                return .table(table.freeze(file: file))
            default:
                throw error("expected ',' or '}' in an inline table, found \(describeCurrent())")
            }
        }
    }
}
