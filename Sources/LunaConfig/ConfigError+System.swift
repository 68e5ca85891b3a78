import LunaSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ConfigError {
    /// A failed C call on a configuration or secret file, as an `.io` error naming the file.
    ///
    /// - Parameters:
    ///   - error: The failed call, from LunaSystem.
    ///   - path: The file, used as the error's `file`.
    ///   - what: How the file is named in the message ("config file", "secret file").
    init(_ error: SystemError, path: String, what: String) {
        self.init(
            file: path, position: .wholeFile,
            message: "cannot \(error.call) \(what): \(error.reason) (errno \(error.code))", kind: .io)
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

/// Reads the files this room parses, with LunaSystem's checked calls and a size limit.
enum ConfigFileReader {
    /// Reads a whole file of at most `limit` bytes.
    ///
    /// The size is checked with `fstat` before reading, so an oversized file is
    /// refused without being read; the read itself is bounded too, for files
    /// that grow or report no size (pipes, `/proc`).
    static func read(_ path: String, what: String, limit: Int) throws(ConfigError) -> [UInt8] {
        let fd = try checked(path, what: what) { () throws(SystemError) in try SystemFile.openForReading(path) }
        defer { close(fd) }
        let size = Int(try checked(path, what: what) { () throws(SystemError) in try SystemFile.status(fd, path: path) }.st_size)
        if size > limit { throw ConfigError.tooLarge(path, what: what, size: size, limit: limit) }
        let bytes = try checked(path, what: what) { () throws(SystemError) in try SystemFile.readAll(fd, path: path, limit: limit) }
        if bytes.count > limit { throw ConfigError.tooLarge(path, what: what, size: nil, limit: limit) }
        return bytes
    }

    /// Runs LunaSystem calls on `path`, turning their ``SystemError`` into this room's error.
    static func checked<T>(_ path: String, what: String, _ body: () throws(SystemError) -> T) throws(ConfigError) -> T {
        do throws(SystemError) {
            return try body()
        } catch {
            throw ConfigError(error, path: path, what: what)
        }
    }
}
