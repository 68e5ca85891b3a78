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
