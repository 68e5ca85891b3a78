import Testing

@testable import LunaConfig

/// One malformed document and the exact error it must produce.
struct BadInput: CustomTestStringConvertible, Sendable {
    var text: String
    var line: Int
    var column: Int
    var phrase: String
    var kind: ConfigError.Kind = .syntax

    init(_ text: String, _ line: Int, _ column: Int, _ phrase: String, _ kind: ConfigError.Kind = .syntax) {
        self.text = text
        self.line = line
        self.column = column
        self.phrase = phrase
        self.kind = kind
    }

    var testDescription: String { "\(phrase) @ \(line):\(column)" }
}

@Suite("TOML: errors name line, column and what was expected")
struct TOMLErrorTests {
    static let cases: [BadInput] = [
        // Duplicates and redefinitions.
        BadInput("a = 1\na = 2", 2, 1, "duplicate key 'a' (first defined at line 1, column 1)", .duplicate),
        BadInput("[x]\ny = 1\ny = 2", 3, 1, "duplicate key 'y'", .duplicate),
        BadInput("t = {a = 1, a = 2}", 1, 13, "duplicate key 'a'", .duplicate),
        BadInput("[t]\na=1\n[t]", 3, 2, "table [t] is defined twice (first at line 1, column 1)", .duplicate),
        BadInput("[a.b]\n[a.b]", 2, 4, "table [a.b] is defined twice", .duplicate),
        BadInput(
            "[fruit.apple]\ncolor = 1\n[fruit.apple]", 3, 8,
            "table [fruit.apple] is defined twice (first at line 1, column 1)", .duplicate),
        BadInput(
            "a = 1\n[a]", 2, 2, "key 'a' is already defined as a value at line 1, column 1; it cannot also be a table",
            .duplicate),
        BadInput("a = 1\na.b = 2", 2, 1, "dotted keys are not supported in luna.toml (found 'a.b')", .unsupported),
        BadInput("a = 1\n[a.b]", 2, 2, "key 'a' is already defined as a value", .duplicate),
        BadInput("[x]\n[[x]]", 2, 3, "cannot define [[x]]: 'x' is already a table", .duplicate),
        BadInput("[[x]]\n[x]", 2, 2, "[x] is an array of tables", .duplicate),
        BadInput("x = [1]\n[[x]]", 2, 3, "it is a static array", .duplicate),
        BadInput("t = {a = 1}\n[t]", 2, 2, "'t' is an inline table", .duplicate),
        BadInput("t = {a = 1}\n[t.b]", 2, 2, "'t' is an inline table", .duplicate),
        // From toml-test: injection through dotted keys is refused before it can extend a table.
        BadInput("t = {a = 1}\nt.b = 2", 2, 1, "dotted keys are not supported in luna.toml (found 't.b')", .unsupported),
        BadInput("[a.b]\nx = 1\n[a]\nb.y = 2", 4, 1, "dotted keys are not supported in luna.toml (found 'b.y')", .unsupported),
        BadInput("[a.b.c]\n  z = 9\n[a]\n  b.c.t = 1", 4, 3, "write t = … under the header [b.c]", .unsupported),
        BadInput(
            "tbl = { fruit = { apple.color = \"red\" }, fruit.apple.texture = { smooth = true } }", 1, 19,
            "dotted keys are not supported in luna.toml (found 'apple.color')", .unsupported),
        BadInput("a = [{ b = 1 }]\n[a.c]", 2, 2, "key 'a' is already defined as a value", .duplicate),
        // Strings.
        BadInput("a = \"abc", 1, 5, "unterminated string: missing closing '\"' before end of file"),
        BadInput("a = \"abc\nb = 1", 1, 5, "unterminated string: missing closing '\"' before end of line"),
        BadInput("a = 'abc\nb = 1", 1, 5, "unterminated string: missing closing \"'\""),
        BadInput("a = \"\"\"abc\n\n", 1, 5, "multi-line strings are not supported in luna.toml", .unsupported),
        BadInput("a = '''abc\n", 1, 5, "multi-line strings are not supported in luna.toml", .unsupported),
        BadInput("a = \"x\\qy\"", 1, 7, "invalid escape sequence '\\q'"),
        BadInput("a = \"ok \\x\"", 1, 9, "invalid escape sequence '\\x'"),
        BadInput("a = \"\\u12\"", 1, 6, "\\u must be followed by 4 hex digits"),
        BadInput("a = \"\\U0000004\"", 1, 6, "\\U must be followed by 8 hex digits"),
        BadInput("a = \"\\uD800\"", 1, 6, "U+D800 is not a Unicode scalar value"),
        BadInput("a = \"\"\"x\"\"\"\"\"\"", 1, 5, "multi-line strings are not supported in luna.toml", .unsupported),
        BadInput("\"\"\"a\"\"\" = 1", 1, 1, "a multi-line string cannot be used as a key"),
        // Control characters.
        BadInput("a = \"x\u{01}\"", 1, 7, "control character U+0001 is not allowed in a string"),
        BadInput("a = 'x\u{7F}'", 1, 7, "control character U+007F is not allowed in a string"),
        BadInput("# bell \u{07}\n", 1, 8, "control character U+0007 is not allowed in a comment"),
        BadInput("a = 1\rb = 2", 1, 6, "a carriage return (U+000D) must be followed by a newline"),
        BadInput("\u{01} = 1", 1, 1, "expected a key (letters, digits, '_', '-', or a quoted string), found U+0001"),
        // Numbers.
        BadInput("n = 1__0", 1, 5, "invalid number '1__0': underscores must be between digits"),
        BadInput("n = 1_", 1, 5, "invalid number '1_': underscores must be between digits"),
        BadInput("n = 012", 1, 5, "invalid number '012': leading zeros are not allowed"),
        BadInput("n = 0xZZ", 1, 5, "hexadecimal, octal and binary integers are not supported in luna.toml (found '0xZZ')", .unsupported),
        BadInput("n = 0b102", 1, 5, "hexadecimal, octal and binary integers are not supported in luna.toml", .unsupported),
        BadInput("n = -0x1", 1, 5, "hexadecimal, octal and binary integers are not supported in luna.toml", .unsupported),
        BadInput("n = 1.", 1, 5, "floats are not supported in luna.toml (found '1.')", .unsupported),
        BadInput("n = 1e", 1, 5, "floats are not supported in luna.toml (found '1e')", .unsupported),
        BadInput("n = 1.5.2", 1, 5, "floats are not supported in luna.toml (found '1.5.2'); every setting is a whole number", .unsupported),
        BadInput("n = 9223372036854775808", 1, 5, "out of range for a 64-bit integer"),
        BadInput("n = -9223372036854775809", 1, 5, "out of range for a 64-bit integer"),
        BadInput("n = 1e400", 1, 5, "floats are not supported in luna.toml", .unsupported),
        BadInput("n = 1_2x", 1, 5, "invalid number '1_2x': unexpected 'x'"),
        BadInput("n = 12abc", 1, 5, "invalid number '12abc'"),
        BadInput("n = .5", 1, 5, "expected a value (string, number, boolean, array or inline table), found '.'"),
        // Dates are deliberately unsupported.
        BadInput("d = 1979-05-27", 1, 5, "dates and times are not supported in luna.toml (found '1979-05-27'); write it as a string", .unsupported),
        BadInput("d = 1979-05-27T07:32:00Z", 1, 5, "dates and times are not supported in luna.toml", .unsupported),
        BadInput("t = 07:32:00", 1, 5, "dates and times are not supported in luna.toml", .unsupported),
        // Missing '=' and missing values.
        BadInput("name \"x\"", 1, 6, "expected '=' after key 'name', found '\"'"),
        BadInput("[t]\nkey\n", 2, 4, "expected '=' after key 'key', found end of line"),
        BadInput("\"b c\" 1", 1, 7, "expected '=' after key '\"b c\"', found '1'"),
        BadInput("a.\"b c\" 1", 1, 1, "dotted keys are not supported in luna.toml (found 'a.\"b c\"')", .unsupported),
        BadInput("a =", 1, 4, "expected a value after '=', found end of file"),
        BadInput("a = # nothing", 1, 5, "expected a value (string, number, boolean, array or inline table), found '#'"),
        BadInput("a = yes", 1, 5, "found the bare word 'yes'; strings must be quoted (\"yes\")"),
        BadInput("a = True", 1, 5, "found the bare word 'True'"),
        BadInput("= 1", 1, 1, "expected a key"),
        // Junk after a value or header.
        BadInput("a = 1 2", 1, 7, "expected end of line after value, found '2'"),
        BadInput("a = \"x\" y", 1, 9, "expected end of line after value, found 'y'"),
        BadInput("\"ünï\" = 1 2", 1, 11, "expected end of line after value, found '2'"),
        BadInput("[t] x = 1", 1, 5, "expected end of line after table header, found 'x'"),
        BadInput("a = true2", 1, 5, "bare word 'true2'"),
        // Arrays.
        BadInput("a = [1 2]", 1, 8, "expected ',' or ']' after an array element, found '2'"),
        BadInput("a = [1,\n2", 2, 2, "unterminated array: missing ']' (array opened at line 1, column 5)"),
        BadInput("a = [,]", 1, 6, "expected a value"),
        // Inline tables.
        BadInput("t = {a = 1,}", 1, 12, "a trailing comma is not allowed in an inline table"),
        BadInput("t = {a = 1\n}", 1, 11, "expected ',' or '}' in an inline table, found end of line"),
        BadInput("t = {\na = 1}", 1, 6, "an inline table must be on one line"),
        BadInput("t = {a 1}", 1, 8, "expected '=' after key 'a', found '1'"),
        // Headers.
        BadInput("[a", 1, 3, "expected ']' to close the table header [a, found end of file"),
        BadInput("[[a]\nx = 1", 1, 5, "expected ']]' to close the table header [[a, found end of line"),
        BadInput("[a b]", 1, 4, "expected ']' to close the table header [a, found 'b'"),
        BadInput("[]", 1, 2, "expected a key"),
    ]

