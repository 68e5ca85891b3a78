import Foundation
import Testing

@testable import LunaConfig

/// Hostile configurations: deep nesting, huge arrays and tables, oversized files.
@Suite("TOML: bounded depth, linear positions, size limit")
struct TOMLLimitsTests {
    @Test("9,000 nested '[' (an 18 KB file) are refused at the 65th level, no crash")
    func deepArrays() throws {
        let text = "a = " + String(repeating: "[", count: 9_000) + String(repeating: "]", count: 9_000) + "\n"
        #expect(text.utf8.count > 18_000)
        let error = #expect(throws: ConfigError.self) { try TOML.parse(text, file: "deep.toml") }
        #expect(error?.description.hasPrefix("deep.toml:1:69: nested deeper than 64") == true, "\(String(describing: error))")
        #expect(error?.kind == .syntax)
    }

    @Test("9,000 nested inline tables are refused the same way")
    func deepInlineTables() throws {
        let text = "a = " + String(repeating: "{b = ", count: 9_000) + "1" + String(repeating: "}", count: 9_000) + "\n"
        let error = #expect(throws: ConfigError.self) { try TOML.parse(text, file: "deep.toml") }
        // The 65th '{' is after "a = " and 64 copies of "{b = ".
        #expect(error?.description.hasPrefix("deep.toml:1:\(5 + 64 * 5): nested deeper than 64") == true, "\(String(describing: error))")
    }

    @Test("arrays mixed with inline tables count together; 64 levels still parse")
    func mixedNestingAndTheLimitItself() throws {
        var text = "a = " + String(repeating: "[{b = ", count: 32) + "1" + String(repeating: "}]", count: 32) + "\n"
        #expect(throws: Never.self) { try TOML.parse(text, file: "ok.toml") }
        text = "a = " + String(repeating: "[{b = ", count: 33) + "1" + String(repeating: "}]", count: 33) + "\n"
        let error = #expect(throws: ConfigError.self) { try TOML.parse(text, file: "x.toml") }
        #expect(error?.message.hasPrefix("nested deeper than 64") == true)
        // Depth is per value: many siblings at depth 64 are fine.
        let deep = String(repeating: "[", count: 63) + "1" + String(repeating: "]", count: 63)
        let siblings = "a = [" + Array(repeating: deep, count: 50).joined(separator: ", ") + "]\n"
        let table = try TOML.parse(siblings, file: "s.toml")
        #expect(table["a"]?.arrayValue?.count == 50)
    }

    @Test("a dotted key or a table header with 100,000 parts is refused, no crash")
    func longDottedKeys() throws {
        let key = Array(repeating: "k", count: 100_000).joined(separator: ".")
        let value = #expect(throws: ConfigError.self) { try TOML.parse(key + " = 1\n", file: "k.toml") }
        #expect(value?.description.hasPrefix("k.toml:1:129: a key may have at most 64 dotted parts") == true, "\(String(describing: value))")
        let header = #expect(throws: ConfigError.self) { try TOML.parse("[" + key + "]\n", file: "h.toml") }
        #expect(header?.message.contains("at most 64 dotted parts") == true)
    }

    @Test("a one-line array of 50,000 elements parses, and a later error still names the right column")
    func bigArrayKeepsColumns() throws {
        let items = (0..<50_000).map { $0 % 3 == 0 ? "\"é\($0)\"" : String($0) }
        let line = "a = [" + items.joined(separator: ", ") + "]"
        let table = try TOML.parse(line + "\n", file: "big.toml")
        let array = try #require(table["a"]?.arrayValue)
        #expect(array.count == 50_000)
        #expect(array[49_999] == .integer(49_999))
        #expect(array[3] == .string("é3"))
        // Columns count scalars: every "é" is two bytes but one column.
        let error = #expect(throws: ConfigError.self) { try TOML.parse(line + " x\n", file: "big.toml") }
        #expect(error?.line == 1)
        #expect(error?.column == line.unicodeScalars.count + 2, "\(String(describing: error))")
        // An error inside the array, after many values, points at the bad element.
        let bad = "a = [" + items.prefix(20_000).joined(separator: ", ") + ", nope]"
        let inside = #expect(throws: ConfigError.self) { try TOML.parse(bad + "\n", file: "big.toml") }
        #expect(inside?.column == bad.unicodeScalars.count - 4)
        #expect(inside?.message.contains("bare word 'nope'") == true)
    }

    @Test("80,000 [[hosts]] tables parse, in order")
    func manyArrayTables() throws {
        let text = (0..<80_000).map { "[[hosts]]\nname = \"h\($0)\"\n" }.joined()
        let table = try TOML.parse(text, file: "hosts.toml")
        let hosts = try #require(table["hosts"]?.arrayValue)
        #expect(hosts.count == 80_000)
        #expect(hosts[0].tableValue?["name"] == .string("h0"))
        #expect(hosts[79_999].tableValue?["name"] == .string("h79999"))
        #expect(hosts[79_999].tableValue?.position == SourcePosition(line: 159_999, column: 1))
    }

    @Test("a configuration file over 8 MiB is refused, naming the file, its size and the limit")
    func oversizedFileRefused() throws {
        let dir = try TemporaryDirectory()
        let line = "# " + String(repeating: "x", count: 1021) + "\n"  // 1 KiB
        let big = String(repeating: line, count: 8 * 1024) + "a = 1\n"
        let path = try dir.write("huge.toml", big)
        let error = #expect(throws: ConfigError.self) { try TOML.load(path: path) }
        #expect(error?.kind == .io)
        #expect(error?.file == path)
        #expect(error?.description.contains("\(big.utf8.count) bytes") == true, "\(String(describing: error))")
        #expect(error?.description.contains("limit of \(TOML.maximumFileSize) bytes (8 MiB)") == true)
        // The same through the configuration loader.
        let config = #expect(throws: ConfigError.self) { try LunaConfiguration.load(path: path, knownChecks: []) }
        #expect(config?.description.hasPrefix(path + ": the config file is \(big.utf8.count) bytes") == true,
                "\(String(describing: config))")
        // Exactly at the limit is read (and then parsed).
        let atLimit = String(repeating: line, count: 8 * 1024)
        #expect(atLimit.utf8.count == TOML.maximumFileSize)
        let okPath = try dir.write("limit.toml", atLimit)
        #expect(try TOML.load(path: okPath).isEmpty)
    }
}
