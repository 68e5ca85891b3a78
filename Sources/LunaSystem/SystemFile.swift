#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading small files through descriptors, every call checked by ``SystemCall``.
///
/// For files whose mode and owner matter (secrets) the caller opens once and
/// checks ``status(_:path:)`` on the same descriptor it reads, so the checks
/// describe the very file that is read.
public enum SystemFile {
    /// Opens `path` read-only (close-on-exec, never as a controlling terminal).
    ///
    /// - Throws: ``SystemError`` of the `open` call.
    public static func openForReading(_ path: String) throws(SystemError) -> Int32 {
        try SystemCall.check("open", path: path) { open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY) }
    }

    /// `fstat` of an open descriptor.
    public static func status(_ fd: Int32, path: String) throws(SystemError) -> stat {
        var info = stat()
        try SystemCall.check("stat", path: path) { fstat(fd, &info) }
        return info
    }

    /// Reads from `fd` until end of file, or until more than `limit` bytes were read.
    ///
    /// A result longer than `limit` means the file is over it; a huge (or
    /// endless) file costs at most the limit and one 64 KiB read. Files that
    /// report size 0 (`/proc`, pipes) are read to their end all the same.
    public static func readAll(_ fd: Int32, path: String, limit: Int = .max) throws(SystemError) -> [UInt8] {
        var result: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let count = try SystemCall.check("read", path: path) { read(fd, buffer.baseAddress, buffer.count) }
            if count == 0 { return result }
            result.append(contentsOf: buffer[0..<count])
            if result.count > limit { return result }
        }
    }

    /// Reads a whole file, stopping once past `limit` like ``readAll(_:path:limit:)``.
    public static func contents(_ path: String, limit: Int = .max) throws(SystemError) -> [UInt8] {
        let fd = try openForReading(path)
        defer { close(fd) }
        return try readAll(fd, path: path, limit: limit)
    }
}

extension SystemFile {
    /// Replaces `path` with `bytes` atomically: written to a temporary file in the
    /// same directory (named `.<name>.tmp`, so a collector globbing `*.prom` never
    /// reads it half written), given `mode` whatever the umask, flushed, then renamed over `path`.
    ///
    /// - Throws: ``SystemError`` of the failing call; the temporary file is removed.
    public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) throws(SystemError) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = (directory.isEmpty ? "" : directory) + "/." + name + ".tmp"
        unlink(temporary)   // a leftover from a crash
        let fd = try SystemCall.check("open", path: temporary) {
            open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        }
        do {
            try SystemCall.check("fchmod", path: temporary) { fchmod(fd, mode) }
            var offset = 0
            while offset < bytes.count {
                let n = try SystemCall.check("write", path: temporary) {
                    bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
                }
                offset += n
            }
            try SystemCall.check("fsync", path: temporary) { fsync(fd) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        do {
            try SystemCall.check("rename", path: path) { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
