import Foundation
import LunaAgent
import LunaDrift

/// `luna scan [--host H] [--check C] [--json]`.
enum ScanCommand {
    struct JSONReport: Encodable {
        struct Event: Encodable { var event: String; var host: String; var check: String; var subject: String; var summary: String? }
        var results: [CheckResult]
        var events: [Event]
    }

    /// A scan's changes and due reminders, as `scan --json` and `run --once --json` print them.
    static func events(_ report: ScanReport) -> [JSONReport.Event] {
        report.events.compactMap { e -> JSONReport.Event? in
            switch e {
            case .appeared(let k, let i): .init(event: "new", host: k.host, check: k.check, subject: k.subject, summary: i.summary)
            case .changed(let k, let i): .init(event: "changed", host: k.host, check: k.check, subject: k.subject, summary: i.summary)
            case .resolved(let k): .init(event: "resolved", host: k.host, check: k.check, subject: k.subject, summary: nil)
            case .ongoing: nil
            }
        } + report.reminders.compactMap { e -> JSONReport.Event? in
            guard case .ongoing(let k, let i) = e else { return nil }
            return .init(event: "reminder", host: k.host, check: k.check, subject: k.subject, summary: i.summary)
        }
    }

    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        var hosts: [String] = []
        while let h = try args.value("--host") { hosts.append(h) }
        var checks: [String] = []
        while let c = try args.value("--check") { checks.append(c) }
        let json = args.flag("--json")
        try args.finish()
        let agent = try context.agent()
        // Progress on a terminal only (one line, rewritten): scripts and the journal get the report alone.
        var progress: (@Sendable (Int, Int, String) -> Void)? = nil
        // The streams are taken here: the callback runs on the scan's own threads.
        let streams = CLIStreams.current
        if streams.errorIsTerminal {
            progress = { done, total, host in
                var line = "\r\u{1B}[Kscanned \(done)/\(total) hosts (last: \(shown(host)))"
                if done == total { line += "\r\u{1B}[K" }
                streams.writeError(line)
            }
        }
        let report = try agent.scanner.scan(hosts: hosts.isEmpty ? nil : hosts, checks: checks.isEmpty ? nil : checks, progress: progress)
        if json {
            try printJSON(JSONReport(results: report.results, events: events(report)))
        } else {
            emit(report.text, terminator: "")
        }
        if report.hasError { return Exit.error }
        if report.results.allSatisfy({ $0.status == .unavailable || $0.check == ReachCheck.name }) {
            // A scan that looked at nothing must not look clean to a script or a timer.
            printError("luna: nothing was checked: " + (report.results.isEmpty
                ? "no host enables \(checks.isEmpty ? "any check" : "the checks asked for (\(checks.joined(separator: ", ")))")"
                : "every check was unavailable (see the reasons above; `luna check` lists missing references)"))
            return Exit.nothingChecked
        }
        return report.hasDrift ? Exit.negative : Exit.ok
    }
}
