import Foundation
import LunaAgent
import LunaConfig
import Testing

@Suite("Scan schedule")
struct ScanScheduleTests {
    let utc = TimeZone(identifier: "UTC")!

    func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test("the interval alone")
    func intervalOnly() {
        let s = ScanSchedule(interval: 300, timeZone: utc)
        #expect(s.nextScan(after: date("2026-01-01T05:58:00Z")) == date("2026-01-01T06:03:00Z"))
    }

    @Test("the daily time wins when it comes before the interval, and rolls to the next day")
    func dailyTime() {
        let s = ScanSchedule(interval: 3600, daily: DailyTime("06:00"), timeZone: utc)
        #expect(s.nextScan(after: date("2026-01-01T05:58:00Z")) == date("2026-01-01T06:00:00Z"))
        #expect(s.nextScan(after: date("2026-01-01T06:00:00Z")) == date("2026-01-01T07:00:00Z"))
        #expect(s.nextDaily(after: date("2026-01-01T06:00:00Z")) == date("2026-01-02T06:00:00Z"))
    }

    @Test("HH:MM parsing", arguments: [("06:00", true), ("23:59", true), ("24:00", false), ("6:00", false), ("06:0", false), ("ab:cd", false), ("06:00:00", false)])
    func parsing(text: String, valid: Bool) {
        #expect((DailyTime(text) != nil) == valid)
    }
}
