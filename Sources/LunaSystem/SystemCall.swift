#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed C call: which call, the error number, its `strerror` text and the file, if any.
///
/// Every room that talks to the kernel reports failures as this value (or wraps
/// it into its own error type), so a person reading a log sees the same shape
/// everywhere: what was attempted, on what, why it failed, and what to check.
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The C call as named in the message (`open`, `flock`, `posix_spawn /bin/ls`).
    public var call: String
    /// The error number (`errno`, or the value a `posix_spawn*` call returned).
    public var code: Int32
    /// `strerror(code)`: "No such file or directory".
    public var reason: String
    /// The file the call was about, when there is one.
    public var path: String?

    public init(call: String, code: Int32, path: String? = nil) {
        self.call = call
        self.code = code
        self.reason = SystemCall.errorText(code)
        self.path = path
    }

    /// `open /etc/luna/luna.toml failed: No such file or directory (errno 2); check that the path exists`.
    public var description: String {
        let subject = path.map { "\(call) \($0)" } ?? call
        let hint = self.hint.map { "; \($0)" } ?? ""
        return "\(subject) failed: \(reason) (errno \(code))\(hint)"
    }

    /// What to look at for the common error numbers; nil when there is nothing better to say.
    public var hint: String? {
        switch code {
        case ENOENT: return path == nil ? nil : "check that the path exists"
        case EACCES, EPERM:
            return "check the permissions" + (path.map { " of \($0) and its directories" } ?? "")
                + " for uid \(geteuid())"
        case ENOSPC, EDQUOT: return "the file system is full; free space"
        case EROFS: return "the file system is mounted read-only"
        case EMFILE, ENFILE: return "too many open files; raise the limit (LimitNOFILE=) or look for a leak"
        case EBADF: return "the file descriptor is not open (a bug in the caller)"
        case ENOTDIR: return path == nil ? nil : "a component of the path is not a directory"
        default: return nil
        }
    }
}

/// The one place where C return codes become ``SystemError``s.
///
/// Two C conventions meet here: classic syscalls return -1 and set `errno`,
/// while the `posix_spawn*` family returns the error number itself. `EINTR` is
/// retried, so callers never see an interrupted call.
public enum SystemCall {
    /// How a C function reports failure.
    public enum Convention: Sendable {
        /// Returns -1 and sets `errno` (`open`, `read`, `pipe2`, `flock`, ...).
        case minusOneSetsErrno
        /// Returns 0 or the error number (`posix_spawn*`, `pthread_*`).
        case returnsErrorNumber
    }

    /// Runs `body` and throws when it reports failure.
    ///
    /// - Parameters:
    ///   - call: The C call, named in the error.
    ///   - path: The file the call is about, named in the error.
    ///   - convention: How `body` reports failure.
    ///   - body: The C call.
    /// - Returns: The call's return value on success.
    /// - Throws: ``SystemError`` naming the call, the path and `strerror` of the error number.
    @discardableResult
    public static func check<T: FixedWidthInteger>(
        _ call: String, path: String? = nil, _ convention: Convention = .minusOneSetsErrno,
        _ body: () -> T
    ) throws(SystemError) -> T {
        while true {
            let rc = body()
            let code: Int32
            switch convention {
            case .minusOneSetsErrno:
                guard rc == -1 else { return rc }
                code = errno
            case .returnsErrorNumber:
                guard rc != 0 else { return rc }
                code = Int32(truncatingIfNeeded: rc)
            }
            if code == EINTR { continue }
            throw SystemError(call: call, code: code, path: path)
        }
    }

    /// `strerror` as a Swift string.
    public static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "unknown error" }
        return String(cString: text)
    }
}
