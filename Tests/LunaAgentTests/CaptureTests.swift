import Foundation
import Testing
import LunaAgent
import LunaDrift
import LunaFleet
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

/// Capturing from the live host what the reference only names: the files reference from
/// paths alone (real stat), and the tls reference from a real `openssl s_server` on a
/// well-known port; the next scan is clean, and a capture never writes a line the scan
/// cannot read.
@Suite("baseline capture: files and tls from the live host", .serialized,
       .enabled(if: SystemRequirements.isRoot && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
struct LiveCaptureTests {
    @Test func pathsAloneAreFilledInAndTheScanIsClean() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let later = estate.ops.root + "/later.conf"
        try "\(estate.target) 0600 *\n/etc/passwd\n\(later)\n"
            .write(toFile: estate.ops.repo + "/configs/files/localhost", atomically: true, encoding: .utf8)
        var config = try estate.configuration()
        config.hosts[0].checks = ["files"]
        let agent = try Agent(config: config, environment: AgentEnvironment(log: { _ in }))
        // A path alone is not a reference: the scan refuses to judge it.
        let before = try agent.scanner.scan()
        #expect(before.results.first { $0.check == "files" }?.status == .error, "\(before.text)")
        #expect(before.results.first { $0.check == "files" }?.detail.contains("listed without a mode and owner") == true, "\(before.text)")
        // A listed path that does not exist refuses the capture; nothing is written.
        #expect { _ = try agent.curation.captureBaseline(host: "localhost", checks: ["files"], reason: "r") } throws: { error in
            "\(error)".contains("\(later) does not exist on the host") && "\(error)".contains("nothing was written")
        }
        #expect(try String(contentsOfFile: estate.ops.repo + "/configs/files/localhost", encoding: .utf8).contains("\(later)\n"))
        FileManager.default.createFile(atPath: later, contents: Data(), attributes: [.posixPermissions: 0o640])
        let (_, commit) = try agent.curation.captureBaseline(host: "localhost", checks: ["files"], reason: "watch the account file")
        #expect(commit != nil)
        // Every column comes from the live host except the '*' the operator wrote.
        let reference = try String(contentsOfFile: estate.ops.repo + "/configs/files/localhost", encoding: .utf8)
        #expect(reference.contains("/etc/passwd 0644 root:root\n") && reference.contains("\(later) 0640 root:root\n")
                && reference.contains("\(estate.target) 0644 *\n"), "\(reference)")
        let clean = try agent.scanner.scan()
        #expect(clean.results.first { $0.check == "files" }?.status == .ok, "\(clean.text)")
        chmod(later, 0o666)
        let scan = try agent.scanner.scan()
        #expect(scan.results.first { $0.check == "files" }?.items.map(\.subject) == [later + " mode"], "\(scan.text)")
    }

    @Test func aServedCertificateOnAWellKnownPortIsCapturedAndScansClean() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let dir = estate.ops.root + "/tls"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let made = try ProcessRunner.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                          "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem", "-days", "90", "-subj", "/CN=luna-capture-test"],
                                         timeout: .seconds(30))
        #expect(made.exitStatus == 0, "\(made.stderrText)")
        let address = "127.0.0.\(Int.random(in: 90...120))"
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        server.arguments = ["s_server", "-quiet", "-accept", address + ":8443", "-cert", dir + "/cert.pem", "-key", dir + "/key.pem"]
        server.standardInput = Pipe()
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // SIGKILL: s_server may inherit SIGTERM ignored from the test runner.
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        var listening = false
        for _ in 0..<50 where !listening {
            listening = (try? ProcessRunner.run(["ss", "-H", "-tln", "src", address + ":8443"], timeout: .seconds(5)))?.stdoutText.contains("8443") == true
            if !listening { usleep(100_000) }
        }
        #expect(listening, "openssl s_server did not start on \(address):8443")

        var config = try estate.configuration()
        config.hosts[0].checks = ["tls"]
        let agent = try Agent(config: config, environment: AgentEnvironment(log: { _ in }))
        let (changes, commit) = try agent.curation.captureBaseline(host: "localhost", checks: ["tls"], reason: "the certificates served now")
        #expect(commit != nil)
        #expect(changes.first?.added.contains("endpoint \(address):8443 21") == true, "\(changes)")
        let reference = try String(contentsOfFile: estate.ops.repo + "/configs/tls/localhost", encoding: .utf8)
        #expect(!reference.contains("discovered"), "\(reference)")
        let scan = try agent.scanner.scan()
        let tls = try #require(scan.results.first { $0.check == "tls" })
        #expect(tls.status == .ok && tls.detail.contains("endpoint \(address):8443: 8"), "\(scan.text)")
    }

    @Test func capturingAnExistingAuthReferenceNeverSkipsWhatHappenedSinceTheLastScan() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let log = estate.ops.root + "/auth.log"
        try "Dec  1 10:00:00 h sshd[10]: Server listening\n".write(toFile: log, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: estate.ops.repo + "/configs/auth", withIntermediateDirectories: true)
        try "source \(log)\nsudo 0\nssh 10\n".write(toFile: estate.ops.repo + "/configs/auth/localhost", atomically: true, encoding: .utf8)
        var config = try estate.configuration()
        config.hosts[0].checks = ["auth"]
        let agent = try Agent(config: config, environment: AgentEnvironment(log: { _ in }))
        #expect(try agent.scanner.scan().results.first { $0.check == "auth" }?.status == .ok)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("Dec  1 10:00:01 h sudo:   bob : 1 incorrect password attempt ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh\n".utf8))
        try handle.close()
        let (changes, commit) = try agent.curation.captureBaseline(host: "localhost", checks: ["auth"], reason: "the same thresholds")
        #expect(commit == nil && changes.first?.startState == nil, "\(changes)")
        let scan = try agent.scanner.scan()
        #expect(scan.results.first { $0.check == "auth" }?.items.map(\.subject) == ["failed sudo"], "\(scan.text)")
    }
}
