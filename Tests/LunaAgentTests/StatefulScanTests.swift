import Foundation
import LunaAgent
import LunaDrift
import Testing

/// The scan loop keeps a stateful check's state in the ledger between scans.
@Suite("stateful drift check in the scan loop")
struct StatefulScanTests {
    @Test func authCountsOnlyWhatIsNewSinceTheLastScan() throws {
        let estate = try Estate()
        defer { estate.ops.remove() }
        let log = estate.ops.root + "/auth.log"
        try "Nov 29 13:02:13 web1 sshd[4102]: Failed password for root from 198.51.100.4 port 50022 ssh2\n"
            .write(toFile: log, atomically: true, encoding: .utf8)
        try estate.ops.write("configs/auth/localhost", "source \(log)\nssh 0\nsudo 0\n")
        var config = try estate.configuration()
        config.hosts[0].checks = ["auth"]
        let agent = try Agent(config: config, environment: AgentEnvironment(log: { _ in }))
        let first = try agent.scanner.scan()
        #expect(first.results.map(\.status) == [.drift])
        // file:N:FP:PATH: lines read and a fingerprint of the first line (to notice a rotation).
        let pattern = "^file:1:[0-9a-f]{16}:" + NSRegularExpression.escapedPattern(for: log) + "$"
        #expect(try agent.ledger.value("drift.auth.localhost")?.range(of: pattern, options: .regularExpression) != nil)
        let second = try agent.scanner.scan()
        #expect(second.results.map(\.status) == [.ok], "\(second.results)")
        #expect(second.events.map(\.key.subject) == ["failed ssh"])  // resolved
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        handle.write(Data("Nov 29 13:05:00 web1 sudo:   eve : user NOT in sudoers ; TTY=pts/3 ; COMMAND=/bin/sh\n".utf8))
        try handle.close()
        let third = try agent.scanner.scan()
        #expect(third.results.first?.items.map(\.subject) == ["failed sudo"])
        let afterThird = try agent.ledger.value("drift.auth.localhost")
        #expect(afterThird?.hasPrefix("file:2:") == true && afterThird?.hasSuffix(":\(log)") == true)

        // logrotate: the file moves away and a new one starts. That scan counts nothing and
        // says so; the next one counts the new file from its first line, once.
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        try ("Nov 30 00:00:01 web1 rsyslogd: [origin] start\n"
             + "Nov 30 00:01:00 web1 sshd[9]: Failed password for root from 198.51.100.4 port 50022 ssh2\n"
             + "Nov 30 00:01:01 web1 sshd[9]: Failed password for root from 198.51.100.4 port 50022 ssh2\n")
            .write(toFile: log, atomically: true, encoding: .utf8)
        let rotated = try agent.scanner.scan()
        #expect(rotated.results.map(\.status) == [.ok])
        #expect(rotated.results.first?.detail.hasPrefix("\(log) was rotated") == true, "\(rotated.results)")
        #expect(try agent.ledger.value("drift.auth.localhost") == "file:0:\(log)")
        let fresh = try agent.scanner.scan()
        #expect(fresh.results.first?.items.map(\.summary) == ["2 failed SSH logins since the last scan (threshold 0)"])
        #expect(try agent.scanner.scan().results.map(\.status) == [.ok])
    }
}
