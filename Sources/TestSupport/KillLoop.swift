import Foundation
import LunaCodec
import LunaStore
#if canImport(Glibc)
import Glibc
#endif

/// Randomized `kill -9` of luna at every step of its loop, then the invariants checked.
///
/// Each round builds a fresh estate (several drifted files, a fix that counts its
/// runs and takes a moment, a sudoers reference allowing it), then alternates
/// `luna run --once` and `luna approve` while killing luna at a random moment —
/// luna alone (its action lives on in its own process group), its whole process
/// tree, or right after `git update-ref` through a git wrapper on PATH. It ends
/// with undisturbed cycles until every proposal is settled, then counts:
/// double executions, lost outcomes, half commits and integrity failures.
public struct KillLoop {
    /// What the rounds found; every failure figure must be 0.
    public struct Figures: Sendable, CustomStringConvertible {
        public var rounds = 0
        public var lunaRuns = 0
        public var killsAlone = 0
        public var killsTree = 0
        public var killsAfterUpdateRef = 0
        public var killsDuringApprove = 0
        public var executions = 0
        public var outcomes = 0
        public var stillRunningSeen = 0
        public var roundsWithAStaleLock = 0
        public var doubleExecutions = 0
        public var runsWithoutApproval = 0
        public var lostOutcomes = 0
        public var halfCommits = 0
        public var integrityFailures = 0
        public var unsettled = 0
        public var seconds = 0.0
        public var problems: [String] = []

        public var failures: Int {
            doubleExecutions + runsWithoutApproval + lostOutcomes + halfCommits + integrityFailures + unsettled
        }

        public var description: String {
            """
            killloop: \(rounds) rounds, \(lunaRuns) luna runs, \(String(format: "%.1f", seconds)) s
            killloop: kill -9 of luna alone \(killsAlone), of its whole tree \(killsTree), right after git update-ref \(killsAfterUpdateRef), during approve \(killsDuringApprove)
            killloop: \(executions) actions started, \(outcomes) outcomes, \(stillRunningSeen) reports of an action still running after luna died, \(roundsWithAStaleLock) rounds waited out a git lock left by a killed git
            killloop: double executions \(doubleExecutions), runs without approval \(runsWithoutApproval), lost outcomes \(lostOutcomes), half commits \(halfCommits), integrity failures \(integrityFailures), unsettled \(unsettled)
            """ + (problems.isEmpty ? "" : "\n" + problems.prefix(20).map { "killloop: problem: " + $0 }.joined(separator: "\n"))
        }
    }

    public var rounds: Int
    public var files: Int
    public var stepsPerRound: Int
    var rng: SplitMix

    public init(rounds: Int, files: Int = 3, stepsPerRound: Int = 6, seed: UInt64 = UInt64.random(in: 0...UInt64.max)) {
        self.rounds = rounds
        self.files = files
        self.stepsPerRound = stepsPerRound
        rng = SplitMix(seed)
    }

    public mutating func run(progress: (String) -> Void = { _ in }) throws -> Figures {
        var figures = Figures()
        let start = Date()
        for round in 1...rounds {
            try oneRound(&figures)
            figures.rounds = round
            progress("round \(round): failures so far \(figures.failures)")
        }
        figures.seconds = Date().timeIntervalSince(start)
        return figures
    }

