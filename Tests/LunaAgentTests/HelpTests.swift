import Foundation
import Testing
@testable import LunaCLI

/// `luna --help` and `luna COMMAND --help` come from the same definitions, so they cannot disagree.
@Suite("help from command definitions")
struct HelpTests {
    /// The command names `luna --help` lists, read from its output.
    static func listedCommands() -> [String] {
        let help = LunaCLITestRunner.run(["--help"]).out
        guard let start = help.range(of: "Commands:\n"), let end = help.range(of: "\n\nGlobal options:") else { return [] }
        return help[start.upperBound..<end.lowerBound].split(separator: "\n")
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.dropFirst(2).split(separator: " ").first.map(String.init) }
    }

    @Test func everyListedCommandHasHelpAndEveryDefinitionIsListed() {
        let listed = Self.listedCommands()
        #expect(listed == ["run", "scan", "proposals", "show", "approve", "deny", "allowed", "memory", "skills", "plan",
                           "status", "baseline", "init", "check", "audit", "secrets", "waive", "unwaive", "waivers", "demo", "mcp", "context", "help"])
        #expect(listed == LunaCommand.definitions.map(\.name))
        let list = LunaCLITestRunner.run(["--help"]).out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for definition in LunaCommand.definitions {
            let help = LunaCLITestRunner.run([definition.name, "--help"])
            #expect(help.status == 0 && help.out.hasPrefix("Usage: luna \(definition.name)"), "\(definition.name) --help")
            #expect(LunaCLITestRunner.run(["help", definition.name]).out == help.out, "luna help \(definition.name)")
            // The list shows the definition's own synopsis and summary, whatever the wrapping.
            let entry = ([definition.name, definition.synopsis, definition.summary].filter { !$0.isEmpty }.joined(separator: " "))
                .split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(list.contains(entry), "\(entry)")
            // Every option the definition documents is shown in its help, and every usage line too.
            for option in definition.options { #expect(help.out.contains("  " + option.flag + " "), "\(definition.name) \(option.flag)") }
            for line in definition.usage { #expect(help.out.contains(line), "\(line)") }
        }
    }

    @Test func helpTextsKeepTheirContent() {
        let scan = LunaCLITestRunner.run(["scan", "--help"]).out
        #expect(scan.contains("Options:\n  --host H    only this host (repeatable)\n  --check C   only this check (repeatable): ports, sshd,"))
        #expect(scan.hasSuffix("Exit status: 0 no drift, 1 drift, 2 error (a check failed, or bad usage),\n3 nothing was checked (no host enables the checks asked for, or every check was unavailable).\n"))
        let main = LunaCLITestRunner.run(["--help"]).out
        #expect(main.contains("  proposals [--state S] [--json]  list proposals (all, or in state S)\n"))
        #expect(main.contains("  memory add|list|search|show|rm|approve|reindex\n                                  memory notes"))
        #expect(LunaCLITestRunner.run(["allowed", "--help"]).out.contains("The last line, read:, says whether the command is in the host's declared"))
    }

    @Test func aUsageErrorOutsideACommandPointsAtTheMainHelp() {
        let r = LunaCLITestRunner.run(["--config", "/nonexistent/luna.toml"])
        #expect(r.status == 2)
        #expect(r.err == "luna: missing a command\nRun 'luna --help' for usage.\n")
        let unknown = LunaCLITestRunner.run(["bogus", "--help"])
        #expect(unknown.status == 2 && unknown.err == "luna: unknown command 'bogus'\nRun 'luna --help' for usage.\n")
        let inCommand = LunaCLITestRunner.run(["scan", "--bogus"])
        #expect(inCommand.err.hasSuffix("Run 'luna scan --help' for usage.\n"))
    }
}
