import Foundation
import LunaAgent
import LunaCLI
import LunaConfig
import LunaDrift
import TestSupport

/// A one-host estate in a temporary ops repo: a target file whose mode drifted
/// (0644, reference 0600), the shipped restore-file-mode skill, and a sudoers
/// reference that allows exactly the fix.
struct Estate {
    let ops: TemporaryOpsRepo
    var target: String { ops.root + "/target/app.conf" }
    var counter: String { ops.root + "/counter" }
    var slowAction: String { ops.root + "/slow-action" }

    static var projectRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func shippedSkill(_ name: String, file: String = "SKILL.md") throws -> String {
        try String(contentsOf: projectRoot.appendingPathComponent("skills/\(name)/\(file)"), encoding: .utf8)
    }

    /// - Parameters:
    ///   - slow: Use a slow action (a script that counts its runs, then sleeps) instead of chmod.
    ///   - sudoers: Extra sudoers lines.
    ///   - ttlMinutes: The approval window.
    ///   - readOnly: Extra commands for the declared read set (`LUNA_READ`), beside the fix's verification.
    init(slow: Bool = false, sudoers: String = "", readOnly: [String] = [], ttlMinutes: Int = 60, files: [String: String] = [:]) throws {
        let rootPlaceholder = "@ROOT@"
        // As on a real host: the verification the skill runs without a second approval is declared read-only.
        let read = (["/usr/bin/stat -c %04a \(rootPlaceholder)/target/app.conf"] + readOnly).joined(separator: ", ")
        var all: [String: String] = [
            "configs/files/localhost": "\(rootPlaceholder)/target/app.conf 0600 *\n",
            "configs/sudoers/luna-localhost": """
                # test reference
                Cmnd_Alias LUNA_READ = \(read)
                Cmnd_Alias FIX = /usr/bin/chmod 0600 \(rootPlaceholder)/target/app.conf, \(rootPlaceholder)/slow-action *
                luna ALL = (root) NOPASSWD: LUNA_READ, FIX
                \(sudoers)

                """,
            "skills/restore-file-mode/SKILL.md": try Self.shippedSkill("restore-file-mode"),
            "skills/restore-file-mode/luna.json": try Self.shippedSkill("restore-file-mode", file: "luna.json"),
            "memory/README.md": "Memory notes.\n",
        ]
        if slow {
            all["skills/restore-file-mode/SKILL.md"] = """
                ---
                name: restore-file-mode
                description: A slow fix that counts its runs.
                check: files
                match: {"aspect": "mode"}
                argv: ["\(rootPlaceholder)/slow-action", "{path}"]
                risk: mutating
                ---
                Test skill.
                """
        }
        for (k, v) in files { all[k] = v }
        // A test's own SKILL.md (the previous format, procedure in the front matter) comes without the shipped luna.json.
        if slow || files["skills/restore-file-mode/SKILL.md"] != nil, files["skills/restore-file-mode/luna.json"] == nil {
            all["skills/restore-file-mode/luna.json"] = nil
        }
        let config = """
            [luna]
            ops_repo = "\(rootPlaceholder)/repo"
            state_dir = "\(rootPlaceholder)/state"
            scan_interval_seconds = 10
            execution = "direct"
            command_timeout_seconds = 60

            [approvals]
            ttl_minutes = \(ttlMinutes)

            [git]
            author_name = "Luna Test"
            author_email = "luna@test.invalid"

            [[hosts]]
            name = "localhost"
            transport = "local"
            checks = ["files"]

            """
        // The root is only known after creation: write files with the placeholder, then fix them up.
        let ops = try TemporaryOpsRepo(files: [:], config: config)
        for (path, content) in all { try ops.write(path, content.replacingOccurrences(of: rootPlaceholder, with: ops.root)) }
        try ops.git("add", "-A")
        try ops.git("commit", "-q", "-m", "estate")
        self.ops = ops
        try FileManager.default.createDirectory(atPath: ops.root + "/target", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: target, contents: Data("setting=1\n".utf8), attributes: [.posixPermissions: 0o644])
        try "#!/bin/sh\necho run >> '\(counter)'\nexec sleep 30\n".write(toFile: slowAction, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: slowAction)
    }

    /// `luna --config … ARGS`, run in this process; with an `environment`, the binary is spawned with it.
    func luna(_ args: String..., environment: [String: String]? = nil) throws -> (status: Int32, out: String, err: String) {
        if let environment { return try spawned(args, environment: environment) }
        return LunaCLITestRunner.run(["--config", ops.config] + args)
    }

    /// `luna --config … ARGS` as a child process, the way an operator runs it.
    func spawned(_ args: [String], environment: [String: String]? = nil) throws -> (status: Int32, out: String, err: String) {
        let r = try LunaBinary.run(["--config", ops.config] + args, environment: environment)
        return (r.exitStatus, r.stdoutText, r.stderrText)
    }

    /// The configuration, loaded the way `luna` loads it.
    func configuration() throws -> LunaConfiguration {
        try LunaConfiguration.load(path: ops.config, knownChecks: CheckCatalog.names, channelKinds: ChannelRegistry.settingsKinds,
                                   knownProviders: LunaCLI.knownProviders)
    }

    func mode() throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int) ?? -1
    }

    func runs() -> Int {
        ((try? String(contentsOfFile: counter, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    func remove() { ops.remove() }
}

/// A clock tests can move.
final class TestClock: @unchecked Sendable {
    // @unchecked: `now` is guarded by `lock`.
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date()) { current = start }

    var now: Date { lock.withLock { current } }

    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
}
