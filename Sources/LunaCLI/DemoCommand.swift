import Foundation
import LunaAgent
import LunaConfig
import LunaDrift
import LunaSystem

/// `luna --config configs/luna.example.toml demo [--dir DIR]`: the example estate, on
/// this machine as it is now, with exactly one drift — the README's first command.
///
/// The example's references were captured on another machine, so on this one most
/// of them would be false drift. The demo copies the example's skills, prompts and
/// allowlist into a scratch ops repo (DIR/ops, a git repo of its own, so the
/// outcome's commit lands there and not in this checkout), captures this machine's
/// ports, sshd, services, SUID and cron inventories as their references (an sshd
/// setting weaker than the policy is waived by "luna demo", and shown so), creates
/// DIR/app.conf world-readable while its reference says 0600, and runs one cycle.
enum DemoCommand {
    static let marker = ".luna-demo"
    static let captured = ["ports", "sshd", "services", "suid", "cron"]
    static let checks = ["files"] + captured + ["disk", "memory"]

    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let dir = URL(fileURLWithPath: try args.value("--dir") ?? "/tmp/luna-demo").standardizedFileURL.path
        try args.finish()
        let example = try context.configuration()
        let source = example.opsRepo
        let fm = FileManager.default
        // A fresh demo each time; anything that is not an earlier demo is never removed.
        if fm.fileExists(atPath: dir) {
            let contents = (try? fm.contentsOfDirectory(atPath: dir)) ?? []
            guard contents.isEmpty || fm.fileExists(atPath: dir + "/" + marker) else {
                throw UsageError(message: "\(dir) exists and is not a Luna demo; pass --dir to an empty or new folder", command: "demo")
            }
            try fm.removeItem(atPath: dir)
        }
        try fm.createDirectory(atPath: dir + "/ops/configs/sudoers", withIntermediateDirectories: true)
        fm.createFile(atPath: dir + "/" + marker, contents: Data("A Luna demo (luna demo); safe to remove.\n".utf8))
        let app = dir + "/app.conf"
        func copy(_ relative: String) throws {
            guard fm.fileExists(atPath: source + "/" + relative) else { return }
            try fm.createDirectory(atPath: ((dir + "/ops/" + relative) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: source + "/" + relative, toPath: dir + "/ops/" + relative)
        }
        for relative in ["skills", "prompts", "configs/disk/localhost", "configs/memory/localhost"] { try copy(relative) }
        let sudoers = try String(contentsOfFile: source + "/configs/sudoers/luna-localhost", encoding: .utf8)
            .replacingOccurrences(of: "/tmp/luna-demo/app.conf", with: app)
        try sudoers.write(toFile: dir + "/ops/configs/sudoers/luna-localhost", atomically: true, encoding: .utf8)
        // This machine's loopback listeners come and go (a test runner, an editor's language server):
        // the demo compares the public ones.
        try fm.createDirectory(atPath: dir + "/ops/configs/ports", withIntermediateDirectories: true)
        try "ignore loopback\n".write(toFile: dir + "/ops/configs/ports/localhost", atomically: true, encoding: .utf8)
        try fm.createDirectory(atPath: dir + "/ops/configs/files", withIntermediateDirectories: true)
        try "# The demo file: created world-readable, its reference is 0600.\n\(app) 0600 *\n"
            .write(toFile: dir + "/ops/configs/files/localhost", atomically: true, encoding: .utf8)
        try fm.createDirectory(atPath: dir + "/ops/memory", withIntermediateDirectories: true)
        try "Memory notes of the demo estate.\n".write(toFile: dir + "/ops/memory/README.md", atomically: true, encoding: .utf8)
        let toml = """
            # The demo estate written by `luna demo`: this machine as localhost.
            [luna]
            ops_repo = "\(dir)/ops"
            state_dir = "\(dir)/state"
            scan_interval_seconds = 300
            identity = "\(example.identity)"
            execution = "direct"
            command_timeout_seconds = 120

            [approvals]
            ttl_minutes = 60

            [git]
            author_name = "Luna"
            author_email = "luna@localhost"

            [[hosts]]
            name = "localhost"
            transport = "local"
            usrmerge = true
            checks = [\(checks.map { "\"\($0)\"" }.joined(separator: ", "))]

            """
        try toml.write(toFile: dir + "/luna.toml", atomically: true, encoding: .utf8)
        try GitRepository.create(path: dir + "/ops", authorName: "Luna", authorEmail: "luna@localhost",
                                 message: "The demo estate, from the example")
        fm.createFile(atPath: app, contents: Data("setting=1\n".utf8), attributes: [.posixPermissions: 0o644])

        let demo = Context(configPath: dir + "/luna.toml", stateDirectory: nil)
        let agent = try demo.agent()
        emit("The demo estate is \(shown(dir)) (config \(shown(dir))/luna.toml, ops repo \(shown(dir))/ops).")
        emit("Capturing this machine's references (what it runs now is what the demo expects):")
        for check in captured {
            do {
                // This machine's sshd may be weaker than the policy: the demo waives it, visibly, rather than hide it.
                let (changes, _) = try agent.curation.captureBaseline(host: "localhost", checks: [check], reason: "demo: this machine as it is now",
                                                                      acceptWeaker: true, owner: "luna demo")
                let weaker = changes.flatMap(\.weaker).map { "\($0.setting) \($0.live)" }
                emit("  \(check.padding(toLength: 9, withPad: " ", startingAt: 0)) captured"
                    + (weaker.isEmpty ? "" : "; weaker than the policy, waived: \(shown(weaker.joined(separator: ", ")))"))
            } catch {
                emit("  \(check.padding(toLength: 9, withPad: " ", startingAt: 0)) not captured (it reports unavailable): \(shown(Self.firstLine("\(error)")))")
            }
        }
        emit("")
        var once = Arguments(["--once"], command: "run")
        let status = try RunCommand.run(&once, demo)
        return status
    }

    static func firstLine(_ s: String) -> String { String(s.split(separator: "\n").first ?? "") }
}
