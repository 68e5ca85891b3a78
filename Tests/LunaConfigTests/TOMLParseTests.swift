import Testing

@testable import LunaConfig

@Suite("TOML: documents that parse")
struct TOMLParseTests {
    func parse(_ text: String) throws -> TOMLTable {
        try TOML.parse(text, file: "test.toml")
    }

    @Test func commentsBlankLinesAndKeyKinds() throws {
        let table = try parse(
            """
            # a comment
            bare = 1   # trailing comment
            bare-key_2 = 2
            1234 = "numeric bare key"
            "quoted key" = 3
            'literal key' = 4
            "" = "empty quoted key"
            \ttabbed\t=\t5

            """)
        #expect(table.keys == ["bare", "bare-key_2", "1234", "quoted key", "literal key", "", "tabbed"])
        #expect(table["bare"] == .integer(1))
        #expect(table["quoted key"] == .integer(3))
        #expect(table["literal key"] == .integer(4))
        #expect(table[""] == .string("empty quoted key"))
        #expect(table["tabbed"] == .integer(5))
        #expect(table.position(of: "bare-key_2") == SourcePosition(line: 3, column: 1))
        #expect(table.position(of: "tabbed") == SourcePosition(line: 8, column: 2))
        #expect(table.position == .wholeFile)
        #expect(table.file == "test.toml")
    }

    /// Dotted keys are not part of luna.toml: the error names the key and the header to write instead.
    @Test func dottedKeysAreRefusedWithTheHeaderToWrite() throws {
        let cases: [(String, String)] = [
            ("site.name = \"home\"", "test.toml:1:1: dotted keys are not supported in luna.toml (found 'site.name'); write name = … under the header [site]"),
            ("\n  site . \"dns zone\" . ttl = 300", "test.toml:2:3: dotted keys are not supported in luna.toml (found 'site.\"dns zone\".ttl'); write ttl = … under the header [site.\"dns zone\"]"),
            ("[fruit]\napple.color = \"red\"", "test.toml:2:1: dotted keys are not supported in luna.toml (found 'apple.color'); write color = … under the header [apple]"),
            ("animal = { type.name = \"pug\" }", "test.toml:1:12: dotted keys are not supported in luna.toml (found 'type.name'); write name = … under the header [type]"),
        ]
        for (text, message) in cases {
            let error = #expect(throws: ConfigError.self) { try parse(text) }
            #expect(error?.description == message)
            #expect(error?.kind == .unsupported)
        }
        // The same names as headers are fine.
        let table = try parse("[site.\"dns zone\"]\nttl = 300")
        #expect(table["site"]?.tableValue?["dns zone"]?.tableValue?["ttl"] == .integer(300))
    }

    @Test func tablesSubtablesAndImplicitParents() throws {
        let table = try parse(
            """
            top = true

            [server]
            port = 8080

            [server.tls]
            cert = "/etc/cert"

            [a.b.c]
            deep = 1

            [a]   # defining an implicitly created table once is allowed
            shallow = 2

            [fruit.apple]
            color = "red"
            [fruit.apple.texture]
            smooth = true
            """)
        #expect(table.keys == ["top", "server", "a", "fruit"])
        let server = try #require(table["server"]?.tableValue)
        #expect(server["port"] == .integer(8080))
        #expect(server.position == SourcePosition(line: 3, column: 1))
        #expect(server["tls"]?.tableValue?["cert"] == .string("/etc/cert"))
        #expect(server["tls"]?.tableValue?.position == SourcePosition(line: 6, column: 1))
        let a = try #require(table["a"]?.tableValue)
        #expect(a["shallow"] == .integer(2))
        #expect(a.position == SourcePosition(line: 12, column: 1))
        #expect(a["b"]?.tableValue?["c"]?.tableValue?["deep"] == .integer(1))
        let apple = try #require(table["fruit"]?.tableValue?["apple"]?.tableValue)
        #expect(apple["color"] == .string("red"))
        #expect(apple["texture"]?.tableValue?["smooth"] == .boolean(true))
    }

