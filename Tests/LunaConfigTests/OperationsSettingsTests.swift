import Foundation
import LunaConfig
import LunaSystem
import Testing

/// `[log]`, `[digest]` and `[metrics]`.
@Suite("Operations settings")
struct OperationsSettingsTests {
    func load(_ text: String) throws -> LunaConfiguration {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-ops-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir + "/ops", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ("[luna]\nops_repo = \"ops\"\n[[hosts]]\nname = \"h\"\n" + text).write(toFile: dir + "/luna.toml", atomically: true, encoding: .utf8)
        return try LunaConfiguration.load(path: dir + "/luna.toml", knownChecks: ["files"])
    }

    @Test func defaultsAreInfoNoDigestNoMetrics() throws {
        #expect(try load("").operations == OperationsSettings(logLevel: .info, digestAt: nil, metricsTextfile: nil))
    }

    @Test func theThreeSectionsAreRead() throws {
        let ops = try load("[log]\nlevel = \"warning\"\n[digest]\nat = \"08:00\"\n[metrics]\ntextfile = \"/var/lib/node_exporter/textfile/luna.prom\"\n").operations
        #expect(ops.logLevel == .warning)
        #expect(ops.digestAt == DailyTime("08:00"))
        #expect(ops.metricsTextfile == "/var/lib/node_exporter/textfile/luna.prom")
    }

    @Test("refusals name file:line:column", arguments: [
        ("[log]\nlevel = \"loud\"\n", "level must be \"error\", \"warning\", \"info\" or \"debug\""),
        ("[log]\nlevels = \"info\"\n", "levels"),
        ("[digest]\nat = \"8am\"\n", "at must be a local time HH:MM"),
        ("[digest]\n", "at"),
        ("[metrics]\ntextfile = \"/tmp/luna.txt\"\n", "must end in .prom"),
    ])
    func refusals(text: String, message: String) {
        #expect {
            _ = try load(text)
        } throws: { error in
            let description = "\(error)"
            return description.contains(message) && description.contains("luna.toml:")
        }
    }
}
