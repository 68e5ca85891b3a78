import Foundation
import LunaDrift
import LunaModel
import LunaSystem

/// What the daemon writes to its log after a cycle: events, one line each, never the report.
///
/// A scan summary (hosts, checks, changes, duration), each finding that appeared,
/// changed or resolved, each proposal, what expired and what was recorded. Host
/// data in a line is redacted (the log leaves the host in a journal shipped
/// elsewhere) and rendered inert by the log's writer. Problems are warnings, so
/// `journalctl -p warning -u luna` shows exactly them.
struct DaemonEvents {
    let log: AgentLog
    let redactor: Redactor

    func shown(_ text: String) -> String { redactor.redact(text) }

    /// The cycle's events (its notices are logged where they are taken: the recorder's by the daemon, skills' here
    /// through ``notices(_:)``).
    func cycle(_ report: CycleReport, seconds: TimeInterval) {
        if let scan = report.scan { self.scan(scan, seconds: seconds) }
        for p in report.proposed {
            let finding = p.findingSummary.map { " for \(shown(p.host)): \(shown($0))" } ?? " on \(shown(p.host))"
            if p.state == .refused {
                log(.warning, "proposal \(p.id)\(finding) refused by the gate: \(shown(p.gateReasons.joined(separator: "; ")))")
            } else {
                log(.info, "proposal \(p.id)\(finding): \(p.state.rawValue)"
                    + (p.expiresAt.map { " until \($0)" } ?? "") + " (\(shown(p.argv.joined(separator: " "))))")
            }
        }
        for (id, what, why) in report.unplanned { log(.info, "no plan for finding \(id) \(shown(what)): \(shown(why))") }
        expired(report.expired)
        for id in report.recorded { log(.info, "proposal \(id)'s outcome recorded in the ops repo") }
    }

    /// The scan summary, each check that failed, and each finding event.
    func scan(_ scan: ScanReport, seconds: TimeInterval) {
        let hosts = Set(scan.results.map(\.host)).count
        func count(_ status: CheckStatus) -> Int { scan.results.filter { $0.status == status }.count }
        let changes = scan.events.filter { if case .ongoing = $0 { false } else { true } }.count
        log(.info, "scan: \(hosts) host\(hosts == 1 ? "" : "s"), \(scan.results.count) checks (\(count(.ok)) ok, \(count(.drift)) drift, "
            + "\(count(.unavailable)) unavailable, \(count(.error)) error), \(changes) change\(changes == 1 ? "" : "s"), "
            + String(format: "%.1f s", seconds))
        for r in scan.results where r.status == .error {
            log(.warning, "check \(shown(r.host))/\(shown(r.check)) failed: \(shown(r.detail))")
        }
        for r in scan.results where r.status == .unavailable {
            log(.debug, "check \(shown(r.host))/\(shown(r.check)) unavailable: \(shown(r.detail))")
        }
        for event in scan.events {
            switch event {
            case .appeared(let k, let item):
                log(.warning, "finding appeared: \(shown(k.host))/\(shown(k.check)): \(shown(item.summary))")
            case .changed(let k, let item):
                log(.warning, "finding changed: \(shown(k.host))/\(shown(k.check)): \(shown(item.summary))")
            case .resolved(let k):
                log(.info, "finding resolved: \(shown(k.host))/\(shown(k.check)): \(shown(k.subject))")
            case .ongoing:
                continue
            }
        }
        for case .ongoing(let k, let item) in scan.reminders {
            log(.info, "finding still open: \(shown(k.host))/\(shown(k.check)): \(shown(item.summary))")
        }
    }

    /// Skill suspensions and new drafts, once.
    func notices(_ lines: [String]) {
        for line in lines where !line.isEmpty { log(.info, shown(line)) }
    }

    /// Proposals that expired without a decision.
    func expired(_ ids: [Int64]) {
        for id in ids { log(.warning, "proposal \(id) expired without a decision; it did not run") }
    }

    /// A decision, whichever channel made it.
    func decision(_ proposalID: Int64, _ record: ApprovalRecord) {
        log(.info, "proposal \(proposalID) \(record.decision.rawValue) by \(shown(record.approver)) via \(shown(record.channel))"
            + (record.reason.map { ": \(shown($0))" } ?? ""))
    }
}
