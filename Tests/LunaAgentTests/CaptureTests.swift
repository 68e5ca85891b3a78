import Foundation
import Testing
import LunaAgent
import LunaDrift
import TestSupport

/// Capturing the SUID and cron inventories from the live host: the next scan of the
/// same host is clean, and a new SUID file afterwards is a finding.
@Suite("baseline capture: suid and cron", .enabled(if: SystemRequirements.isRoot))
struct CaptureTests {
    @Test func aCapturedInventoryScansCleanAndANewSUIDFileIsAFinding() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("luna-suid-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: scratch + "/bin", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        FileManager.default.createFile(atPath: scratch + "/bin/known", contents: Data(), attributes: [.posixPermissions: 0o4755])
        let estate = try Estate(files: ["configs/suid/localhost": "root \(scratch)\n"])
        defer { estate.remove() }
        var config = try estate.configuration()
        config.hosts[0].checks = ["suid", "cron"]
        let agent = try Agent(config: config, environment: AgentEnvironment(log: { _ in }))
        let (changes, commit) = try agent.curation.captureBaseline(host: "localhost", checks: ["suid", "cron"], reason: "first inventory")
        #expect(commit != nil)
        #expect(changes.contains { $0.check == "suid" && $0.added.contains(scratch + "/bin/known") })
        let reference = try String(contentsOfFile: estate.ops.repo + "/configs/suid/localhost", encoding: .utf8)
        #expect(reference.contains("root \(scratch)\n") && reference.contains(scratch + "/bin/known\n"))
        #expect(FileManager.default.fileExists(atPath: estate.ops.repo + "/configs/cron/localhost"))

        let clean = try agent.scanner.scan()
        #expect(clean.results.filter { $0.check == "suid" || $0.check == "cron" }.allSatisfy { $0.status == .ok }, "\(clean.text)")

        FileManager.default.createFile(atPath: scratch + "/bin/new", contents: Data(), attributes: [.posixPermissions: 0o2755])
        let drift = try agent.scanner.scan()
        let suid = try #require(drift.results.first { $0.check == "suid" })
        #expect(suid.status == .drift && suid.items.map(\.subject) == ["+" + scratch + "/bin/new"])
    }
}
