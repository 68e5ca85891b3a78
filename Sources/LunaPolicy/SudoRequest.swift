#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LunaSystem

/// How a command path is compared with the paths in a rule.
public enum PathResolution: Sendable, Equatable {
    /// Compare the resolved files on this machine, as sudo does (so on a usrmerge
    /// system /bin/ls matches a rule for /usr/bin/ls). The program must exist.
    case local
    /// Compare canonical path strings: for a remote host whose files Luna cannot
    /// see. With `usrmerge`, /bin and /sbin are read as /usr/bin and /usr/sbin.
    case canonical(usrmerge: Bool)
}

/// An account on the host that a command may run as (`sudo -u`): what sudo
/// would read from the host's passwd and group databases.
public struct SudoAccount: Sendable, Codable, Equatable {
    /// The login name.
    public var name: String
    /// The numeric user id.
    public var uid: Int
    /// All groups of the account, primary included, as names and `#gid` entries.
    public var groups: [String]
    /// The login shell (`runas_check_shell`); nil when not known.
    public var shell: String?

    /// Creates an account.
    ///
    /// - Parameters:
    ///   - name: The login name.
    ///   - uid: The user id.
    ///   - groups: Its groups (names and `#gid`).
    ///   - shell: Its login shell, if known.
    public init(name: String, uid: Int, groups: [String] = [], shell: String? = nil) {
        self.name = name
        self.uid = uid
        self.groups = groups
        self.shell = shell
    }
}

/// One question for the matcher: may `user` run `argv` on `host` as `runasUser`?
///
/// Facts about the host that the request does not carry (its addresses, its
/// accounts, its valid shells) are unknown, and the matcher fails closed on
/// them: an unknown fact never makes a rule allow, and always lets a negated
/// entry deny.
public struct SudoRequest: Sendable {
    /// The invoking user (the agent's identity).
    public var user: String
    /// All groups of the user, primary included (names; `#gid` entries allowed).
    public var groups: [String]
    /// The host name the reference is evaluated for.
    public var host: String
    /// The target user (`sudo -u`).
    public var runasUser: String
    /// The target group (`sudo -g`), if any.
    public var runasGroup: String?
    /// Whether the target user is given explicitly (`sudo -u`); Luna's executor always gives it.
    public var runasUserSpecified: Bool
    /// The command: an absolute path (or `sudoedit`) and its arguments.
    public var argv: [String]
    /// How program paths are compared.
    public var paths: PathResolution
    /// The user's numeric id, for `#uid` entries.
    public var uid: Int?
    /// The user who runs sudo, when it is not `user`: for `sudo -l -U luna` run
    /// by root this is root, and sudo's "run as yourself" rules (`()` and
    /// group-only runas specs) then refer to root. Nil means `user`.
    public var invokingUser: String?
    /// The instant `NOTBEFORE=`/`NOTAFTER=` are compared with.
    public var now: Date
    /// The host's network addresses (`192.0.2.10/24`, `fd00::2/64`; the prefix
    /// length is its netmask), loopback excluded as sudo does; nil when unknown.
    public var hostAddresses: [String]?
    /// Accounts of the host that commands may run as (root and `user` are known without it).
    public var accounts: [SudoAccount]
    /// Group names of the host and their ids, for `#gid` entries and `-g`.
    public var groupIDs: [String: Int]
    /// The host's valid login shells (/etc/shells), for `runas_check_shell`; nil when unknown.
    public var loginShells: [String]?
    /// Whether the question is `sudo -l command` rather than running it: sudo
    /// then skips per-command Defaults (`Defaults!/usr/bin/id requiretty`).
    /// Luna's gate always asks about running (false).
    public var checkOnly = false

