import Foundation
import LunaText

/// The deterministic gate every proposed command passes: the host's sudoers
/// reference (real sudo semantics) plus classification plus structural rules.
///
/// Refused: a host not in the inventory, an empty argv, arguments with a
/// control character (C0, DEL, C1) or a bidi control, a relative program
/// path, a missing reference or one with a syntax error, nested sudo/su/doas/pkexec, a shell or interpreter given code, env /
/// xargs / find -exec / awk / nice / nohup / timeout / stdbuf / setsid / chroot
/// running another command (unless the reference names that exact command
/// line), programs with shell escapes (unless sudoedit or NOEXEC), and anything
/// the reference does not allow. Destructive actions escalate: never allowed.
public struct Gate: Sendable {
    /// Folder with `luna-<host>` sudoers references.
    public let sudoersDirectory: String
    /// The inventory: host name to policy.
    public let hosts: [String: HostPolicy]
    /// The classifier.
    public let classifier: Classifier
    /// The identity commands run as.
    public let user: String
    /// The `Cmnd_Alias` names whose commands the operator declared read-only.
    public let readOnlyAliases: Set<String>
    /// The clock time-bounded rules (`NOTBEFORE=`/`NOTAFTER=`) are judged by.
    public let now: @Sendable () -> Date

    /// The read-only alias every reference uses unless the configuration names others.
    public static let defaultReadOnlyAliases: Set<String> = ["LUNA_READ"]

    /// Creates a gate.
    ///
    /// - Parameters:
    ///   - sudoersDirectory: Folder holding `luna-<host>` files.
    ///   - hosts: The inventory.
    ///   - classifier: The classifier (built-in knowledge by default).
    ///   - user: The identity, `luna` by default.
    ///   - readOnlyAliases: The declared read-only command aliases (`LUNA_READ` by default).
    ///   - now: The clock for time-bounded rules (the real clock by default).
    public init(sudoersDirectory: String, hosts: [String: HostPolicy], classifier: Classifier = Classifier(), user: String = "luna",
                readOnlyAliases: Set<String> = Gate.defaultReadOnlyAliases, now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
        self.sudoersDirectory = sudoersDirectory
        self.hosts = hosts
        self.classifier = classifier
        self.user = user
        self.readOnlyAliases = readOnlyAliases
    }

    static let shells: Set<String> = ["sh", "bash", "dash", "zsh", "ksh", "mksh", "fish", "csh", "tcsh", "ash", "busybox"]
    static let interpreters: [String: Set<String>] = [
        "perl": ["-e", "-E"], "ruby": ["-e"], "node": ["-e", "--eval", "-p", "--print"], "nodejs": ["-e", "--eval", "-p"],
        "php": ["-r"], "lua": ["-e"], "tclsh": [], "osascript": ["-e"],
    ]
    static let elevators: Set<String> = ["sudo", "su", "doas", "pkexec", "run0", "sudoedit", "runuser", "setpriv", "machinectl"]
    static let wrappers: Set<String> = ["env", "xargs", "nice", "nohup", "timeout", "stdbuf", "setsid", "chroot", "ionice",
                                        "taskset", "flock", "watch", "unshare", "nsenter", "strace", "ltrace", "time", "script", "parallel"]
    static let awks: Set<String> = ["awk", "gawk", "mawk", "nawk", "busybox-awk"]
    static let shellEscapes: Set<String> = ["less", "more", "most", "pg", "vi", "vim", "nvim", "view", "vimdiff", "rvim", "nano", "pico",
                                            "emacs", "ed", "ex", "man", "ftp", "sftp", "telnet", "gdb", "mysql", "psql", "sqlite3",
                                            "git", "tmux", "screen", "mc", "joe", "red", "lftp"]

    /// Evaluates one proposed command.
    ///
    /// - Parameters:
    ///   - host: Inventory host name.
    ///   - argv: The command as an argv array (no shell).
    ///   - runas: Target user, `root` by default.
    /// - Returns: allowed, refused or escalate, with reasons, sudo's decision and the classification.
    public func evaluate(host: String, argv: [String], runas: String = "root") -> GateVerdict {
        let classification = classifier.classify(argv)
        func refuse(_ reason: String, _ sudo: SudoDecision? = nil) -> GateVerdict {
            GateVerdict(outcome: .refused, reasons: [reason], sudo: sudo, classification: classification)
        }
        guard let policy = hosts[host] else { return refuse("host '\(host)' is not in the inventory") }
        guard let program = argv.first, !program.isEmpty else { return refuse("the command is empty") }
        if let reason = Self.unprintableArgument(argv) { return refuse(reason) }
        guard program.hasPrefix("/") || program == "sudoedit" else {
            return refuse("'\(program)' is a relative program path; give the absolute path (sudoers rules name absolute paths)")
        }
        let path = (sudoersDirectory as NSString).appendingPathComponent("luna-\(host)")
        guard FileManager.default.fileExists(atPath: path) else {
            return refuse("no sudoers reference for \(host) (expected \(path)); luna may do nothing there")
        }
        let sudoers: Sudoers
        do { sudoers = try Sudoers.load(path: path) } catch {
            return refuse("the sudoers reference for \(host) has an error, so it allows nothing: \(error)")
        }
        return judge(request(host: host, policy: policy, argv: argv, runas: runas), by: sudoers, hostLabel: host)
    }

