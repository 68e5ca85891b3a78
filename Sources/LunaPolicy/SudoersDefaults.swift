/// The `Defaults` settings sudo 1.9 knows, with the type of value each takes,
/// and the checks visudo applies to a `Defaults` entry.
///
/// A `Defaults` entry sudo would reject (an unknown name, a value of the wrong
/// form, `+=` on a non-list) makes visudo refuse the file; Luna treats it as a
/// syntax error, so the reference allows nothing.
struct DefaultSetting: Sendable {
    enum Kind: Sendable { case flag, int, uint, mode, str, list, timeout, timespec, tuple, logfac, logpri, rlimit }
    let kind: Kind
    /// Whether `!name` (no value) is accepted for a non-flag.
    let bool: Bool
    /// A string value must start with `/`.
    let path: Bool
    /// A string value must start with `/`, `~` or be `*`.
    let chpath: Bool
    /// A list value is one item (spaces included), not split on blanks.
    let space: Bool

    init(_ kind: Kind, bool: Bool = false, path: Bool = false, chpath: Bool = false, space: Bool = false) {
        self.kind = kind
        self.bool = bool
        self.path = path
        self.chpath = chpath
        self.space = space
    }

    /// Values a tuple setting accepts; the first is its "false".
    static let tuples: [String: [String]] = [
        "lecture": ["never", "once", "always"], "listpw": ["never", "any", "all", "always"],
        "verifypw": ["never", "all", "any", "always"], "fdexec": ["never", "digest_only", "always"],
        "timestamp_type": ["global", "ppid", "tty", "kernel"], "log_format": ["sudo", "json"],
        "intercept_type": ["dso", "trace"],
    ]
    static let facilities: Set<String> = ["authpriv", "auth", "daemon", "user", "local0", "local1", "local2", "local3",
                                          "local4", "local5", "local6", "local7"]
    static let priorities: Set<String> = ["alert", "crit", "debug", "emerg", "err", "info", "notice", "warning", "none"]

