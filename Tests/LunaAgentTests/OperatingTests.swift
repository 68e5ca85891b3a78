import Foundation
import Synchronization
import LunaAgent
import LunaConfig
import LunaFleet
import LunaStore
import LunaSystem
import Testing
import TestSupport

/// Log lines with their levels, as the daemon wrote them.
final class LeveledLines: Sendable {
    private let mutex = Mutex<[(LogLevel, String)]>([])
    var log: AgentLog { AgentLog { [self] level, line in mutex.withLock { $0.append((level, line)) } } }
    var all: [(LogLevel, String)] { mutex.withLock { $0 } }
    func at(_ level: LogLevel) -> [String] { all.filter { $0.0 == level }.map(\.1) }
}

/// Appends `text` to the estate's luna.toml.
func appendConfig(_ estate: Estate, _ text: String) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: estate.ops.config))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(text.utf8))
    try handle.close()
}

/// Makes every new scan row fail to insert (as a broken state database would) until `allow` is called.
func refuseScans(_ estate: Estate) throws -> () throws -> Void {
    let other = try Database(path: estate.ops.state + "/luna.db")
    try other.execute("CREATE TRIGGER test_refuse_scans BEFORE INSERT ON scans BEGIN SELECT RAISE(ABORT, 'the scans table refuses writes'); END")
    return { try other.execute("DROP TRIGGER test_refuse_scans") }
}

/// An in-process daemon on a test clock, logging with levels.
struct OperatingDaemon {
    let estate: Estate
    let clock = TestClock()
    let lines = LeveledLines()
    let channel = RecordingChannel()

    init(estate: Estate = try! Estate()) { self.estate = estate }

    func daemon(_ edit: (inout LunaConfiguration) -> Void = { _ in }) throws -> Daemon {
        var config = try estate.configuration()
        config.scanIntervalSeconds = 300
        edit(&config)
        let clock = self.clock
        var environment = AgentEnvironment(now: { clock.now }, log: { _ in }, sleep: { _ in })
        environment.log = lines.log
        return Daemon(agent: try Agent(config: config, environment: environment), approvalPoll: .seconds(5), channels: [channel])
    }
}

