import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on the state directory, held by the one process that scans and executes.
///
/// Recovery (`executing → interrupted`) is only correct while no other process
/// can be executing; the lock makes that true. It is a `flock` on a file, so the
/// kernel releases it when the holder dies, even by `kill -9`.
public final class RunLock: Sendable {
    let fd: Int32

    /// Takes the lock or throws `AgentError.locked` naming the holder's pid.
    public init(stateDirectory: String) throws {
        let path = stateDirectory + "/run.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AgentError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            throw AgentError(.locked, "another luna run holds \(path) (pid \(holder)); stop it first")
        }
        _ = ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        self.fd = fd
    }

    deinit { close(fd) }
}