    /// One fresh estate through random kills, then settled and checked.
    mutating func oneRound(_ figures: inout Figures) throws {
        let estate = try KillLoopEstate(files: files)
        defer { estate.remove() }
        for _ in 0..<stepsPerRound {
            // Approve what awaits (sometimes killed mid-way), then one cycle killed at a random point.
            let pending = try estate.awaiting()
            if !pending.isEmpty {
                if rng.next(4) == 0 {
                    let approve = try LunaProcess(["--config", estate.ops.config, "approve", "\(pending[0])"], output: estate.ops.root + "/approve.out")
                    Thread.sleep(forTimeInterval: Double(rng.next(60)) / 1000)
                    if !approve.hasExited { approve.killAlone(); figures.killsDuringApprove += 1 } else { approve.wait() }
                } else {
                    for id in pending { _ = try estate.luna("approve", "\(id)") }
                }
            }
            let mode = rng.next(10)
            var env = ProcessInfo.processInfo.environment
            if mode == 0 {
                // Dies right after update-ref, before the operator's index is updated.
                FileManager.default.createFile(atPath: estate.mark, contents: Data())
                env["PATH"] = estate.bin + ":" + (env["PATH"] ?? "/usr/bin:/bin")
            }
            let luna = try LunaProcess(["--config", estate.ops.config, "run", "--once"], environment: env, output: estate.ops.root + "/run.out")
            figures.lunaRuns += 1
            if mode == 0 {
                let code = luna.wait()
                if code == 128 + SIGKILL { figures.killsAfterUpdateRef += 1 }
                try? FileManager.default.removeItem(atPath: estate.mark)
                continue
            }
            Thread.sleep(forTimeInterval: Double(rng.next(700)) / 1000)
            if !luna.hasExited {
                if rng.next(2) == 0 { luna.killAlone(); figures.killsAlone += 1 } else { luna.killTree(); figures.killsTree += 1 }
            }
            if luna.output.contains("is still running (pid") { figures.stillRunningSeen += 1 }
        }
        // Settle: undisturbed cycles until nothing is executing, approved or unrecorded. A git
        // killed with luna's tree may leave index.lock behind; luna clears it once it is 60 s old.
        let deadline = Date().addingTimeInterval(150)
        var blocked = false
        var settled = false
        var last = ""
        while Date() < deadline {
            let run = try estate.luna("run", "--once")
            figures.lunaRuns += 1
            if run.out.contains("is still running (pid") { figures.stillRunningSeen += 1 }
            // The notice is told once (stdout); while blocked, each run --once says why on stderr.
            if run.out.contains("Recording outcomes in the ops repo is blocked") || run.err.contains("blocked") { blocked = true }
            last = "exit \(run.status); stderr: " + run.err.split(separator: "\n").suffix(3).joined(separator: " / ")
            if try estate.settled() { settled = true; break }
            for id in try estate.awaiting() { _ = try estate.luna("approve", "\(id)") }
            Thread.sleep(forTimeInterval: blocked ? 2 : 0.2)
        }
        if blocked { figures.roundsWithAStaleLock += 1 }
        // A round that never settled says what its last cycle said, so the cause can be found.
        if !settled { figures.problems.append("round did not settle in 150 s; the last run --once: \(last)") }
        try estate.check(&figures)
    }
}

/// The estate of one kill-loop round.
struct KillLoopEstate {
    let ops: TemporaryOpsRepo
    var bin: String { ops.root + "/bin" }
    var mark: String { ops.root + "/kill-after-update-ref" }
    var counter: String { ops.root + "/runs" }
    var database: String { ops.state + "/luna.db" }
    let files: Int

    init(files: Int) throws {
        let config = """
            [luna]
            ops_repo = "@ROOT@/repo"
            state_dir = "@ROOT@/state"
            scan_interval_seconds = 10
            execution = "direct"
            command_timeout_seconds = 60

            [git]
            author_name = "Luna Test"
            author_email = "luna@test.invalid"

            [[hosts]]
            name = "localhost"
            transport = "local"
            checks = ["files"]

            """
        let ops = try TemporaryOpsRepo(files: [:], config: config)
        self.ops = ops
        self.files = files
        let root = ops.root
        var reference = ""
        try FileManager.default.createDirectory(atPath: root + "/target", withIntermediateDirectories: true)
        for i in 0..<files {
            reference += "\(root)/target/f\(i).conf 0600 *\n"
            FileManager.default.createFile(atPath: root + "/target/f\(i).conf", contents: Data("x\n".utf8), attributes: [.posixPermissions: 0o644])
        }
        try ops.write("configs/files/localhost", reference)
        // The verification runs without a second approval, so it is in the declared read set.
        try ops.write("configs/sudoers/luna-localhost", """
            Cmnd_Alias LUNA_READ = /usr/bin/stat -c %04a \(root)/target/*
            luna ALL = (root) NOPASSWD: LUNA_READ, \(root)/fix *

            """)
        try ops.write("skills/restore-file-mode/SKILL.md", """
            ---
            name: restore-file-mode
            description: A fix that counts its runs and takes a moment.
            check: files
            match: {"aspect": "mode"}
            argv: ["\(root)/fix", "{path}"]
            verify: ["/usr/bin/stat", "-c", "%04a", "{path}"]
            expect: {expected}
            risk: mutating
            ---
            Kill-loop skill.
            """)
        try ops.write("memory/README.md", "Memory notes.\n")
        try ops.git("add", "-A")
        try ops.git("commit", "-q", "-m", "estate")
        // The fix: one line per run (before it works), a pause, then the change.
        try "#!/bin/sh\necho \"$1\" >> '\(root)/runs'\nsleep 0.3\nchmod 0600 \"$1\"\n".write(toFile: root + "/fix", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root + "/fix")
        try GitKillWrapper.install(in: root + "/bin", mark: root + "/kill-after-update-ref")
    }

    func luna(_ args: String...) throws -> (status: Int32, out: String, err: String) {
        let r = try LunaBinary.run(["--config", ops.config] + args)
        return (r.exitStatus, r.stdoutText, r.stderrText)
    }

