import Foundation
import LunaFleet

/// Scheduled jobs vs the baseline in `configs/cron/<host>`: the system crontab,
/// `/etc/cron.d`, user crontabs and systemd timers.
///
/// Items are `cron FILE: ENTRY` (blanks collapsed, comments dropped) and
/// `timer UNIT`. Collected in one argv (`CommandSequence`): `grep` over the cron
/// files and `systemctl list-units --type=timer`. New entries and removed ones
/// are findings; removals only when every cron file could be read.
public struct CronCheck: DriftCheck {
    public let name = "cron"
    public let referenceKind = "cron"

    public init() {}

    static var argv: [String] { CommandSequence.argv([
        .init(label: "cron", argv: ["grep", "-r", "-a", "-H", "-Z", "-v", "-E", "^[[:space:]]*(#|$)",
                                    "/etc/crontab", "/etc/cron.d", "/var/spool/cron/crontabs"]),
        .init(label: "timers", argv: ["systemctl", "list-units", "--type=timer", "--all", "--no-legend", "--plain", "--no-pager"]),
    ])! }

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.expected) {
        case .failure(let box): return .done(box.result)
        case .success(let (baseline, _)): return .run(argv: Self.argv, reference: baseline)
        }
    }

    /// The expected items of a reference, every line checked.
    ///
    /// A line is `cron /ABSOLUTE/FILE: ENTRY` or `timer UNIT.timer`, the forms
    /// the collection produces (blanks collapsed). Anything else (a misspelt
    /// keyword, a relative file, a missing entry) is an error naming the line:
    /// it could never match a live item and would be reported as a job "gone".
    static func expected(_ b: Baseline) throws(BaselineError) -> Set<String> {
        let form = "expected 'cron /FILE: ENTRY' or 'timer UNIT.timer'"
        var items = Set<String>()
        for line in b.lines {
            let item = fields(line.text).joined(separator: " ")
            if item.hasPrefix("cron ") {
                let rest = item.dropFirst(5)
                guard let separator = rest.range(of: ": ") else {
                    throw b.error(line, "\(form): no ': ' after the cron file")
                }
                let file = rest[..<separator.lowerBound]
                guard file.hasPrefix("/") else {
                    throw b.error(line, "\(form): the cron file must be an absolute path, found '\(file)'")
                }
            } else if item.hasPrefix("timer ") {
                let f = fields(item)
                guard f.count == 2, f[1].hasSuffix(".timer"), f[1].count > 6 else {
                    throw b.error(line, "\(form), found '\(item)'")
                }
            } else {
                throw b.error(line, "\(form), found '\(item)'")
            }
            items.insert(item)
        }
        return items
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard let reference else { return failed(host, "no usable reference") }
        let expected: Set<String>
        do {
            expected = try Self.expected(reference)
        } catch {
            return failed(host, "bad reference: \(error)")
        }
        let steps = CommandSequence.split(outputText(output))
        guard let cron = steps.first(where: { $0.label == "cron" }) else {
            return failed(host, "no output from the cron collection: \(stderrExcerpt(output))")
        }
        let timers = steps.first(where: { $0.label == "timers" })
        let live = Set(Self.parseCron(cron.output) + (timers?.succeeded == true ? Self.parseTimers(timers!.output) : []))
        let complete = !output.stderrText.contains("Permission denied") && !output.stdoutTruncated
        var items: [DriftItem] = []
        for item in live.subtracting(expected).sorted() {
            items.append(DriftItem(subject: "+" + item, summary: "new scheduled job: \(item)"))
        }
        for item in expected.subtracting(live).sorted() {
            if item.hasPrefix("timer ") && timers?.succeeded != true { continue }
            guard complete else { continue }
            items.append(DriftItem(subject: "-" + item, summary: "scheduled job gone: \(item)"))
        }
        var notes: [String] = []
        if timers?.succeeded != true { notes.append("systemd timers not listed (no systemd?)") }
        if !complete { notes.append("some cron files unreadable (user crontabs need root): only new entries reported") }
        let suffix = notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")
        var result = CheckResult.compared(host: host, check: name, items: items,
                                          okDetail: "\(live.count) scheduled jobs match the baseline\(suffix)")
        if result.status == .drift && !notes.isEmpty { result.detail += "\n  (" + notes.joined(separator: "; ") + ")" }
        // Unreadable files, or no timer listing where the reference expects timers: absence proves
        // nothing, so nothing is resolved (a host without systemd and without timers stays conclusive).
        result.partial = !complete || (timers?.succeeded != true && expected.contains { $0.hasPrefix("timer ") })
        return result
    }

    /// Parses `grep -H -Z` output (file, NUL, line) into `cron FILE: ENTRY` items.
    public static func parseCron(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            guard let nul = line.firstIndex(of: "\0") else { return nil }
            let entry = fields(line[line.index(after: nul)...]).joined(separator: " ")
            guard !entry.isEmpty else { return nil }
            return "cron " + String(line[..<nul]) + ": " + entry
        }
    }

    /// Parses `systemctl list-units --type=timer --plain --no-legend` into `timer UNIT` items.
    public static func parseTimers(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            guard let unit = fields(line).first, unit.hasSuffix(".timer") else { return nil }
            return "timer " + unit
        }
    }
}
