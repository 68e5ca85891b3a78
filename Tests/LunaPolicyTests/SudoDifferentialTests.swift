import Foundation
import Synchronization
import Testing
import TestSupport
@testable import LunaPolicy

/// A small deterministic random generator (SplitMix64) so a failing seed can be replayed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs a program and returns its exit status and standard output.
func runProcess(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Generates random but valid sudoers files and commands to ask about.
struct SudoersGenerator {
    var rng: SeededRandom
    let uid: Int
    let opsGid: Int

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    mutating func neg() -> String { chance(0.2) ? (chance(0.1) ? "!!" : "!") : "" }

    mutating func list(_ pool: [String], max: Int) -> String {
        let n = Int.random(in: 1...max, using: &rng)
        return (0..<n).map { _ in neg() + pick(pool) }.joined(separator: chance(0.5) ? ", " : ",")
    }

    mutating func command(aliases: Bool) -> String {
        var paths = ["/usr/bin/ls", "/bin/ls", "/usr/bin/cat", "/bin/cat", "/usr/bin/systemctl", "/usr/bin/id",
                     "/usr/bin/ls*", "/usr/bin/c*", "/bin/*", "/usr/bin/", "/usr/sbin/", "/usr/bin/[ci]?",
                     "/usr/bin/sys*ctl", "/usr/bin/echo", "/usr/sbin/visudo", "ALL"]
        if aliases { paths += ["CMDS", "READ"] }
        let p = pick(paths)
        var text = neg() + p
        if p.hasPrefix("/") && !p.hasSuffix("/") && chance(0.6) {
            text += " " + pick(["\"\"", "-l", "-l *", "*", "status *", "status ssh", "-[al]*", "^-l( -a)?$",
                                "^(status|is-active) [a-z]+$", "-l /tmp", "\\*", "-l   -a", "a\\,b", "* *", "-?"])
        }
        return text
    }

    mutating func cmndSpec(aliases: Bool) -> String {
        var s = ""
        if chance(0.5) {
            s += pick(["(root) ", "(ALL) ", "(daemon) ", "(ALL, !root) ", "(root, daemon) ", "() ", "(:lunaops) ",
                       "(OPS) ", "(ALL : ALL) ", "(%lunaops) ", "(luna) ", "(!daemon, ALL) ", "(#0) "])
        }
        if chance(0.4) {
            s += pick(["NOPASSWD: ", "PASSWD: ", "NOEXEC: ", "SETENV: ", "LOG_INPUT: ", "NOPASSWD: NOEXEC: "])
        }
        return s + command(aliases: aliases)
    }

    mutating func file() -> String {
        var lines: [String] = ["# generated"]
        if chance(0.3) { lines.append(pick(["Defaults env_reset", "Defaults:luna !lecture", "Defaults timestamp_timeout=5",
                                            "Defaults secure_path=\"/usr/sbin:/usr/bin\"", "Defaults!/usr/bin/ls !log_output",
                                            "Defaults runas_default=daemon", "Defaults>root !set_logname"])) }
        let users = ["luna", "root", "%luna", "%lunaops", "%lunadev", "%#\(opsGid)", "#\(uid)", "ALL", "USERS"]
        let hosts = ["ALL", "vm", "web1", "v*", "db?.example.com", "HOSTS"]
        lines.append("User_Alias USERS = " + (chance(0.5) ? "luna, %lunadev" : "root, %lunaops"))
        lines.append("Host_Alias HOSTS = " + pick(["vm, web1", "web1", "!vm, ALL", "v?"]))
        lines.append("Runas_Alias OPS = " + pick(["root, daemon", "daemon", "ALL, !nobody"]))
        lines.append("Cmnd_Alias CMDS = " + (0..<Int.random(in: 1...3, using: &rng)).map { _ in command(aliases: false) }.joined(separator: ", "))
        lines.append("Cmnd_Alias READ = /usr/bin/cat, /usr/bin/ls -l *")
        for _ in 0..<Int.random(in: 1...5, using: &rng) {
            var line = list(users, max: 2) + " "
            let sections = Int.random(in: 1...2, using: &rng)
            line += (0..<sections).map { _ in
                list(hosts, max: 2) + " = " + (0..<Int.random(in: 1...3, using: &rng)).map { _ in cmndSpec(aliases: true) }
                    .joined(separator: chance(0.2) ? ", \\\n    " : ", ")
            }.joined(separator: " : ")
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    mutating func query() -> (runas: String, argv: [String]) {
        let program = pick(["/usr/bin/ls", "/bin/ls", "/usr/bin/cat", "/usr/bin/systemctl", "/usr/bin/id",
                            "/usr/bin/echo", "/usr/sbin/visudo"])
        let args = pick([[], ["-l"], ["-l", "-a"], ["-la"], ["-l", "/tmp"], ["status", "ssh"], ["is-active", "cron"],
                         ["status"], ["*"], ["a,b"], ["-a"], ["status", "ssh", "x"], ["-l", "-a", "-b"], [""]])
        return (pick(["root", "root", "daemon", "luna", "nobody"]), [program] + args)
    }
}

func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

@Suite("Differential test against real sudo", .serialized)
struct SudoDifferentialTests {
    static func ensureAccounts() throws -> (uid: Int, gids: [String], opsGid: Int) {
        for group in ["lunaops", "lunadev"] where try runProcess("/usr/bin/getent", ["group", group]).status != 0 {
            _ = try runProcess("/usr/sbin/groupadd", [group])
        }
        if try runProcess("/usr/bin/id", ["luna"]).status != 0 {
            _ = try runProcess("/usr/sbin/useradd", ["-M", "-U", "-s", "/usr/sbin/nologin", "-G", "lunaops", "luna"])
        }
        let uid = Int(try runProcess("/usr/bin/id", ["-u", "luna"]).output.trimmingCharacters(in: .whitespacesAndNewlines))!
        let names = try runProcess("/usr/bin/id", ["-Gn", "luna"]).output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let ids = try runProcess("/usr/bin/id", ["-G", "luna"]).output.split(separator: " ").map { "#" + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let ops = try runProcess("/usr/bin/getent", ["group", "lunaops"]).output.split(separator: ":")
        return (uid, names + ids, Int(ops[2])!)
    }

    @Test("Sudoers.decide agrees with sudo -l on generated files",
          .enabled(if: SystemRequirements.available(tools: ["sudo", "visudo", "unshare", "mount", "useradd"], needsRoot: true)),
          .timeLimit(.minutes(3)))
    func differential() throws {
        let target = SystemRequirements.required ? 10_000 : 500
        let perFile = 50
        let files = target / perFile
        let accounts = try Self.ensureAccounts()
        let facts = try MachineFacts.gather(accounts)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-sudo-diff-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        struct Outcome { var compared = 0; var disagreements: [String] = []; var visudoRejected = 0 }
        let outcome = Mutex(Outcome())
        let seedBase = UInt64(ProcessInfo.processInfo.environment["LUNA_SUDO_SEED"] ?? "") ?? 20_240_601

        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for index in stride(from: worker, to: files, by: 2) {
                var gen = SudoersGenerator(rng: SeededRandom(state: seedBase &+ UInt64(index)), uid: accounts.uid, opsGid: accounts.opsGid)
                let text = gen.file()
                let path = "\(dir)/sudoers-\(index)"
                FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o440])
                let parsed = Result { () throws(SudoersError) in try Sudoers.parse(text, file: path) }
                let visudoOK = ((try? runProcess("/usr/sbin/visudo", ["-cf", path]).status) ?? 1) == 0
                guard visudoOK else {
                    outcome.withLock {
                        $0.visudoRejected += 1
                        if case .success = parsed { $0.disagreements.append("visudo rejects but Luna accepts (seed \(seedBase &+ UInt64(index))):\n\(text)") }
                    }
                    continue
                }
                guard case .success(let sudoers) = parsed else {
                    if case .failure(let e) = parsed {
                        outcome.withLock { $0.disagreements.append("visudo accepts but Luna rejects: \(e)\n\(text)") }
                    }
                    continue
                }
                var queries: [(String, [String])] = []
                var script = "mount --bind \(shellQuote(path)) /etc/sudoers || exit 99\n"
                for _ in 0..<perFile {
                    let q = gen.query()
                    queries.append(q)
                    script += "sudo -l -U luna -u \(shellQuote(q.0)) " + q.1.map(shellQuote).joined(separator: " ") + " >/dev/null 2>&1; echo $?\n"
                }
                let scriptPath = path + ".sh"
                FileManager.default.createFile(atPath: scriptPath, contents: Data(script.utf8))
                guard let result = try? runProcess("/usr/bin/unshare", ["-m", "/bin/sh", scriptPath]), result.status == 0 else {
                    outcome.withLock { $0.disagreements.append("could not run sudo in a private mount namespace") }
                    continue
                }
                let codes = result.output.split(separator: "\n").map { Int($0) ?? -1 }
                for (k, q) in queries.enumerated() where k < codes.count {
                    let decision = sudoers.decide(facts.request(SudoQuery(runasUser: q.0, runasGroup: nil, argv: q.1), now: Date()))
                    let sudoAllows = codes[k] == 0
                    outcome.withLock {
                        $0.compared += 1
                        if sudoAllows != decision.allowed {
                            $0.disagreements.append("""
                                sudo says \(sudoAllows ? "allowed" : "denied (exit \(codes[k]))"), Luna says \(decision)
                                command: sudo -l -U luna -u \(q.0) \(q.1.map(shellQuote).joined(separator: " "))
                                file (seed \(seedBase &+ UInt64(index))):
                                \(text)
                                """)
                        }
                    }
                }
            }
        }
        let final = outcome.withLock { $0 }
        print("sudo differential: compared \(final.compared) cases over \(files) files (visudo rejected \(final.visudoRejected)); disagreements: \(final.disagreements.count)")
        for d in final.disagreements.prefix(15) { print("---- DISAGREEMENT\n\(d)") }
        #expect(final.disagreements.count == 0, "see the DISAGREEMENT blocks printed above")
        #expect(final.compared >= target * 9 / 10)
    }
}