    @Test(arguments: cases)
    func badInputFailsAtTheRightPlace(_ bad: BadInput) {
        #expect {
            _ = try TOML.parse(bad.text, file: "bad.toml")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            let ok =
                error.file == "bad.toml" && error.line == bad.line && error.column == bad.column
                && error.message.contains(bad.phrase) && error.kind == bad.kind
            if !ok { Issue.record("got: \(error) [\(error.kind)]") }
            return ok
        }
    }

    @Test func descriptionIsFileLineColumnMessage() throws {
        let error = try #require(throws: ConfigError.self) { try TOML.parse("a = 1\na = 2\n", file: "luna.toml") }
        #expect(error.description == "luna.toml:2:1: duplicate key 'a' (first defined at line 1, column 1)")
    }

    @Test(arguments: [
        // (bytes, line, column, bad byte)
        (Array("a = 1\nb = \"".utf8) + [0xFF] + Array("\"".utf8), 2, 6, "0xFF"),
        (Array("a = \"é".utf8) + [0xC3] + Array("\"".utf8), 1, 7, "0xC3"),  // truncated sequence
        (Array("# x ".utf8) + [0xED, 0xA0, 0x80], 1, 5, "0xED"),  // encoded surrogate
        (Array("a = '".utf8) + [0xC0, 0xAF] + Array("'".utf8), 1, 6, "0xC0"),  // overlong
    ])
    func invalidUTF8IsReportedWhereItIs(bytes: [UInt8], line: Int, column: Int, byte: String) throws {
        let error = try #require(throws: ConfigError.self) { try TOML.parse(utf8: bytes, file: "bin.toml") }
        #expect(error.line == line)
        #expect(error.column == column)
        #expect(error.message == "invalid UTF-8 (byte \(byte)); the file must be UTF-8 text")
    }
}
