import Foundation
import LunaFleet
import Testing
import TestSupport
@testable import LunaDrift

/// Runs a program and returns its stdout; fails the test when it exits non-zero.
@discardableResult
func sh(_ argv: [String]) throws -> String {
    let r = try ProcessRunner.run(argv, timeout: .seconds(30))
    guard r.exitStatus == 0 else { throw TestFailure("\(argv.joined(separator: " ")) failed: \(r.stderrText)") }
    return r.stdoutText
}

/// Runs a loopback server for 15 s on a background thread (ProcessRunner, under `timeout`),
/// then gives it a moment to listen. Foundation's Process is avoided: its child
/// reaping races ProcessRunner's.
func background(_ argv: [String], port: Int? = nil) {
    DispatchQueue.global().async { _ = try? ProcessRunner.run(["timeout", "30"] + argv, timeout: .seconds(35)) }
    guard let port else { Thread.sleep(forTimeInterval: 1.0); return }
    // Wait until the server accepts connections (a loaded machine starts it slowly).
    let deadline = Date().addingTimeInterval(15)
    while Date() < deadline {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr)
        let connected = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        close(fd)
        if connected == 0 { return }
        Thread.sleep(forTimeInterval: 0.1)
    }
}

/// Checks run for real on this machine through the local executor.
@Suite("live checks on this machine")
struct LiveCheckTests {
    let local = LocalExecutor()

    @Test(.enabled(if: SystemRequirements.available(tools: ["df"])))
    func diskThresholds() throws {
        let refs = try TempReferences(["disk/h": "/ 100\n"])
        defer { refs.remove() }
        let ok = DiskCheck().run(host: "h", executor: local, references: refs.references)
        #expect(ok.status == .ok, "\(ok.detail)")
        try "/ 0\n/luna-not-mounted 50\n".write(toFile: refs.directory + "/disk/h", atomically: true, encoding: .utf8)
        let drift = DiskCheck().run(host: "h", executor: local, references: refs.references)
        #expect(drift.items.map(\.subject).contains("/luna-not-mounted"))
    }