    /// The question the gate asks sudo's rules for a host: the inventory's
    /// facts about it, and for this machine its own addresses, accounts and
    /// shells where the inventory leaves them out.
    ///
    /// - Parameters:
    ///   - host: The inventory name.
    ///   - policy: The host's policy.
    ///   - argv: The command.
    ///   - runas: The target user.
    ///   - runasGroup: The target group, if any.
    /// - Returns: The request.
    public func request(host: String, policy: HostPolicy, argv: [String], runas: String = "root",
                        runasGroup: String? = nil) -> SudoRequest {
        var r = SudoRequest(user: user, groups: policy.groups, host: host, runasUser: runas, runasGroup: runasGroup,
                            argv: argv, paths: policy.local ? .local : .canonical(usrmerge: policy.usrmerge), uid: policy.uid,
                            now: now(), hostAddresses: policy.addresses, accounts: policy.accounts,
                            loginShells: policy.loginShells)
        if policy.local {
            if r.hostAddresses == nil { r.hostAddresses = SudoRequest.localInterfaceAddresses() }
            if r.loginShells == nil { r.loginShells = SudoRequest.localLoginShells() }
            let known = Set(r.accounts.map(\.name))
            r.accounts += SudoRequest.localAccounts([runas]).filter { !known.contains($0.name) }
            if r.uid == nil { r.uid = SudoRequest.localAccounts([user]).first?.uid }
        }
        return r
    }

    /// Judges a request against an already loaded reference: sudo's decision,
    /// classification and the structural refusals, without the inventory checks.
    ///
    /// `luna allowed --sudoers FILE` uses this for a reference outside the ops repo.
    /// - Parameters:
    ///   - request: The request (its argv must be non-empty and absolute).
    ///   - sudoers: The reference.
    ///   - hostLabel: How the reference is named in reasons.
    public func judge(_ request: SudoRequest, by sudoers: Sudoers, hostLabel: String) -> GateVerdict {
        let argv = request.argv
        let runas = request.runasUser
        let host = hostLabel
        let classification = classifier.classify(argv)
        func refuse(_ reason: String, _ sudo: SudoDecision? = nil) -> GateVerdict {
            GateVerdict(outcome: .refused, reasons: [reason], sudo: sudo, classification: classification)
        }
        guard let program = argv.first, !program.isEmpty else { return refuse("the command is empty") }
        if let reason = Self.unprintableArgument(argv) { return refuse(reason) }
        guard program.hasPrefix("/") || program == "sudoedit" else {
            return refuse("'\(program)' is a relative program path; give the absolute path (sudoers rules name absolute paths)")
        }
        let decision = sudoers.decide(request)

        if classification.actionClass == .destructive {
            var reasons = ["destructive action (\(classification.reason)): never run as \(user); it becomes a runbook for the operator"]
            if decision.allowed { reasons.append("note: the sudoers reference would allow it (\(decision.rule.map(\.description) ?? "")); consider narrowing it") }
            return GateVerdict(outcome: .escalate, reasons: reasons, sudo: decision, classification: classification)
        }
        if let reason = structuralRefusal(argv, decision) { return refuse(reason, decision) }
        guard decision.allowed else {
            let why = decision.rule.map { "rule \($0.file):\($0.line) denies it: \($0.text)" } ?? (decision.note ?? "no rule matches")
            return refuse("the sudoers reference for \(host) does not allow \(argv.joined(separator: " ")) as \(runas): \(why)", decision)
        }
        var reasons = ["allowed as \(decision.runasUser) by \(decision.rule.map { "\($0.file):\($0.line)" } ?? "?")"]
        if !decision.tags.isEmpty { reasons.append("tags: \(decision.tags.joined(separator: ", "))") }
        if let note = decision.note { reasons.append(note) }
        return GateVerdict(outcome: .allowed, reasons: reasons, sudo: decision, classification: classification,
                           readSet: readSetVerdict(request, sudoers, classification))
    }

