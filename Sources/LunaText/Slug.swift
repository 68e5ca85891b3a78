/// File-name slugs from free text: the one rule for every name Luna makes from a title.
public enum Slug {
    /// Lowercase ASCII letters and digits joined by single `-`, at most `maxLength`
    /// characters, no `-` at either end; `fallback` when nothing is left.
    ///
    /// ASCII only, whatever the title's script, so a slug is safe as a file name
    /// everywhere and the commands that take one back (`luna memory approve`) accept it.
    public static func make(_ text: String, maxLength: Int = 60, fallback: String) -> String {
        let mapped = String(text.lowercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "-" })
        var s = String(mapped.split(separator: "-").joined(separator: "-").prefix(maxLength))
        while s.hasSuffix("-") { s.removeLast() }
        return s.isEmpty ? fallback : s
    }
}
