import Foundation
import LunaAgent

/// `luna init [--fingerprints FILE] [--files PATH,…] [--accept-weaker] [--force] [--dry-run] [--reason TEXT] [--json]`.
enum InitCommand {
    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let fingerprintsFile = try args.value("--fingerprints")
        let acceptWeaker = args.flag("--accept-weaker")
        let force = args.flag("--force")
        let dryRun = args.flag("--dry-run")
        let reason = try args.value("--reason") ?? "onboarding the estate in luna.toml"
        var filesValues: [String] = []
        while let value = try args.value("--files") { filesValues.append(value) }
        let json = args.flag("--json")
        try args.finish()
        var options = InitOptions(owner: DecideCommand.localUser(), reason: reason)
        if !filesValues.isEmpty {
            options.filesGiven = true
            do { options.files = try InitOptions.parseFiles(filesValues) } catch {
                throw UsageError(message: "\(error)", command: "init")
            }
        }
        options.acceptWeaker = acceptWeaker
        options.force = force
        options.dryRun = dryRun
        if let fingerprintsFile {
            guard let text = try? String(contentsOfFile: fingerprintsFile, encoding: .utf8) else {
                throw UsageError(message: "cannot read the fingerprints file \(fingerprintsFile)", command: "init")
            }
            options.fingerprints = try InitOptions.parseFingerprints(text, file: fingerprintsFile)
        }
        let streams = CLIStreams.current
        let agent = try context.agent()
        let report = try InitService(context: agent.context).run(options) { keys in
            // Never trust on first use silently: the operator compares each fingerprint with the host's own.
            guard streams.inputIsTerminal, !json else {
                printError("luna: \(keys.count) new host key\(keys.count == 1 ? "" : "s") to confirm and no terminal to ask on; "
                    + "give --fingerprints FILE (lines 'HOST SHA256:…', from `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on each host)")
                return false
            }
            emit("New host keys (compare each with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host's console):")
            for key in keys { emit("  \(shown(key.host)) \(shown(key.address)) \(key.fingerprints.map(shown).joined(separator: " "))") }
            emit("Pin them in known_hosts? [y/N] ", terminator: "")
            let answer = streams.readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
            return answer == "y" || answer == "yes"
        }
        if json {
            struct Out: Encodable { var report: InitReport; var changed: Bool }
            try printJSON(Out(report: report, changed: report.changed))
            return Exit.ok
        }
        emit(text(report), terminator: "")
        return Exit.ok
    }

    static func text(_ report: InitReport) -> String {
        var out = ""
        for key in report.keys {
            let prints = key.fingerprints.isEmpty ? "" : " " + key.fingerprints.map(shown).joined(separator: " ")
            let state = key.state == "unreachable" ? "no key: \(shown(key.problem ?? ""))" : key.state == "pinned" ? "pinned already" : report.dryRun ? "would be pinned" : "pinned"
            out += "key \(shown(key.host)) \(shown(key.address))\(prints): \(state)\n"
        }
        let verb = report.dryRun ? "would write" : "wrote"
        for file in report.files { out += "\(verb) \(shown(file.path)) (\(file.action))\n" }
        var steps = false
        for host in report.hosts where !(host.sudoers == "none" && host.nextSteps.isEmpty) {
            var line = "\(shown(host.host)):"
            if host.sudoers != "none" { line += " sudoers \(host.sudoers);" }
            if !host.captured.isEmpty { line += " captured \(host.captured.map(shown).joined(separator: ", "));" }
            if !host.existing.isEmpty { line += " kept \(host.existing.map(shown).joined(separator: ", "));" }
            if !host.waived.isEmpty { line += " waived sshd \(host.waived.map(shown).joined(separator: ", "));" }
            out += String(line.dropLast(line.hasSuffix(";") ? 1 : 0)) + "\n"
            for note in host.notes { out += "  note: \(shown(note))\n" }
            for skip in host.skipped { out += "  not captured: \(shown(skip.check)): \(shown(skip.reason))\n" }
            if !host.nextSteps.isEmpty {
                steps = true
                out += "  still to do on \(shown(host.host)):\n"
                for (n, step) in host.nextSteps.enumerated() { out += "    \(n + 1). \(shown(step))\n" }
            }
        }
        if steps, let key = report.publicKey { out += "luna's public key: \(shown(key))\n" }
        if let commit = report.commit {
            out += "Committed \(shown(commit)) (\(report.files.count) file\(report.files.count == 1 ? "" : "s")).\n"
        } else if report.dryRun {
            out += report.changed ? "Dry run: nothing was written.\n" : "Dry run: nothing to do.\n"
        } else if !report.changed {
            out += "Nothing to do: every key is pinned and every reference luna init writes is in place.\n"
        }
        return out
    }
}
