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

@Suite("slug")
struct SlugTests {
    @Test func asciiOnlySingleDashesNoEndsAndAFallback() {
        #expect(Slug.make("Rotate the App  Credentials!", fallback: "x") == "rotate-the-app-credentials")
        #expect(Slug.make("Ротация ключей", fallback: "runbook") == "runbook", "a title in another script still names a file")
        #expect(Slug.make("été 2026", fallback: "x") == "t-2026")
        #expect(Slug.make(String(repeating: "ab-", count: 40), maxLength: 10, fallback: "x") == "ab-ab-ab-a")
        #expect(!Slug.make("a-b-c-d-e-f", maxLength: 4, fallback: "x").hasSuffix("-"))
    }
}
