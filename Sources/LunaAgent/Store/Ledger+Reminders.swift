import Foundation
import LunaDrift
import LunaStore

extension Ledger {
    /// The ongoing findings due for a reminder, marked as reported now.
    ///
    /// A finding is reported when it appears or changes (`last_reported_at` is set
    /// then); while it stays the same it comes back at most once every `interval`
    /// seconds.
    ///
    /// - Parameters:
    ///   - events: This scan's events (only `.ongoing` ones are considered).
    ///   - interval: Seconds between reminders (`reminder_hours` × 3600).
    /// - Returns: The `.ongoing` events to remind, in key order.
    public func dueReminders(_ events: [FindingEvent], olderThan interval: Double) throws -> [FindingEvent] {
        let nowDate = now()
        let stamp = Timestamp.string(nowDate)
        var due: [FindingEvent] = []
        try db.transaction {
            for event in events {
                guard case .ongoing(let k, _) = event else { continue }
                let row = try db.queryOne("SELECT last_reported_at FROM findings WHERE host=? AND check_name=? AND subject=? AND state='open'",
                                          [.text(k.host), .text(k.check), .text(k.subject)])
                guard let row else { continue }
                let last = Timestamp.date(row.string("last_reported_at"))
                if let last, nowDate.timeIntervalSince(last) < interval { continue }
                try db.run("UPDATE findings SET last_reported_at=? WHERE host=? AND check_name=? AND subject=?",
                           [.text(stamp), .text(k.host), .text(k.check), .text(k.subject)])
                due.append(event)
            }
        }
        return due
    }
}
