import Foundation
import LunaDiscord
import Testing

@Suite("Rendering untrusted text for Discord")
struct DiscordTextTests {
    static let hostile = ["/bin/echo", "```\n@everyone <@123> <@&9>", "a`b", "\u{202E}txt.exe", "zero\u{200B}width", "quote\"back\\slash", "\u{1F600}"]

    @Test func anArgvRendersExactAndInert() throws {
        let json = DiscordText.argvJSON(Self.hostile)
        #expect(!json.contains("`") && !json.contains("@"))
        #expect(json.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F })
        let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String]
        #expect(decoded == Self.hostile)
    }

    @Test(arguments: ["```", "````", "x```y", "`\n```\n`", "``` ```"])
    func nothingClosesACodeBlock(_ text: String) {
        let block = DiscordText.codeBlock(text)
        #expect(block.hasPrefix("```\n") && block.hasSuffix("```"))
        let inner = block.dropFirst(3).dropLast(3)
        #expect(!inner.contains("``"), "\(block.debugDescription)")
    }

    @Test func freeTextCannotMentionOrOpenCode() {
        let text = DiscordText.inert("ping @everyone and @here, `code`, <@123>\u{202E}")
        #expect(!text.contains("@everyone") && !text.contains("@here") && !text.contains("<@1"))
        #expect(!text.contains("`") && !text.contains("\u{202E}"))
    }

    /// The terminal's definition of a control character holds on Discord too: C0, DEL, C1, bidi, format.
    @Test func controlsAreShownAsOnTheTerminal() {
        let hostile = "a\u{1B}[2K\u{07}\u{9B}31m\u{85}\u{7F}\r\u{2066}b\nline two\tcol"
        let text = DiscordText.inert(hostile)
        #expect(text == #"a\u{1b}[2K\u{7}\u{9b}31m\u{85}\u{7f}\u{d}\u{2066}b"# + "\nline two\tcol")
        let block = DiscordText.codeBlock(hostile)
        #expect(!block.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B || $0.value == 0x85 || $0.value == 0x07 })
        #expect(block.contains(#"\u{9b}31m"#))
    }

    @Test(arguments: [0, 10, 100, 1999, 2000, 2001, 10_000])
    func clipNeverExceedsTheLimit(_ n: Int) {
        let text = String(repeating: "\u{1F600}", count: n)
        let clipped = DiscordText.clip(text, 2000, note: "see luna show 1")
        #expect(DiscordText.length(clipped) <= 2000)
        if DiscordText.length(text) <= 2000 { #expect(clipped == text) } else { #expect(clipped.contains("see luna show 1")) }
    }
}
