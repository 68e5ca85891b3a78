import Foundation
import LunaDrift
import LunaFleet
import Testing

/// Recorded outputs live beside this file.
func fixture(_ name: String) throws -> Data {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    return try Data(contentsOf: dir.appendingPathComponent(name))
}

func output(_ data: Data, exit: Int32 = 0, stderr: String = "", truncated: Bool = false) -> CommandResult {
    CommandResult(exitStatus: exit, stdout: data, stderr: Data(stderr.utf8), stdoutTruncated: truncated)
}

func baseline(_ text: String, file: String = "ref") throws -> Baseline {
    try Baseline.parse(text, file: file)
}

@Suite("ss -tulpn parser")
struct PortsParserTests {
    @Test func parsesRecordedDebianOutput() throws {
        let listeners = PortsCheck.parse(String(decoding: try fixture("ss-tulpn-debian12.txt"), as: UTF8.self))
        #expect(listeners.count == 10)
        #expect(listeners.contains(Listener(proto: "udp", local: "127.0.0.53%lo:53", processes: ["systemd-resolve"])))
        #expect(listeners.contains(Listener(proto: "tcp", local: "[::]:22", processes: ["sshd"])))
        #expect(listeners.contains(Listener(proto: "tcp", local: "*:80", processes: ["nginx"])))
        #expect(listeners.contains(Listener(proto: "tcp", local: "127.0.0.1:9000", processes: ["Web Content"])))
        #expect(listeners.contains(Listener(proto: "tcp", local: "0.0.0.0:2024", processes: [])))
    }

    @Test func newAndMissingListenersAreDrift() throws {
        let ref = try baseline("tcp 0.0.0.0:22 sshd\ntcp [::]:22 sshd\ntcp 0.0.0.0:443 nginx\n")
        let data = Data("tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"sshd\",pid=1,fd=3))\ntcp LISTEN 0 128 [::]:22 [::]:*\ntcp LISTEN 0 5 0.0.0.0:4444 0.0.0.0:* users:((\"nc\",pid=9,fd=3))\n".utf8)
        let result = PortsCheck().evaluate(host: "h", output: output(data), reference: ref)
        #expect(result.status == .drift)
        #expect(result.items.map(\.subject) == ["+tcp 0.0.0.0:4444", "-tcp 0.0.0.0:443"])
        #expect(result.items[0].summary.contains("(nc)"))
    }

    @Test func matchingListenersAreOK() throws {
        let ref = try baseline("# comment\n\ntcp 0.0.0.0:22\n")
        let data = Data("tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n".utf8)
        #expect(PortsCheck().evaluate(host: "h", output: output(data), reference: ref).status == .ok)
    }

    @Test func truncatedNonUTF8OutputDoesNotCrash() throws {
        let data = try fixture("ss-truncated-nonutf8.bin")
        let result = PortsCheck().evaluate(host: "h", output: output(data, truncated: true), reference: try baseline(""))
        #expect(result.status == .drift)
        #expect(result.items.first?.subject == "+tcp 0.0.0.0:8080")
        #expect(result.items.first?.summary.contains("caf") == true)
    }

    @Test func emptyOutputWithEmptyReferenceIsOK() throws {
        #expect(PortsCheck().evaluate(host: "h", output: output(Data()), reference: try baseline("")).status == .ok)
    }

    @Test func failureIsAnError() throws {
        let result = PortsCheck().evaluate(host: "h", output: output(Data(), exit: 1, stderr: "Cannot open netlink socket"), reference: nil)
        #expect(result.status == .error)
        #expect(result.detail.contains("netlink"))
    }
}

@Suite("sshd -T parser")
struct SSHDParserTests {
    @Test func parsesRecordedOutput() throws {
        let settings = SSHDCheck.parse(String(decoding: try fixture("sshd-T-debian12.txt"), as: UTF8.self))
        #expect(settings["port"] == "22")
        #expect(settings["usepam"] == "yes")
        #expect(settings["listenaddress"] == "[::]:22")
        #expect(settings.count > 50)
    }

    @Test func changedSettingIsDriftNamingBothValues() throws {
        let ref = try baseline("PermitRootLogin no\npasswordauthentication no\n")
        let data = Data("permitrootlogin yes\npasswordauthentication no\n".utf8)
        let result = SSHDCheck().evaluate(host: "h", output: output(data), reference: ref)
        #expect(result.status == .drift)
        #expect(result.items.count == 1)
        #expect(result.items[0].summary == "permitrootlogin: expected no, found yes")
        #expect(result.items[0].params == ["setting": "permitrootlogin", "expected": "no"])
    }