    @Test func memoryThresholds() throws {
        let refs = try TempReferences(["memory/h": "min_available_percent 0\n"])
        defer { refs.remove() }
        #expect(MemoryCheck().run(host: "h", executor: local, references: refs.references).status == .ok)
        try "min_available_mib 100000000\n".write(toFile: refs.directory + "/memory/h", atomically: true, encoding: .utf8)
        #expect(MemoryCheck().run(host: "h", executor: local, references: refs.references).status == .drift)
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["openssl"])))
    func tlsFileAndEndpoint() throws {
        let refs = try TempReferences([:])
        defer { refs.remove() }
        let cert = refs.directory + "/cert.pem", key = refs.directory + "/key.pem"
        try sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                "-days", "10", "-subj", "/CN=localhost"])
        let port = 20000 + Int.random(in: 0..<20000)
        background(["openssl", "s_server", "-accept", "127.0.0.1:\(port)", "-cert", cert, "-key", key, "-quiet"], port: port)
        try FileManager.default.createDirectory(atPath: refs.directory + "/tls", withIntermediateDirectories: true)
        try "file \(cert) 14\nendpoint 127.0.0.1:\(port) 5\n".write(toFile: refs.directory + "/tls/h", atomically: true, encoding: .utf8)
        let result = TLSCheck().run(host: "h", executor: local, references: refs.references)
        #expect(result.status == .drift, "\(result.detail)")
        #expect(result.items.map(\.summary) == ["file \(cert) expires in 9 days (threshold 14)"])
        try "file \(cert) 5\nendpoint 127.0.0.1:\(port) 5\nfile \(refs.directory)/none.pem 1\n".write(toFile: refs.directory + "/tls/h", atomically: true, encoding: .utf8)
        let missing = TLSCheck().run(host: "h", executor: local, references: refs.references)
        #expect(missing.items.map(\.subject) == ["file \(refs.directory)/none.pem"])
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["find"])))
    func suidFileInATempTree() throws {
        let refs = try TempReferences([:])
        defer { refs.remove() }
        let tree = refs.directory + "/tree"
        try FileManager.default.createDirectory(atPath: tree + "/sub dir", withIntermediateDirectories: true)
        let file = tree + "/sub dir/helper"
        FileManager.default.createFile(atPath: file, contents: Data("#!/bin/true\n".utf8), attributes: [.posixPermissions: 0o755])
        try FileManager.default.createDirectory(atPath: refs.directory + "/suid", withIntermediateDirectories: true)
        let refFile = refs.directory + "/suid/h"
        try "root \(tree)\n".write(toFile: refFile, atomically: true, encoding: .utf8)
        #expect(SUIDCheck().run(host: "h", executor: local, references: refs.references).status == .ok)
        try FileManager.default.setAttributes([.posixPermissions: 0o4755], ofItemAtPath: file)
        let drift = SUIDCheck().run(host: "h", executor: local, references: refs.references)
        #expect(drift.items.map(\.summary) == ["new SUID/SGID file \(file) (mode 4755)"])
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["dig", "python3"])))
    func dnsAgainstALoopbackResolver() throws {
        let refs = try TempReferences([:])
        defer { refs.remove() }
        // A minimal UDP DNS responder on 127.0.0.1: A 127.0.0.1 for every name, NXDOMAIN for "missing.*".
        let script = refs.directory + "/dns.py"
        try """
        import socket,struct,sys
        s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('127.0.0.1',int(sys.argv[1])))
        while True:
            d,a=s.recvfrom(512); q=d[12:]; i=0
            while q[i]!=0: i+=q[i]+1
            qs=q[:i+5]
            if b'\\x07missing' in q[:i+1]: s.sendto(d[:2]+b'\\x81\\x83'+struct.pack('>HHHH',1,0,0,0)+qs,a); continue
            s.sendto(d[:2]+b'\\x81\\x80'+struct.pack('>HHHH',1,1,0,0)+qs+b'\\xc0\\x0c'+struct.pack('>HHIH',1,1,60,4)+bytes([127,0,0,1]),a)
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let port = 20000 + Int.random(in: 0..<20000)
        background(["python3", script, String(port)])
        try FileManager.default.createDirectory(atPath: refs.directory + "/dns", withIntermediateDirectories: true)
        try "resolver 127.0.0.1#\(port)\nname luna.test\nname missing.test\n".write(toFile: refs.directory + "/dns/h", atomically: true, encoding: .utf8)
        var result = DNSCheck().run(host: "h", executor: local, references: refs.references)
        for _ in 0..<10 where result.items.count > 1 {  // the responder may still be starting on a busy machine
            Thread.sleep(forTimeInterval: 0.5)
            result = DNSCheck().run(host: "h", executor: local, references: refs.references)
        }
        #expect(result.items.map(\.subject) == ["@127.0.0.1#\(port) missing.test A"], "\(result.detail)")
        #expect(result.items.first?.summary == "resolver 127.0.0.1#\(port) gave empty answer for missing.test A")
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["git"])))
    func gitLagAgainstARealUpstream() throws {
        let refs = try TempReferences([:])
        defer { refs.remove() }
        let upstream = refs.directory + "/upstream.git", work = refs.directory + "/work", other = refs.directory + "/other"
        try sh(["git", "init", "-q", "--bare", "-b", "main", upstream])
        try sh(["git", "clone", "-q", upstream, other])
        let id = ["-c", "user.name=t", "-c", "user.email=t@localhost"]
        try sh(["git", "-C", other] + id + ["commit", "-q", "--allow-empty", "-m", "one"])
        try sh(["git", "-C", other, "push", "-q", "origin", "HEAD:main"])
        try sh(["git", "clone", "-q", upstream, work])
        try FileManager.default.createDirectory(atPath: refs.directory + "/gitlag", withIntermediateDirectories: true)
        try "repo \(work)\n".write(toFile: refs.directory + "/gitlag/h", atomically: true, encoding: .utf8)
        let ok = GitLagCheck().run(host: "h", executor: local, references: refs.references)
        #expect(ok.status == .ok, "\(ok.detail)")
        for n in 2...3 { try sh(["git", "-C", other] + id + ["commit", "-q", "--allow-empty", "-m", "\(n)"]) }
        try sh(["git", "-C", other, "push", "-q", "origin", "HEAD:main"])
        let moved = GitLagCheck().run(host: "h", executor: local, references: refs.references)
        #expect(moved.items.first?.summary == "\(work) is at least 1 (upstream moved since the last fetch) commits behind its upstream (allowed 0)")
        try sh(["git", "-C", work, "fetch", "-q"])
        let fetched = GitLagCheck().run(host: "h", executor: local, references: refs.references)
        #expect(fetched.items.first?.summary == "\(work) is 2 commits behind its upstream (allowed 0)")
    }

    @Test func authLogStateAdvancesBetweenRuns() throws {
        let refs = try TempReferences([:])
        defer { refs.remove() }
        let log = refs.directory + "/auth.log"
        try text("authlog-sample.txt").write(toFile: log, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: refs.directory + "/auth", withIntermediateDirectories: true)
        try "source \(log)\nsudo 0\nssh 1\n".write(toFile: refs.directory + "/auth/h", atomically: true, encoding: .utf8)
        let first = AuthFailuresCheck().run(host: "h", executor: local, references: refs.references, state: nil)
        #expect(first.result.items.map(\.subject) == ["failed sudo", "failed ssh"])
        #expect(first.state?.hasPrefix("file:4:") == true && first.state?.hasSuffix(":\(log)") == true, "\(first.state ?? "nil")")
        let again = AuthFailuresCheck().run(host: "h", executor: local, references: refs.references, state: first.state)
        #expect(again.result.status == .ok, "\(again.result.detail)")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        handle.write(Data("Nov 29 14:00:00 web1 sudo:   eve : user NOT in sudoers ; TTY=pts/3 ; COMMAND=/bin/sh\n".utf8))
        try handle.close()
        let third = AuthFailuresCheck().run(host: "h", executor: local, references: refs.references, state: again.state)
        #expect(third.result.items.map(\.summary) == ["1 failed sudo attempts since the last scan (threshold 0)"])
        #expect(third.state?.hasPrefix("file:5:") == true, "\(third.state ?? "nil")")
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["grep"], needsRoot: true)))
    func sudoersOnThisMachine() throws {
        let refs = try TempReferences(["sudoers/luna-h": "luna ALL=(root) NOPASSWD: /usr/bin/luna-never-deployed\n"])
        defer { refs.remove() }
        let result = SudoersCheck().run(host: "h", executor: local, references: refs.references)
        #expect(result.status == .drift, "\(result.detail)")
        #expect(result.items.contains { $0.summary.contains("/usr/bin/luna-never-deployed") })
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/etc/crontab")))
    func cronOnThisMachine() throws {
        let refs = try TempReferences(["cron/h": "cron /etc/crontab: 0 0 * * * root /usr/bin/luna-never-scheduled\n"])
        defer { refs.remove() }
        let result = CronCheck().run(host: "h", executor: local, references: refs.references)
        #expect(result.status == .drift, "\(result.detail)")
        #expect(result.items.contains { $0.subject.hasPrefix("+cron /etc/crontab: ") })
    }

    @Test func everyCatalogCheckAnswersOnThisMachineWithTheExampleReferences() throws {
        let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("configs").path
        for check in CheckCatalog.all {
            let result = (check as? any StatefulDriftCheck)?.run(host: "localhost", executor: local, references: References(directory: configs), state: nil).result
                ?? check.run(host: "localhost", executor: local, references: References(directory: configs))
            #expect(!result.detail.isEmpty, "\(check.name) gave no detail")
            #expect(result.status != .error || check.name == "services", "\(check.name): \(result.detail)")
        }
    }
}