    /// The user that "run as yourself" refers to.
    var invoker: String { invokingUser ?? user }

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - user: The invoking user, `luna` by default.
    ///   - groups: The user's groups (from the inventory, not this machine's passwd).
    ///   - host: The host name.
    ///   - runasUser: The target user, `root` by default.
    ///   - runasGroup: The target group, if any.
    ///   - runasUserSpecified: Whether `-u` is given (true: Luna always passes it).
    ///   - argv: The command.
    ///   - paths: How paths are compared.
    ///   - uid: The user's numeric id, if `#uid` rules should match.
    ///   - invokingUser: Who runs sudo, when not `user`.
    ///   - now: The clock for time-bounded rules (the real clock by default).
    ///   - hostAddresses: The host's addresses, nil when unknown.
    ///   - accounts: Target accounts of the host.
    ///   - groupIDs: Group names to ids on the host.
    ///   - loginShells: The host's /etc/shells, nil when unknown.
    public init(user: String = "luna", groups: [String] = [], host: String, runasUser: String = "root",
                runasGroup: String? = nil, runasUserSpecified: Bool = true, argv: [String],
                paths: PathResolution = .canonical(usrmerge: true), uid: Int? = nil, invokingUser: String? = nil,
                now: Date = Date(), hostAddresses: [String]? = nil, accounts: [SudoAccount] = [],
                groupIDs: [String: Int] = [:], loginShells: [String]? = nil) {
        self.invokingUser = invokingUser
        self.user = user
        self.groups = groups
        self.host = host
        self.runasUser = runasUser
        self.runasGroup = runasGroup
        self.runasUserSpecified = runasUserSpecified
        self.argv = argv
        self.paths = paths
        self.uid = uid
        self.now = now
        self.hostAddresses = hostAddresses
        self.accounts = accounts
        self.groupIDs = groupIDs
        self.loginShells = loginShells
    }

    /// This machine's addresses as sudo sees them: every address of an
    /// interface that is up and not loopback, with its prefix length.
    public static func localInterfaceAddresses() -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>? = nil
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var out: [String] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let ifa = cursor {
            defer { cursor = ifa.pointee.ifa_next }
            let flags = Int32(ifa.pointee.ifa_flags)
            guard flags & Int32(IFF_UP) != 0, flags & Int32(IFF_LOOPBACK) == 0,
                  let addr = ifa.pointee.ifa_addr, let mask = ifa.pointee.ifa_netmask else { continue }
            let family = Int32(addr.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            func bytes(_ sa: UnsafeMutablePointer<sockaddr>) -> [UInt8] {
                if family == AF_INET {
                    return sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                        withUnsafeBytes(of: p.pointee.sin_addr) { Array($0) }
                    }
                }
                return sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                    withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
                }
            }
            let a = bytes(addr), m = bytes(mask)
            let prefix = m.reduce(0) { $0 + $1.nonzeroBitCount }
            out.append(HostAddress.format(a) + "/\(prefix)")
        }
        return out
    }

    /// This machine's valid login shells as `getusershell(3)` reads /etc/shells
    /// (`/bin/sh` and `/bin/csh` when the file is missing).
    public static func localLoginShells(path: String = "/etc/shells") -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return ["/bin/sh", "/bin/csh"] }
        var out: [String] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard trimmed.first == "/" else { continue }
            out.append(String(trimmed.prefix { $0 != " " && $0 != "\t" && $0 != "#" }))
        }
        return out
    }

    /// Accounts of this machine by name or `#uid` (its passwd and group databases).
    public static func localAccounts(_ names: [String]) -> [SudoAccount] {
        names.compactMap { name -> SudoAccount? in
            let found = name.hasPrefix("#")
                ? UInt32(name.dropFirst()).flatMap { SystemUser.account(id: $0) } : SystemUser.account(named: name)
            guard let account = found else { return nil }
            var groups: [String] = []
            for group in account.groups {
                if let groupName = group.name { groups.append(groupName) }
                groups.append("#\(group.id)")
            }
            return SudoAccount(name: account.name, uid: Int(account.uid), groups: groups, shell: account.shell)
        }
    }
}
