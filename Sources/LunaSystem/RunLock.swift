import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on the state directory, held by the one process that scans and executes.
///
/// Recovery (`executing → interrupted`) is only correct while no other process
/// can be executing; the lock makes that true. It is a `flock` on a file, so the
/// kernel releases it when the holder dies, even by `kill -9`. The holder's pid
/// is written into the file, for the message a second runner gets.
public final class RunLock: Sendable {
    /// Another process holds the lock.
    public struct Held: Error, CustomStringConvertible, Sendable, Equatable {
        /// The lock file.
        public var path: String
        /// The pid written by the holder, or "?" when it could not be read.
        public var holder: String

        public var description: String { "another luna run holds \(path) (pid \(holder)); stop it first" }
    }

    let fd: Int32
    /// The lock file, `<state directory>/run.lock`.
    public let path: String

    /// Takes the lock, or throws ``Held`` naming the holder's pid.
    ///
    /// - Throws: ``Held`` when another process has the lock; ``SystemError``
    ///   when the lock file cannot be opened, locked or written.
    public init(stateDirectory: String) throws {
        let path = stateDirectory + "/run.lock"
        let fd = try SystemCall.check("open", path: path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        do throws(SystemError) {
            try SystemCall.check("flock", path: path) { flock(fd, LOCK_EX | LOCK_NB) }
        } catch where error.code == EWOULDBLOCK {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            throw Held(path: path, holder: holder.isEmpty ? "?" : holder)
        } catch {
            close(fd)
            throw error
        }
        do throws(SystemError) {
            try SystemCall.check("ftruncate", path: path) { ftruncate(fd, 0) }
            let pid = Array("\(getpid())\n".utf8)
            let written = try SystemCall.check("pwrite", path: path) { pwrite(fd, pid, pid.count, 0) }
            // A regular file takes a few bytes at once; anything less is a full disk by another name.
            guard written == pid.count else { throw SystemError(call: "pwrite", code: ENOSPC, path: path) }
        } catch {
            close(fd)
            throw error
        }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }
}
