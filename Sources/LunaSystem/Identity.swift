#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Look-ups in the password database and of the login, for messages and for naming the operator.
///
/// The reentrant `getpw*_r` calls are used, so two threads looking up users at
/// once never share libc's static entry. A user that does not exist, or a
/// database that cannot be read, gives nil: callers fall back to the number.
public enum SystemUser {
    /// The effective uid of this process (the one that opens files).
    public static var effectiveID: uid_t { geteuid() }

    /// The real uid of this process (the one that started it; differs under set-uid).
    public static var realID: uid_t { getuid() }

    /// The name of `uid` from the password database (`getpwuid_r`), or nil.
    public static func name(of uid: uid_t) -> String? {
        lookUp { entry, buffer, size, result in getpwuid_r(uid, entry, buffer, size, result) }?.name
    }

    /// The uid of the user called `name` (`getpwnam_r`), or nil when there is none.
    public static func id(named name: String) -> uid_t? {
        lookUp { entry, buffer, size, result in getpwnam_r(name, entry, buffer, size, result) }?.uid
    }

    /// `uid 65534 (nobody)`, or `uid 1234` when the user has no name.
    public static func describe(_ uid: uid_t) -> String {
        name(of: uid).map { "uid \(uid) (\($0))" } ?? "uid \(uid)"
    }

    /// The login name of the session's controlling terminal (`getlogin`), or nil.
    ///
    /// It survives `su` and `sudo`, so it names the person rather than the
    /// account a command runs as; it is nil without a terminal (systemd, cron).
    public static func loginName() -> String? {
        guard let login = getlogin() else { return nil }
        let name = String(cString: login)
        return name.isEmpty ? nil : name
    }

    /// Runs one `getpw*_r` call with a buffer that grows while the call answers `ERANGE`.
    private static func lookUp(
        _ call: (UnsafeMutablePointer<passwd>, UnsafeMutablePointer<CChar>, Int, UnsafeMutablePointer<UnsafeMutablePointer<passwd>?>) -> Int32
    ) -> (name: String, uid: uid_t)? {
        var size = 4096
        while size <= 1 << 20 {
            var buffer = [CChar](repeating: 0, count: size)
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            // pw_name points into `buffer`, so it is read inside this scope.
            let answer = buffer.withUnsafeMutableBufferPointer { storage -> (status: Int32, found: (String, uid_t)?) in
                guard let base = storage.baseAddress else { return (EINVAL, nil) }
                let status = call(&entry, base, storage.count, &result)
                guard status == 0, result != nil, let name = entry.pw_name else { return (status, nil) }
                return (0, (String(cString: name), entry.pw_uid))
            }
            if answer.status == ERANGE { size *= 4; continue }
            return answer.found.map { (name: $0.0, uid: $0.1) }
        }
        return nil
    }
}

/// Look-ups about this machine.
public enum SystemHost {
    /// This machine's short host name (up to the first dot), as sudo matches hosts.
    public static func shortName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(name.split(separator: ".").first ?? Substring(name))
    }
}