@Suite("operating: the daemon logs events, not reports", .serialized)
struct DaemonLoggingTests {
    @Test func aScanIsLoggedAsEventsWithProblemsAtWarning() throws {
        let o = OperatingDaemon()
        defer { o.estate.remove() }
        let d = try o.daemon()
        var state = try d.start(now: o.clock.now)
        _ = try d.step(&state, now: o.clock.now, shouldStop: { false })
        let info = o.lines.at(.info)
        #expect(info.contains { $0.hasPrefix("scan: 1 host, ") && $0.contains("1 drift") && $0.contains("1 change") }, "\(o.lines.all)")
        #expect(info.contains { $0.hasPrefix("proposal 1 for localhost: ") && $0.contains("awaiting_approval") && $0.contains("chmod 0600") })
        #expect(o.lines.at(.warning).contains { $0.hasPrefix("finding appeared: localhost/files: ") && $0.contains("mode 0644") })
        #expect(!o.lines.all.contains { $0.1.contains("\n") }, "one line each")
        #expect(!o.lines.all.contains { $0.1.contains("Awaiting your approval") }, "no report in the log")

        // A decision from another process (the CLI) is logged once, with who and the channel; then the fix and its outcome.
        try d.agent.ledger.decide(1, .approve, approver: "alice", channel: "cli")
        o.clock.advance(5)
        _ = try d.step(&state, now: o.clock.now, shouldStop: { false })
        o.clock.advance(5)
        _ = try d.step(&state, now: o.clock.now, shouldStop: { false })
        #expect(o.lines.at(.info).filter { $0 == "proposal 1 approved by alice via cli" }.count == 1, "\(o.lines.all)")
        #expect(o.lines.at(.info).contains { $0.hasPrefix("executing proposal 1 on localhost") })
        // The check run again after the fix resolves the finding at once.
        #expect(o.lines.at(.info).contains { $0.hasPrefix("proposal 1 on localhost succeeded: exit 0, verified, finding resolved") },
                "\(o.lines.all)")
        #expect(o.lines.at(.info).contains("proposal 1's outcome recorded in the ops repo"))
    }

    @Test func hostDataInALogLineIsRedacted() throws {
        let secret = "s3cr3t-from-env-file-42"
        let estate = try Estate(files: ["configs/files/localhost": "@ROOT@/target/app.conf 0600 *\n@ROOT@/target/\(secret).conf 0600 *\n"])
        let o = OperatingDaemon(estate: estate)
        defer { o.estate.remove() }
        try estate.ops.write(".gitignore", ".env\n")
        try estate.ops.write(".env", "API_KEY=\(secret)\n")
        let d = try o.daemon()
        var state = try d.start(now: o.clock.now)
        _ = try d.step(&state, now: o.clock.now, shouldStop: { false })
        #expect(o.lines.at(.warning).count >= 1)
        #expect(!o.lines.all.contains { $0.1.contains(secret) }, "\(o.lines.all)")
    }

    @Test func theLevelFiltersAndTheJournalGetsPriorityPrefixes() {
        let written = Mutex<[String]>([])
        let log = AgentLog.stream(threshold: .warning, journal: true) { text in written.withLock { $0.append(text) } }
        log(.debug, "noise")
        log(.info, "scan: 1 host")
        log(.warning, "finding appeared: a\u{1b}[8m")
        log(.error, "cannot write")
        #expect(written.withLock { $0 } == ["<4>finding appeared: a\\u{1b}[8m\n", "<3>cannot write\n"])
        let plain = Mutex<[String]>([])
        AgentLog.stream(threshold: .info, journal: false) { text in plain.withLock { $0.append(text) } }(.info, "scan")
        #expect(plain.withLock { $0 } == ["luna: scan\n"])
    }

    /// The daemon binary with stderr on a file that `JOURNAL_STREAM` names (as systemd sets it) or not.
    func daemonLog(_ estate: Estate, journal: Bool, level: String? = nil) throws -> String {
        if let level { try appendConfig(estate, "\n[log]\nlevel = \"\(level)\"\n") }
        let path = estate.ops.root + "/stderr-\(journal)"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        var info = stat()
        #expect(fstat(handle.fileDescriptor, &info) == 0)
        var environment = ProcessInfo.processInfo.environment
        // Not matching: the variable is inherited by children whose stderr is elsewhere.
        environment["JOURNAL_STREAM"] = journal ? "\(info.st_dev):\(info.st_ino)" : "\(info.st_dev):\(info.st_ino + 1)"
        let child = Process()
        child.executableURL = URL(fileURLWithPath: LunaBinary.path)
        child.arguments = ["--config", estate.ops.config, "run"]
        child.environment = environment
        child.standardOutput = FileHandle.nullDevice
        child.standardError = handle
        try child.run()
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) }; child.waitUntilExit() }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").contains("finding appeared") {
            Thread.sleep(forTimeInterval: 0.1)
        }
        kill(child.processIdentifier, SIGTERM)
        child.waitUntilExit()
        #expect(child.terminationStatus == 0)
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test func underTheJournalEachLineCarriesItsPriority() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let text = try daemonLog(estate, journal: true)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("<6>scan: 1 host") }, "\(text)")
        #expect(lines.contains { $0.hasPrefix("<4>finding appeared: localhost/files: ") }, "\(text)")
        #expect(lines.allSatisfy { $0.range(of: "^<[3467]>", options: .regularExpression) != nil }, "\(text)")
        #expect(!text.contains("Awaiting your approval"), "the report is not logged")
    }

    @Test func elsewhereLinesArePlainAndTheLevelIsConfigured() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let text = try daemonLog(estate, journal: false, level: "warning")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("luna: finding appeared: localhost/files: ") }, "\(text)")
        #expect(!lines.contains { $0.hasPrefix("<") }, "\(text)")
        #expect(!text.contains("scan: 1 host"), "info is below [log] level = warning: \(text)")
    }
}

