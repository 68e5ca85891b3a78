#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place where C return codes become ``FleetError``s.
///
/// Two C conventions meet here: classic syscalls return -1 and set `errno`,
/// while the `posix_spawn*` family returns the error number itself.
enum POSIXCall {
    /// How a C function reports failure.
    enum Convention {
        /// Returns -1 and sets `errno` (`pipe2`, `fcntl`, ...).
        case minusOneSetsErrno
        /// Returns 0 or the error number (`posix_spawn*`).
        case returnsErrorNumber
    }

    /// Runs `body` and throws when it reports failure.
    ///
    /// - Parameters:
    ///   - what: The C call, named in the error message.
    ///   - convention: How `body` reports failure.
    ///   - kind: The error kind to throw (``FleetError/Kind/spawnFailed`` by default).
    ///   - argv: The argv being run, for context.
    ///   - body: The C call.
    /// - Returns: The call's return value on success.
    /// - Throws: ``FleetError`` naming the call and `strerror` of the error number.
    @discardableResult
    static func check(
        _ what: String, _ convention: Convention = .minusOneSetsErrno,
        kind: FleetError.Kind = .spawnFailed, argv: [String],
        _ body: () -> Int32
    ) throws(FleetError) -> Int32 {
        while true {
            let rc = body()
            let code: Int32
            switch convention {
            case .minusOneSetsErrno:
                guard rc == -1 else { return rc }
                code = errno
            case .returnsErrorNumber:
                guard rc != 0 else { return rc }
                code = rc
            }
            if code == EINTR { continue }
            throw FleetError(kind, "\(what) failed: \(errorText(code)) (errno \(code))", argv: argv)
        }
    }

    /// `strerror` as a Swift string.
    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "unknown error" }
        return String(cString: text)
    }
}
