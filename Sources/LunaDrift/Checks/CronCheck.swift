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
        switch requireReference(host: host, references: references) {
        case .failure(let box): return .done(box.result)
        case .success(let baseline): return .run(argv: Self.argv, reference: baseline)
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard let reference else { return failed(host, "no usable reference") }
        let steps = CommandSequence.split(outputText(output))
        guard let cron = steps.first(where: { $0.label == "cron" }) else {
            return failed(host, "no output from the cron collection: \(stderrExcerpt(output))")
        }
        let timers = steps.first(where: { $0.label == "timers" })
        let live = Set(Self.parseCron(cron.output) + (timers?.succeeded == true ? Self.parseTimers(timers!.output) : []))
        let expected = Set(reference.lines.map { fields($0.text).joined(separator: " ") })
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