    /// Every setting of sudo 1.9.13's sudoers plugin.
    static let table: [String: DefaultSetting] = [
        // flag 
        "long_otp_prompt": .init(.flag), 
        "ignore_dot": .init(.flag), 
        "mail_always": .init(.flag), 
        "mail_badpass": .init(.flag), 
        "mail_no_user": .init(.flag), 
        "mail_no_host": .init(.flag), 
        "mail_no_perms": .init(.flag), 
        "mail_all_cmnds": .init(.flag), 
        "tty_tickets": .init(.flag), 
        "authenticate": .init(.flag), 
        "root_sudo": .init(.flag), 
        "log_host": .init(.flag), 
        "log_year": .init(.flag), 
        "shell_noargs": .init(.flag), 
        "set_home": .init(.flag), 
        "always_set_home": .init(.flag), 
        "path_info": .init(.flag), 
        "fqdn": .init(.flag), 
        "insults": .init(.flag), 
        "requiretty": .init(.flag), 
        "env_editor": .init(.flag), 
        "rootpw": .init(.flag), 
        "runaspw": .init(.flag), 
        "targetpw": .init(.flag), 
        "use_loginclass": .init(.flag), 
        "set_logname": .init(.flag), 
        "stay_setuid": .init(.flag), 
        "preserve_groups": .init(.flag), 
        "passprompt_override": .init(.flag), 
        "noexec": .init(.flag), 
        "ignore_local_sudoers": .init(.flag), 
        "closefrom_override": .init(.flag), 
        "setenv": .init(.flag), 
        "env_reset": .init(.flag), 
        "visiblepw": .init(.flag), 
        "pwfeedback": .init(.flag), 
        "fast_glob": .init(.flag), 
        "umask_override": .init(.flag), 
        "log_input": .init(.flag), 
        "log_stdin": .init(.flag), 
        "log_ttyin": .init(.flag), 
        "log_output": .init(.flag), 
        "log_stdout": .init(.flag), 
        "log_stderr": .init(.flag), 
        "log_ttyout": .init(.flag), 
        "compress_io": .init(.flag), 
        "use_pty": .init(.flag), 
        "set_utmp": .init(.flag), 
        "utmp_runas": .init(.flag), 
        "exec_background": .init(.flag), 
        "pam_setcred": .init(.flag), 
        "pam_session": .init(.flag), 
        "pam_acct_mgmt": .init(.flag), 
        "use_netgroups": .init(.flag), 
        "sudoedit_checkdir": .init(.flag), 
        "sudoedit_follow": .init(.flag), 
        "always_query_group_plugin": .init(.flag), 
        "netgroup_tuple": .init(.flag), 
        "ignore_audit_errors": .init(.flag), 
        "ignore_iolog_errors": .init(.flag), 
        "ignore_logfile_errors": .init(.flag), 
        "match_group_by_gid": .init(.flag), 
        "ignore_unknown_defaults": .init(.flag), 
        "user_command_timeouts": .init(.flag), 
        "iolog_flush": .init(.flag), 
        "syslog_pid": .init(.flag), 
        "case_insensitive_user": .init(.flag), 
        "case_insensitive_group": .init(.flag), 
        "log_allowed": .init(.flag), 
        "log_denied": .init(.flag), 
        "log_server_keepalive": .init(.flag), 
        "log_server_verify": .init(.flag), 
        "runas_allow_unknown_id": .init(.flag), 
        "runas_check_shell": .init(.flag), 
        "pam_ruser": .init(.flag), 
        "pam_rhost": .init(.flag), 
        "selinux": .init(.flag), 
        "intercept": .init(.flag), 
        "log_subcmds": .init(.flag), 
        "log_exit_status": .init(.flag), 
        "intercept_authenticate": .init(.flag), 
        "intercept_allow_setid": .init(.flag), 
        "noninteractive_auth": .init(.flag), 
        "log_passwords": .init(.flag), 
        "intercept_verify": .init(.flag), 
        // int 
        "closefrom": .init(.int), 
        // list bool
        "env_check": .init(.list, bool: true), 
        "env_delete": .init(.list, bool: true), 
        "env_keep": .init(.list, bool: true), 
        "log_servers": .init(.list, bool: true), 
        // list bool space
        "passprompt_regex": .init(.list, bool: true, space: true), 
        // logfac bool
        "syslog": .init(.logfac, bool: true), 
        // logpri bool
        "syslog_goodpri": .init(.logpri, bool: true), 
        "syslog_badpri": .init(.logpri, bool: true), 
        // mode 
        "iolog_mode": .init(.mode), 
        // mode bool
        "umask": .init(.mode, bool: true), 
        // rlimit bool
        "rlimit_as": .init(.rlimit, bool: true), 
        "rlimit_core": .init(.rlimit, bool: true), 
        "rlimit_cpu": .init(.rlimit, bool: true), 
        "rlimit_data": .init(.rlimit, bool: true), 
        "rlimit_fsize": .init(.rlimit, bool: true), 
        "rlimit_locks": .init(.rlimit, bool: true), 
        "rlimit_memlock": .init(.rlimit, bool: true), 
        "rlimit_nofile": .init(.rlimit, bool: true), 
        "rlimit_nproc": .init(.rlimit, bool: true), 
        "rlimit_rss": .init(.rlimit, bool: true), 
        "rlimit_stack": .init(.rlimit, bool: true), 
        // str 
        "mailsub": .init(.str), 
        "badpass_message": .init(.str), 
        "timestampowner": .init(.str), 
        "passprompt": .init(.str), 
        "runas_default": .init(.str), 
        "role": .init(.str), 
        "type": .init(.str), 
        "sudoers_locale": .init(.str), 
        "group_plugin": .init(.str), 
        "iolog_file": .init(.str), 
        "privs": .init(.str), 
        "limitprivs": .init(.str), 
        "pam_service": .init(.str), 
        "pam_login_service": .init(.str), 
        "pam_askpass_service": .init(.str), 
        "maxseq": .init(.str), 
        "authfail_message": .init(.str), 
        "apparmor_profile": .init(.str), 
        // str bool
        "mailerflags": .init(.str, bool: true), 
        "mailto": .init(.str, bool: true), 
        "mailfrom": .init(.str, bool: true), 
        "exempt_group": .init(.str, bool: true), 
        "secure_path": .init(.str, bool: true), 
        "iolog_user": .init(.str, bool: true), 
        "iolog_group": .init(.str, bool: true), 
        // str bool chpath
        "runcwd": .init(.str, bool: true, chpath: true), 
        "runchroot": .init(.str, bool: true, chpath: true), 
        "admin_flag": .init(.str, bool: true, chpath: true), 
        // str bool path
        "lecture_file": .init(.str, bool: true, path: true), 
        "logfile": .init(.str, bool: true, path: true), 
        "mailerpath": .init(.str, bool: true, path: true), 
        "env_file": .init(.str, bool: true, path: true), 
        "restricted_env_file": .init(.str, bool: true, path: true), 
        "log_server_cabundle": .init(.str, bool: true, path: true), 
        "log_server_peer_cert": .init(.str, bool: true, path: true), 
        "log_server_peer_key": .init(.str, bool: true, path: true), 
        // str path
        "lecture_status_dir": .init(.str, path: true), 
        "timestampdir": .init(.str, path: true), 
        "editor": .init(.str, path: true), 
        "iolog_dir": .init(.str, path: true), 
        // timeout bool
        "command_timeout": .init(.timeout, bool: true), 
        "log_server_timeout": .init(.timeout, bool: true), 
        // timespec bool
        "timestamp_timeout": .init(.timespec, bool: true), 
        "passwd_timeout": .init(.timespec, bool: true), 
        // tuple 
        "timestamp_type": .init(.tuple), 
        "log_format": .init(.tuple), 
        "intercept_type": .init(.tuple), 
        // tuple bool
        "lecture": .init(.tuple, bool: true), 
        "listpw": .init(.tuple, bool: true), 
        "verifypw": .init(.tuple, bool: true), 
        "fdexec": .init(.tuple, bool: true), 
        // uint 
        "passwd_tries": .init(.uint), 
        "syslog_maxlen": .init(.uint), 
        // uint bool
        "loglinelen": .init(.uint, bool: true), 
    ]

