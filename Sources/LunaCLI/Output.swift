import Foundation
import LunaCodec
import LunaText

// Every line the CLI prints goes through these, on a terminal or not: the
// text of models, hosts, commands, files, Discord and memory notes is
// untrusted, and a control character or escape sequence in it must show as
// `\u{1b}`, never act on the operator's terminal (erase the approval block
// above it, retitle the window, hide an argument). `emit` is the last line of
// defense for whole outputs (it keeps line feeds and tabs); `shown` is for
// one-line fields, so that a field cannot start a line of its own either.

/// Writes `text` to standard output with every control, bidi and format character left in it shown as `\u{HEX}`.
///
/// The fields in `text` should already have been rendered with ``shown(_:)``,
/// ``shownLines(_:)`` or ``shownArgv(_:)``; this pass leaves their escapes as they are.
///
/// - Parameters:
///   - text: What to print; line feeds and tabs are kept.
///   - terminator: Appended after `text` (a line feed by default).
func emit(_ text: String, terminator: String = "\n") {
    CLIStreams.current.writeOutput(InertText.controlsShown(text) + InertText.controlsShown(terminator))
}

/// An untrusted one-line field (a host name, a rationale, a summary, a reason) rendered inert, line breaks included.
func shown(_ text: String) -> String { InertText.render(text) }

/// An untrusted multi-line field (command output, a note's body, a file) rendered inert, keeping its line feeds.
func shownLines(_ text: String) -> String { InertText.render(text, multiline: true) }

/// An argv for reading: each element rendered inert and the elements joined by spaces.
func shownArgv(_ argv: [String]) -> String { InertText.argv(argv) }

/// Writes `text` and a line feed to standard error, rendered inert like ``emit(_:terminator:)``.
func printError(_ text: String) {
    CLIStreams.current.writeError(InertText.controlsShown(text) + "\n")
}

/// Pretty, stable JSON for `--json`, with every raw DEL, C1, bidi or format character escaped as `\uXXXX`.
func printJSON<T: Encodable>(_ value: T) throws {
    CLIStreams.current.writeOutput(InertText.json(try JSONValue.prettyText(of: value)) + "\n")
}
