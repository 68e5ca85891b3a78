import Foundation
import LunaFleet
import Testing
@testable import LunaDrift

/// The captures that take their subjects from the host (files from a path list,
/// containers from the installed engine, tls from the listeners), on recorded output.
@Suite("baseline capture: files, containers and tls from recorded output")
struct CaptureParserTests {
    // MARK: files

    @Test func aPathAloneGetsItsLiveModeAndOwnerAndAStarColumnStays() throws {
        let current = try baseline("/etc/passwd\n/etc/shadow * root:shadow\n/etc/group 0600 *\n")
        let stat = output(Data("644|root:root|/etc/passwd\n640|root:shadow|/etc/shadow\n644|root:root|/etc/group\n".utf8))
        let lines = try FileModeCheck().capture(output: stat, current: current)
        #expect(lines == ["/etc/passwd 0644 root:root", "/etc/shadow * root:shadow", "/etc/group 0644 *"])
    }

    @Test func aListedPathThatDoesNotExistRefusesTheCaptureButASeededOneIsLeftOut() throws {
        let current = try baseline("/etc/passwd\n/etc/nope\n")
        let stat = output(Data("644|root:root|/etc/passwd\n".utf8), exit: 1, stderr: "stat: cannot statx '/etc/nope': No such file or directory\n")
        #expect(throws: CaptureError.self) { try FileModeCheck().capture(output: stat, current: current) }
        let (lines, missing) = try FileModeCheck().capture(output: stat, current: current, skipMissing: true)
        #expect(lines == ["/etc/passwd 0644 root:root"] && missing == ["/etc/nope"])
    }

    @Test func aPathStatCannotReadIsNeverTakenForMissing() throws {
        let current = try baseline("/etc/passwd\n/root/secret\n")
        let stat = output(Data("644|root:root|/etc/passwd\n".utf8), exit: 1, stderr: "stat: cannot statx '/root/secret': Permission denied\n")
        #expect(throws: CaptureError.self) { _ = try FileModeCheck().capture(output: stat, current: current, skipMissing: true) }
        let cut = output(Data("644|root:root|/etc/passwd\n".utf8), truncated: true)
        #expect(throws: CaptureError.self) { _ = try FileModeCheck().capture(output: cut, current: try baseline("/etc/passwd\n"), skipMissing: true) }
    }

    @Test func aScanOfAReferenceWithAnUncapturedPathFailsAndSaysHowToCapture() throws {
        let refs = try TempReferences(["files/h": "/etc/passwd 0644 root:root\n/etc/shadow\n"])
        defer { refs.remove() }
        guard case .done(let result) = FileModeCheck().plan(host: "h", references: refs.references) else {
            Issue.record("a path alone must not be collected and judged")
            return
        }
        #expect(result.status == .error)
        #expect(result.detail.contains("files/h:2: /etc/shadow is listed without a mode and owner"), "\(result.detail)")
        #expect(result.detail.contains("luna baseline capture --host h --check files"), "\(result.detail)")
    }

    // MARK: containers