    /// Why visudo would reject `name`/`!name`/`name op value`, or nil when it accepts it.
    static func rejection(name: String, negated: Bool, operation: DefaultEntry.Operation, value: String?) -> String? {
        guard let def = table[name] else { return "unknown Defaults entry \"\(name)\"" }
        var value = value
        if value == nil {
            switch def.kind {
            case .flag: break
            case .tuple where def.bool: break
            case .tuple, .logfac:
                // A bare tuple takes the default syslog facility as its value, which no tuple accepts.
                if !negated && def.kind == .tuple { return "value \"authpriv\" is invalid for option \"\(name)\"" }
            default:
                if !def.bool || !negated { return "no value specified for \"\(name)\"" }
            }
        }
        if operation == .add || operation == .remove, def.kind != .list {
            return "invalid operator \"\(operation.rawValue)\" for \"\(name)\""
        }
        guard let v = value else { return nil }
        value = v
        let invalid = "value \"\(v)\" is invalid for option \"\(name)\""
        switch def.kind {
        case .flag: return "option \"\(name)\" does not take a value"
        case .logfac: return facilities.contains(v) ? nil : invalid
        case .logpri: return priorities.contains(v) ? nil : invalid
        case .str:
            // visudo loads the locale; Luna cannot see which ones the host has, so only the built-in ones pass.
            if name == "sudoers_locale", !["C", "POSIX", "C.UTF-8", "C.utf8"].contains(v) {
                return "sudoers_locale=\(v): Luna cannot check that the host has this locale (only C, POSIX, C.UTF-8)"
            }
            if def.chpath {
                if !v.hasPrefix("/") && !v.hasPrefix("~") && v != "*" { return "values for \"\(name)\" must start with a '/', '~', or '*'" }
            } else if def.path, !v.hasPrefix("/") {
                return "values for \"\(name)\" must start with a '/'"
            }
            return v.utf8.count >= 4096 && (def.path || def.chpath) ? "path name for \"\(name)\" too long" : nil
        case .int: return Self.integer(v, min: Int(Int32.min), max: Int(Int32.max)) == nil ? invalid : nil
        case .uint: return Self.integer(v, min: 0, max: Int(UInt32.max)) == nil ? invalid : nil
        case .mode:
            guard let m = Self.cLong(v, radix: 8), m.rest.isEmpty, m.value >= 0, m.value <= 0o777 else { return invalid }
            return nil
        case .list: return nil
        case .timeout: return SudoersTime.timeout(v) == nil ? invalid : nil
        case .timespec: return Self.timespecValid(v) ? nil : invalid
        case .tuple: return (tuples[name] ?? []).contains(v) ? nil : invalid
        case .rlimit:
            if v == "user" || v == "default" { return nil }
            let parts = v.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let soft = parts[0], hard = parts.count > 1 ? parts[1] : parts[0]
            func limit(_ s: String, allowComma: Bool) -> Bool {
                if s == "infinity" { return true }
                guard let f = s.utf8.first, f >= 0x30, f <= 0x39 else { return false }
                return s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && UInt64(s) != nil
            }
            return limit(soft, allowComma: true) && limit(hard, allowComma: false) ? nil : invalid
        }
    }

    /// `strtol`: optional blanks, sign and digits; the value and the unparsed rest, nil when no digits.
    static func cLong(_ s: String, radix: Int) -> (value: Int, rest: Substring)? {
        var rest = Substring(s)
        while let c = rest.first, c == " " || c == "\t" || c == "\n" { rest = rest.dropFirst() }
        var sign = 1
        if rest.first == "+" || rest.first == "-" { sign = rest.first == "-" ? -1 : 1; rest = rest.dropFirst() }
        let digits = rest.prefix { $0.isASCII && $0.hexDigitValue.map { $0 < radix } == true }
        guard !digits.isEmpty else { return nil }
        let value = Int(digits, radix: radix).map { $0 * sign } ?? (sign > 0 ? Int.max : Int.min)
        return (value, rest.dropFirst(digits.count))
    }

    /// sudo's `strtonum`: the whole string a decimal number within bounds.
    static func integer(_ s: String, min: Int, max: Int) -> Int? {
        guard let r = cLong(s, radix: 10), r.rest.isEmpty, r.value >= min, r.value <= max else { return nil }
        return r.value
    }

    /// Minutes with an optional sign and decimal fraction (`timestamp_timeout=1.5`).
    static func timespecValid(_ s: String) -> Bool {
        var u = Substring(s)
        if u.first == "+" || u.first == "-" { u = u.dropFirst() }
        let whole = u.prefix { $0 != "." }
        guard whole.allSatisfy({ $0.isASCII && $0.isNumber }), whole.count < 17 else { return false }
        u = u.dropFirst(whole.count)
        if u.first == "." { return u.dropFirst().prefix(9).allSatisfy { $0.isASCII && $0.isNumber } }
        return true
    }
}
