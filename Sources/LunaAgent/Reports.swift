import Foundation
import LunaDrift
import LunaText

/// What one scan found.
public struct ScanReport: Sendable {
    public var results: [CheckResult]
    public var events: [FindingEvent]
    /// Ongoing findings whose reminder is due (at most one every `reminder_hours`).
    public var reminders: [FindingEvent] = []

    /// Whether any check saw drift.
    public var hasDrift: Bool { results.contains { $0.status == .drift } }
    /// Whether any check failed.
    public var hasError: Bool { results.contains { $0.status == .error } }

    /// A readable report: per host, each check's status, then the changes since the last scan.
    ///
    /// Host data (summaries, subjects, details) is untrusted: every field is
    /// rendered one-line and inert, so a process named `ESC[8m…` or a path with
    /// a line break shows as `\u{1b}[8m…`, never acts on the terminal.
    public var text: String {
        func shown(_ s: String) -> String { InertText.render(s) }
        var out = ""
        var lastHost = ""
        for r in results {
            if r.host != lastHost { out += "\(shown(r.host))\n"; lastHost = r.host }
            let mark: String
            switch r.status {
            case .ok: mark = "ok         "
            case .drift: mark = "DRIFT      "
            case .unavailable: mark = "unavailable"
            case .error: mark = "ERROR      "
            }
            let firstLine = r.status == .drift ? "\(r.items.count) difference\(r.items.count == 1 ? "" : "s")" : shown(r.detail)
            out += "  \(mark) \(shown(r.check).padding(toLength: 9, withPad: " ", startingAt: 0)) \(firstLine)\n"
            if r.status == .drift {
                for item in r.items { out += "                         \(shown(item.summary))\n" }
            }
        }
        let changes = events.compactMap { e -> String? in
            switch e {
            case .appeared(let k, let i): "  new       \(shown(k.host))/\(shown(k.check)): \(shown(i.summary))"
            case .changed(let k, let i): "  changed   \(shown(k.host))/\(shown(k.check)): \(shown(i.summary))"
            case .resolved(let k): "  resolved  \(shown(k.host))/\(shown(k.check)): \(shown(k.subject))"
            case .ongoing: nil
            }
        }
        out += changes.isEmpty ? "No change since the last scan.\n" : "Changes since the last scan:\n" + changes.joined(separator: "\n") + "\n"
        // Reminders: ongoing findings not reported for reminder_hours.
        let reminded = reminders.compactMap { e -> String? in
            guard case .ongoing(let k, let i) = e else { return nil }
            return "  ongoing   \(shown(k.host))/\(shown(k.check)): \(shown(i.summary))"
        }
        if !reminded.isEmpty { out += "Still open (reminder):\n" + reminded.joined(separator: "\n") + "\n" }
        return out
    }
}

/// What one cycle did.
public struct CycleReport: Sendable {
    public var scan: ScanReport?
    public var expired: [Int64] = []
    public var proposed: [Proposal] = []
    public var unplanned: [(Int64, String, String)] = []
    public var executed: [Int64] = []
    public var recorded: [Int64] = []
    /// Skill suspensions and new drafts for the operator.
    public var notices: [String] = []

    public init() {}
}
