import LunaText

/// Renders untrusted text so that it is readable on Discord and cannot do anything there.
///
/// Three defenses, all applied by the message builders:
/// - every message carries `"allowed_mentions": {"parse": []}`, so nothing pings
///   (the client adds it; this type cannot forget it);
/// - free text gets a zero-width space after every `@` and has its backticks
///   replaced, so `@everyone` reads inert and nothing opens a code span, and
///   its control, bidi and format characters are shown as `\u{HEX}` by the
///   shared ``InertText`` rules (the same ones as on the terminal);
/// - an argv is shown as a JSON array whose strings escape every character
///   outside printable ASCII, and also `` ` `` and `@`, as `\uXXXX`: the block
///   is exact (it decodes to the argv), and no argv element can close the code
///   block, render a mention, or hide behind bidi or zero-width characters.
public enum DiscordText {
    /// Discord's limit on a message's `content`, in characters.
    public static let contentLimit = 2000

    /// Free text made inert: mentions broken, backticks replaced, control characters shown.
    ///
    /// - Parameter text: Untrusted text (a host name, a rationale, a reason).
    /// - Returns: The text, safe outside a code block.
    public static func inert(_ text: String) -> String {
        InertText.render(text, multiline: true) { scalar in
            switch scalar {
            case "@": "@\u{200B}"
            case "`": "\u{02CB}"
            default: nil
            }
        }
    }

    /// A fenced code block whose content cannot close it: no two backticks stay adjacent.
    ///
    /// - Parameters:
    ///   - text: The block's text (command output, a rule).
    ///   - language: An optional info string (letters only).
    /// - Returns: The block, starting and ending with a fence.
    public static func codeBlock(_ text: String, language: String = "") -> String {
        let body = InertText.render(text, multiline: true) { $0 == "`" ? "`\u{200B}" : nil }
        let lang = language.allSatisfy { $0.isASCII && $0.isLetter } ? language : ""
        return "```" + lang + "\n" + body + (body.hasSuffix("\n") ? "" : "\n") + "```"
    }

    /// An argv as a JSON array with every non-printable-ASCII character, `` ` `` and `@` escaped.
    ///
    /// - Parameter argv: The exact argv.
    /// - Returns: ASCII JSON text that decodes to `argv`.
    public static func argvJSON(_ argv: [String]) -> String {
        "[" + argv.map(jsonString).joined(separator: ", ") + "]"
    }

    /// One JSON string literal in printable ASCII.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for unit in s.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x60, 0x40: out += escape(unit)
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default: out += escape(unit)
            }
        }
        return out + "\""
    }

    static func escape(_ unit: UInt16) -> String {
        let hex = String(unit, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    /// The length Discord counts (UTF-16 code units; never less than the character count).
    public static func length(_ text: String) -> Int { text.utf16.count }

    /// `text` cut to at most `limit` characters, with a note saying how much was cut.
    ///
    /// - Parameters:
    ///   - text: The text.
    ///   - limit: The most characters (as ``length(_:)`` counts) the result may have.
    ///   - note: What to append after the cut, e.g. where to read the rest.
    /// - Returns: The text unchanged when it fits, else a prefix plus the note.
    public static func clip(_ text: String, _ limit: Int, note: String = "") -> String {
        guard length(text) > limit else { return text }
        let cut = length(text)
        var suffix = "… [cut from \(cut) characters\(note.isEmpty ? "" : "; " + note)]"
        if length(suffix) > limit { suffix = String(suffix.prefix(max(0, limit))) }
        var kept = ""
        var used = 0
        let budget = max(0, limit - length(suffix))
        for ch in text {
            let n = String(ch).utf16.count
            if used + n > budget { break }
            kept.append(ch)
            used += n
        }
        return kept + suffix
    }
}