    @Test func arraysOfTables() throws {
        let table = try parse(
            """
            [[hosts]]
            name = "web1"

            [[hosts]]
            name = "db1"
            [hosts.ssh]
            port = 2222
            [[hosts.disks]]
            dev = "sda"
            [[hosts.disks]]
            dev = "sdb"

            [[site.hosts]]
            name = "nested"
            """)
        let hosts = try #require(table["hosts"]?.arrayValue)
        #expect(hosts.count == 2)
        #expect(hosts[0].tableValue?["name"] == .string("web1"))
        #expect(hosts[0].tableValue?.position == SourcePosition(line: 1, column: 1))
        let db = try #require(hosts[1].tableValue)
        #expect(db.position == SourcePosition(line: 4, column: 1))
        #expect(db["ssh"]?.tableValue?["port"] == .integer(2222))
        #expect(db["disks"]?.arrayValue?.count == 2)
        #expect(db["disks"]?.arrayValue?[1].tableValue?["dev"] == .string("sdb"))
        #expect(table["site"]?.tableValue?["hosts"]?.arrayValue?.first?.tableValue?["name"] == .string("nested"))
    }

    @Test func basicStringEscapes() throws {
        let table = try parse(
            #"""
            s = "quote \" backslash \\ nl \n tab \t cr \r bs \b ff \f"
            u = "\u00e9\u2603 \U0001F600"
            raw = "tab	inside and ünïcödé"
            """#)
        #expect(table["s"] == .string("quote \" backslash \\ nl \n tab \t cr \r bs \u{08} ff \u{0C}"))
        #expect(table["u"] == .string("é☃ 😀"))
        #expect(table["raw"] == .string("tab\tinside and ünïcödé"))
    }

    @Test func literalStrings() throws {
        let table = try parse(
            #"""
            path = 'C:\Users\nodejs\templates'
            regex = '<\i\c*\s*>'
            quoted = 'Tom "Dubs" Preston-Werner'
            """#)
        #expect(table["path"] == .string(#"C:\Users\nodejs\templates"#))
        #expect(table["regex"] == .string(#"<\i\c*\s*>"#))
        #expect(table["quoted"] == .string(#"Tom "Dubs" Preston-Werner"#))
    }

    /// No shipped example needs a multi-line string: both kinds are refused where they open.
    @Test(arguments: [
        ("a = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n", 1, 5),
        ("ok = 1\nb = \"\"\"\\\n    The quick \\\n\n    brown fox.\\\n    \"\"\"\n", 2, 5),
        ("re = '''I [dw]on't need \\d{2} apples'''", 1, 6),
        ("lines = '''\nThe first newline is\ntrimmed in raw strings.\n'''", 1, 9),
        ("arr = [ \"x\", '''y''' ]", 1, 14),
    ])
    func multiLineStringsAreRefused(text: String, line: Int, column: Int) {
        let error = #expect(throws: ConfigError.self) { try parse(text) }
        #expect(error?.description == "test.toml:\(line):\(column): multi-line strings are not supported in luna.toml; "
                + "write the value on one line (\\n in a \"...\" string is a line break)")
        #expect(error?.kind == .unsupported)
    }

    @Test(arguments: [
        ("+99", Int64(99)), ("42", 42), ("0", 0), ("-17", -17), ("+0", 0), ("-0", 0),
        ("1_000", 1000), ("5_349_221", 5_349_221),
        ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
    ])
    func integers(text: String, expected: Int64) throws {
        let table = try parse("n = \(text)")
        #expect(table["n"] == .integer(expected))
    }

    /// Hexadecimal, octal and binary integers are refused; the message says to write decimal.
    @Test(arguments: ["0xDEADBEEF", "0xdead_beef", "0o755", "0b1101_0110", "0x7FFFFFFFFFFFFFFF", "0xZZ", "-0x1"])
    func otherRadixesAreRefused(text: String) {
        let error = #expect(throws: ConfigError.self) { try parse("n = \(text)") }
        #expect(error?.description == "test.toml:1:5: hexadecimal, octal and binary integers are not supported in luna.toml (found '\(text)'); write the number in decimal")
        #expect(error?.kind == .unsupported)
    }

    /// Every setting is a whole number: floats, `inf` and `nan` are refused where they are written.
    @Test(arguments: [
        "+1.0", "3.1415", "-0.01", "5e+22", "1e06", "-2E-2", "6.626e-34", "224_617.445_991", "0.0",
        "1e1_0", "inf", "+inf", "-inf", "nan", "-nan", "1.", "1e", "1.5.2", "1e400",
    ])
    func floatsAreRefused(text: String) {
        let error = #expect(throws: ConfigError.self) { try parse("x = \(text)") }
        #expect(error?.description == "test.toml:1:5: floats are not supported in luna.toml (found '\(text)'); every setting is a whole number")
        #expect(error?.kind == .unsupported)
    }

    @Test func booleans() throws {
        let table = try parse("c = true\nd = false")
        #expect(table["c"] == .boolean(true))
        #expect(table["d"] == .boolean(false))
    }

    @Test func arrays() throws {
        let table = try parse(
            """
            empty = []
            ints = [ 1, 2, 3 ]
            mixed = [ "a", 1, -25, true, [1, 'x'], { k = "v" } ]
            nested = [ [ 1, 2 ], [ "a" ] ]
            multi = [
              "one",   # comment after an element
              # a comment line

              "two",   # trailing comma next
            ]
            tight=[1,2]
            tables = [ { name = "a" }, { name = "b" } ]
            """)
        #expect(table["empty"] == .array([]))
        #expect(table["ints"] == .array([.integer(1), .integer(2), .integer(3)]))
        var inline = TOMLTable()
        inline.set("k", .string("v"))
        #expect(
            table["mixed"]
                == .array([
                    .string("a"), .integer(1), .integer(-25), .boolean(true), .array([.integer(1), .string("x")]),
                    .table(inline),
                ]))
        #expect(table["nested"] == .array([.array([.integer(1), .integer(2)]), .array([.string("a")])]))
        #expect(table["multi"] == .array([.string("one"), .string("two")]))
        #expect(table["tight"] == .array([.integer(1), .integer(2)]))
        #expect(table["tables"]?.arrayValue?.count == 2)
        #expect(table.position(of: "tight") == SourcePosition(line: 11, column: 1))
    }

    @Test func inlineTables() throws {
        let table = try parse(
            """
            name = { first = "Tom", last = "Preston-Werner" }
            point = {x=1,y=2}
            empty = {}
            animal = { type = { name = "pug" }, "quoted key" = [1, 2], inner = { deep = true } }
            """)
        let name = try #require(table["name"]?.tableValue)
        #expect(name.keys == ["first", "last"])
        #expect(name.position == SourcePosition(line: 1, column: 8))
        #expect(name.position(of: "last") == SourcePosition(line: 1, column: 25))
        #expect(name.file == "test.toml")
        #expect(table["point"]?.tableValue?["y"] == .integer(2))
        #expect(table["empty"]?.tableValue?.isEmpty == true)
        let animal = try #require(table["animal"]?.tableValue)
        #expect(animal["type"]?.tableValue?["name"] == .string("pug"))
        #expect(animal["quoted key"] == .array([.integer(1), .integer(2)]))
        #expect(animal["inner"]?.tableValue?["deep"] == .boolean(true))
    }

    @Test func lineEndingsAndByteOrderMark() throws {
        let table = try TOML.parse(utf8: [0xEF, 0xBB, 0xBF] + Array("a = 1\r\n[t]\r\nb = 'x' # c\r\n".utf8), file: "crlf.toml")
        #expect(table["a"] == .integer(1))
        #expect(table["t"]?.tableValue?["b"] == .string("x"))
        #expect(table["t"]?.tableValue?.position(of: "b") == SourcePosition(line: 3, column: 1))
        #expect(table.position(of: "a") == SourcePosition(line: 1, column: 1))
    }

    @Test func loadReadsAFileAndUsesItsPathInErrors() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/luna.toml"
        try directory.write("luna.toml", "[discord]\nchannel = \"123\"\n")
        let table = try TOML.load(path: path)
        #expect(table.file == path)
        #expect(table["discord"]?.tableValue?.file == path)
        #expect(table["discord"]?.tableValue?["channel"] == .string("123"))

        try directory.write("bad.toml", "a = 1\nb = \n")
        let error = try #require(throws: ConfigError.self) { try TOML.load(path: directory.path + "/bad.toml") }
        #expect(error.description.hasPrefix(directory.path + "/bad.toml:2:5: "))
    }

    @Test func loadMissingFileIsAnIOErrorForTheWholeFile() throws {
        let error = try #require(throws: ConfigError.self) { try TOML.load(path: "/nonexistent/luna.toml") }
        #expect(error.kind == .io)
        #expect(error.line == 0)
        #expect(error.description.hasPrefix("/nonexistent/luna.toml: cannot open config file: No such file"))
    }
}
