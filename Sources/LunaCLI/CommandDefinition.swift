/// One `luna` command as its help describes it.
///
/// The command list of `luna --help`, the text of `luna NAME --help` and the
/// dispatch are all made from ``LunaCommand/definitions``, so a command cannot
/// be listed without help, helped without being listed, or run without both.
struct CommandDefinition: Sendable {
    /// An option and what it does.
    struct Option: Sendable {
        /// As typed, with its value: `--host H`.
        var flag: String
        /// One sentence; wrapped to the terminal width under its column.
        var help: String

        init(_ flag: String, _ help: String) {
            self.flag = flag
            self.help = help
        }
    }

    /// The word after `luna`.
    var name: String
    /// Its arguments in short, after the name in the command list: `[--once]`, `add|list|…`.
    var synopsis: String
    /// One line for the command list.
    var summary: String
    /// The full usage lines, each starting `luna NAME`.
    var usage: [String]
    /// What the command does, in paragraphs.
    var details: String = ""
    var options: [Option] = []
    /// Command lines an operator may copy.
    var examples: [String] = []
    /// What follows the options: exit statuses and other notes.
    var footer: String = ""
    /// Runs the command on its arguments (after the global options and the name).
    var run: @Sendable (inout Arguments, Context) throws -> Int32

    /// `luna NAME --help`: usage, details, options, examples and footer.
    var helpText: String {
        var sections: [String] = []
        sections.append(usage.enumerated().map { ($0.offset == 0 ? "Usage: " : "       ") + $0.element }.joined(separator: "\n"))
        if !details.isEmpty { sections.append(details) }
        if !options.isEmpty {
            let column = 2 + (options.map(\.flag.count).max() ?? 0) + 3
            let lines = options.map { option in
                "  " + option.flag + String(repeating: " ", count: column - 2 - option.flag.count)
                    + Help.wrapped(option.help.split(separator: " ").map(String.init), firstColumn: column, indent: column, joiner: "")
            }
            sections.append("Options:\n" + lines.joined(separator: "\n"))
        }
        if !examples.isEmpty { sections.append("Examples:\n" + examples.map { "  " + $0 }.joined(separator: "\n")) }
        if !footer.isEmpty { sections.append(footer) }
        return sections.joined(separator: "\n\n")
    }

    /// This command's entry in the command list: name and synopsis, then the summary at ``Help/summaryColumn``.
    var listEntry: String {
        let head = "  " + name + (synopsis.isEmpty ? "" : " " + synopsis)
        let summary = Help.wrapped(summary.split(separator: " ").map(String.init), firstColumn: Help.summaryColumn,
                                   indent: Help.summaryColumn, width: Help.listWidth, joiner: "")
        if head.count + 2 <= Help.summaryColumn {
            return head + String(repeating: " ", count: Help.summaryColumn - head.count) + summary
        }
        return head + "\n" + String(repeating: " ", count: Help.summaryColumn) + summary
    }
}