    /// Whether an allowed request is in the declared read set: the reference cut
    /// down to the read-only aliases must allow it too, and the classifier may
    /// only narrow that (a known mutating or destructive form is taken out).
    func readSetVerdict(_ request: SudoRequest, _ sudoers: Sudoers, _ classification: Classification) -> ReadSetVerdict {
        let names = readOnlyAliases.sorted().joined(separator: ", ")
        guard readOnlyAliases.contains(where: sudoers.definesCommandAlias) else {
            return ReadSetVerdict(declared: false, runsWithoutApproval: false,
                                  reason: "the reference declares no read-only commands (no Cmnd_Alias \(names)); everything needs an approval")
        }
        let declared = sudoers.readSet(aliases: readOnlyAliases).decide(request)
        guard declared.allowed, let rule = declared.rule else {
            return ReadSetVerdict(declared: false, runsWithoutApproval: false,
                                  reason: "not in the declared read set (\(names)); it needs an approval")
        }
        let place = "\(rule.file):\(rule.line)"
        if classification.actionClass != .readOnly && classification.known {
            return ReadSetVerdict(declared: true, runsWithoutApproval: false,
                                  reason: "declared read-only by \(place) (\(names)), but \(classification.reason): it needs an approval")
        }
        return ReadSetVerdict(declared: true, runsWithoutApproval: true,
                              reason: "declared read-only by \(place) (\(names)): may run without an approval")
    }

    /// Why an argv element cannot be shown faithfully, or nil.
    ///
    /// A control character (C0, DEL, C1) or a bidi control in an argument
    /// would reach sudo's log, the approval prompt and the commit as something
    /// other than what runs (an `ESC` sequence can erase or forge the line the
    /// operator approves), so such an argv is refused, naming the argument and
    /// the code point. ``InertText`` holds the one definition of those characters.
    static func unprintableArgument(_ argv: [String]) -> String? {
        for (index, argument) in argv.enumerated() {
            guard let bad = InertText.forbiddenInArgument(argument) else { continue }
            let code = String(bad.value, radix: 16, uppercase: true)
            let name = InertText.isBidiControl(bad) ? "a bidi control" : "a control character"
            return "argument \(index) contains U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code) (\(name)), "
                + "which sudo's log, the approval prompt and the commit cannot show faithfully"
        }
        return nil
    }

    /// The structural refusal reason for an argv, or nil.
    func structuralRefusal(_ argv: [String], _ decision: SudoDecision) -> String? {
        let base = Classifier.baseName(argv[0])
        let args = argv.dropFirst()
        if Self.elevators.contains(base) && base != "sudoedit" {
            return "\(base) inside a sudo command nests privilege changes; propose the inner command directly"
        }
        if base == "sudoedit" { return nil }
        let exact = decision.allowed && decision.exact
        let interpreterFlags: Set<String>? = {
            if Self.shells.contains(base) { return ["-c"] }
            if base.hasPrefix("python") { return ["-c", "-m"] }
            return Self.interpreters[base]
        }()
        if let flags = interpreterFlags {
            let givesCode = args.contains { a in flags.contains(a) || (a.hasPrefix("-") && !a.hasPrefix("--") && flags.contains { f in f.count == 2 && a.contains(f.dropFirst()) }) }
            let runsScript = !args.isEmpty && !givesCode && (Self.shells.contains(base) || base.hasPrefix("python"))
            if (givesCode || runsScript || args.isEmpty) && !exact {
                return "\(base) \(givesCode ? "given code on the command line" : "as an interpreter") can run anything; Luna never interposes a shell (allowed only if the reference names this exact command line)"
            }
        }
        if Self.awks.contains(base) && !exact {
            return "\(base) programs can run commands (system(), pipes); allowed only if the reference names this exact command line"
        }
        if base == "find" && args.contains(where: { ["-exec", "-execdir", "-ok", "-okdir"].contains($0) }) && !exact {
            return "find -exec/-execdir/-ok runs other commands; allowed only if the reference names this exact command line"
        }
        if Self.wrappers.contains(base) && !exact {
            if base == "env" && Classifier.wrappedCommand("env", Array(args))?.isEmpty != false { return nil }
            return "\(base) runs another command, which hides it from the sudoers rule; propose the inner command directly (or name this exact command line in the reference)"
        }
        if Self.shellEscapes.contains(base) && !decision.tags.contains("NOEXEC") {
            return "\(base) has shell escapes (it can start a shell); use sudoedit, or a rule with NOEXEC"
        }
        return nil
    }
}