@Suite("operating: liveness of the checker itself", .serialized)
struct LivenessTests {
    @Test func scansMissedWhileLunaWasDownAreRecordedToldAndShownInStatus() throws {
        let o = OperatingDaemon()
        defer { o.estate.remove() }
        let first = try o.daemon()
        var state = try first.start(now: o.clock.now)
        _ = try first.step(&state, now: o.clock.now, shouldStop: { false })
        // luna is down for 15 minutes and 10 seconds: the scans due at 300 and 600 s did not run (the one at 900 runs now).
        o.clock.advance(910)
        let second = try o.daemon()
        state = try second.start(now: o.clock.now)
        let missed = try #require(try second.agent.ledger.scanProblems().first)
        #expect(missed.kind == .missed && missed.scans == 2 && missed.detail == "luna was not running", "\(missed)")
        #expect(o.lines.at(.warning).contains { $0.contains("2 scheduled scans due at") && $0.contains("did not run") }, "\(o.lines.all)")
        #expect(o.channel.calls.contains { $0.hasPrefix("notice 2 scheduled scans due at") }, "\(o.channel.calls)")
        #expect(try second.step(&state, now: o.clock.now, shouldStop: { false }).cycle != nil, "the late scan runs at once")

        let status = try o.estate.luna("status")
        #expect(status.out.contains("Scheduled scans: 1 problem in the last 7 days:"), "\(status.out)")
        #expect(status.out.contains("2 scheduled scans due at"))
        let json = try o.estate.luna("status", "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        let problems = try #require(object["scanProblems"] as? [[String: Any]])
        #expect(problems.count == 1 && problems.first?["kind"] as? String == "missed" && problems.first?["scans"] as? Int == 2)
    }

    @Test func aScanThatCouldNotRunOnTimeBetweenStepsIsRecorded() throws {
        let o = OperatingDaemon()
        defer { o.estate.remove() }
        let d = try o.daemon()
        var state = try d.start(now: o.clock.now)
        _ = try d.step(&state, now: o.clock.now, shouldStop: { false })
        o.clock.advance(299)
        _ = try d.step(&state, now: o.clock.now, shouldStop: { false })
        #expect(try d.agent.ledger.scanProblems().isEmpty)
        // The next step comes 7 minutes late (a step that overran, a suspended machine): the scan due at 300 s is skipped.
        o.clock.advance(420)
        let late = try d.step(&state, now: o.clock.now, shouldStop: { false })
        #expect(late.cycle != nil)
        #expect(late.problems.map(\.kind) == [.missed] && late.problems.first?.scans == 1, "\(late.problems)")
        #expect(o.channel.calls.contains { $0.hasPrefix("notice the scheduled scan due at") })
        // On time again: nothing more.
        o.clock.advance(300)
        #expect(try d.step(&state, now: o.clock.now, shouldStop: { false }).problems.isEmpty)
        #expect(try d.agent.ledger.scanProblems().count == 1)
    }

    @Test func aFailingScanIsRecordedToldAndTheNextOneRunsOnSchedule() throws {
        let o = OperatingDaemon()
        defer { o.estate.remove() }
        let d = try o.daemon()
        var state = try d.start(now: o.clock.now)
        // The state database refuses the scan's row: the cycle cannot store its results.
        let allow = try refuseScans(o.estate)
        let failed = try d.step(&state, now: o.clock.now, shouldStop: { false })
        #expect(failed.cycle == nil)
        let problem = try #require(failed.problems.first)
        #expect(problem.kind == .failed && problem.detail.contains("refuses writes"), "\(problem)")
        #expect(o.lines.at(.error).contains { $0.hasPrefix("the scan cycle at ") && $0.contains("failed") }, "\(o.lines.all)")
        #expect(o.channel.calls.contains { $0.hasPrefix("notice the scan cycle at ") })
        try allow()
        o.clock.advance(300)
        let next = try d.step(&state, now: o.clock.now, shouldStop: { false })
        #expect(next.cycle?.scan != nil && next.problems.isEmpty, "the next scan on schedule")
        let status = try o.estate.luna("status")
        #expect(status.out.contains("the scan cycle at ") && status.out.contains("failed"), "\(status.out)")
    }

    @Test func runOnceExitsWithAnErrorWhenItsCycleFails() throws {
        let estate = try Estate()
        defer { estate.remove() }
        #expect(try estate.luna("scan").status == 1)
        _ = try refuseScans(estate)
        let r = try estate.luna("run", "--once")
        #expect(r.status == 2, "\(r)")
        #expect(r.err.contains("the scan cycle at ") && r.err.contains("failed"), "\(r.err)")
    }

    @Test func theDailyDigestComesAtItsLocalTimeOnEveryChannel() throws {
        let o = OperatingDaemon()
        defer { o.estate.remove() }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        let start = calendar.date(bySetting: .second, value: 0, of: Date())!.addingTimeInterval(0.5)
        o.clock.advance(start.timeIntervalSince(o.clock.now))
        let at = calendar.dateComponents([.hour, .minute], from: start.addingTimeInterval(120))
        let d = try o.daemon { $0.operations.digestAt = DailyTime(String(format: "%02d:%02d", at.hour!, at.minute!)) }
        var state = try d.start(now: o.clock.now)
        #expect(try d.step(&state, now: o.clock.now, shouldStop: { false }).digest == nil)
        o.clock.advance(100)
        #expect(try d.step(&state, now: o.clock.now, shouldStop: { false }).digest == nil)
        o.clock.advance(20)
        let digest = try #require(try d.step(&state, now: o.clock.now, shouldStop: { false }).digest)
        #expect(digest.contains("1 open finding across 1 host:"), "\(digest)")
        #expect(digest.contains { $0.hasPrefix("  localhost/files: ") })
        #expect(digest.contains("1 proposal awaiting approval:"))
        #expect(digest.contains("No missed or failed scan since the last digest."))
        #expect(o.channel.calls.contains { $0.hasPrefix("notice Luna daily digest") }, "\(o.channel.calls)")
        #expect(o.lines.at(.info).contains { $0.hasPrefix("digest: 1 open finding") })
        // Once a day.
        o.clock.advance(5)
        #expect(try d.step(&state, now: o.clock.now, shouldStop: { false }).digest == nil)
        #expect(state.nextDigest.map { $0.timeIntervalSince(o.clock.now) > 86_000 } == true)
    }

    @Test func aCleanEstateIsSaidToBeDriftClean() throws {
        let o = OperatingDaemon()
        defer { o.estate.remove() }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: o.estate.target)
        let d = try o.daemon()
        var state = try d.start(now: o.clock.now)
        _ = try d.step(&state, now: o.clock.now, shouldStop: { false })
        let lines = try Digest(context: d.agent.context).lines(now: o.clock.now)
        #expect(lines.contains("drift-clean across 1 host."), "\(lines)")
        #expect(lines.contains("No proposal awaits approval."))
    }

