import Foundation
import LunaAgent

/// `luna baseline capture|diff --host H|--all-hosts [--check C] [--reason TEXT] [--accept-weaker] [--json]`.
enum BaselineCommand {
    struct CaptureJSON: Encodable {
        var host: String?
        var commit: String?
        var changes: [BaselineChange]
        var error: String?
    }

    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let action = try args.positional("capture or diff")
        guard action == "capture" || action == "diff" else {
            throw UsageError(message: "unknown baseline action '\(action)'; use capture or diff", command: "baseline")
        }
        let host = try args.value("--host")
        let allHosts = args.flag("--all-hosts")
        guard (host == nil) != !allHosts else {
            throw UsageError(message: "name the host with --host H, or every host with --all-hosts", command: "baseline")
        }
        var checks: [String] = []
        while let c = try args.value("--check") { checks.append(c) }
        let reason = try args.value("--reason")
        let acceptWeaker = args.flag("--accept-weaker")
        let json = args.flag("--json")
        try args.finish()
        let agent = try context.agent()
        if let host {
            return try one(agent, action: action, host: host, checks: checks, reason: reason, acceptWeaker: acceptWeaker, json: json)
        }
        // Every host that enables a chosen check (any capturable one without --check), in inventory order.
        let hosts = agent.config.hosts.filter { h in checks.isEmpty || checks.contains(where: h.checks.contains) }
        guard !hosts.isEmpty else { throw UsageError(message: "no host enables \(checks.joined(separator: ", "))", command: "baseline") }
        if action == "capture", reason == nil {
            throw UsageError(message: "capture needs --reason TEXT (it becomes the commit message)", command: "baseline")
        }
        var status = Exit.ok
        var all: [CaptureJSON] = []
        for h in hosts {
            let mine = checks.filter(h.checks.contains)
            do {
                if action == "diff" {
                    let changes = try agent.curation.baselineDiff(host: h.name, checks: mine.isEmpty ? nil : mine, acceptWeaker: acceptWeaker)
                    if json { all.append(CaptureJSON(host: h.name, commit: nil, changes: changes)) } else { emit(text(changes), terminator: "") }
                    if changes.contains(where: { $0.problem != nil }) { status = Exit.error } else if status == Exit.ok, !changes.allSatisfy(\.isUnchanged) { status = Exit.negative }
                } else {
                    let (changes, commit) = try agent.curation.captureBaseline(host: h.name, checks: mine.isEmpty ? nil : mine, reason: reason!,
                                                                               acceptWeaker: acceptWeaker, owner: DecideCommand.localUser())
                    if json { all.append(CaptureJSON(host: h.name, commit: commit, changes: changes)) } else {
                        emit(text(changes), terminator: "")
                        emit("\(shown(h.name)): " + (commit.map { "committed \(shown($0))" } ?? "nothing to capture"))
                    }
                }
            } catch {
                status = Exit.error
                if json { all.append(CaptureJSON(host: h.name, commit: nil, changes: [], error: "\(error)")) } else { printError("luna: \(shown(h.name)): \(shown("\(error)"))") }
            }
        }
        if json { try printJSON(all) }
        return status
    }

    static func one(_ agent: Agent, action: String, host: String, checks: [String], reason: String?, acceptWeaker: Bool, json: Bool) throws -> Int32 {
        if action == "diff" {
            let changes = try agent.curation.baselineDiff(host: host, checks: checks.isEmpty ? nil : checks, acceptWeaker: acceptWeaker)
            if json { try printJSON(changes) } else { emit(text(changes), terminator: "") }
            if changes.contains(where: { $0.problem != nil }) { return Exit.error }
            return changes.allSatisfy(\.isUnchanged) ? Exit.ok : Exit.negative
        }
        guard let reason else { throw UsageError(message: "capture needs --reason TEXT (it becomes the commit message)", command: "baseline") }
        let (changes, commit) = try agent.curation.captureBaseline(host: host, checks: checks.isEmpty ? nil : checks, reason: reason,
                                                                   acceptWeaker: acceptWeaker, owner: DecideCommand.localUser())
        if json {
            try printJSON(CaptureJSON(commit: commit, changes: changes))
        } else {
            emit(text(changes), terminator: "")
            emit(commit.map { "Committed \(shown($0))" } ?? "Nothing to capture: the references already match.")
        }
        return Exit.ok
    }

    static func text(_ changes: [BaselineChange]) -> String {
        var out = ""
        for c in changes {
            if let problem = c.problem {
                out += "\(shown(c.path)) (\(shown(c.check))): cannot capture: \(shown(problem))\n"
            } else if c.isUnchanged {
                out += "\(shown(c.path)) (\(shown(c.check))): unchanged\n"
            } else {
                out += "\(shown(c.path)) (\(shown(c.check))):\n"
                for line in c.removed { out += "  - \(shown(line))\n" }
                for line in c.added { out += "  + \(shown(line))\n" }
            }
            for note in c.notes { out += "  note: \(shown(note))\n" }
        }
        return out
    }
}