    @Test func theOneInstalledEngineIsChosenAndNoneOrBothIsAskedOf() throws {
        let check = ContainersCheck()
        #expect(check.captureProbe(host: "h", current: try baseline("engine podman\n")) == nil)
        let probe = try #require(check.captureProbe(host: "h", current: nil))
        #expect(probe == ["ls", "-1d", "--", "/usr/bin/docker", "/usr/bin/podman"])
        let docker = try check.captureSubjects(probe: output(Data("/usr/bin/docker\n".utf8), exit: 2, stderr: "ls: cannot access '/usr/bin/podman': No such file or directory\n"),
                                               current: nil, host: "h")
        #expect(docker?.lines.map(\.text) == ["engine docker"])
        #expect(try check.captureArgv(host: "h", current: docker) == ["/usr/bin/docker", "ps", "-a", "--format", "json"])
        #expect(throws: CaptureError.self) { _ = try check.captureSubjects(probe: output(Data(), exit: 2), current: nil, host: "h") }
        #expect(throws: CaptureError.self) {
            _ = try check.captureSubjects(probe: output(Data("/usr/bin/docker\n/usr/bin/podman\n".utf8)), current: nil, host: "h")
        }
    }

    @Test func theRunningContainersBecomeExpectLinesAndAnOddNameIsRefused() throws {
        let check = ContainersCheck()
        let podman = try check.capture(output: output(try fixture("podman-ps-json.txt")), current: try baseline("engine podman\nmax_restarts 5\nexpect gone\n"))
        // A declared container stays declared, gone or not: its absence is the finding the check exists for.
        #expect(podman.first == "engine podman" && podman.contains("max_restarts 5") && podman.contains("expect gone"), "\(podman)")
        let recorded = String(decoding: try fixture("docker-ps-json.txt"), as: UTF8.self)
        let docker = try check.capture(output: output(Data(recorded.utf8)), current: try baseline("engine docker\n"))
        #expect(Set(docker) == ["engine docker", "expect web", "expect redis"], "\(docker)")
        let declared = try check.capture(output: output(Data(recorded.utf8)), current: try baseline("engine docker\nexpect oneshot\nexpect web\n"))
        #expect(Set(declared) == ["engine docker", "expect oneshot", "expect web", "expect redis"], "\(declared)")
        // A running container's name no reference line can hold as one field.
        let odd = recorded.replacingOccurrences(of: "\"Names\":\"web\"", with: "\"Names\":\"web server\"")
        #expect(throws: CaptureError.self) { _ = try check.capture(output: output(Data(odd.utf8)), current: try baseline("engine docker\n")) }
        #expect(throws: CaptureError.self) {
            _ = try check.capture(output: output(try fixture("docker-nodaemon.txt"), exit: 1), current: try baseline("engine docker\n"))
        }
    }

    // MARK: tls

    @Test func wellKnownTLSListenersAreDiscoveredOnceAndTheReferenceIsKept() throws {
        let ss = """
            tcp   LISTEN 0      511          0.0.0.0:443        0.0.0.0:*
            tcp   LISTEN 0      511             [::]:443           [::]:*
            tcp   LISTEN 0      128          0.0.0.0:22         0.0.0.0:*
            tcp   LISTEN 0      128     10.0.0.5:8443           0.0.0.0:*
            tcp   LISTEN 0      128            [::]:6443           [::]:*
            tcp   LISTEN 0      128 [fe80::1]%eth0:993             [::]:*
            tcp   LISTEN 0      128        -oops:443           0.0.0.0:*
            tcp   LISTEN 0      128    a#b.c:9443           0.0.0.0:*
            udp   UNCONN 0      0            0.0.0.0:443        0.0.0.0:*
            """
        let current = try baseline("file /etc/ssl/site.pem 30\nendpoint 10.0.0.5:8443 14\n")
        let subjects = try #require(try TLSCheck().captureSubjects(probe: output(Data(ss.utf8)), current: current, host: "h"))
        #expect(subjects.lines.map(\.text) == ["file /etc/ssl/site.pem 30", "endpoint 10.0.0.5:8443 14",
                                               "discovered 127.0.0.1:443 21", "discovered [::1]:6443 21"])
        #expect(throws: CaptureError.self) {
            _ = try TLSCheck().captureSubjects(probe: output(Data("tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n".utf8)), current: nil, host: "h")
        }
        let argv = try TLSCheck().captureArgv(host: "h", current: subjects)
        #expect(argv.contains("timeout") && argv.contains("127.0.0.1:443") && !argv.contains("discovered"))
    }

    @Test func aDiscoveredEndpointWithoutACertificateIsLeftOutButAListedOneRefuses() throws {
        let cert = try text("openssl-s_client-debian12.txt")
        let subjects = try baseline("endpoint 10.0.0.5:8443 14\ndiscovered 127.0.0.1:443 21\ndiscovered 127.0.0.1:993 21\n")
        let served = output(sequence([("endpoint 10.0.0.5:8443", cert, true), ("endpoint 127.0.0.1:443", cert, true),
                                      ("endpoint 127.0.0.1:993", "CONNECTED(00000003)\nno peer certificate available", false)]))
        #expect(try TLSCheck().capture(output: served, current: subjects) == ["endpoint 10.0.0.5:8443 14", "endpoint 127.0.0.1:443 21"])
        let unread = output(sequence([("endpoint 10.0.0.5:8443", "connect:errno=111", false), ("endpoint 127.0.0.1:443", cert, true),
                                      ("endpoint 127.0.0.1:993", "", false)]))
        #expect(throws: CaptureError.self) { _ = try TLSCheck().capture(output: unread, current: subjects) }
        let cut = output(sequence([("endpoint 10.0.0.5:8443", cert, true)]))
        #expect(throws: CaptureError.self) { _ = try TLSCheck().capture(output: cut, current: subjects) }
        // What is written is a reference the scan reads: no 'discovered' line survives.
        let written = try baseline(Baseline.render(try TLSCheck().capture(output: served, current: subjects)))
        #expect(try TLSCheck.targets(written).count == 2)
        #expect(throws: BaselineError.self) { _ = try TLSCheck.targets(subjects) }
    }

    // MARK: auth

    @Test func theJournalWinsThenRsyslogsLogAndNeitherIsAskedOf() throws {
        let check = AuthFailuresCheck()
        #expect(check.captureProbe(host: "h", current: try baseline("source journal\n")) == nil)
        #expect(check.captureProbe(host: "h", current: nil)?.prefix(4) == ["find", "/run/log/journal", "/var/log/journal", "/var/log/auth.log"])
        // find prints the first journal file and stops; the auth log is its last start point, printed only without one.
        let journal = output(Data("/var/log/journal/0123abcd/system.journal\n".utf8), exit: 1)
        #expect(try check.captureSubjects(probe: journal, current: nil, host: "h")?.lines.map(\.text) == ["source journal", "sudo 0", "ssh 10"])
        // A folder alone is not a journal.
        #expect(throws: CaptureError.self) { _ = try check.captureSubjects(probe: output(Data("/var/log/journal\n".utf8)), current: nil, host: "h") }
        let rsyslog = output(Data("/var/log/auth.log\n".utf8), exit: 1)
        let subjects = try check.captureSubjects(probe: rsyslog, current: try baseline("sudo 3\n"), host: "h")
        #expect(subjects?.lines.map(\.text) == ["source /var/log/auth.log", "sudo 3", "ssh 10"])
        #expect(try check.captureArgv(host: "h", current: subjects).first == "/usr/bin/sed")
        #expect(throws: CaptureError.self) { _ = try check.captureSubjects(probe: output(Data(), exit: 1), current: nil, host: "h") }
        // The probe itself, on this machine: what it prints is what the choice reads.
        let live = try LocalExecutor().run(try #require(check.captureProbe(host: "h", current: nil)), timeout: .seconds(20))
        let printed = live.stdoutText.split(separator: "\n")
        #expect(printed.count <= 1 && printed.allSatisfy { $0.hasSuffix(".journal") || $0 == "/var/log/auth.log" }, "\(live.stdoutText)")
        // find accepted the expression: its only complaints are start points this machine lacks.
        #expect(live.stderrText.split(separator: "\n").allSatisfy { $0.hasSuffix("No such file or directory") }, "\(live.stderrText)")
    }

    @Test func aLogTheScanCannotReadIsNoCapture() throws {
        let check = AuthFailuresCheck()
        let journal = try baseline("source journal\nsudo 0\nssh 10\n")
        #expect(throws: CaptureError.self) {
            _ = try check.capture(output: output(Data(), exit: 1, stderr: "No journal files were found.\n"), current: journal)
        }
        let read = try check.capture(output: output(try fixture("journalctl-auth-sample.txt")), current: journal)
        #expect(read == ["source journal", "sudo 0", "ssh 10"])
    }
}
