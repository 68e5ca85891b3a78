import Foundation
import LunaFleet
import Synchronization
import Testing
import TestSupport

/// Opening the state directory from real `luna` processes: many at once on a
/// new directory, and the sentences for a directory that cannot be used.
@Suite("state directory: concurrent first opens and unusable directories", .serialized)
struct StateDirectoryTests {
    /// Runs `count` `luna ARGS` processes at once and returns their results.
    static func concurrently(_ count: Int, _ args: [String]) -> [Result<CommandResult, any Error>] {
        let results = Mutex<[Int: Result<CommandResult, any Error>]>([:])
        let done = DispatchGroup()
        for index in 0..<count {
            done.enter()
            Thread.detachNewThread {
                let result = Result { try LunaBinary.run(args, timeout: .seconds(60)) }
                results.withLock { $0[index] = result }
                done.leave()
            }
        }
        done.wait()
        return results.withLock { all in (0..<count).map { all[$0]! } }
    }

    /// Runs `rounds` rounds of `width` `luna proposals` at once, each on a new
    /// state directory, and returns the failures.
    static func firstOpens(_ estate: Estate, rounds: Int, width: Int) -> [String] {
        var failures: [String] = []
        for round in 0..<rounds {
            try? FileManager.default.removeItem(atPath: estate.ops.state)
            for (index, result) in concurrently(width, ["--config", estate.ops.config, "proposals"]).enumerated() {
                switch result {
                case .success(let r) where r.exitStatus == 0:
                    break
                case .success(let r):
                    failures.append("round \(round) #\(index): exit \(r.exitStatus): \(r.stderrText)")
                case .failure(let error):
                    failures.append("round \(round) #\(index): \(error)")
                }
            }
        }
        return failures
    }

