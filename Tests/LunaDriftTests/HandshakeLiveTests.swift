import Foundation
import LunaFleet
import Testing
import TestSupport
@testable import LunaDrift

/// ssh's reason survives its multi-line warnings.
@Suite("handshake ssh failure reason")
struct HandshakeFailureReasonTests {
    @Test func lastLineOfStderrIsTheReason() {
        let changed = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
            + String(repeating: "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n", count: 8) + "Host key verification failed.\n"
        #expect(HandshakeCheck.sshFailure(changed) == "its host key does not match the pinned one: Host key verification failed.")
        #expect(HandshakeCheck.sshFailure("lunafleet@127.0.0.6: Permission denied (publickey).\r\n") == "lunafleet@127.0.0.6: Permission denied (publickey).")
        #expect(HandshakeCheck.sshFailure("") == "no message")
    }
}

/// The forced-command handshake against a real sshd on 127.0.0.6, with `ssh` run by the local executor
/// (as the check runs it from the scanning host).
@Suite("forced-command handshake, live", .serialized,
       .enabled(if: SSHFarm.available, "needs root, sshd, sudo, visudo and mount namespaces (unshare --mount)"))
struct HandshakeLiveTests {
    let local = LocalExecutor()

    /// Writes `configs/handshake/h` and runs the check.
    func handshake(_ refs: TempReferences, _ reference: String) throws -> CheckResult {
        try reference.write(toFile: refs.directory + "/handshake/h", atomically: true, encoding: .utf8)
        return HandshakeCheck().run(host: "h", executor: local, references: refs.references, timeout: .seconds(30))
    }

    @Test func answersOverItsDedicatedKeyAndEveryFailureIsNotOk() throws {
        let farm = try SSHFarm()
        defer { farm.shutdown() }
        let host = try farm.start(name: "fc", address: "127.0.0.6")
        let dedicated = try farm.generateKey("fc_key")
        try host.authorize(#"restrict,command="echo LUNA-HANDSHAKE-OK" "# + dedicated.publicKey)
        let stranger = try farm.generateKey("stranger_key")
        let knownHosts = try farm.knownHosts("known_hosts", [(host, nil)])
        let refs = try TempReferences(["handshake/.keep": ""])
        defer { refs.remove() }
        func reference(key: String = dedicated.path, banner: String = "LUNA-HANDSHAKE-OK", known: String = knownHosts) -> String {
            "target \(farm.user)@\(host.address)\nport \(host.port)\nkey \(key)\nbanner \(banner)\nknown_hosts \(known)\n"
        }

        let ok = try handshake(refs, reference())
        #expect(ok.status == .ok, "\(ok.detail)")
        #expect(ok.detail == "\(farm.user)@127.0.0.6 answered 'LUNA-HANDSHAKE-OK'")

        // The surface answers, but not what the reference expects.
        let other = try handshake(refs, reference(banner: "LUNA-HANDSHAKE-V2"))
        #expect(other.status == .drift)
        #expect(other.items.first?.summary == "\(farm.user)@127.0.0.6 did not answer its handshake 'LUNA-HANDSHAKE-V2': answered 'LUNA-HANDSHAKE-OK'")

        // A key sshd does not know is refused: drift naming the reason.
        let refused = try handshake(refs, reference(key: stranger.path))
        #expect(refused.status == .drift)
        #expect(refused.items.first?.summary.contains("Permission denied") == true, "\(refused.detail)")

        // The farm's unrestricted client key logs in but runs no forced command: no banner.
        let unforced = try handshake(refs, reference(key: farm.clientKey))
        #expect(unforced.status == .drift)
        #expect(unforced.items.first?.summary.contains("did not answer its handshake") == true, "\(unforced.detail)")

        // A known_hosts entry pinning another key: the connection is refused before any login.
        let wrongPin = try farm.knownHosts("known_hosts_wrong", [(host, try farm.strayPublicKey())])
        let mismatch = try handshake(refs, reference(known: wrongPin))
        #expect(mismatch.status != .ok)
        #expect(mismatch.items.first?.summary.hasSuffix("ssh failed: its host key does not match the pinned one: Host key verification failed.") == true,
                "\(mismatch.detail)")

        // sshd stopped: drift saying the connection was refused; back once it is restarted.
        host.stop()
        let down = try handshake(refs, reference())
        #expect(down.status == .drift)
        #expect(down.items.first?.summary.contains("Connection refused") == true, "\(down.detail)")
        try host.restart()
        #expect(try handshake(refs, reference()).status == .ok)
    }
}
