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
        let first = try agent.scan()
        #expect(first.results.map(\.status) == [.drift])
        #expect(try agent.ledger.value("drift.auth.localhost") == "file:1:\(log)")
        let second = try agent.scan()
        #expect(second.results.map(\.status) == [.ok], "\(second.results)")
        #expect(second.events.map(\.key.subject) == ["failed ssh"])  // resolved
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        handle.write(Data("Nov 29 13:05:00 web1 sudo:   eve : user NOT in sudoers ; TTY=pts/3 ; COMMAND=/bin/sh\n".utf8))
        try handle.close()
        let third = try agent.scan()
        #expect(third.results.first?.items.map(\.subject) == ["failed sudo"])
        #expect(try agent.ledger.value("drift.auth.localhost") == "file:2:\(log)")
    }
}
