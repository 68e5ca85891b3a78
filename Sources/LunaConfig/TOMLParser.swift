/// The recursive-descent parser behind ``TOML``: a cursor over UTF-8 bytes that
/// tracks line and line start so every error can name line and column.
///
/// Bounded for hostile input: arrays and inline tables nest at most
/// ``maximumNesting`` levels and a key has at most ``maximumKeyParts`` dotted
/// parts, so recursion depth is bounded whatever the file holds; and positions
/// cost amortised O(1) (a column cursor moves forward along the line instead of
/// rescanning it from the start for every value), so parsing is linear.
///
/// Values (strings, integers, booleans, arrays, inline tables) are in
/// `TOMLParser+Values.swift`; table and key semantics in `TOMLParser+Tables.swift`.
struct TOMLParser {
    let bytes: [UInt8]
    let file: String
    /// Offset of the next unread byte.
    var index = 0
    /// 1-based line of `index`.
    var line = 1
    /// Offset of the first byte of the current line.
    var lineStart = 0
    /// How many arrays and inline tables enclose the cursor.
    var nesting = 0
    /// The last column computed, reused by the next ``position(at:)`` on the same line.
    let columns = ColumnCursor()

    /// The deepest nesting of arrays and inline tables accepted.
    static let maximumNesting = 64
    /// The most dotted parts a key (or table header) may have.
    static let maximumKeyParts = 64

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    // MARK: Document

    /// Parses the whole document into the root table.
    mutating func parseDocument() throws(ConfigError) -> TOMLTable {
        try validateUTF8()
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            index = 3
            lineStart = 3
        }
        let root = TOMLTableBuilder(position: .wholeFile, origin: .explicit)
        var current = root
        while let byte = currentByte {
            switch byte {
            case Byte.space, Byte.tab:
                index += 1
            case Byte.hash:
                try skipComment()
            case Byte.newline, Byte.carriageReturn:
                try consumeNewline()
            case Byte.openBracket:
                current = try parseTableHeader(root: root)
                try expectLineEnd(after: "table header")
            default:
                try parseKeyValue(into: current)
                try expectLineEnd(after: "value")
            }
        }
        return root.freeze(file: file)
    }

    // MARK: Cursor

    var currentByte: UInt8? { index < bytes.count ? bytes[index] : nil }

    func byte(at offset: Int) -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    /// The line and column of `offset`, which must be on the current line.
    ///
    /// Columns count scalars from the line start; the count is resumed from the
    /// last offset asked for on this line when that lies before `offset`, so a
    /// long line is walked once, not once per value.
    func position(at offset: Int) -> SourcePosition {
        var column = 1
        var cursor = lineStart
        if columns.lineStart == lineStart && columns.offset <= offset && columns.offset >= lineStart {
            column = columns.column
            cursor = columns.offset
        }
        while cursor < offset {
            if bytes[cursor] & 0xC0 != 0x80 { column += 1 }
            cursor += 1
        }
        columns.lineStart = lineStart
        columns.offset = offset
        columns.column = column
        return SourcePosition(line: line, column: column)
    }

    /// Enters an array or inline table opened at `start`, refusing one level too deep.
    mutating func enterNesting(at start: SourcePosition) throws(ConfigError) {
        guard nesting < Self.maximumNesting else {
            throw error(
                "nested deeper than \(Self.maximumNesting) (arrays and inline tables may nest at most \(Self.maximumNesting) levels)",
                at: start)
        }
        nesting += 1
    }

    /// The position of the cursor.
    var position: SourcePosition { position(at: index) }

    func error(_ message: String, at position: SourcePosition, kind: ConfigError.Kind = .syntax) -> ConfigError {
        ConfigError(file: file, position: position, message: message, kind: kind)
    }

    func error(_ message: String, kind: ConfigError.Kind = .syntax) -> ConfigError {
        error(message, at: position, kind: kind)
    }

    /// Consumes `\n` or `\r\n` and moves to the next line.
    mutating func consumeNewline() throws(ConfigError) {
        if currentByte == Byte.carriageReturn {
            guard byte(at: index + 1) == Byte.newline else {
                throw error("a carriage return (U+000D) must be followed by a newline")
            }
            index += 1
        }
        index += 1
        line += 1
        lineStart = index
    }

    var atNewline: Bool {
        currentByte == Byte.newline
            || (currentByte == Byte.carriageReturn && byte(at: index + 1) == Byte.newline)
    }

    mutating func skipWhitespace() {
        while let byte = currentByte, byte == Byte.space || byte == Byte.tab { index += 1 }
    }

    /// Skips a `#` comment up to (not including) the end of the line.
    mutating func skipComment() throws(ConfigError) {
        index += 1
        while let byte = currentByte, byte != Byte.newline {
            if byte == Byte.carriageReturn && self.byte(at: index + 1) == Byte.newline { return }
            if Byte.isControl(byte) {
                throw error("control character \(Byte.scalarName(byte)) is not allowed in a comment")
            }
            index += 1
        }
    }

    /// After a key/value pair or header: optional whitespace and comment, then a
    /// newline or the end of the file.
    mutating func expectLineEnd(after what: String) throws(ConfigError) {
        skipWhitespace()
        if currentByte == Byte.hash { try skipComment() }
        guard let byte = currentByte else { return }
        guard byte == Byte.newline || byte == Byte.carriageReturn else {
            throw error("expected end of line after \(what), found \(describeCurrent())")
        }
        try consumeNewline()
    }

    /// The character at the cursor for messages: `'x'`, `U+0007`, "end of line", "end of file".
    func describeCurrent() -> String {
        guard let byte = currentByte else { return "end of file" }
        if byte == Byte.newline || (byte == Byte.carriageReturn && self.byte(at: index + 1) == Byte.newline) {
            return "end of line"
        }
        if Byte.isControl(byte) { return Byte.scalarName(byte) }
        return "'\(scalar(at: index))'"
    }

    /// The (valid) Unicode scalar starting at `offset`, as a string.
    func scalar(at offset: Int) -> String {
        var end = offset + 1
        while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }

    // MARK: UTF-8

    /// Rejects invalid UTF-8 at the line and column of the first bad byte.
    mutating func validateUTF8() throws(ConfigError) {
        var offset = 0
        while offset < bytes.count {
            let length = Byte.validSequenceLength(bytes, at: offset)
            if length == 0 {
                // Lines and columns up to here are valid, so we can count them.
                var lineNumber = 1
                var start = 0
                for cursor in 0..<offset where bytes[cursor] == Byte.newline {
                    lineNumber += 1
                    start = cursor + 1
                }
                line = lineNumber
                lineStart = start
                let hex = String(bytes[offset], radix: 16, uppercase: true)
                throw error(
                    "invalid UTF-8 (byte 0x\(hex.count == 1 ? "0" + hex : hex)); the file must be UTF-8 text",
                    at: position(at: offset))
            }
            offset += length
        }
    }
}