    @Test func noHostKeysIsAnError() throws {
        let result = SSHDCheck().evaluate(host: "h", output: output(Data(), exit: 1, stderr: "sshd: no hostkeys available -- exiting."), reference: try baseline("port 22"))
        #expect(result.status == .error)
        #expect(result.detail.contains("no hostkeys"))
    }
}

@Suite("file mode/owner check")
struct FileModeTests {
    @Test func modeAndOwnerAreSeparateFindings() throws {
        let ref = try baseline("/etc/a 0640 root:shadow\n/etc/b 0600 *\n/etc/c * root:root\n/etc/d 0644 root:root\n")
        let data = Data("644|root:root|/etc/a\n600|alice:alice|/etc/b\n755|bob:root|/etc/c\n".utf8)
        let result = FileModeCheck().evaluate(host: "h", output: output(data, exit: 1), reference: ref)
        #expect(result.status == .drift)
        #expect(result.items.map(\.subject) == ["/etc/a mode", "/etc/a owner", "/etc/c owner", "/etc/d missing"])
        #expect(result.items[0].params == ["path": "/etc/a", "aspect": "mode", "expected": "0640"])
    }

    @Test func malformedReferenceNamesFileAndLine() throws {
        let ref = try baseline("/etc/a 0640 root:root\n/etc/b 99x root:root\n", file: "configs/files/h")
        let plan = FileModeCheck().plan(host: "h", references: References(directory: "/nonexistent"))
        if case .done(let r) = plan { #expect(r.status == .unavailable) } else { Issue.record("expected unavailable") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-drift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("files"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "/etc/a 0640 root:root\n/etc/b 99x root:root\n".write(to: dir.appendingPathComponent("files/h"), atomically: true, encoding: .utf8)
        guard case .done(let r) = FileModeCheck().plan(host: "h", references: References(directory: dir.path)) else {
            Issue.record("a bad reference must not run"); return
        }
        #expect(r.status == .error)
        #expect(r.detail.contains("files/h:2: mode must be octal"))
        _ = ref
    }

    @Test func liveCheckAgainstRealFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("files"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("secret name with spaces.conf").path
        FileManager.default.createFile(atPath: target, contents: Data("x".utf8), attributes: [.posixPermissions: 0o644])
        try "\(target.replacingOccurrences(of: " ", with: "\\ ")) 0600 *\n".write(to: dir.appendingPathComponent("files/h"), atomically: true, encoding: .utf8)
        // Paths with blanks can't be expressed in the whitespace-separated reference; use one without.
        let plain = dir.appendingPathComponent("app.conf").path
        FileManager.default.createFile(atPath: plain, contents: Data("x".utf8), attributes: [.posixPermissions: 0o644])
        try "\(plain) 0600 *\n".write(to: dir.appendingPathComponent("files/h"), atomically: true, encoding: .utf8)
        let result = FileModeCheck().run(host: "h", executor: LocalExecutor(), references: References(directory: dir.path))
        #expect(result.status == .drift)
        #expect(result.items.first?.summary == "\(plain): mode 0644, reference 0600")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: plain)
        #expect(FileModeCheck().run(host: "h", executor: LocalExecutor(), references: References(directory: dir.path)).status == .ok)
    }
}

@Suite("services check")
struct ServicesTests {
    @Test func inactiveUnitIsDrift() throws {
        let ref = try baseline("ssh.service\ncron.service\n")
        let result = ServicesCheck().evaluate(host: "h", output: output(Data("active\nfailed\n".utf8), exit: 3), reference: ref)
        #expect(result.status == .drift)
        #expect(result.items == [DriftItem(subject: "cron.service", summary: "cron.service is failed, expected active", params: ["unit": "cron.service"], observed: "failed")])
    }

    @Test func noSystemdIsUnavailable() throws {
        let result = ServicesCheck().evaluate(host: "h", output: output(Data(), exit: 1, stderr: "System has not been booted with systemd as init system (PID 1). Can't operate.\n"), reference: try baseline("ssh.service"))
        #expect(result.status == .unavailable)
    }

    @Test func missingProgramIsUnavailable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-svc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sshd"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "port 22\n".write(to: dir.appendingPathComponent("sshd/h"), atomically: true, encoding: .utf8)
        struct Missing: DriftCheck {
            let name = "missing"
            let referenceKind = "sshd"
            func plan(host: String, references: References) -> CollectionPlan { .run(argv: ["luna-no-such-program-x"], reference: nil) }
            func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult { .compared(host: host, check: name, items: [], okDetail: "") }
        }
        let result = Missing().run(host: "h", executor: LocalExecutor(), references: References(directory: dir.path))
        #expect(result.status == .unavailable)
        #expect(result.detail.contains("not installed"))
    }
}

