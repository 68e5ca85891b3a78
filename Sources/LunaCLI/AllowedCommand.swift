import Foundation
import LunaAgent
import LunaConfig
import LunaPolicy
import LunaSystem

/// `luna allowed`: what real sudo would decide for the luna identity, plus the gate's view.
enum AllowedCommand {
    struct Report: Encodable {
        var reference: String
        var user: String
        var host: String
        var argv: [String]
        var sudo: SudoDecision
        var gate: GateVerdict
    }

    struct Listing: Encodable {
        var reference: String
        var user: String
        var host: String
        var rules: [String]
    }

    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let sudoersFile = try args.value("--sudoers")
        let hostArg = try args.value("--host")
        let userArg = try args.value("--user")
        let groupsArg = try args.value("--groups")
        let runasArg = try args.value("--runas")
        let uidArg = try args.value("--uid")
        let list = args.flag("--list")
        let json = args.flag("--json")
        try args.finish()
        let argv = args.afterDashes ?? []
        if !list && argv.isEmpty {
            throw UsageError(message: "give the command after --, like: luna allowed --host web1 -- /usr/bin/systemctl restart nginx", command: "allowed")
        }
        if list && !argv.isEmpty { throw UsageError(message: "--list takes no command", command: "allowed") }
        var uid: Int? = nil
        if let uidArg {
            guard let n = Int(uidArg), n >= 0, n <= Int(UInt32.max) else {
                throw UsageError(message: "--uid takes a numeric user id, not '\(uidArg)'", command: "allowed")
            }
            uid = n
        }

        // Where the reference, groups and path semantics come from.
        var user = userArg ?? "luna"
        var groups = groupsArg.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? []
        let host: String
        let path: String
        var paths: PathResolution = .local
        var gate: Gate
        var policy: HostPolicy? = nil
        if let sudoersFile {
            host = hostArg ?? shortHostName()
            path = sudoersFile
            // A bare file name has no directory part; NSString's path helpers trap on it.
            let directory = sudoersFile.lastIndex(of: "/").map { String(sudoersFile[..<$0]) } ?? "."
            gate = Gate(sudoersDirectory: directory.isEmpty ? "/" : directory, hosts: [:], user: user)
        } else {
            guard let hostArg else {
                throw UsageError(message: "give --host NAME (a host of the inventory) or --sudoers FILE", command: "allowed")
            }
            let config = try context.configuration()
            guard let h = config.host(hostArg) else {
                throw UsageError(message: "host '\(hostArg)' is not in the inventory (\(config.file))", command: "allowed")
            }
            host = h.name
            if userArg == nil { user = config.identity }
            if groupsArg == nil { groups = h.groups }
            paths = h.transport == .local ? .local : .canonical(usrmerge: h.usrmerge)
            path = config.sudoersDirectory + "/luna-" + h.name
            gate = Agent.makeGate(config)
            policy = gate.hosts[h.name]
            if uid == nil && userArg == nil { uid = policy?.uid }
        }
        guard FileManager.default.fileExists(atPath: path) else {
            printError("luna: no sudoers reference at \(path): luna may do nothing on \(host)")
            return Exit.error
        }
        let sudoers: Sudoers
        do {
            sudoers = try Sudoers.load(path: path)
        } catch {
            printError("luna: \(error)")
            printError("luna: a reference with a syntax error allows nothing")
            return Exit.error
        }

        if list {
            let rules = sudoers.listing(user: user, groups: groups, host: host)
            if json {
                try printJSON(Listing(reference: path, user: user, host: host, rules: rules))
            } else {
                emit("\(shown(user)) on \(shown(host)) may run (from \(shown(path))):")
                if rules.isEmpty { emit("  nothing") }
                for r in rules { emit("  " + shown(r)) }
            }
            return Exit.ok
        }

        var runasUser = "root"
        var runasGroup: String? = nil
        if let runasArg {
            let parts = runasArg.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            runasUser = parts[0].isEmpty ? user : parts[0]
            runasGroup = parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil
        }
        gate = Gate(sudoersDirectory: gate.sudoersDirectory, hosts: gate.hosts, classifier: gate.classifier, user: user,
                    readOnlyAliases: gate.readOnlyAliases)
        // `--runas :group` is `sudo -g group` without -u: run as oneself with another group.
        let userGiven = runasArg.map { !$0.hasPrefix(":") } ?? true
        var request = SudoRequest(user: user, groups: groups, host: host, runasUser: runasUser, runasGroup: runasGroup,
                                  runasUserSpecified: userGiven, argv: argv, paths: paths, uid: uid)
        if var policy {
            policy.groups = groups
            policy.uid = uid // luna's uid from the inventory, --uid, or unknown for another --user
            request = gate.request(host: host, policy: policy, argv: argv, runas: runasUser, runasGroup: runasGroup)
            request.runasUserSpecified = userGiven
        } else if paths == .local {
            // A reference judged for this machine: its own addresses, accounts and shells.
            request.hostAddresses = SudoRequest.localInterfaceAddresses()
            request.loginShells = SudoRequest.localLoginShells()
            request.accounts = SudoRequest.localAccounts([runasUser])
            if uid == nil { request.uid = SudoRequest.localAccounts([user]).first?.uid }
        }
        let decision = sudoers.decide(request)
        let verdict = gate.judge(request, by: sudoers, hostLabel: host)
        if json {
            try printJSON(Report(reference: path, user: user, host: host, argv: argv, sudo: decision, gate: verdict))
        } else {
            emit("sudo:  \(decision.allowed ? "ALLOWED" : "DENIED") for \(shown(user)) on \(shown(host)) as \(shown(decision.runasUser))\(decision.runasGroup.map { ":" + shown($0) } ?? "")")
            if let rule = decision.rule {
                emit("       rule \(shown(rule.file)):\(rule.line): \(shown(rule.text))")
            } else {
                emit("       no rule matches\(decision.note.map { $0 == "no rule matches" ? "" : " (\(shown($0)))" } ?? "")")
            }
            if decision.rule != nil, let note = decision.note { emit("       why: \(shown(note))") }
            if !decision.tags.isEmpty { emit("       tags: \(decision.tags.map(shown).joined(separator: ", "))") }
            emit("class: \(verdict.classification.actionClass.rawValue) — \(shown(verdict.classification.reason))")
            emit("gate:  \(verdict.outcome.rawValue)\(verdict.reasons.isEmpty ? "" : " — " + verdict.reasons.map(shown).joined(separator: "; "))")
            // Whether Luna may run it without an approval (inspect, verification): the declared read set.
            let readSet = verdict.readSet.map { "\($0.runsWithoutApproval ? "yes" : "no") — \(shown($0.reason))" }
                ?? "no — only a command the gate allows can be in the declared read set"
            emit("read:  \(readSet)")
        }
        return decision.allowed ? Exit.ok : Exit.negative
    }

    /// This machine's short host name (up to the first dot), as sudo matches hosts.
    static func shortHostName() -> String { SystemHost.shortName() }
}
