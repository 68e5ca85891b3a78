import Foundation
import Testing
import LunaCodec

@Suite struct JSONValueTests {
    @Test func encodingIsCompactSortedAndKeepsSlashes() {
        let v: JSONValue = ["b": ["/usr/bin/true", 1, true, nil], "a": ["z": "x"], "c": 1.5]
        #expect(v.text == #"{"a":{"z":"x"},"b":["/usr/bin/true",1,true,null],"c":1.5}"#)
    }

    @Test func stringArraysAndObjectsRoundTrip() {
        let argv = ["/usr/bin/chmod", "0640", "/etc/a b", "é\u{1b}\n\"\\"]
        let text = JSONValue.encode(argv)
        #expect(text == #"["/usr/bin/chmod","0640","/etc/a b","é\u001b\n\"\\"]"#)
        #expect(JSONValue.decodeStrings(text) == argv)
        let members = ["path": "/etc/x", "aspect": "mode"]
        #expect(JSONValue.encode(members) == #"{"aspect":"mode","path":"/etc/x"}"#)
        #expect(JSONValue.decodeStringMembers(JSONValue.encode(members)) == members)
    }

    @Test func decodingStringsRefusesOtherShapes() {
        #expect(JSONValue.decodeStrings(nil) == nil)
        #expect(JSONValue.decodeStrings("not json") == nil)
        #expect(JSONValue.decodeStrings(#"["a", 1]"#) == nil)
        #expect(JSONValue.decodeStrings(#"{"a": "b"}"#) == nil)
        #expect(JSONValue.decodeStrings("[]") == [])
        #expect(JSONValue.decodeStringMembers(#"{"a": 1}"#) == [:])
        #expect(JSONValue.decodeStringMembers(nil) == [:])
        #expect(JSONValue.decodeStringMembers("[]") == [:])
    }

    /// The bytes Luna stores and hashes must stay what `JSONSerialization` wrote before.
    @Test func encodingMatchesFoundationsSerializationForEveryEscape() throws {
        var strings = (0..<0x100).map { String(UnicodeScalar(UInt8($0))) }
        strings += ["\u{2028}", "\u{202e}", "\u{feff}", "😀", "a/b"]
        for s in strings {
            let old = String(decoding: try JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes]), as: UTF8.self)
            #expect(JSONValue.encode([s]) == old, "\(s.unicodeScalars.map(\.value))")
        }
        let files = ["stats.json": "---\nname: x\n---\n", "luna.json": "{\n  \"a\": 1\n}\n"]
        let old = String(decoding: try JSONSerialization.data(withJSONObject: files, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]), as: UTF8.self)
        #expect(JSONValue(files).prettyText == old)
    }

    /// Keys sort by Unicode code point (Foundation's serializer ignored case), the same on every platform.
    @Test func keysSortByCodePoint() {
        #expect(JSONValue(["luna.json": "b", "SKILL.md": "a", "_x": "c"]).text == #"{"SKILL.md":"a","_x":"c","luna.json":"b"}"#)
    }

    @Test func parsingTellsWhatIsWrong() throws {
        #expect(try JSONValue.parse(#" {"a": [true, 2, 2.5, "s", null]} "#) ==
                .object(["a": .array([.bool(true), .int(2), .double(2.5), .string("s"), .null])]))
        #expect(try JSONValue.parse("\"top\"") == .string("top"))
        do {
            _ = try JSONValue.parse(#"{"a": }"#)
            Issue.record("parsed broken JSON")
        } catch {
            #expect(error.description.hasPrefix("not valid JSON: "))
            #expect(error.description.count > "not valid JSON: ".count)
        }
    }

    @Test func typedReads() throws {
        let v = try JSONValue.parse(#"{"n": 3, "d": 2.0, "f": 0.5, "b": false, "s": ["x"], "o": {"k": "v"}, "m": {"k": 1}}"#)
        #expect(v["n"]?.intValue == 3 && v["n"]?.doubleValue == 3)
        #expect(v["d"]?.intValue == 2 && v["f"]?.intValue == nil && v["f"]?.doubleValue == 0.5)
        #expect(v["b"]?.boolValue == false && v["b"]?.intValue == nil)
        #expect(v["s"]?.stringArrayValue == ["x"] && v["o"]?.stringObjectValue == ["k": "v"])
        #expect(v["m"]?.stringObjectValue == nil && v["missing"] == nil && v["s"]?["k"] == nil)
    }

    @Test func typedRecordsPrintLikeValues() throws {
        struct Row: Encodable { let path: String; let mode: Int }
        #expect(try JSONValue.prettyText(of: Row(path: "/etc/x", mode: 420)) == (["path": "/etc/x", "mode": 420] as JSONValue).prettyText)
        #expect(JSONValue(["k": "v"]).prettyText == "{\n  \"k\" : \"v\"\n}")
    }
}

@Suite struct SHA256Tests {
    @Test func knownDigests() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA2.digest("sha512", Data("abc".utf8))?.prefix(4) == [0xdd, 0xaf, 0x35, 0xa1])
        #expect(SHA2.digest("md5", Data()) == nil)
    }
}