    @Test func theWatchdogIsNotPingedThroughAStepThatHangs() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let wall = TestClock()
        let mono = ManualClock()
        let notify = try NotifySocket()
        let steps = Mutex(0)
        let during = Mutex<[Int]>([])
        var config = try estate.configuration()
        config.scanIntervalSeconds = 60
        // The second scan hangs for 5 minutes of monotonic time inside the executor (an ssh that never answers).
        let environment = AgentEnvironment(
            now: { wall.now },
            executor: { host, config in
                if steps.withLock({ $0 }) > 100, during.withLock({ $0.isEmpty }) {
                    during.withLock { $0.append(notify.messages().count) }
                    for _ in 0..<300 { mono.advance(.seconds(1)) }
                    during.withLock { $0.append(notify.messages().count) }
                }
                return try AgentEnvironment.defaultExecutor(host, config)
            },
            log: { _ in },
            sleep: { d in steps.withLock { $0 += 1 }; wall.advance(d.seconds); mono.advance(d) },
            clock: mono,
            shouldStop: { steps.withLock { $0 } >= 400 })
        let agent = try Agent(config: config, environment: environment)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "40000000"])
        try Daemon(agent: agent, notifier: notifier, approvalPoll: .seconds(5)).run(once: false) { _ in }
        let seen = during.withLock { $0 }
        #expect(seen.count == 2 && seen[0] == seen[1], "no ping while the step hung: \(seen)")
        let pings = notify.messages().filter { $0 == "WATCHDOG=1" }.count
        #expect(pings >= 10, "pings before and after the hang: \(pings)")
    }
}

