import Foundation
import LunaAgent

/// `luna baseline capture|diff --host H [--check C] [--reason TEXT] [--json]`.
enum BaselineCommand {
    struct CaptureJSON: Encodable {
        var commit: String?
        var changes: [BaselineChange]
    }

    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let action = try args.positional("capture or diff")
        guard action == "capture" || action == "diff" else {
            throw UsageError(message: "unknown baseline action '\(action)'; use capture or diff", command: "baseline")
        }
        guard let host = try args.value("--host") else { throw UsageError(message: "--host H is required", command: "baseline") }
        var checks: [String] = []
        while let c = try args.value("--check") { checks.append(c) }
        let reason = try args.value("--reason")
        let json = args.flag("--json")
        try args.finish()
        let agent = try context.agent()
        if action == "diff" {
            let changes = try agent.curation.baselineDiff(host: host, checks: checks.isEmpty ? nil : checks)
            if json { try printJSON(changes) } else { emit(text(changes), terminator: "") }
            if changes.contains(where: { $0.problem != nil }) { return Exit.error }
            return changes.allSatisfy(\.isUnchanged) ? Exit.ok : Exit.negative
        }
        guard let reason else { throw UsageError(message: "capture needs --reason TEXT (it becomes the commit message)", command: "baseline") }
        let (changes, commit) = try agent.curation.captureBaseline(host: host, checks: checks.isEmpty ? nil : checks, reason: reason)
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
        }
        return out
    }
}