    /// The state database once luna has created its tables (a luna killed at its first start may not have).
    func open() throws -> Database? {
        guard FileManager.default.fileExists(atPath: database) else { return nil }
        let db = try Database(path: database)
        return try db.queryOne("SELECT 1 AS x FROM sqlite_master WHERE type='table' AND name='proposals'") == nil ? nil : db
    }

    func awaiting() throws -> [Int64] {
        guard let db = try open() else { return [] }
        return try db.query("SELECT id FROM proposals WHERE state='awaiting_approval' ORDER BY id").compactMap { $0.int("id") }
    }

    /// Nothing executing or approved, and every finished proposal recorded.
    func settled() throws -> Bool {
        guard let db = try open() else { return false }
        let busy = try db.queryOne("""
            SELECT count(*) AS n FROM proposals WHERE state IN ('approved','executing','proposed')
            OR (commit_id IS NULL AND state IN ('refused','denied','expired','interrupted','succeeded','failed'))
            """)?.int("n") ?? 1
        let waiting = try awaiting()
        return busy == 0 && waiting.isEmpty
    }

    func remove() {
        // An orphaned fix may still run from a kill of luna alone; it ends within a second.
        ops.remove()
    }

    func check(_ figures: inout KillLoop.Figures) throws {
        guard let db = try open() else { figures.problems.append("no state database"); return }
        let integrity = try db.query("PRAGMA integrity_check").first?.string("integrity_check") ?? "?"
        if integrity != "ok" { figures.integrityFailures += 1; figures.problems.append("integrity_check: \(integrity)") }
        let runs = ((try? String(contentsOfFile: counter, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        var runsPerPath: [String: Int] = [:]
        for r in runs { runsPerPath[r, default: 0] += 1 }
        var executionsPerPath: [String: Int] = [:]
        for row in try db.query("""
            SELECT p.id, p.argv, p.state, p.commit_id, p.note_path, p.digest, a.decision, a.digest AS approved_digest
            FROM proposals p JOIN executions e ON e.proposal_id=p.id LEFT JOIN approvals a ON a.proposal_id=p.id
            """) {
            let argv = JSONValue.decodeStrings(row.string("argv")) ?? []
            executionsPerPath[argv.last ?? "", default: 0] += 1
            if row.string("decision") != "approved" || row.string("approved_digest") != row.string("digest") {
                figures.runsWithoutApproval += 1
                figures.problems.append("proposal \(row.int("id") ?? 0) ran without a matching approval")
            }
        }
        figures.executions += executionsPerPath.values.reduce(0, +)
        for (path, n) in runsPerPath where n > (executionsPerPath[path] ?? 0) {
            figures.doubleExecutions += n - (executionsPerPath[path] ?? 0)
            figures.problems.append("\(path) ran \(n) times for \(executionsPerPath[path] ?? 0) executions")
        }
        // Every settled outcome: a commit with its digest, its note in HEAD, the index and the work tree.
        let log = try ops.git("log", "--format=%B")
        for row in try db.query("SELECT id, state, commit_id, note_path, digest FROM proposals ORDER BY id") {
            let id = row.int("id") ?? 0
            let state = row.string("state") ?? ""
            if ["approved", "executing", "proposed"].contains(state) {
                figures.unsettled += 1
                figures.problems.append("proposal \(id) is still \(state)")
                continue
            }
            if state == "awaiting_approval" { continue }
            figures.outcomes += 1
            guard row.string("commit_id") != nil, let note = row.string("note_path") else {
                figures.lostOutcomes += 1
                figures.problems.append("proposal \(id) (\(state)) has no commit")
                continue
            }
            let digest = row.string("digest") ?? "?"
            if log.components(separatedBy: "Digest: \(digest)\n").count - 1 != 1 {
                figures.lostOutcomes += 1
                figures.problems.append("proposal \(id): \(log.components(separatedBy: "Digest: \(digest)\n").count - 1) commits carry its digest")
            }
            let tracked = (try? ops.git("ls-files", "--error-unmatch", "--", note)) != nil
            let inHead = (try? ops.git("cat-file", "-e", "HEAD:" + note)) != nil
            if !tracked || !inHead || !FileManager.default.fileExists(atPath: ops.repo + "/" + note) {
                figures.lostOutcomes += 1
                figures.problems.append("proposal \(id): note \(note) tracked \(tracked), in HEAD \(inHead)")
            }
        }
        let status = try ops.git("status", "--porcelain")
        let recorderLines = status.split(separator: "\n").filter { $0.contains("memory/") || $0.contains("docs/runbooks/") || $0.contains("skills/") }
        if !recorderLines.isEmpty {
            figures.halfCommits += 1
            figures.problems.append("git status: " + recorderLines.joined(separator: " | "))
        }
    }
}

/// A small seeded generator, so a failing run can be repeated with its seed.
struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(bound))
    }
}
