#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX file calls this room makes, every return code checked in one place.
///
/// Internal: callers see ``ConfigError`` values (file, `.io` kind, the reason from
/// `strerror`), never C types or raw errno.
enum POSIXFile {
    /// Runs a system call, retrying on `EINTR`, and turns `-1` into a ``ConfigError``.
    ///
    /// - Parameters:
    ///   - operation: What we were doing, for the message ("open", "read").
    ///   - path: The file, used as the error's `file`.
    ///   - what: How the file is named in the message ("config file", "secret file").
    ///   - body: The call; returns -1 and sets errno on failure.
    /// - Returns: The call's non-negative result.
    /// - Throws: ``ConfigError`` of kind `.io` naming the path and the reason.
    @discardableResult
    static func syscall<T: FixedWidthInteger>(
        _ operation: String, path: String, what: String, _ body: () -> T
    ) throws(ConfigError) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            let reason = String(cString: strerror(code))
            throw ConfigError(
                file: path, position: .wholeFile,
                message: "cannot \(operation) \(what): \(reason) (errno \(code))", kind: .io)
        }
    }

    /// Opens `path` read-only.
    static func openForReading(_ path: String, what: String) throws(ConfigError) -> Int32 {
        try syscall("open", path: path, what: what) { open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY) }
    }

    /// Reads everything from `fd` until end of file, refusing more than `limit` bytes.
    ///
    /// - Parameters:
    ///   - limit: The most bytes accepted; reading stops one byte past it, so a
    ///     huge (or endless) file costs no more than the limit.
    static func readAll(_ fd: Int32, path: String, what: String, limit: Int = .max) throws(ConfigError) -> [UInt8] {
        var result: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let count = try syscall("read", path: path, what: what) { read(fd, buffer.baseAddress, buffer.count) }
            if count == 0 { return result }
            result.append(contentsOf: buffer[0..<count])
            if result.count > limit { throw tooLarge(path, what: what, size: nil, limit: limit) }
        }
    }

    /// Reads a whole file of at most `limit` bytes.
    ///
    /// The size is checked with `fstat` before reading, so an oversized file is
    /// refused without being read; the read itself is bounded too, for files
    /// that grow or report no size (pipes, `/proc`).
    static func readFile(_ path: String, what: String, limit: Int = .max) throws(ConfigError) -> [UInt8] {
        let fd = try openForReading(path, what: what)
        defer { close(fd) }
        var info = stat()
        try syscall("stat", path: path, what: what) { fstat(fd, &info) }
        if Int(info.st_size) > limit { throw tooLarge(path, what: what, size: Int(info.st_size), limit: limit) }
        return try readAll(fd, path: path, what: what, limit: limit)
    }

    /// The error for a file over its size limit, naming the size and the limit.
    static func tooLarge(_ path: String, what: String, size: Int?, limit: Int) -> ConfigError {
        let shown = size.map { "is \($0) bytes" } ?? "is larger than that"
        return ConfigError(
            file: path, position: .wholeFile,
            message: "the \(what) \(shown), over the limit of \(limit) bytes (\(limit >> 20) MiB); "
                + "a configuration this large is not a Luna configuration — check the path",
            kind: .io)
    }
}
