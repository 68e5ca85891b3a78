import Foundation
import Testing
import LunaAgent
import TestSupport

/// The CLI's rough edges an operator hits first: --version, help before a command,
/// and --json where a script reads the result.
@Suite("CLI: version, help anywhere, --json on decisions and one cycle")
struct CLIEdgesTests {
    @Test func versionAndHelpBeforeACommand() {
        let version = LunaCLITestRunner.run(["--version"])
        #expect(version.status == 0 && version.out.hasPrefix("luna 0.") && version.out.contains("libcurl/") && version.out.contains("SQLite/3."))
        #expect(LunaCLITestRunner.run(["--config", "/nonexistent.toml", "-V"]).out == version.out)
        let help = LunaCLITestRunner.run(["--config", "/nonexistent.toml", "--help"])
        #expect(help.status == 0 && help.out.contains("Commands:") && !help.err.contains("missing a command"))
        let scanHelp = LunaCLITestRunner.run(["--config", "/nonexistent.toml", "scan", "--help"])
        #expect(scanHelp.status == 0 && scanHelp.out.hasPrefix("Usage: luna scan"))
        let twice = LunaCLITestRunner.run(["allowed", "--host", "a", "--host", "b", "--", "/bin/true"])
        #expect(twice.status == 2 && twice.err.contains("--host was given more than once; `luna allowed` takes one"), "\(twice.err)")
        let unknown = LunaCLITestRunner.run(["--bogus"])
        #expect(unknown.status == 2 && unknown.err.contains("Run 'luna --help' for usage.") && !unknown.err.contains("luna  --help"))
    }

    @Test func approveDenyAndOneCycleSpeakJSON() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let cycle = try estate.luna("run", "--once", "--json")
        #expect(cycle.status == 0, "\(cycle.err)")
        let first = try #require(try JSONSerialization.jsonObject(with: Data(cycle.out.utf8)) as? [String: Any])
        let proposed = try #require(first["proposed"] as? [[String: Any]])
        #expect(proposed.count == 1 && proposed[0]["state"] as? String == "awaiting_approval")
        #expect((first["results"] as? [[String: Any]])?.contains { $0["check"] as? String == "files" && $0["status"] as? String == "drift" } == true)
        #expect((first["events"] as? [[String: Any]])?.first?["event"] as? String == "new")

        let approve = try estate.luna("approve", "1", "--json")
        let decided = try #require(try JSONSerialization.jsonObject(with: Data(approve.out.utf8)) as? [String: Any])
        #expect(decided["state"] as? String == "approved")
        #expect((decided["approval"] as? [String: Any])?["channel"] as? String == "cli")

        let second = try estate.luna("run", "--once", "--json")
        let ran = try #require(try JSONSerialization.jsonObject(with: Data(second.out.utf8)) as? [String: Any])
        #expect((ran["executed"] as? [[String: Any]])?.first?["outcome"] as? String == "succeeded", "\(second.out)")
        #expect((ran["recorded"] as? [Int])?.contains(1) == true)
        #expect(try estate.luna("run", "--json").status == 2, "--json needs --once")
    }
}
