import Foundation
import LunaSystem
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("systemd notification, the stop signal")
struct DaemonPlumbingTests {
    /// A bound Unix datagram socket at `path`, standing in for systemd's `$NOTIFY_SOCKET`.
    static func listen(at path: String) throws -> Int32 {
        let fd = try SystemCall.check("socket") { socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        try withUnsafePointer(to: &address) { pointer throws(SystemError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SystemError) in
                _ = try SystemCall.check("bind", path: path) { bind(fd, sa, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        return fd
    }

    @Test("a message reaches $NOTIFY_SOCKET as one datagram; the watchdog interval is half of WATCHDOG_USEC")
    func notifies() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let socketPath = scratch.path + "/notify"
        let fd = try Self.listen(at: socketPath)
        defer { close(fd) }
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "30000000"])
        #expect(notifier.watchdogInterval == .seconds(15))
        #expect(notifier.notify("READY=1\nSTATUS=scanning"))
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = try SystemCall.check("recv") { recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) }
        #expect(String(decoding: buffer[0..<n], as: UTF8.self) == "READY=1\nSTATUS=scanning")
    }

    @Test("without $NOTIFY_SOCKET nothing is sent; a watchdog meant for another pid is not ours")
    func outsideSystemd() {
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"))
        #expect(SystemdNotifier(environment: [:]).watchdogInterval == nil)
        let other = SystemdNotifier(environment: ["WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "\(getpid() + 1)"])
        #expect(other.watchdogInterval == nil)
    }

    @Test("SIGTERM, even when it was blocked, sets the stop flag instead of killing the process")
    func sigtermRequestsStop() throws {
        StopSignal.reset()
        #expect(!StopSignal.isRequested)
        // Started with SIGTERM blocked (inherited masks do that); install must unblock it.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        StopSignal.install()
        raise(SIGTERM)
        #expect(StopSignal.isRequested)
        StopSignal.reset()
        raise(SIGINT)
        #expect(StopSignal.isRequested)
        StopSignal.reset()
        // SIGPIPE is ignored: a write to a closed pipe is EPIPE, not death.
        var fds: [Int32] = [-1, -1]
        try SystemCall.check("pipe") { pipe(&fds) }
        close(fds[0])
        let error = try #require(throws: SystemError.self) { try SystemCall.check("write") { write(fds[1], "x", 1) } }
        close(fds[1])
        #expect(error.code == EPIPE)
    }
}
