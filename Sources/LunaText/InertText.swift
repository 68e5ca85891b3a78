/// Renders untrusted text so that a terminal, a commit message or a chat client shows it and never interprets it.
///
/// Text from models, hosts, command output, files and chat may carry control
/// characters: an `ESC [1A ESC [2K` erases the line above and can forge an
/// approval prompt, an OSC sets the window title, a BEL rings, C1 `U+009B`
/// is a one-character CSI, and bidi overrides make an argv read differently
/// than it runs. This is the one definition of which characters those are,
/// and the one way they are shown.
///
/// The visible form is Swift's: `\u{HEX}` with lowercase hexadecimal and no
/// leading zeros (`ESC` is `\u{1b}`, `BEL` is `\u{7}`, CSI is `\u{9b}`,
/// RIGHT-TO-LEFT OVERRIDE is `\u{202e}`). So that the form stays
/// unambiguous, a backslash that the text itself has in front of `u{` is shown
/// as `\u{5c}`: reading the output left to right, every `\u{…}` is an escape,
/// and every other character is the text's own.
///
/// Escaped: C0 controls (`U+0000`–`U+001F`), DEL (`U+007F`), C1 controls
/// (`U+0080`–`U+009F`), the line and paragraph separators (`U+2028`,
/// `U+2029`) and every format character (general category Cf: the bidi
/// embeddings, overrides, isolates and marks, zero-width characters, the BOM,
/// the soft hyphen). Everything else — ordinary printable Unicode — is kept.
/// A multi-line field keeps its line feeds and tabs; a carriage return is
/// always escaped, so no line can be overwritten from its start.
public enum InertText {
    /// Untrusted text rendered inert.
    ///
    /// - Parameters:
    ///   - text: The untrusted text.
    ///   - multiline: Whether the field may span lines (command output, a note's
    ///     body, a commit message): then line feeds and tabs are kept. A
    ///     single-line field (a host name, an argv element, a rationale in a
    ///     one-line slot) shows them as `\u{a}` and `\u{9}`, so no field can
    ///     start a line of its own and pass for Luna's output.
    /// - Returns: The text with every character that ``needsEscape(_:multiline:)`` names shown as `\u{HEX}`.
    public static func render(_ text: String, multiline: Bool = false) -> String {
        render(text, multiline: multiline) { _ in nil }
    }

    /// Untrusted text rendered inert, with a caller's substitutions for some printable characters.
    ///
    /// Discord uses this to break mentions and code spans on top of the shared
    /// control-character rules; the substitution is consulted first, and what it
    /// returns is emitted as is, so it must itself be inert.
    /// - Parameters:
    ///   - text: The untrusted text.
    ///   - multiline: As in ``render(_:multiline:)``.
    ///   - substitute: A replacement for a scalar, or nil to apply the shared rules.
    /// - Returns: The rendered text.
    public static func render(_ text: String, multiline: Bool, substitute: (Unicode.Scalar) -> String?) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        out.reserveCapacity(scalars.count)
        for (i, scalar) in scalars.enumerated() {
            if let replacement = substitute(scalar) {
                out.append(contentsOf: replacement.unicodeScalars)
            } else if needsEscape(scalar, multiline: multiline) {
                out.append(contentsOf: escape(scalar).unicodeScalars)
            } else if scalar == "\\", i + 2 < scalars.count, scalars[i + 1] == "u", scalars[i + 2] == "{" {
                out.append(contentsOf: escape(scalar).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Text whose untrusted fields were already rendered, with any control that is left shown as `\u{HEX}`.
    ///
    /// A last pass over a whole output (every line the CLI prints): it escapes
    /// exactly what ``render(_:multiline:)`` escapes, but leaves backslashes
    /// alone, so fields rendered before keep their escapes as they are (no
    /// `\u{5c}u{1b}`) and a field that was missed still cannot act on the terminal.
    /// - Parameters:
    ///   - text: The output.
    ///   - multiline: Whether line feeds and tabs are kept.
    /// - Returns: The output with no control, bidi or format character left raw.
    public static func controlsShown(_ text: String, multiline: Bool = true) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if needsEscape(scalar, multiline: multiline) {
                out.append(contentsOf: escape(scalar).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Each element of an argv rendered inert (single-line), joined by spaces, for reading only.
    ///
    /// - Parameter argv: The argv.
    /// - Returns: The elements rendered with ``render(_:multiline:)`` and joined by one space.
    public static func argv(_ argv: [String]) -> String {
        argv.map { render($0) }.joined(separator: " ")
    }

    /// The visible form of one scalar: `\u{HEX}`.
    public static func escape(_ scalar: Unicode.Scalar) -> String {
        "\\u{" + String(scalar.value, radix: 16) + "}"
    }

    /// Whether `scalar` is shown escaped.
    ///
    /// - Parameters:
    ///   - scalar: The character.
    ///   - multiline: Whether line feed and tab are kept (see ``render(_:multiline:)``).
    /// - Returns: True for controls, separators and format characters; false for printable text.
    public static func needsEscape(_ scalar: Unicode.Scalar, multiline: Bool) -> Bool {
        if multiline && (scalar == "\n" || scalar == "\t") { return false }
        return isControl(scalar) || isInvisible(scalar)
    }

    /// A C0 control (`U+0000`–`U+001F`), DEL (`U+007F`) or a C1 control (`U+0080`–`U+009F`).
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// A bidi formatting character: embeddings and overrides (`U+202A`–`U+202E`),
    /// isolates (`U+2066`–`U+2069`) and the marks (`U+200E`, `U+200F`, `U+061C`).
    public static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }

    /// A character that prints nothing or rearranges what is around it:
    /// every format character (Cf, which includes the bidi controls), and the
    /// line and paragraph separators.
    public static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        if isBidiControl(scalar) || scalar.value == 0x2028 || scalar.value == 0x2029 { return true }
        return scalar.properties.generalCategory == .format
    }

    /// The first scalar of `text` that may not appear in an argv element: a
    /// control character (``isControl(_:)``) or a bidi control (``isBidiControl(_:)``).
    ///
    /// The gate refuses such an argument: neither sudo's log nor the operator's
    /// approval prompt could show it faithfully.
    /// - Parameter text: One argv element.
    /// - Returns: The offending scalar, or nil when the element is printable.
    public static func forbiddenInArgument(_ text: String) -> Unicode.Scalar? {
        text.unicodeScalars.first { isControl($0) || isBidiControl($0) }
    }

    /// JSON text with every scalar ``needsEscape(_:multiline:)`` names turned into a `\uXXXX` escape.
    ///
    /// JSON encoders escape C0 controls, but leave DEL, C1 controls and bidi
    /// or format characters raw, and a terminal showing `--json` output
    /// would act on them. Outside its strings JSON text is ASCII, with line
    /// feeds only between tokens, so the escapes land inside strings and the
    /// text decodes to the same value. Line feeds and tabs (structural
    /// whitespace of pretty-printed output) are kept.
    /// - Parameter json: Valid JSON text.
    /// - Returns: Equivalent JSON text a terminal shows inertly.
    public static func json(_ json: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            guard needsEscape(scalar, multiline: true) else { out.append(scalar); continue }
            for unit in String(scalar).utf16 {
                let hex = String(unit, radix: 16)
                out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
            }
        }
        return String(out)
    }
}
