import Foundation
import LunaConfig
import LunaPolicy

/// `luna audit [--host H] [--json]`: each host's sudoers reference read for rules wider than they say.
enum AuditCommand {
    struct HostReport: Encodable {
        var host: String
        var reference: String
        /// Empty when the reference was audited.
        var error: String?
        var findings: [SudoersAuditFinding]
    }

    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        var hostNames: [String] = []
        while let h = try args.value("--host") { hostNames.append(h) }
        let json = args.flag("--json")
        try args.finish()
        let config = try context.configuration()
        var hosts: [HostConfig] = []
        for name in hostNames {
            guard let h = config.host(name) else {
                throw UsageError(message: "host '\(name)' is not in the inventory (\(config.file))", command: "audit")
            }
            if !hosts.contains(where: { $0.name == h.name }) { hosts.append(h) }
        }
        if hostNames.isEmpty { hosts = config.hosts }

        var reports: [HostReport] = []
        for host in hosts {
            let path = config.sudoersDirectory + "/luna-" + host.name
            guard FileManager.default.fileExists(atPath: path) else {
                reports.append(HostReport(host: host.name, reference: path, error: "no sudoers reference (luna may do nothing there)",
                                          findings: []))
                continue
            }
            do {
                let sudoers = try Sudoers.load(path: path)
                let findings = sudoers.audit(user: config.identity, groups: host.groups, host: host.name,
                                             paths: host.transport == .local ? .local : .remote)
                reports.append(HostReport(host: host.name, reference: path, error: nil, findings: findings))
            } catch {
                reports.append(HostReport(host: host.name, reference: path,
                                          error: "\(error) (a reference with a syntax error allows nothing)", findings: []))
            }
        }

        if json {
            try printJSON(reports)
        } else {
            for r in reports {
                if let error = r.error {
                    emit("\(shown(r.host)): error: \(shown(error))")
                } else if r.findings.isEmpty {
                    emit("\(shown(r.host)): ok — no rule in \(shown(r.reference)) gives \(shown(config.identity)) more than it names")
                } else {
                    emit("\(shown(r.host)): \(r.findings.count) risky \(r.findings.count == 1 ? "entry" : "entries") in \(shown(r.reference))")
                    for f in r.findings { emit("  " + shown(f.description)) }
                }
            }
        }
        if reports.contains(where: { $0.error != nil }) { return Exit.error }
        return reports.contains { !$0.findings.isEmpty } ? Exit.negative : Exit.ok
    }
}

extension CommandDefinition {
    static let audit = CommandDefinition(
        name: "audit", synopsis: "[--host H] [--json]",
        summary: "the sudoers references read for rules that give luna more than they name",
        usage: ["luna audit [--host NAME]… [--json]"],
        details: """
            Reads each host's sudoers reference (configs/sudoers/luna-HOST) with the
            gate's parser and prints, with file:line and why, every entry that widens
            what luna may do: ALL as a command; a wildcard in the program or its
            arguments (an argument * matches blanks, so any further arguments and any
            file); a bare program (any arguments); an argument regex that can match a
            blank; a program with a shell escape or one that writes or runs what its
            arguments name (pagers, editors, interpreters, find -exec, tar
            --checkpoint-action, sed without --sandbox, journalctl without --no-pager,
            systemctl edit, git, docker run…); SETENV and Defaults setenv; a ! entry
            used as a denylist; runas ALL or a runas list wider than root; a program
            whose file or a directory above it someone other than root may write
            (looked at on this machine for a local host; on a remote one a program
            outside /usr, /bin and /sbin, or under /usr/local, cannot be proven safe).
            The same audit runs as the sudoaudit drift check.
            """,
        options: [Option("--host NAME", "audit only this host (repeatable); default: every host of the inventory"),
                  Option("--json", #"[{"host","reference","error","findings":[{"file","line","entry","kind","reason"}]}]"#)],
        examples: ["luna audit", "luna audit --host web1 --json"],
        footer: "Exit status: 0 nothing risky, 1 risky entries found, 2 a reference is missing or does not parse.",
        run: { try AuditCommand.run(&$0, $1) })
}
