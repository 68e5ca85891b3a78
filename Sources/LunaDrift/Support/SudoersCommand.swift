/// Writes commands in sudoers syntax: the text an operator pastes into a
/// `Cmnd_Alias` so that sudo allows exactly one collection and nothing wider.
///
/// sudo matches a rule's arguments against the command's arguments joined with
/// single spaces. A plain argument list is matched with `fnmatch`, so `*` would
/// match spaces and with them any further arguments; these commands therefore
/// never contain an unescaped wildcard. Where a collection's argv changes from
/// scan to scan (a journal cursor, a line number), the command is a sudo 1.9.10
/// regular expression (`^…$`) whose variable part cannot contain a space.
public enum SudoersCommand {
    /// The command allowing exactly `argv`: its path, then each argument escaped
    /// the way sudoers(5) requires (`\,` `\:` `\=` `\#`, blanks as `\ `, the
    /// wildcard characters `* ? [ ] ! ^` as `\*` … so they match themselves, and a
    /// backslash as `\\\\`, since sudo then matches with fnmatch),
    /// or `PATH ""` (no arguments at all) for a bare program.
    ///
    /// - Returns: nil when sudoers cannot say it exactly: a relative or unusual
    ///   program path, an empty argument, a line break or a NUL.
    public static func literal(_ argv: [String]) -> String? {
        guard let path = argv.first, isPlainPath(path) else { return nil }
        guard argv.count > 1 else { return path + " \"\"" }
        var words: [String] = []
        for argument in argv.dropFirst() {
            guard !argument.isEmpty, argument != "\"\"" else { return nil }
            var word = ""
            for c in argument.unicodeScalars {
                switch c {
                case "\n", "\r", "\0": return nil
                case "\\":
                    // The lexer reads `\\\\` as `\\`, which fnmatch (any backslash makes sudo
                    // use it) reads as one literal backslash.
                    word += "\\\\\\\\"
                case ",", ":", "=", "#", " ", "\t", "*", "?", "[", "]", "!", "^":
                    word.unicodeScalars.append("\\")
                    word.unicodeScalars.append(c)
                default:
                    word.unicodeScalars.append(c)
                }
            }
            words.append(word)
        }
        return path + " " + words.joined(separator: " ")
    }

    /// The command allowing `path` with arguments matching the extended regular
    /// expression `argumentsRegex` (written without `^` and `$`, which are added).
    ///
    /// - Returns: nil for an unusual path or a regex sudoers cannot hold (`#`, a line break).
    public static func regex(path: String, argumentsRegex: String) -> String? {
        guard isPlainPath(path), !argumentsRegex.contains("#"), !argumentsRegex.contains("\n"),
              !argumentsRegex.contains("\r") else { return nil }
        return path + " ^" + argumentsRegex + "$"
    }

    /// `text` as an extended regular expression matching exactly itself.
    public static func regexLiteral(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            if "\\.[](){}*+?|^$".unicodeScalars.contains(c) { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(c)
        }
        return out
    }

    /// Arguments joined as sudo joins them, each as a regex literal.
    public static func regexLiteral(arguments: [String]) -> String {
        arguments.map(regexLiteral).joined(separator: " ")
    }

    /// An absolute path of letters, digits and `/._+-`: nothing sudoers would read differently.
    static func isPlainPath(_ path: String) -> Bool {
        path.hasPrefix("/") && path.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || "/._+-".unicodeScalars.contains(c)
        }
    }
}