/// Where ``TOMLParser/position(at:)`` last stopped: a line start, an offset on
/// that line and the column there. A class so the non-mutating position
/// lookups can move it.
final class ColumnCursor {
    var lineStart = -1
    var offset = 0
    var column = 1
}

/// Byte constants and classification for the parser.
enum Byte {
    static let tab: UInt8 = 0x09
    static let newline: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22  // "
    static let hash: UInt8 = 0x23  // #
    static let apostrophe: UInt8 = 0x27  // '
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let colon: UInt8 = 0x3A
    static let equals: UInt8 = 0x3D
    static let openBracket: UInt8 = 0x5B  // [
    static let backslash: UInt8 = 0x5C
    static let closeBracket: UInt8 = 0x5D  // ]
    static let underscore: UInt8 = 0x5F
    static let openBrace: UInt8 = 0x7B  // {
    static let closeBrace: UInt8 = 0x7D  // }

    /// Control characters TOML forbids in strings and comments (tab is allowed).
    static func isControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != tab) || byte == 0x7F
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// `A-Z a-z 0-9 _ -`
    static func isBareKey(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == underscore || byte == minus
    }

    /// `U+0007` style name of a byte below 0x80.
    static func scalarName(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    /// Length of the valid UTF-8 sequence at `offset`, or 0 when it is invalid
    /// (bad lead byte, truncated, overlong, surrogate, or above U+10FFFF).
    static func validSequenceLength(_ bytes: [UInt8], at offset: Int) -> Int {
        let lead = bytes[offset]
        if lead < 0x80 { return 1 }
        let length: Int
        var lowerBound: UInt8 = 0x80
        var upperBound: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowerBound = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upperBound = 0x9F
        case 0xF0: length = 4; lowerBound = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upperBound = 0x8F
        default: return 0
        }
        guard offset + length <= bytes.count else { return 0 }
        let second = bytes[offset + 1]
        guard second >= lowerBound && second <= upperBound else { return 0 }
        for cursor in (offset + 2)..<(offset + length) where bytes[cursor] & 0xC0 != 0x80 {
            return 0
        }
        return length
    }
}