@Suite("operating: the metrics textfile", .serialized)
struct MetricsTests {
    func scanned(_ edit: (inout LunaConfiguration) -> Void = { _ in }) throws -> (OperatingDaemon, Daemon, String) {
        let o = OperatingDaemon()
        let path = o.estate.ops.root + "/textfile/luna.prom"
        try FileManager.default.createDirectory(atPath: o.estate.ops.root + "/textfile", withIntermediateDirectories: true)
        let d = try o.daemon {
            $0.operations.metricsTextfile = path
            edit(&$0)
        }
        var state = try d.start(now: o.clock.now)
        _ = try d.step(&state, now: o.clock.now, shouldStop: { false })
        return (o, d, path)
    }

    @Test func afterAScanTheGaugesSayWhatIsOpenAndPending() throws {
        let (o, _, path) = try scanned()
        defer { o.estate.remove() }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = Set(text.split(separator: "\n").map(String.init))
        for line in ["luna_check_status{host=\"localhost\",check=\"files\",status=\"drift\"} 1",
                     "luna_check_status{host=\"localhost\",check=\"files\",status=\"ok\"} 0",
                     "luna_open_findings{host=\"localhost\",check=\"files\"} 1",
                     "luna_pending_approvals 1",
                     "luna_oldest_pending_approval_age_seconds 0",
                     "luna_host_reachable{host=\"localhost\"} 1",
                     "luna_model_tokens_today 0",
                     "# TYPE luna_last_scan_timestamp_seconds gauge",
                     "# TYPE luna_last_successful_scan_timestamp_seconds gauge",
                     "# TYPE luna_last_scan_duration_seconds gauge"] {
            #expect(lines.contains(line), "missing \(line) in:\n\(text)")
        }
        #expect(!text.contains("counter"), "gauges only")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o644, "node_exporter reads it whatever luna's umask")
        #expect(try FileManager.default.contentsOfDirectory(atPath: o.estate.ops.root + "/textfile") == ["luna.prom"], "no temporary file left")
    }

    @Test func labelValuesAreEscapedAsTheFormatRequires() {
        #expect(MetricsFile.escape("a\\b\"c\nd") == "a\\\\b\\\"c\\nd")
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["promtool"]),
                   "promtool (Debian package prometheus) is not installed; LUNA_SYSTEM_TESTS=1 makes this a failure"))
    func promtoolAcceptsTheTextfile() throws {
        let (o, _, path) = try scanned()
        defer { o.estate.remove() }
        let promtool = try #require(SystemRequirements.which("promtool"), "promtool is not installed (Debian package prometheus)")
        let check = try ProcessRunner.run(["/bin/sh", "-c", "\"$0\" check metrics < \"$1\"", promtool, path], timeout: .seconds(60))
        #expect(check.exitStatus == 0, "promtool check metrics: \(check.stdoutText)\(check.stderrText)")
        #expect(check.stderrText.isEmpty && check.stdoutText.isEmpty, "no lint warning either: \(check.stdoutText)\(check.stderrText)")
    }
}

@Suite("operating: reload on SIGHUP", .serialized)
struct ReloadTests {
    func setInterval(_ estate: Estate, _ seconds: Int) throws {
        let text = try String(contentsOfFile: estate.ops.config, encoding: .utf8)
        let changed = text.replacingOccurrences(of: "scan_interval_seconds = \\d+", with: "scan_interval_seconds = \(seconds)",
                                                options: .regularExpression)
        try changed.write(toFile: estate.ops.config, atomically: true, encoding: .utf8)
    }

