import Foundation
import LunaText
import LunaConfig
import LunaDrift
import LunaFleet
import LunaMemory
import LunaPolicy
import LunaStore

/// Scanning: fans out to the hosts (Scanning/ScanService+Fleet.swift), runs each
/// host's checks with the `reach` pseudo-check for ssh hosts, reconciles the
/// results with the open findings and stores them; and re-runs a finding's own
/// check after a fix.
public struct ScanService: AgentService {
    public let context: AgentContext

    /// Collects every enabled check on the chosen hosts, diffs against the references and stores the findings.
    ///
    /// - Parameters:
    ///   - hosts: Host names (all when nil); unknown names throw.
    ///   - checks: Check names (each host's enabled checks when nil).
    ///   - progress: Called as each host finishes (hosts done, hosts in all, that host), from its thread.
    public func scan(hosts: [String]? = nil, checks: [String]? = nil,
                     progress: (@Sendable (_ done: Int, _ total: Int, _ host: String) -> Void)? = nil) throws -> ScanReport {
        let selected: [HostConfig]
        if let hosts {
            selected = try hosts.map { name in
                guard let h = config.host(name) else { throw AgentError(.invalid, "host '\(name)' is not in the inventory (\(config.file))") }
                return h
            }
        } else {
            selected = config.hosts
        }
        for c in checks ?? [] where CheckCatalog.named(c) == nil {
            throw AgentError(.invalid, "unknown check '\(c)'; known: \(CheckCatalog.names.joined(separator: ", "))")
        }
        let scanID = try ledger.beginScan()
        // Hosts in parallel (bounded), each host's collections in one round trip: ScanService+Fleet.swift.
        let results = collect(hosts: selected, checks: checks, progress: progress)
        let open = try ledger.openFindings()
        // A partial scan only speaks for what it looked at.
        let scoped = open.filter { key, _ in results.contains { $0.host == key.host && $0.check == key.check } }
        let events = FindingReconciler.reconcile(results: results, open: scoped)
        try ledger.finishScan(scanID, results: results, events: events)
        // Ongoing findings not reported for reminder_hours come back once: Ledger+Reminders.swift.
        let reminders = try ledger.dueReminders(events, olderThan: Double(config.fleet.reminderHours) * 3600)
        var report = ScanReport(results: results, events: events, reminders: reminders)
        let now = environment.now()
        let book = currentWaivers()
        report.waived = book.active(at: now)
        report.lapsed = try tellLapsed(book.lapsed(at: now), open: try ledger.openFindings())
        return report
    }

    /// The ops repo's waivers; a file that does not parse waives nothing (every finding
    /// shows and plans as if unwaived) and the error is logged with its line.
    func currentWaivers() -> Waivers {
        do { return try Waivers.load(opsRepo: config.opsRepo) } catch {
            environment.log(.error, "\(error) — no finding is waived until it is fixed")
            return Waivers()
        }
    }

    /// Lapsed waivers not yet told, each told once to the operator (every channel, the cycle report).
    func tellLapsed(_ lapsed: [Waiver], open: [FindingKey: String]) throws -> [Waiver] {
        var told: [Waiver] = []
        for w in lapsed {
            let marker = "waiver.lapsed.\(w.key)@\(w.until ?? "")"
            guard try ledger.value(marker) == nil else { continue }
            try ledger.setValue(marker, Timestamp.string(environment.now()))
            let state = open[w.key] != nil ? "the finding counts again and will be planned" : "the finding is not open now"
            try ledger.addRecordingNotice("The waiver for \(w.key) by \(w.owner) (\(w.reason)) lapsed after \(w.until ?? "?"); \(state). "
                                          + "Renew it with `luna waive` or remove it from \(Waivers.relativePath).")
            told.append(w)
        }
        return told
    }

    /// Runs the finding's own check on its host again and stores what it saw, as a
    /// scan of that one check (so a fixed finding is resolved at once).
    ///
    /// - Returns: Whether the finding is gone, and a sentence saying what the check saw.
    ///   A check that could not run, or saw only part of the state, resolves nothing.
    func recheckFinding(_ finding: FindingRecord, on host: HostConfig) -> (resolved: Bool, detail: String) {
        let name = finding.check
        guard host.checks.contains(name) else {
            return (false, "the \(name) check is not enabled on \(host.name), so it cannot confirm the fix")
        }
        let results = scanHost(host, checks: [name])
        guard let result = results.first(where: { $0.check == name }) else {
            return (false, "the \(name) check did not run again, so nothing confirms the fix")
        }
        do {
            let scanID = try ledger.beginScan()
            let open = try ledger.openFindings().filter { $0.key.host == host.name && $0.key.check == name }
            try ledger.finishScan(scanID, results: results, events: FindingReconciler.reconcile(results: results, open: open))
        } catch {
            environment.log(.error, "cannot store the re-check of finding \(finding.id): \(error)")
        }
        guard result.status == .ok || result.status == .drift, !result.partial else {
            return (false, "the \(name) check could not confirm the fix (\(result.status.rawValue): \(Clip.characters(Recorder.oneLine(result.detail), 200)))")
        }
        if let still = result.items.first(where: { $0.subject == finding.subject }) {
            return (false, "the \(name) check still reports it: \(Clip.characters(Recorder.oneLine(still.summary), 200))")
        }
        return (true, "the \(name) check no longer reports it")
    }
}
