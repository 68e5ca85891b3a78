import Testing
import LunaText

@Suite("clip")
struct ClipTests {
    @Test func charactersCountTheEllipsisInTheLimit() {
        #expect(Clip.characters("short", 10) == "short")
        #expect(Clip.characters("0123456789abc", 10) == "012345678…")
        #expect(Clip.characters("0123456789abc", 10).count == 10)
        #expect(Clip.characters("x", 0) == "")
    }

    @Test func utf8NeverSplitsACharacterAndMarksTheCut() {
        #expect(Clip.utf8("abc", 3) == "abc")
        // "é" is two bytes: a 4-byte limit keeps "aé" + nothing of the next "é".
        #expect(Clip.utf8("aééé", 4) == "aé\n[truncated]")
        #expect(!Clip.utf8("🙂🙂🙂", 5).contains("\u{FFFD}"), "no replacement character from a split scalar")
        #expect(Clip.utf8("🙂🙂🙂", 5) == "🙂\n[truncated]")
        #expect(Clip.utf8("abcdef", 3, marker: "…") == "abc…")
    }
}
