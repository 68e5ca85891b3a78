import Foundation
import LunaText
import Testing

@Suite struct InertTextTests {
    /// (input, single-line rendering, multi-line rendering).
    static let table: [(String, String, String)] = [
        ("plain text", "plain text", "plain text"),
        ("", "", ""),
        ("caf\u{E9} \u{65E5}\u{672C} \u{1F600} \u{2192}", "caf\u{E9} \u{65E5}\u{672C} \u{1F600} \u{2192}", "caf\u{E9} \u{65E5}\u{672C} \u{1F600} \u{2192}"),
        ("a\u{1B}[8mb", #"a\u{1b}[8mb"#, #"a\u{1b}[8mb"#),
        ("Harmless.\u{1B}[1A\u{1B}[2K\r  #2  localhost", #"Harmless.\u{1b}[1A\u{1b}[2K\u{d}  #2  localhost"#, #"Harmless.\u{1b}[1A\u{1b}[2K\u{d}  #2  localhost"#),
        ("\u{1B}]0;X\u{07}", #"\u{1b}]0;X\u{7}"#, #"\u{1b}]0;X\u{7}"#),
        ("csi\u{9B}31m", #"csi\u{9b}31m"#, #"csi\u{9b}31m"#),
        ("\u{80}\u{9F}\u{7F}\u{0}", #"\u{80}\u{9f}\u{7f}\u{0}"#, #"\u{80}\u{9f}\u{7f}\u{0}"#),
        ("one\ntwo", #"one\u{a}two"#, "one\ntwo"),
        ("tab\there", #"tab\u{9}here"#, "tab\there"),
        ("dos\r\nline", #"dos\u{d}\u{a}line"#, "dos\\u{d}\nline"),
        ("rm \u{202E}txt.exe", #"rm \u{202e}txt.exe"#, #"rm \u{202e}txt.exe"#),
        ("\u{202A}\u{202B}\u{202C}\u{202D}", #"\u{202a}\u{202b}\u{202c}\u{202d}"#, #"\u{202a}\u{202b}\u{202c}\u{202d}"#),
        ("\u{2066}\u{2067}\u{2068}\u{2069}", #"\u{2066}\u{2067}\u{2068}\u{2069}"#, #"\u{2066}\u{2067}\u{2068}\u{2069}"#),
        ("zero\u{200B}width\u{FEFF}", #"zero\u{200b}width\u{feff}"#, #"zero\u{200b}width\u{feff}"#),
        ("sep\u{2028}para\u{2029}", #"sep\u{2028}para\u{2029}"#, #"sep\u{2028}para\u{2029}"#),
        // The text's own "\u{" cannot pass for an escape; other backslashes are kept.
        (#"literal \u{1b} here"#, #"literal \u{5c}u{1b} here"#, #"literal \u{5c}u{1b} here"#),
        (#"C:\path\n and \x1b"#, #"C:\path\n and \x1b"#, #"C:\path\n and \x1b"#),
        (#"\u"#, #"\u"#, #"\u"#),
    ]

    @Test(arguments: table)
    func rendersEachCase(_ row: (String, String, String)) {
        #expect(InertText.render(row.0) == row.1)
        #expect(InertText.render(row.0, multiline: true) == row.2)
    }

    /// No output of the renderer holds a character a terminal acts on.
    @Test func nothingActiveSurvives() {
        var all = ""
        for v in UInt32(0)...0x2FFF { if let s = Unicode.Scalar(v) { all.unicodeScalars.append(s) } }
        for multiline in [false, true] {
            let out = InertText.render(all, multiline: multiline)
            let active = out.unicodeScalars.filter { InertText.isControl($0) || InertText.isInvisible($0) }
            #expect(active.allSatisfy { multiline && ($0 == "\n" || $0 == "\t") })
        }
    }

    /// The escapes are unambiguous: decoding the output left to right gives the input back.
    @Test(arguments: table.map(\.0) + ["\\\u{1B}", "\\\\u{", "x\\u{5c}", "\u{1B}\\u{41}"])
    func decodesBack(_ input: String) {
        for multiline in [false, true] {
            #expect(Self.decode(InertText.render(input, multiline: multiline)) == input)
        }
    }

    /// The last pass over a whole output leaves rendered fields alone and still catches a missed one.
    @Test func controlsShownIsIdempotentOverRenderedFields() {
        let field = InertText.render("a\u{1B}[8m \\u{41}")
        #expect(InertText.controlsShown("why: " + field + "\n") == "why: " + field + "\n")
        #expect(InertText.controlsShown("missed \u{1B}]0;X\u{07}\r\n") == #"missed \u{1b}]0;X\u{7}\u{d}"# + "\n")
        #expect(InertText.controlsShown("a\tb\nc", multiline: false) == #"a\u{9}b\u{a}c"#)
    }

    @Test func argvRendersEachElement() {
        #expect(InertText.argv(["/usr/bin/stat", "a\u{1B}[8m", "b\nc"]) == #"/usr/bin/stat a\u{1b}[8m b\u{a}c"#)
    }

    @Test func forbiddenInArgument() {
        #expect(InertText.forbiddenInArgument("/etc/ssh/sshd_config") == nil)
        #expect(InertText.forbiddenInArgument("caf\u{E9}") == nil)
        for bad in ["a\u{1B}", "\u{7}", "\u{7F}", "\u{85}", "\u{9B}", "x\u{202E}", "\u{2066}", "\t", "\0"] {
            #expect(InertText.forbiddenInArgument(bad) != nil, "\(bad.unicodeScalars.map(\.value))")
        }
    }

    /// JSON keeps its meaning and loses every raw control, C1 and bidi character.
    @Test func jsonStaysValidAndInert() throws {
        let value = ["a\u{1B}[2Kb", "c\u{9B}d", "e\u{202E}f\u{7F}", "line\nbreak", "\u{1F600}"]
        let encoded = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        let inert = InertText.json(encoded)
        #expect(!inert.unicodeScalars.contains { InertText.needsEscape($0, multiline: true) })
        #expect(inert.contains(#"\u001b"#) || inert.contains(#"\u001B"#))
        #expect(inert.contains(#"\u009b"#) && inert.contains(#"\u202e"#) && inert.contains(#"\u007f"#))
        let decoded = try JSONDecoder().decode([String].self, from: Data(inert.utf8))
        #expect(decoded == value)
    }

    /// Reads `\u{HEX}` escapes back; everything else is literal.
    static func decode(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            if scalars[i] == "\\", i + 2 < scalars.count, scalars[i + 1] == "u", scalars[i + 2] == "{",
               let close = scalars[(i + 3)...].firstIndex(of: "}"),
               let v = UInt32(String(String.UnicodeScalarView(scalars[(i + 3)..<close])), radix: 16), let u = Unicode.Scalar(v) {
                out.append(u)
                i = close + 1
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return String(out)
    }
}
