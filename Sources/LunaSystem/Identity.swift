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

    /// The account `name` from the password database, with its groups; nil when there is none.
    public static func account(named name: String) -> SystemAccount? {
        lookUp { entry, buffer, size, result in getpwnam_r(name, entry, buffer, size, result) }.map(withGroups)
    }

    /// The account of `uid` from the password database, with its groups; nil when there is none.
    public static func account(id uid: uid_t) -> SystemAccount? {
        lookUp { entry, buffer, size, result in getpwuid_r(uid, entry, buffer, size, result) }.map(withGroups)
    }

    /// The name of group `gid` from the group database (`getgrgid_r`), or nil.
    public static func groupName(of gid: gid_t) -> String? {
        var size = 4096
        while size <= 1 << 20 {
            var buffer = [CChar](repeating: 0, count: size)
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            let answer = buffer.withUnsafeMutableBufferPointer { storage -> (status: Int32, name: String?) in
                guard let base = storage.baseAddress else { return (EINVAL, nil) }
                let status = getgrgid_r(gid, &entry, base, storage.count, &result)
                guard status == 0, result != nil, let name = entry.gr_name else { return (status, nil) }
                return (0, String(cString: name))
            }
            if answer.status == ERANGE { size *= 4; continue }
            return answer.name
        }
        return nil
    }

    /// Adds the groups (`getgrouplist`) to an entry from the password database.
    private static func withGroups(_ entry: Entry) -> SystemAccount {
        var count: Int32 = 64
        var gids = [gid_t](repeating: 0, count: 64)
        if getgrouplist(entry.name, entry.gid, &gids, &count) < 0 {
            // count now holds how many there are; one more call with room for all.
            gids = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(entry.name, entry.gid, &gids, &count)
        }
        let groups = gids.prefix(Int(max(count, 0))).map { SystemAccount.Group(id: $0, name: groupName(of: $0)) }
        return SystemAccount(name: entry.name, uid: entry.uid, gid: entry.gid, shell: entry.shell, groups: groups)
    }

    /// The fields of a `passwd` entry that Luna reads, copied out of libc's buffer.
    private struct Entry {
        var name: String
        var uid: uid_t
        var gid: gid_t
        var shell: String
    }

    /// Runs one `getpw*_r` call with a buffer that grows while the call answers `ERANGE`.
    private static func lookUp(
        _ call: (UnsafeMutablePointer<passwd>, UnsafeMutablePointer<CChar>, Int, UnsafeMutablePointer<UnsafeMutablePointer<passwd>?>) -> Int32
    ) -> Entry? {
        var size = 4096
        while size <= 1 << 20 {
            var buffer = [CChar](repeating: 0, count: size)
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            // The strings point into `buffer`, so they are copied inside this scope.
            let answer = buffer.withUnsafeMutableBufferPointer { storage -> (status: Int32, found: Entry?) in
                guard let base = storage.baseAddress else { return (EINVAL, nil) }
                let status = call(&entry, base, storage.count, &result)
                guard status == 0, result != nil, let name = entry.pw_name else { return (status, nil) }
                let shell = entry.pw_shell.map { String(cString: $0) } ?? ""
                return (0, Entry(name: String(cString: name), uid: entry.pw_uid, gid: entry.pw_gid, shell: shell))
            }
            if answer.status == ERANGE { size *= 4; continue }
            return answer.found
        }
        return nil
    }
}

/// An account of this machine: its name, ids, login shell and groups.
public struct SystemAccount: Sendable, Equatable {
    /// One group the account is in.
    public struct Group: Sendable, Equatable {
        public var id: gid_t
        /// The group's name, or nil when the group database has none for `id`.
        public var name: String?

        public init(id: gid_t, name: String?) {
            self.id = id
            self.name = name
        }
    }

    public var name: String
    public var uid: uid_t
    /// The primary group.
    public var gid: gid_t
    public var shell: String
    /// Every group the account is in, as `getgrouplist` lists them (the primary group included).
    public var groups: [Group]

    public init(name: String, uid: uid_t, gid: gid_t, shell: String, groups: [Group]) {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.shell = shell
        self.groups = groups
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