@Suite("finding reconciliation")
struct ReconcilerTests {
    let a = DriftItem(subject: "x", summary: "x changed")
    let key = FindingKey(host: "h", check: "files", subject: "x")

    @Test func appearsOnceThenOngoingThenResolves() {
        let drift = CheckResult(host: "h", check: "files", status: .drift, detail: "", items: [a])
        #expect(FindingReconciler.reconcile(results: [drift], open: [:]) == [.appeared(key, a)])
        #expect(FindingReconciler.reconcile(results: [drift], open: [key: "x changed"]) == [.ongoing(key, a)])
        let changed = DriftItem(subject: "x", summary: "x changed again")
        let drift2 = CheckResult(host: "h", check: "files", status: .drift, detail: "", items: [changed])
        #expect(FindingReconciler.reconcile(results: [drift2], open: [key: "x changed"]) == [.changed(key, changed)])
        let ok = CheckResult(host: "h", check: "files", status: .ok, detail: "")
        #expect(FindingReconciler.reconcile(results: [ok], open: [key: "x changed"]) == [.resolved(key)])
    }

    @Test func anUnavailableCheckResolvesNothing() {
        let down = CheckResult(host: "h", check: "files", status: .error, detail: "timeout")
        #expect(FindingReconciler.reconcile(results: [down], open: [key: "x changed"]).isEmpty)
    }
}

@Suite("baselines")
struct BaselineTests {
    @Test func controlCharacterNamesTheLine() {
        #expect(throws: BaselineError(file: "f", line: 2, message: "control character in reference line")) {
            try Baseline.parse("ok\nbad\u{07}line\n", file: "f")
        }
    }

    @Test func renderIsSortedAndUnique() {
        #expect(Baseline.render(["b", "a", "b"], header: "hdr") == "# hdr\na\nb\n")
    }
}

@Suite("sshd baseline capture")
struct SSHDCaptureTests {
    @Test func aWeakerLiveValueIsRefusedNamingEverySettingAndKeptReasonsStay() throws {
        let live = output(Data("permitrootlogin without-password\npasswordauthentication yes\nx11forwarding yes\n".utf8))
        let current = try baseline("permitrootlogin no\npasswordauthentication no\nx11forwarding yes  # exception: the lab needs X\n", file: "ref")
        do {
            _ = try SSHDCheck().capture(output: live, current: current)
            Issue.record("a weaker value was captured")
        } catch {
            #expect(error.message.contains("permitrootlogin without-password (policy: no)"), "\(error)")
            #expect(error.message.contains("passwordauthentication yes (policy: no)"), "\(error)")
            #expect(!error.message.contains("x11forwarding"), "an inline exception with the same value stays: \(error)")
            #expect(error.message.contains("--accept-weaker"))
        }
        // Only kept exceptions and policy-conforming values: captured as they are.
        let fine = output(Data("permitrootlogin no\npasswordauthentication no\nx11forwarding yes\n".utf8))
        let lines = try SSHDCheck().capture(output: fine, current: current)
        #expect(lines.sorted() == ["passwordauthentication no", "permitrootlogin no", "x11forwarding yes  # exception: the lab needs X"])
    }

    @Test func acceptingAWeakerValueKeepsThePolicyInTheReferenceSoTheScanShowsIt() throws {
        let live = output(Data("permitrootlogin without-password\npasswordauthentication no\n".utf8))
        let current = try baseline("permitrootlogin no\npasswordauthentication no\n", file: "ref")
        let (lines, weaker) = try SSHDCheck().capture(output: live, current: current, acceptWeaker: true)
        #expect(weaker == [WeakerSetting(setting: "permitrootlogin", live: "without-password", policy: "no")])
        #expect(lines.sorted() == ["passwordauthentication no", "permitrootlogin no"])
        // What capture writes is a valid reference, and the weaker live value is a finding (to be waived), never ok.
        let written = try Baseline.parse(Baseline.render(lines), file: "ref")
        let result = SSHDCheck().evaluate(host: "h", output: live, reference: written)
        #expect(result.status == .drift && result.items.map(\.subject) == ["permitrootlogin"], "\(result.detail)")
        let silent = try Baseline.parse("permitrootlogin without-password\n", file: "ref")
        #expect(SSHDCheck().evaluate(host: "h", output: live, reference: silent).status == .error)
    }
}
