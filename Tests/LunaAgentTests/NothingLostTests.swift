import Foundation
import LunaStore
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Crashes (real `luna` processes killed), stale git locks and concurrent planners:
/// no outcome is lost from the ops repo, nothing runs twice.
@Suite("nothing lost", .serialized)
struct NothingLostTests {
    /// An estate with one approved chmod fix, ready to execute and record at the next cycle.
    func approvedFix() throws -> Estate {
        let estate = try Estate()
        let first = try estate.luna("run", "--once")
        guard first.status == 0, try estate.luna("approve", "1").status == 0 else {
            estate.remove()
            throw TestFailure("could not plan and approve the fix: \(first.err)")
        }
        return estate
    }

    /// `git status --porcelain` of the ops repo.
    func status(_ estate: Estate) throws -> String { try estate.ops.git("status", "--porcelain") }

    func gitDir(_ estate: Estate) -> String { estate.ops.repo + "/.git" }

    func backdate(_ path: String, seconds: TimeInterval) throws {
        FileManager.default.createFile(atPath: path, contents: Data())
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-seconds)], ofItemAtPath: path)
    }

    func notePath(_ estate: Estate, outcome: String) throws -> String {
        try estate.ops.git("ls-files", "memory/outcomes").split(separator: "\n").map(String.init).first { $0.hasSuffix("-p1-\(outcome).md") } ?? ""
    }

    @Test func aStaleIndexLockIsRemovedAndTheNoteStaysInTheOperatorsIndex() throws {
        let estate = try approvedFix()
        defer { estate.remove() }
        let lock = gitDir(estate) + "/index.lock"
        try backdate(lock, seconds: 600)
        let refLock = gitDir(estate) + "/refs/heads/main.lock"
        try backdate(refLock, seconds: 600)
        let run = try estate.luna("run", "--once")
        #expect(run.status == 0, "\(run.out)\n\(run.err)")
        #expect(run.out.contains("Recorded proposal 1 (succeeded)"))
        #expect(run.out.contains("removed a stale git lock") || run.out.contains("Removed a stale git lock"), "\(run.out)")
        #expect(!FileManager.default.fileExists(atPath: lock))
        #expect(!FileManager.default.fileExists(atPath: refLock), "a stale ref lock goes the same way")
        #expect(try status(estate) == "", "no half commit: the note is in HEAD, the index and the work tree")
        #expect(try notePath(estate, outcome: "succeeded") != "")
    }

    @Test func anOldLockIsKeptWhileAGitProcessWorksInTheRepo() throws {
        let estate = try approvedFix()
        defer { estate.remove() }
        let lock = gitDir(estate) + "/index.lock"
        try backdate(lock, seconds: 600)
        // A live git in the repo (waiting on its stdin), as an operator's long git command would be.
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        git.arguments = ["cat-file", "--batch"]
        git.currentDirectoryURL = URL(fileURLWithPath: estate.ops.repo)
        let stdin = Pipe()
        git.standardInput = stdin
        git.standardOutput = FileHandle.nullDevice
        try git.run()
        defer { try? stdin.fileHandleForWriting.close(); git.waitUntilExit() }
        let run = try estate.luna("run", "--once")
        #expect(run.status == 1, "\(run.out)")
        #expect(run.out.contains("git is running in"), "\(run.out)")
        #expect(FileManager.default.fileExists(atPath: lock), "never removed under a live git")
        #expect(try status(estate) == "")
    }

    @Test func aFreshIndexLockBlocksRecordingWithoutAHalfCommitThenItRecords() throws {
        let estate = try approvedFix()
        defer { estate.remove() }
        let head = try estate.ops.git("rev-parse", "HEAD")
        let lock = gitDir(estate) + "/index.lock"
        FileManager.default.createFile(atPath: lock, contents: Data())
        let run = try estate.luna("run", "--once")
        #expect(run.status == 1, "a cycle that could not record says so: \(run.out)\n\(run.err)")
        #expect(try estate.mode() == 0o600, "the fix ran; only recording waits")
        #expect(run.out.contains("Recording outcomes in the ops repo is blocked"), "\(run.out)")
        #expect(run.out.contains("rm '\(lock)'"), "it says exactly what to do: \(run.out)")
        #expect(!run.out.contains("Recorded proposal 1"))
        #expect(try estate.ops.git("rev-parse", "HEAD") == head, "nothing committed while the operator's index is locked")
        let statusText = try estate.luna("status")
        #expect(statusText.out.contains("Recording: blocked since"), "\(statusText.out)")

        try FileManager.default.removeItem(atPath: lock)
        let again = try estate.luna("run", "--once")
        #expect(again.status == 0, "\(again.out)\n\(again.err)")
        #expect(again.out.contains("Recorded proposal 1 (succeeded)"))
        #expect(again.out.contains("Recording resumed"), "\(again.out)")
        #expect(try status(estate) == "")
        #expect(try estate.luna("status").out.contains("Recording: ok"))
    }

    @Test func aCrashBetweenUpdateRefAndTheIndexUpdateIsRepairedAtRestart() throws {
        let estate = try approvedFix()
        defer { estate.remove() }
        // A git on PATH that, once, lets update-ref through and then SIGKILLs its caller (luna).
        let bin = estate.ops.root + "/bin"
        let mark = estate.ops.root + "/kill-after-update-ref"
        try GitKillWrapper.install(in: bin, mark: mark)
        FileManager.default.createFile(atPath: mark, contents: Data())
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = bin + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        let crashed = try estate.luna("run", "--once", environment: env)
        #expect(crashed.status == 128 + SIGKILL, "\(crashed.out)\n\(crashed.err)")
        #expect(!FileManager.default.fileExists(atPath: mark), "the kill happened right after update-ref")
        #expect(try estate.ops.git("log", "-1", "--format=%B").contains("Outcome: succeeded"), "HEAD holds the outcome")
        #expect(try status(estate) != "", "the crash left the operator's index behind HEAD")
        // And the note is gone from the work tree too (the operator tidied up): the restart restores it from HEAD.
        // (The outcome commit also carries the skill's stats.json; the note is the memory/outcomes/ file.)
        let note = try #require(try estate.ops.git("show", "--name-only", "--format=", "HEAD").split(separator: "\n")
            .map(String.init).first { $0.hasPrefix("memory/outcomes/") })
        try FileManager.default.removeItem(atPath: estate.ops.repo + "/" + note)

        let restart = try estate.luna("run", "--once")
        #expect(restart.status == 0, "\(restart.out)\n\(restart.err)")
        #expect(restart.out.contains("Recorded proposal 1 (succeeded)"))
        #expect(try status(estate) == "", "the commit found by its trailers repaired the index")
        #expect(try estate.ops.git("log", "--format=%B").components(separatedBy: "Outcome: succeeded").count == 2, "committed once")
        #expect(FileManager.default.fileExists(atPath: estate.ops.repo + "/" + note), "the note is back in the work tree")
        #expect(restart.out.contains("repaired the ops repo"), "\(restart.out)")
    }

    @Test func aLiveRefLockDoesNotStopTheDaemonAndItRecordsOnceItClears() throws {
        let estate = try approvedFix()
        defer { estate.remove() }
        let lock = gitDir(estate) + "/refs/heads/main.lock"
        FileManager.default.createFile(atPath: lock, contents: Data())
        let daemon = try LunaProcess(["--config", estate.ops.config, "run"], output: estate.ops.root + "/daemon.out")
        defer { if !daemon.hasExited { kill(daemon.pid, SIGTERM); daemon.wait() } }
        func waitFor(_ what: String, _ condition: () throws -> Bool) throws {
            let deadline = Date().addingTimeInterval(30)
            while try !condition() {
                if Date() > deadline || daemon.hasExited { throw TestFailure("\(what); daemon output:\n\(daemon.output)\(daemon.errorOutput)") }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        try waitFor("the fix did not run") { try estate.mode() == 0o600 }
        try waitFor("the block was not told") { try estate.luna("status").out.contains("Recording: blocked since") }
        Thread.sleep(forTimeInterval: 1)
        #expect(!daemon.hasExited, "a git lock does not stop monitoring")
        // The daemon logs events (stderr, the journal under systemd), not reports.
        let log = daemon.errorOutput
        #expect(log.components(separatedBy: "Recording outcomes in the ops repo is blocked").count == 2, "told once: \(log)")
        try FileManager.default.removeItem(atPath: lock)
        try waitFor("the outcome was not recorded after the lock cleared") { try estate.ops.git("log", "-1", "--format=%B").contains("Outcome: succeeded") }
        try waitFor("status did not clear") { try estate.luna("status").out.contains("Recording: ok") }
        #expect(try status(estate) == "")
        kill(daemon.pid, SIGTERM)
        #expect(daemon.wait() == 0)
    }

    @Test func sixConcurrentPlansOfOneFindingMakeOneActiveProposal() throws {
        let count = 8
        var lines = ""
        for i in 0..<count { lines += "@ROOT@/target/f\(i).conf 0600 *\n" }
        let estate = try Estate(sudoers: "luna ALL = (root) NOPASSWD: /usr/bin/chmod 0600 @ROOT@/target/*",
                                readOnly: ["/usr/bin/stat -c %04a @ROOT@/target/*"], files: ["configs/files/localhost": lines])
        defer { estate.remove() }
        for i in 0..<count {
            FileManager.default.createFile(atPath: estate.ops.root + "/target/f\(i).conf", contents: Data("x\n".utf8),
                                           attributes: [.posixPermissions: 0o644])
        }
        #expect(try estate.luna("scan").status == 1)
        for finding in 1...count {
            let planners = try (0..<6).map {
                try LunaProcess(["--config", estate.ops.config, "plan", "\(finding)"], output: estate.ops.root + "/plan-\(finding)-\($0).out")
            }
            let statuses = planners.map { $0.wait() }
            #expect(statuses.filter { $0 == 0 }.count == 1, "finding \(finding): \(statuses)")
        }
        let all = try estate.luna("proposals", "--json")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(all.out.utf8)) as? [[String: Any]])
        let active = ["proposed", "awaiting_approval", "approved", "executing"]
        var perFinding: [Int: Int] = [:]
        for p in list where active.contains(p["state"] as? String ?? "") { perFinding[p["findingID"] as? Int ?? 0, default: 0] += 1 }
        #expect(list.count == count, "one proposal per finding, no duplicates: \(list.count)")
        #expect(perFinding.values.allSatisfy { $0 == 1 } && perFinding.count == count, "\(perFinding)")
    }

    @Test func theDatabaseRefusesASecondActiveProposalForAFinding() throws {
        let estate = try Estate()
        defer { estate.remove() }
        #expect(try estate.luna("run", "--once").status == 0)
        let db = try Database(path: estate.ops.state + "/luna.db")
        #expect(throws: (any Error).self, "the unique index holds even for a writer that skips the check") {
            try db.run("""
                INSERT INTO proposals(finding_id, host, identity, runas, argv, rationale, source, risk, state, created_at, updated_at)
                SELECT finding_id, host, identity, runas, argv, rationale, source, risk, 'awaiting_approval', created_at, updated_at
                FROM proposals WHERE id=1
                """)
        }
    }

    /// Starts the slow action (it counts its run, then sleeps 30 s) under `luna run --once` and waits until it runs.
    func slowActionRunning(_ estate: Estate) throws -> LunaProcess {
        #expect(try estate.luna("run", "--once").status == 0)
        #expect(try estate.luna("approve", "1").status == 0)
        let luna = try LunaProcess(["--config", estate.ops.config, "run", "--once"], output: estate.ops.root + "/run.out")
        let deadline = Date().addingTimeInterval(60)
        while estate.runs() == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(estate.runs() == 1)
        return luna
    }

    func state(_ estate: Estate, _ id: Int) throws -> String {
        let show = try estate.luna("show", "\(id)", "--json")
        let record = try JSONSerialization.jsonObject(with: Data(show.out.utf8)) as? [String: Any]
        return (record?["proposal"] as? [String: Any])?["state"] as? String ?? "?"
    }

    @Test func lunaKilledAloneLeavesTheActionExecutingUntilItEndsAndNeverRerunsIt() throws {
        let estate = try Estate(slow: true)
        defer { estate.remove() }
        let luna = try slowActionRunning(estate)
        let pid = try #require(ProcessTree.descendants(of: luna.pid).first, "the action is luna's child")
        luna.killAlone()
        #expect(ProcessTree.isAlive(pid), "the action outlives luna in its own process group")

        let restart = try estate.luna("run", "--once")
        #expect(restart.status == 0, "\(restart.err)")
        #expect(restart.out.contains("Proposal 1 is still running (pid \(pid))"), "\(restart.out)")
        #expect(try state(estate, 1) == "executing")
        #expect(try estate.luna("status").out.contains("Executing: #1"))
        #expect(try estate.luna("run", "--once").status == 0)
        #expect(try state(estate, 1) == "executing", "still running: still executing")
        #expect(estate.runs() == 1, "never re-run")

        // The action ends (here: the operator stops it); the next cycle resolves it.
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while ProcessTree.isAlive(pid) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let after = try estate.luna("run", "--once")
        #expect(after.status == 0, "\(after.err)")
        #expect(after.out.contains("ran to completion unobserved"), "\(after.out)")
        #expect(try state(estate, 1) == "interrupted")
        #expect(estate.runs() == 1, "never re-run")
        let message = try estate.ops.git("log", "-1", "--format=%B")
        #expect(message.contains("Outcome: interrupted"))
        #expect(message.contains("ran to completion unobserved"))
        #expect(try status(estate) == "")
    }

    @Test func lunaKilledWithItsWholeTreeIsInterruptedAndNeverRerun() throws {
        let estate = try Estate(slow: true)
        defer { estate.remove() }
        let luna = try slowActionRunning(estate)
        luna.killTree()
        let restart = try estate.luna("run", "--once")
        #expect(restart.status == 0, "\(restart.err)")
        #expect(restart.out.contains("Proposal 1 was executing when luna last stopped"), "\(restart.out)")
        #expect(try state(estate, 1) == "interrupted")
        #expect(try estate.luna("run", "--once").status == 0)
        #expect(estate.runs() == 1, "never re-run")
        #expect(try estate.ops.git("log", "-1", "--format=%B").contains("Outcome: interrupted"))
    }

    @Test func aShortRandomKillLoopKeepsEveryInvariant() throws {
        let seed = UInt64.random(in: 1...UInt64(UInt32.max))
        var loop = KillLoop(rounds: 3, seed: seed)
        let figures = try loop.run()
        #expect(figures.failures == 0, "seed \(seed) (luna-bench killloop --seed \(seed)):\n\(figures)")
        #expect(figures.killsAlone + figures.killsTree + figures.killsAfterUpdateRef > 0)
    }

    @Test func aBlockedRecorderIsToldOnDiscordOnceAndItsEndToo() throws {
        let d = try DiscordEstate()
        defer { d.remove() }
        #expect(try d.estate.luna("run", "--once").status == 0)
        #expect(try d.estate.luna("approve", "1").status == 0)
        let lock = d.estate.ops.repo + "/.git/index.lock"
        FileManager.default.createFile(atPath: lock, contents: Data())
        #expect(try d.estate.luna("run", "--once").status == 1)
        #expect(try d.estate.luna("run", "--once").status == 1)
        let blocked = d.fake.botMessages.filter { $0.content.contains("Recording outcomes in the ops repo is blocked") }
        #expect(blocked.count == 1, "told once: \(d.fake.botMessages.map(\.content))")
        #expect(blocked.first?.content.contains(lock) == true)
        try FileManager.default.removeItem(atPath: lock)
        #expect(try d.estate.luna("run", "--once").status == 0)
        #expect(d.fake.botMessages.contains { $0.content.contains("Recording resumed") })
        #expect(d.fake.problems.isEmpty, "\(d.fake.problems)")
    }
}