    @Test("20 `luna proposals` processes opening a new state directory at once all succeed, 6 rounds")
    func twentyFirstOpens() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let failures = Self.firstOpens(estate, rounds: 6, width: 20)
        #expect(failures.isEmpty, "\(failures.count) of 120 failed, e.g. \(failures.prefix(2))")
    }

    @Test("two commands starting together on a new state directory both succeed, 40 rounds")
    func pairsOfFirstOpens() throws {
        // Two processes reach the WAL switch closest together; before the open
        // lock, about one round in seven lost it with SQLITE_BUSY.
        let estate = try Estate()
        defer { estate.remove() }
        let failures = Self.firstOpens(estate, rounds: 40, width: 2)
        #expect(failures.isEmpty, "\(failures.count) of 80 failed, e.g. \(failures.prefix(2))")
    }

    // MARK: Unusable state directories

    /// `luna ARGS` as user nobody (uid/gid 65534), through `setpriv`.
    static func asNobody(_ args: [String]) throws -> CommandResult {
        try ProcessRunner.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", LunaBinary.path] + args,
                              timeout: .seconds(60))
    }

    /// A scratch folder under the estate that user nobody can traverse.
    static func scratch(_ estate: Estate, _ name: String, mode: Int) throws -> String {
        // Whatever the umask, nobody must reach the estate and read its configuration.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: estate.ops.root)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: estate.ops.config)
        let path = estate.ops.root + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test("a state directory whose parent is not writable: a sentence with the path, the user and the fix",
          .enabled(if: SystemRequirements.available(tools: ["setpriv"], needsRoot: true)))
    func uncreatableStateDirectory() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let parent = try Self.scratch(estate, "locked", mode: 0o500)
        for command in [["proposals"], ["run", "--once"]] {
            let r = try Self.asNobody(["--config", estate.ops.config, "--state-dir", parent + "/state"] + command)
            #expect(r.exitStatus != 0)
            #expect(r.stderrText.hasPrefix("luna: cannot create the state directory \(parent)/state: Permission denied"
                                           + " (user nobody (uid 65534) cannot write in \(parent))"), "\(command): \(r.stderrText)")
            #expect(r.stderrText.contains("set state_dir in \(estate.ops.config) (or pass --state-dir) to a writable directory"))
            #expect(!r.stderrText.contains("NSCocoaErrorDomain"))
        }
    }

    @Test("an existing state directory that is not writable: a sentence, not a Cocoa error",
          .enabled(if: SystemRequirements.available(tools: ["setpriv"], needsRoot: true)))
    func unwritableStateDirectory() throws {
        let estate = try Estate()
        defer { estate.remove() }
        _ = try Self.scratch(estate, "outer", mode: 0o755)
        let state = try Self.scratch(estate, "outer/state", mode: 0o500)
        let r = try Self.asNobody(["--config", estate.ops.config, "--state-dir", state, "proposals"])
        #expect(r.exitStatus != 0)
        #expect(r.stderrText.hasPrefix("luna: the state directory \(state) is not writable by user nobody (uid 65534): Permission denied"),
                "\(r.stderrText)")
    }

    @Test("a state database the user cannot write is refused at open, not at the first write",
          .enabled(if: SystemRequirements.available(tools: ["setpriv"], needsRoot: true)))
    func unwritableDatabase() throws {
        let estate = try Estate()
        defer { estate.remove() }
        _ = try Self.scratch(estate, "unused", mode: 0o755)
        #expect(try estate.luna("proposals").status == 0)  // root creates luna.db (0644, root's)
        #expect(chown(estate.ops.state, 65534, 65534) == 0)  // the directory is nobody's, the file is not
        let r = try Self.asNobody(["--config", estate.ops.config, "proposals"])
        #expect(r.exitStatus != 0, "SQLite's silent read-only fallback was accepted: \(r.stdoutText)")
        #expect(r.stderrText.hasPrefix("luna: cannot use the database \(estate.ops.state)/luna.db: Permission denied; "
                                       + "the file and its directory \(estate.ops.state) must exist and be writable by the user luna runs as (uid 65534)"),
                "\(r.stderrText)")
    }

    @Test("a state directory that is a file, or under a file: a sentence naming the file")
    func stateDirectoryIsAFile() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let file = estate.ops.root + "/plain-file"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let itself = try estate.luna("--state-dir", file, "proposals")
        #expect(itself.status != 0)
        #expect(itself.err.hasPrefix("luna: the state directory \(file) exists but is not a directory"), "\(itself.err)")
        let under = try estate.luna("--state-dir", file + "/state", "run", "--once")
        #expect(under.status != 0)
        #expect(under.err.hasPrefix("luna: cannot create the state directory \(file)/state: \(file) is not a directory"), "\(under.err)")
        #expect(!under.err.contains("NSCocoaErrorDomain"))
    }

    /// Runs `luna --config CONFIG --state-dir MOUNT/state ARGS` in a private mount
    /// namespace where MOUNT is a fresh tmpfs mounted with `options`.
    static func onTmpfs(_ estate: Estate, options: String, _ args: [String]) throws -> (mount: String, result: CommandResult) {
        let mount = try scratch(estate, "mnt-\(UUID().uuidString.prefix(6))", mode: 0o755)
        let script = #"mount -t tmpfs -o "$1" tmpfs "$2" || exit 99; shift 2; exec "$@""#
        let r = try ProcessRunner.run(["unshare", "-m", "sh", "-c", script, "sh", options, mount, LunaBinary.path,
                                       "--config", estate.ops.config, "--state-dir", mount + "/state"] + args,
                                      timeout: .seconds(60))
        return (mount, r)
    }

    @Test("a read-only file system: the reason and the path, not a Cocoa error",
          .enabled(if: SystemRequirements.available(tools: ["unshare", "mount"], needsRoot: true)))
    func readOnlyFileSystem() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let (mount, r) = try Self.onTmpfs(estate, options: "ro,size=64k", ["proposals"])
        #expect(r.exitStatus != 99, "mount failed: \(r.stderrText)")
        #expect(r.stderrText.hasPrefix("luna: cannot create the state directory \(mount)/state: Read-only file system"
                                       + " (\(mount) is on a read-only file system)"), "\(r.stderrText)")
    }

    @Test("a full disk at the first open says 'disk full at PATH: free space …', at two sizes",
          .enabled(if: SystemRequirements.available(tools: ["unshare", "mount"], needsRoot: true)))
    func diskFullAtFirstOpen() throws {
        let estate = try Estate()
        defer { estate.remove() }
        // 16 KiB cannot even hold the WAL index (SQLITE_IOERR_SHMSIZE); 64 KiB fills during the migrations (SQLITE_FULL).
        for size in ["16k", "64k"] {
            let (mount, r) = try Self.onTmpfs(estate, options: "size=\(size)", ["proposals"])
            #expect(r.exitStatus != 99, "mount failed: \(r.stderrText)")
            #expect(r.exitStatus != 0)
            #expect(r.stderrText.hasPrefix("luna: disk full at \(mount)/state: free space "), "\(size): \(r.stderrText)")
            #expect(r.stderrText.contains("free space on that file system (or move the state directory), then run again"))
        }
    }

    // MARK: Messages survive a kill

    @Test("the restart's 'Proposal N was executing' line is on stdout before the cycle, so a second kill cannot lose it")
    func recoveryLineSurvivesASecondKill() throws {
        let estate = try Estate(slow: true)
        defer { estate.remove() }
        let root = estate.ops.root
        // The slow action records its pid so the test stops exactly that process.
        try "#!/bin/sh\necho run >> '\(estate.counter)'\necho $$ > '\(root)/action.pid'\nexec sleep 30\n"
            .write(toFile: estate.slowAction, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: estate.slowAction)
        #expect(try estate.luna("run", "--once").status == 0)
        #expect(try estate.luna("approve", "1").status == 0)

        let first = Process()
        first.executableURL = URL(fileURLWithPath: LunaBinary.path)
        first.arguments = ["--config", estate.ops.config, "run", "--once"]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        try Self.waitFor(root + "/action.pid")
        kill(first.processIdentifier, SIGKILL)
        Self.killRecorded(root + "/action.pid")  // before waiting: Process waits for the children holding its descriptors
        first.waitUntilExit()

        // The restart's scan runs `stat` (the files check): a `stat` first on PATH
        // marks that the cycle has begun and holds it there.
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try "#!/bin/sh\necho $$ > '\(root)/stat.pid'\nexec sleep 30\n".write(toFile: root + "/bin/stat", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root + "/bin/stat")
        let outPath = root + "/restart.out"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        let out = try #require(FileHandle(forWritingAtPath: outPath))
        let restart = Process()
        restart.executableURL = URL(fileURLWithPath: LunaBinary.path)
        restart.arguments = ["--config", estate.ops.config, "run", "--once"]
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = root + "/bin:" + (environment["PATH"] ?? "/usr/bin:/bin")
        restart.environment = environment
        restart.standardOutput = out  // a file: stdio buffers it fully unless luna flushes
        restart.standardError = FileHandle.nullDevice
        try restart.run()
        try Self.waitFor(root + "/stat.pid")
        kill(restart.processIdentifier, SIGKILL)
        Self.killRecorded(root + "/stat.pid")
        restart.waitUntilExit()
        try out.close()
        let text = try String(contentsOfFile: outPath, encoding: .utf8)
        #expect(text.contains("Proposal 1 "), "stdout of the killed restart: \(text.debugDescription)")
    }

    /// Waits (up to 60 s) until `path` exists and is not empty.
    static func waitFor(_ path: String) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let data = FileManager.default.contents(atPath: path), !data.isEmpty { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestFailure("\(path) did not appear within 60 s")
    }

    /// Kills the process whose pid is written in `path` (one this test started).
    static func killRecorded(_ path: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 else { return }
        kill(pid, SIGKILL)
    }
}
