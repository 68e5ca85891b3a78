import Foundation
import LunaFleet
import Synchronization
import Testing
import TestSupport
@testable import LunaDrift

/// A program run in the foreground on its own thread until ``stop()``, killed by the
/// pid this test started (never by name: a developer's own corosync is left alone).
final class ForegroundDaemon: Sendable {
    private let pid = Mutex<Int32>(0)
    private let done = Mutex<CommandResult?>(nil)
    let argv: [String]

    init(_ argv: [String]) {
        self.argv = argv
        let thread = Thread { [self] in
            let outcome = try? ProcessRunner.run(argv, timeout: .seconds(300), outputLimit: 1 << 20) { spawned in
                self.pid.withLock { $0 = spawned }
            }
            self.done.withLock { $0 = outcome ?? CommandResult(exitStatus: -1) }
        }
        thread.start()
    }

    /// What it printed, once it has exited.
    var log: String { done.withLock { $0.map { $0.stdoutText + $0.stderrText } ?? "(still running)" } }

    func stop() {
        let pid = self.pid.withLock { $0 }
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(10)
        while done.withLock({ $0 == nil }) && ContinuousClock.now < deadline { usleep(50_000) }
        if done.withLock({ $0 == nil }) { kill(pid, SIGKILL) }
    }
}

/// The quorum and qdevice checks against a real single-node corosync cluster on
/// 127.0.0.1 (knet over loopback UDP), with a real quorum device (corosync-qdevice)
/// and, for part of the test, a real qnetd server (TLS off, 127.0.0.1:5403).
@Suite("quorum and qdevice against a real corosync", .serialized,
       .enabled(if: SystemRequirements.available(
           tools: ["corosync", "corosync-qdevice", "corosync-qnetd", "corosync-quorumtool", "corosync-qdevice-tool", "pgrep"],
           needsRoot: true)))
struct CorosyncLiveTests {
    static let config = """
        totem {
          version: 2
          cluster_name: lunatest
          transport: knet
          crypto_cipher: none
          crypto_hash: none
        }
        nodelist {
          node {
            ring0_addr: 127.0.0.1
            name: node1
            nodeid: 1
          }
        }
        quorum {
          provider: corosync_votequorum
          device {
            model: net
            votes: 1
            net {
              tls: off
              host: 127.0.0.1
              port: 5403
              algorithm: lms
            }
          }
        }
        logging {
          to_stderr: yes
          to_syslog: no
        }

        """

    /// Runs `argv` until `ready` holds for its stdout, at most 20 s.
    static func waitFor(_ argv: [String], _ what: String, _ ready: (String) -> Bool) throws {
        let deadline = ContinuousClock.now + .seconds(20)
        var last = ""
        while ContinuousClock.now < deadline {
            let r = try ProcessRunner.run(argv, timeout: .seconds(10))
            last = r.stdoutText + r.stderrText
            if ready(r.stdoutText) { return }
            usleep(200_000)
        }
        throw TestFailure("\(what) did not happen within 20 s; last output of \(argv.joined(separator: " ")):\n\(last)")
    }

    @Test("not quorate and 'Connect failed' without qnetd; quorate and Connected with it; unavailable when corosync stops")
    func liveCluster() throws {
        let running = try ProcessRunner.run(["pgrep", "-x", "corosync"], timeout: .seconds(5))
        try #require(running.exitStatus != 0, "a corosync already runs on this machine; this test starts its own")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-corosync-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.config.write(toFile: dir + "/corosync.conf", atomically: true, encoding: .utf8)
        let refs = try TempReferences([
            "quorum/node1": "expected_votes 2\nmin_nodes 1\n",
            "qdevice/node1": "qnetd 127.0.0.1\n",
            "quorum/wants3": "min_nodes 3\n",
        ])
        defer { refs.remove() }
        let local = LocalExecutor()

        let corosync = ForegroundDaemon(["corosync", "-f", "-c", dir + "/corosync.conf"])
        defer { corosync.stop() }
        try Self.waitFor(["corosync-quorumtool", "-s"], "corosync answering") { $0.contains("Quorum provider") }
        let qdevice = ForegroundDaemon(["corosync-qdevice", "-f"])
        defer { qdevice.stop() }
        try Self.waitFor(["corosync-qdevice-tool", "-s"], "qdevice answering") { $0.contains("State:") }

        // No qnetd: the device cannot connect, and one node's vote is not a quorum of two.
        try Self.waitFor(["corosync-qdevice-tool", "-s"], "qdevice giving up on qnetd") { !$0.contains("State:\t\t\tWaiting") }
        let qdDown = QDeviceCheck().run(host: "node1", executor: local, references: refs.references)
        #expect(qdDown.status == .drift, "\(qdDown)")
        #expect(qdDown.items.map(\.subject) == ["qnetd"], "\(qdDown)")
        #expect(qdDown.items.first?.observed != "Connected")
        let inquorate = QuorumCheck().run(host: "node1", executor: local, references: refs.references)
        #expect(inquorate.status == .drift, "\(inquorate)")
        #expect(inquorate.items.map(\.subject) == ["quorate"], "\(inquorate)")

        // qnetd up: the device connects and its vote makes the partition quorate.
        let qnetd = ForegroundDaemon(["corosync-qnetd", "-f", "-s", "off", "-l", "127.0.0.1", "-p", "5403"])
        defer { qnetd.stop() }
        try Self.waitFor(["corosync-quorumtool", "-s"], "quorum with the device's vote") { $0.contains("Quorate:          Yes") }
        let qdUp = QDeviceCheck().run(host: "node1", executor: local, references: refs.references)
        #expect(qdUp.status == .ok, "\(qdUp)")
        #expect(qdUp.detail.contains("127.0.0.1"))
        let quorate = QuorumCheck().run(host: "node1", executor: local, references: refs.references)
        #expect(quorate.status == .ok, "\(quorate)")
        // The reference asks for more nodes than the cluster has.
        let small = QuorumCheck().run(host: "wants3", executor: local, references: refs.references)
        #expect(small.status == .drift && small.items.map(\.subject) == ["nodes"], "\(small)")

        // corosync gone: the checks say the service is not running, they never pass.
        qnetd.stop()
        qdevice.stop()
        corosync.stop()
        let gone = QuorumCheck().run(host: "node1", executor: local, references: refs.references)
        #expect(gone.status == .unavailable, "\(gone)")
        let qdGone = QDeviceCheck().run(host: "node1", executor: local, references: refs.references)
        #expect(qdGone.status == .unavailable, "\(qdGone)")
    }
}