    @Test func aReloadReadsTheNewConfigurationAndKeepsTheOldOneWhenTheNewOneIsInvalid() throws {
        let o = OperatingDaemon()
        defer { o.estate.remove() }
        let estate = o.estate
        var d = try o.daemon()
        d.configure = { try estate.configuration() }
        try setInterval(estate, 20)
        d = d.reloaded()
        #expect(d.agent.config.scanIntervalSeconds == 20)
        #expect(o.lines.at(.info).contains { $0.hasPrefix("configuration reloaded from ") }, "\(o.lines.all)")
        let good = try String(contentsOfFile: estate.ops.config, encoding: .utf8)
        try (good + "\n[luna\n").write(toFile: estate.ops.config, atomically: true, encoding: .utf8)
        d = d.reloaded()
        #expect(d.agent.config.scanIntervalSeconds == 20, "the previous configuration stays in force")
        let error = try #require(o.lines.at(.error).last)
        #expect(error.hasPrefix("reload failed, the previous configuration stays in force: ") && error.contains("luna.toml:"), "\(error)")
    }

    @Test func theLoopTakesAReloadBetweenSteps() throws {
        let estate = try Estate()
        defer { estate.remove() }
        try setInterval(estate, 60)
        let wall = TestClock()
        let mono = ManualClock()
        let sleeps = Mutex(0)
        let environment = AgentEnvironment(now: { wall.now }, log: { _ in },
                                           sleep: { d in sleeps.withLock { $0 += 1 }; wall.advance(d.seconds); mono.advance(d) },
                                           clock: mono,
                                           shouldStop: { sleeps.withLock { $0 } >= 2400 },
                                           takeReload: { sleeps.withLock { $0 } == 400 })
        let agent = try Agent(config: try estate.configuration(), environment: environment)
        let daemon = Daemon(agent: agent, approvalPoll: .seconds(5), configure: { try estate.configuration() })
        try setInterval(estate, 300)   // read only at the reload, 100 s in
        var cycles = 0
        try daemon.run(once: false) { _ in cycles += 1 }
        // Scans at 0, 60 and 120 s on the old interval, then every 300 s: 420 s; 600 s ends the run.
        #expect(cycles == 4 || cycles == 5, "\(cycles) cycles")
    }

    @Test func sighupReloadsTheRunningDaemonInsteadOfEndingIt() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let path = estate.ops.root + "/daemon.err"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: LunaBinary.path)
        child.arguments = ["--config", estate.ops.config, "run"]
        child.standardOutput = FileHandle.nullDevice
        child.standardError = try #require(FileHandle(forWritingAtPath: path))
        try child.run()
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) }; child.waitUntilExit() }
        func waitFor(_ text: String) -> Bool {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").contains(text) { return true }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return false
        }
        #expect(waitFor("scan: 1 host"))
        try setInterval(estate, 20)
        kill(child.processIdentifier, SIGHUP)
        #expect(waitFor("configuration reloaded from "), "\((try? String(contentsOfFile: path, encoding: .utf8)) ?? "")")
        #expect(child.isRunning, "SIGHUP does not end luna")
        kill(child.processIdentifier, SIGTERM)
        child.waitUntilExit()
        #expect(child.terminationReason == .exit && child.terminationStatus == 0)
    }
}

@Suite("operating: a HOME the service cannot see")
struct HomeWarningTests {
    @Test func aHomeUnderAHiddenHomeIsWarnedAbout() throws {
        let warning = try #require(Daemon.homeWarning("/home/luna-\(UUID().uuidString)"))
        #expect(warning.contains("ProtectHome=yes") && warning.contains("usermod -d /var/lib/luna luna"), "\(warning)")
        #expect(Daemon.homeWarning(FileManager.default.temporaryDirectory.path) == nil)
        #expect(Daemon.homeWarning(nil) == nil)
    }
}
