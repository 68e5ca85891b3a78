import Foundation
import Testing
import TestSupport

/// `systemd-analyze security` on the committed unit: the hardening stays at or
/// below 2.0, the comments state the real scores, and the unit parses cleanly.
@Suite(.enabled(if: SystemRequirements.available(tools: ["systemd-analyze"])))
struct LunaServiceSecurityTests {
    static let budget = 2.0

    @Test func exposureIsAtMostTwo() throws {
        let run = try ToolRun.run(
            "systemd-analyze", ["security", "--offline=true", RepoFiles.systemd("luna.service").path]
        )
        let score = try #require(
            ExposureReport.score(in: run.stdout, unit: "luna.service"),
            "no 'Overall exposure level' line in:\n\(run.stdout)\n\(run.stderr)"
        )
        #expect(score <= Self.budget, "exposure \(score) > \(Self.budget):\n\(run.stdout)")
        // `security` ignores directives it cannot parse; a typo would silently
        // weaken the unit while the score still looks fine, so stderr must be quiet.
        #expect(run.stderrLines.isEmpty, "systemd-analyze complained: \(run.stderr)")
    }

    @Test func headerCommentStatesTheRealScore() throws {
        let unit = try UnitFile(contentsOf: RepoFiles.systemd("luna.service"))
        let documented = try #require(
            ExposureReport.documentedScore(in: unit.commentText, after: "rates this unit"),
            "the header comment must say 'rates this unit X.Y'"
        )
        let run = try ToolRun.run(
            "systemd-analyze", ["security", "--offline=true", RepoFiles.systemd("luna.service").path]
        )
        let actual = try #require(ExposureReport.score(in: run.stdout, unit: "luna.service"))
        #expect(ExposureReport.rounded(actual) == documented)
    }

    /// The local-sudo drop-in, installed the way docs/install.md says, scores
    /// what its comment and the unit's comment say, and worse than the unit alone.
    @Test func localSudoDropInScoreIsDocumented() throws {
        let dir = try RepoFiles.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dropInDir = dir.appendingPathComponent("luna.service.d")
        try FileManager.default.createDirectory(at: dropInDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: RepoFiles.systemd("luna.service"), to: dir.appendingPathComponent("luna.service"))
        try FileManager.default.copyItem(
            at: RepoFiles.systemd("luna.service.d-local-sudo.conf.example"),
            to: dropInDir.appendingPathComponent("local-sudo.conf"))

        let withDropIn = try ToolRun.run("systemd-analyze", ["security", "--offline=true", "luna.service"], in: dir)
        let score = try #require(ExposureReport.score(in: withDropIn.stdout, unit: "luna.service"))
        #expect(withDropIn.stderrLines.isEmpty, "systemd-analyze complained: \(withDropIn.stderr)")
        // The drop-in really took effect: sudo needs NoNewPrivileges=no.
        #expect(withDropIn.stdout.contains("✗ NoNewPrivileges="))

        let alone = try ToolRun.run(
            "systemd-analyze", ["security", "--offline=true", RepoFiles.systemd("luna.service").path])
        let baseline = try #require(ExposureReport.score(in: alone.stdout, unit: "luna.service"))
        #expect(score > baseline)

        let dropIn = try UnitFile(contentsOf: RepoFiles.systemd("luna.service.d-local-sudo.conf.example"))
        let unit = try UnitFile(contentsOf: RepoFiles.systemd("luna.service"))
        #expect(ExposureReport.documentedScore(in: dropIn.commentText, after: "rates luna.service") == ExposureReport.rounded(score))
        #expect(ExposureReport.documentedScore(in: unit.commentText, after: "raises the score to") == ExposureReport.rounded(score))
    }
}
