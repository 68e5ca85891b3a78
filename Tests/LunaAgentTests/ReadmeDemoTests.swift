import Foundation
import Testing
import LunaFleet
import TestSupport

/// The README's first command, run as written (the `swift run luna …` part, on the built
/// binary), in a scratch folder: on this machine it shows exactly one drift — the demo's.
@Suite("README demo", .enabled(if: SystemRequirements.isRoot))
struct ReadmeDemoTests {
    /// The arguments after `swift run luna` in the README's first shell block.
    static func readmeArguments() throws -> [String] {
        let readme = try String(contentsOf: Estate.projectRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let tryIt = readme.range(of: "## Try it"),
              let line = readme[tryIt.upperBound...].split(separator: "\n").first(where: { $0.contains("swift run luna ") }),
              let call = line.range(of: "swift run luna ") else {
            throw TestFailure("README.md has no `swift run luna …` line under “Try it”")
        }
        return line[call.upperBound...].split(separator: " ").map(String.init)
    }

    @Test func theFirstCommandShowsExactlyOneDriftAndItsProposal() throws {
        var args = try Self.readmeArguments()
        #expect(args.contains("demo"), "the README's first command runs the demo: \(args)")
        // Relative paths in the README are relative to the checkout.
        args = args.map { FileManager.default.fileExists(atPath: Estate.projectRoot.appendingPathComponent($0).path) && !$0.hasPrefix("-")
            ? Estate.projectRoot.appendingPathComponent($0).path : $0 }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-readme-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try LunaBinary.run(args + ["--dir", dir], timeout: .seconds(300))
        let drift = r.stdoutText.split(separator: "\n").filter { $0.hasPrefix("  DRIFT") }
        #expect(drift.count == 1, "exactly one drift:\n\(r.stdoutText)\n\(r.stderrText)")
        #expect(drift.first?.contains("files") == true)
        #expect(!r.stdoutText.contains("ERROR"), "\(r.stdoutText)")
        #expect(r.stdoutText.contains("#1  localhost  as luna → root  /usr/bin/chmod 0600 \(dir)/app.conf"))
        #expect(r.stdoutText.contains("approve 1"))
        // And the rest of the walk-through: approve, run (verified, re-checked, committed).
        let config = dir + "/luna.toml"
        #expect(try LunaBinary.run(["--config", config, "approve", "1"]).exitStatus == 0)
        let run = try LunaBinary.run(["--config", config, "run", "--once"], timeout: .seconds(300))
        #expect(run.stdoutText.contains("Recorded proposal 1 (succeeded)"), "\(run.stdoutText)\(run.stderrText)")
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/app.conf")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // The commit landed in the demo's own ops repo, never in this checkout.
        let log = try ProcessRunner.run(["git", "-C", dir + "/ops", "log", "--format=%s"], timeout: .seconds(30)).stdoutText
        #expect(log.contains("luna: succeeded on localhost"))
    }
}
