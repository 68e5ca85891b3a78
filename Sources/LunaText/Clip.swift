/// Cutting text to a size: the one place Luna decides how a long text is shortened.
public enum Clip {
    /// At most `limit` characters; a cut text ends in "…" (counted in the limit).
    ///
    /// For one-line things a person reads: commit summaries, reasons, excerpts.
    public static func characters(_ text: String, _ limit: Int) -> String {
        guard limit > 0 else { return "" }
        return text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    }

    /// At most `limit` bytes of UTF-8, cut at a character boundary, then `marker` when cut.
    ///
    /// For stored output (command output, verification output): the size is in bytes,
    /// like the output limits, and the marker says the text is not whole.
    public static func utf8(_ text: String, _ limit: Int, marker: String = "\n[truncated]") -> String {
        guard text.utf8.count > limit else { return text }
        var used = 0
        var end = text.startIndex
        for index in text.indices {
            let size = text[index].utf8.count
            if used + size > limit { break }
            used += size
            end = text.index(after: index)
        }
        return String(text[..<end]) + marker
    }
}
