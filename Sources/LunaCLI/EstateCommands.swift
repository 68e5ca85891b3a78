import Foundation
import LunaAgent
import LunaConfig
import LunaDrift

/// `luna check [--json]`: the configuration and everything a scan depends on, like `visudo -c`.
enum CheckCommand {
    struct JSONReport: Encodable {
        var ok: Bool
        var configuration: String
        var problems: [EstateProblem]
    }

    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let json = args.flag("--json")
        try args.finish()
        let config: LunaConfiguration
        do {
            config = try context.configuration()
        } catch let error as ConfigError {
            // The configuration itself: the one problem that stops everything else.
            let problem = EstateProblem(location: "\(error.file):\(error.position)", message: error.message,
                                        fix: "fix that line of the configuration", host: nil)
            if json { try printJSON(JSONReport(ok: false, configuration: context.configPath, problems: [problem])) } else {
                emit("\(shown(context.configPath)): does not load\n  \(shown("\(error)"))")
            }
            return Exit.error
        }
        let agent = try Agent(config: config, environment: Context.environment())
        let problems = EstateCheck(context: agent.context).problems()
        if json {
            try printJSON(JSONReport(ok: problems.isEmpty, configuration: config.file, problems: problems))
        } else if problems.isEmpty {
            emit("\(shown(config.file)): ok — \(config.hosts.count) host\(config.hosts.count == 1 ? "" : "s"), every key, pin and reference in place")
        } else {
            emit("\(shown(config.file)): \(problems.count) problem\(problems.count == 1 ? "" : "s")")
            for p in problems { emit("  \(shown(p.location)): \(shown(p.message))\n      fix: \(shown(p.fix))") }
        }
        return problems.isEmpty ? Exit.ok : Exit.negative
    }
}

/// `luna waive HOST/CHECK/SUBJECT --reason TEXT [--until DATE]`, `luna unwaive …`, `luna waivers [--json]`.
enum WaiverCommands {
    /// A finding named as HOST/CHECK/SUBJECT, or by its id.
    static func key(_ text: String, _ context: Context) throws -> FindingKey {
        if let id = Int64(text) {
            guard let finding = try context.agent().ledger.finding(id) else { throw UsageError(message: "no finding \(id)", command: "waive") }
            return finding.key
        }
        let parts = text.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else {
            throw UsageError(message: "name the finding as HOST/CHECK/SUBJECT (the subject as `luna status --json` shows it), got '\(text)'", command: "waive")
        }
        return FindingKey(host: parts[0], check: parts[1], subject: parts[2])
    }

    static func waive(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let until = try args.value("--until")
        guard let reason = try args.value("--reason") else {
            throw UsageError(message: "a waiver needs --reason TEXT: why the finding is accepted", command: "waive")
        }
        let json = args.flag("--json")
        let target = try key(try args.positional("HOST/CHECK/SUBJECT or a finding id"), context)
        try args.finish()
        let (waiver, commit) = try context.agent().curation.waive(target, until: until, reason: reason, owner: DecideCommand.localUser())
        if json {
            struct Out: Encodable { var waiver: Waiver; var commit: String }
            try printJSON(Out(waiver: waiver, commit: commit))
        } else {
            emit("Waived \(shown(target.description)): \(shown(waiver.shown)) (commit \(commit.prefix(12))).")
        }
        return Exit.ok
    }

    static func unwaive(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let target = try key(try args.positional("HOST/CHECK/SUBJECT or a finding id"), context)
        try args.finish()
        guard let commit = try context.agent().curation.unwaive(target, by: DecideCommand.localUser()) else {
            printError("luna: no waiver for \(shown(target.description)) (see: luna waivers)")
            return Exit.negative
        }
        emit("Removed the waiver for \(shown(target.description)) (commit \(commit.prefix(12))); the finding counts again at the next scan.")
        return Exit.ok
    }

    static func list(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let json = args.flag("--json")
        try args.finish()
        let agent = try context.agent()
        let book = try agent.curation.waivers()
        let now = agent.environment.now()
        if json {
            struct Row: Encodable { var waiver: Waiver; var active: Bool }
            try printJSON(book.waivers.map { Row(waiver: $0, active: $0.isActive(at: now)) })
            return Exit.ok
        }
        guard !book.waivers.isEmpty else {
            emit("No waivers (\(Waivers.relativePath)).")
            return Exit.ok
        }
        for w in book.waivers.sorted(by: { $0.key < $1.key }) {
            let state = w.isActive(at: now) ? "active " : "LAPSED "
            emit("\(state) \(shown(w.key.description))\n        \(shown(w.shown)) — \(shown(w.source))")
        }
        return Exit.ok
    }
}
