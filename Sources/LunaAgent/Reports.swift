import Foundation
import LunaDrift
import LunaText

/// What one scan found.
public struct ScanReport: Sendable {
    public var results: [CheckResult]
    public var events: [FindingEvent]
    /// Ongoing findings whose reminder is due (at most one every `reminder_hours`).
    public var reminders: [FindingEvent] = []
    /// The waivers holding now, by finding: shown with their owner, reason and expiry, never planned.
    public var waived: [FindingKey: Waiver] = [:]
    /// Waivers that lapsed and were told for the first time with this scan.
    public var lapsed: [Waiver] = []
    /// Findings this scan saw that a proposal executed later in the same cycle fixed
    /// (verified, and the check run again no longer reports them), with the proposal.
    public var fixed: [FindingKey: Int64] = [:]

    public init(results: [CheckResult], events: [FindingEvent], reminders: [FindingEvent] = []) {
        self.results = results
        self.events = events
        self.reminders = reminders
    }

    /// The waiver that holds for an item of a result, if any.
    public func waiver(_ r: CheckResult, _ item: DriftItem) -> Waiver? {
        waived[FindingKey(host: r.host, check: r.check, subject: item.subject)]
    }

    /// Whether any check saw drift that no waiver accepts.
    public var hasDrift: Bool { results.contains { r in r.status == .drift && r.items.contains { waiver(r, $0) == nil } } }
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
            func fix(_ item: DriftItem) -> Int64? { fixed[FindingKey(host: r.host, check: r.check, subject: item.subject)] }
            // Drift this cycle's fix resolved is shown as fixed, not as the drift the scan saw before it.
            let fixedItems = r.items.filter { fix($0) != nil }.count
            let allFixed = r.status == .drift && !r.items.isEmpty && fixedItems == r.items.count
            let mark: String
            switch r.status {
            case .ok: mark = "ok         "
            case .drift: mark = allFixed ? "fixed      " : "DRIFT      "
            case .unavailable: mark = "unavailable"
            case .error: mark = "ERROR      "
            }
            let waivedItems = r.items.filter { waiver(r, $0) != nil }.count
            var shownMark = mark
            if r.status == .drift, waivedItems == r.items.count { shownMark = "waived     " }
            var firstLine = r.status == .drift ? "\(r.items.count) difference\(r.items.count == 1 ? "" : "s")" : shown(r.detail)
            if allFixed { firstLine += " fixed in this cycle" }
            if r.status == .drift, waivedItems > 0 { firstLine += " (\(waivedItems) waived)" }
            out += "  \(shownMark) \(shown(r.check).padding(toLength: 9, withPad: " ", startingAt: 0)) \(firstLine)\n"
            if r.status == .drift {
                // Why a host cannot be reached is the one thing to read (ssh's own words).
                if r.check == ReachCheck.name {
                    for line in r.detail.split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                        out += "                         \(shown(String(line)))\n"
                    }
                }
                for item in r.items {
                    let note = waiver(r, item).map { " — " + shown($0.shown) } ?? fix(item).map { " — fixed by proposal \($0)" } ?? ""
                    out += "                         \(shown(item.summary))\(note)\n"
                }
            }
        }
        let changes = events.compactMap { e -> String? in
            switch e {
            case .appeared(let k, let i): "  new       \(shown(k.host))/\(shown(k.check)): \(shown(i.summary))" + (waived[k].map { " — " + shown($0.shown) } ?? "")
            case .changed(let k, let i): "  changed   \(shown(k.host))/\(shown(k.check)): \(shown(i.summary))" + (waived[k].map { " — " + shown($0.shown) } ?? "")
            case .resolved(let k): "  resolved  \(shown(k.host))/\(shown(k.check)): \(shown(k.subject))"
            case .ongoing: nil
            }
        } + fixed.sorted { $0.value < $1.value }.map { k, id in
            "  fixed     \(shown(k.host))/\(shown(k.check)): \(shown(k.subject)) (proposal \(id))"
        }
        out += changes.isEmpty ? "No change since the last scan.\n" : "Changes since the last scan:\n" + changes.joined(separator: "\n") + "\n"
        // Reminders: ongoing findings not reported for reminder_hours.
        let reminded = reminders.compactMap { e -> String? in
            guard case .ongoing(let k, let i) = e else { return nil }
            return "  ongoing   \(shown(k.host))/\(shown(k.check)): \(shown(i.summary))"
        }
        if !reminded.isEmpty { out += "Still open (reminder):\n" + reminded.joined(separator: "\n") + "\n" }
        if !lapsed.isEmpty {
            out += "Waivers that lapsed:\n" + lapsed.map { "  lapsed    \(shown($0.key.description)) after \(shown($0.until ?? "?")) (\(shown($0.owner)): \(shown($0.reason)))" }
                .joined(separator: "\n") + "\n"
        }
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
