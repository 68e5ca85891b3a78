import LunaSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on a small file beside the database, held while a new
/// database file is switched to WAL so that concurrent first opens take turns.
///
/// Best effort by design: when the lock file cannot be opened (a read-only
/// directory) or the lock is not granted before the deadline, the caller goes
/// on unlocked and relies on its busy retries. The lock is released on
/// ``release()`` or when the process dies (the kernel drops `flock`s with the
/// last descriptor), so a crash never leaves it held.
struct OpenLock {
    private let fd: Int32
    private let path: String

    /// Opens (creating, mode 0600) the lock file; no lock is taken yet.
    init(path: String) {
        self.path = path
        fd = (try? SystemCall.check("open", path: path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600) }) ?? -1
    }

    /// Takes the exclusive lock, waiting at most until `deadline`.
    ///
    /// - Returns: Whether the lock is held.
    @discardableResult
    func acquire(until deadline: ContinuousClock.Instant) -> Bool {
        guard fd >= 0 else { return false }
        while true {
            do throws(SystemError) {
                try SystemCall.check("flock", path: path) { flock(fd, LOCK_EX | LOCK_NB) }
                return true
            } catch {
                guard error.code == EWOULDBLOCK, ContinuousClock.now < deadline else { return false }
                usleep(2_000)
            }
        }
    }

    /// Releases the lock and closes the file. The file itself stays: removing it
    /// would let a waiter lock an unlinked inode while a newcomer locks a new one.
    func release() {
        guard fd >= 0 else { return }
        _ = flock(fd, LOCK_UN)
        close(fd)
    }
}
