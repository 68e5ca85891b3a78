// The parsed form of a sudoers reference. Internal: callers see `Sudoers`.

/// One entry of a user, host, runas or group list.
struct Member: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case all
        /// A user name, host name (may contain wildcards), `#uid` or group name.
        case word(String)
        /// `%group`, `%#gid` (the text after `%`; `%:` non-Unix groups keep the colon).
        case group(String)
        case netgroup(String)
        case address(String)
        case alias(String)
        /// An empty runas user list `()`: the invoking user.
        case myself
        /// An alias with its members inlined (built once after parsing, so
        /// matching needs no lookups).
        indirect case resolved(String, [Member])
    }
    var negated: Bool
    var kind: Kind
}

/// A command in a Cmnd_Spec or Cmnd_Alias.
struct Command: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case all
        case alias(String)
        /// A path (possibly with wildcards, or ending in `/`), `sudoedit`, or a
        /// `^…$` regular expression; `args` nil = any arguments.
        case path(String, args: String?)
        /// A Cmnd_Alias with its commands inlined.
        indirect case resolved(String, [Command])
    }
    var negated: Bool
    var kind: Kind
    var digests: [Digest]
}

/// A `sha256:…` style digest a command must have.
struct Digest: Sendable, Hashable {
    var algorithm: String
    var value: String
}

/// One command with its runas lists, tags and options (after carry-forward).
struct CmndSpec: Sendable {
    var runasUsers: [Member]?
    var runasGroups: [Member]?
    /// Tag name (e.g. "PASSWD") to on/off; NOPASSWD is stored as PASSWD=false.
    var tags: [String: Bool]
    var options: [String: String]
    var command: Command
    /// `NOTBEFORE=` and `NOTAFTER=`, parsed.
    var notBefore: RuleTime? = nil
    var notAfter: RuleTime? = nil
    var file: String
    var line: Int
}

/// `host_list = cmnd_spec, …`
struct Privilege: Sendable {
    var hosts: [Member]
    var commands: [CmndSpec]
}

/// `user_list host_list = … : host_list = …`
struct UserSpec: Sendable {
    var users: [Member]
    var privileges: [Privilege]
    var file: String
    var line: Int
    var text: String
}

enum AliasKind: String, Sendable {
    case user = "User_Alias", runas = "Runas_Alias", host = "Host_Alias", command = "Cmnd_Alias"
}

/// An alias definition.
struct AliasDefinition: Sendable {
    var kind: AliasKind
    var name: String
    var members: [Member]
    var commands: [Command]
    var file: String
    var line: Int
}

/// A `Defaults` entry, with its scope.
struct DefaultEntry: Sendable {
    enum Scope: Sendable {
        case global
        case user([Member])
        case host([Member])
        case runas([Member])
        case command([Command])
    }
    enum Operation: String, Sendable { case set = "=", add = "+=", remove = "-=", flag = "" }
    var scope: Scope
    var name: String
    var negated: Bool
    var operation: Operation
    var value: String?
    var file: String
    var line: Int
}
