import Foundation
import Testing
import TestSupport

/// `systemd-analyze verify` on the committed unit, with and without the drop-in.
///
/// Honest limit: verify also checks that ExecStart's binary exists, and on a
/// build or CI machine /usr/local/bin/luna is usually not installed. Verify then
/// prints exactly one line about that and exits 1. These tests tolerate that one
/// line, and only while the binary is really absent; every other line (unknown
/// key, unparsable value, bad dependency) fails them. The last test proves the
/// tolerance does not hide such errors.
@Suite(.enabled(if: SystemRequirements.available(tools: ["systemd-analyze"])))
struct LunaServiceVerifyTests {
    static let binary = "/usr/local/bin/luna"
    static let missingBinary = "luna.service: Command \(binary) is not executable: No such file or directory"

    /// The stderr lines other than the tolerated missing-binary message.
    static func unexpectedLines(_ run: ToolRun) -> [String] {
        let binaryPresent = FileManager.default.isExecutableFile(atPath: binary)
        return run.stderrLines.filter { binaryPresent || $0 != missingBinary }
    }

    /// A temp dir holding a copy of the unit as `luna.service`, optionally edited and with the drop-in.
    static func stage(edit: (String) -> String = { $0 }, withDropIn: Bool) throws -> URL {
        let dir = try RepoFiles.makeTemporaryDirectory()
        let text = try String(contentsOf: RepoFiles.systemd("luna.service"), encoding: .utf8)
        try edit(text).write(to: dir.appendingPathComponent("luna.service"), atomically: true, encoding: .utf8)
        if withDropIn {
            let dropInDir = dir.appendingPathComponent("luna.service.d")
            try FileManager.default.createDirectory(at: dropInDir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                at: RepoFiles.systemd("luna.service.d-local-sudo.conf.example"),
                to: dropInDir.appendingPathComponent("local-sudo.conf"))
        }
        return dir
    }

    @Test func unitVerifiesCleanly() throws {
        let run = try ToolRun.run("systemd-analyze", ["verify", RepoFiles.systemd("luna.service").path])
        let unexpected = Self.unexpectedLines(run)
        #expect(unexpected.isEmpty, "systemd-analyze verify: \(unexpected.joined(separator: "\n"))")
        if run.stderrLines.isEmpty { #expect(run.status == 0) }
    }

    @Test func unitWithLocalSudoDropInVerifiesCleanly() throws {
        let dir = try Self.stage(withDropIn: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try ToolRun.run("systemd-analyze", ["verify", "luna.service"], in: dir)
        let unexpected = Self.unexpectedLines(run)
        #expect(unexpected.isEmpty, "systemd-analyze verify: \(unexpected.joined(separator: "\n"))")
    }

    @Test func verifyCatchesAMisspeltDirective() throws {
        let dir = try Self.stage(
            edit: { $0.replacingOccurrences(of: "UMask=0077\n", with: "UMask=0077\nProtectSytem=strict\n") },
            withDropIn: false)
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try ToolRun.run("systemd-analyze", ["verify", "luna.service"], in: dir)
        let unexpected = Self.unexpectedLines(run)
        #expect(unexpected.contains { $0.contains("Unknown key 'ProtectSytem'") }, "got: \(run.stderr)")
        #expect(run.status != 0)
    }
}
