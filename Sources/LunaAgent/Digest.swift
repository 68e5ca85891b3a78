import Foundation
import LunaConfig

/// The daily digest (`[digest] at`): one message a day on every channel, so silence means Luna is down.
///
/// "drift-clean across N hosts", or the open findings; the proposals awaiting
/// approval; the scan problems (missed or failed scans) since the last digest;
/// each channel's health. Plain text: each channel renders it inert and redacted.
public struct Digest: Sendable {
    public let context: AgentContext

    public init(context: AgentContext) { self.context = context }

    /// The ledger key holding when the last digest was sent.
    static let lastKey = "digest.last_at"

    /// When the digest is due next after `date`, in the machine's local time (nil without `[digest]`).
    public static func next(after date: Date, at time: DailyTime?, timeZone: TimeZone = .current) -> Date? {
        guard let time else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.nextDate(after: date, matching: DateComponents(hour: time.hour, minute: time.minute, second: 0),
                                 matchingPolicy: .nextTime)
    }

    /// The digest's lines as of `now`, covering scan problems since the last digest (or the last day).
    public func lines(now: Date) throws -> [String] {
        let ledger = context.ledger
        let hosts = context.config.hosts.count
        let since = Timestamp.date(try ledger.value(Self.lastKey)) ?? now.addingTimeInterval(-86_400)
        var lines = ["Luna daily digest, \(Timestamp.string(now)):"]
        let findings = try ledger.findings()
        if findings.isEmpty {
            lines.append("drift-clean across \(hosts) host\(hosts == 1 ? "" : "s").")
        } else {
            lines.append("\(findings.count) open finding\(findings.count == 1 ? "" : "s") across \(hosts) host\(hosts == 1 ? "" : "s"):")
            for f in findings.prefix(10) { lines.append("  \(f.host)/\(f.check): \(f.summary)") }
            if findings.count > 10 { lines.append("  … and \(findings.count - 10) more (luna status, luna scan)") }
        }
        let pending = try ledger.proposals(state: .awaitingApproval)
        if pending.isEmpty {
            lines.append("No proposal awaits approval.")
        } else {
            lines.append("\(pending.count) proposal\(pending.count == 1 ? "" : "s") awaiting approval:")
            for p in pending.prefix(10) {
                lines.append("  #\(p.id) \(p.host): \(p.argv.joined(separator: " "))" + (p.expiresAt.map { " (expires \($0))" } ?? ""))
            }
        }
        let problems = try ledger.scanProblems(since: since)
        if problems.isEmpty {
            lines.append("No missed or failed scan since the last digest.")
        } else {
            lines.append("\(problems.count) scan problem\(problems.count == 1 ? "" : "s") since the last digest:")
            for p in problems.suffix(10) { lines.append("  " + p.text) }
        }
        for kind in ChannelRegistry.kinds where context.config.channels.isConfigured(kind.name) {
            let health = try ChannelOutbox(ledger: ledger, channel: kind.name).health()
            lines.append("Channel \(kind.name): \(health?.state.rawValue ?? "not contacted yet")"
                         + (health?.lastError.map { "; last error: \($0)" } ?? ""))
        }
        return lines
    }

    /// Marks the digest sent at `now` (the next one reports problems after it).
    public func markSent(_ now: Date) throws {
        try context.ledger.setValue(Self.lastKey, Timestamp.string(now))
    }
}
