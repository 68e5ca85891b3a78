import Foundation
import LunaConfig

/// When the daemon scans next: every `interval` seconds, and also at a daily local time.
public struct ScanSchedule: Sendable, Equatable {
    /// Seconds between scans.
    public var interval: Int
    /// An extra scan every day at this local time, or nil.
    public var daily: DailyTime?
    /// The time zone `daily` is read in (the machine's, by default).
    public var timeZone: TimeZone

    /// Creates a schedule.
    ///
    /// - Parameters:
    ///   - interval: Seconds between scans.
    ///   - daily: The daily scan time, or nil.
    ///   - timeZone: The zone of `daily` (default: the machine's).
    public init(interval: Int, daily: DailyTime? = nil, timeZone: TimeZone = .current) {
        self.interval = interval
        self.daily = daily
        self.timeZone = timeZone
    }

    /// The schedule of a configuration.
    public init(_ config: LunaConfiguration) {
        self.init(interval: config.scanIntervalSeconds, daily: config.fleet.dailyScan)
    }

    /// The next scan after one that started at `last`: the interval or the daily time, whichever comes first.
    ///
    /// - Parameter last: When the last scan started (or now).
    /// - Returns: When to scan next (always later than `last`).
    public func nextScan(after last: Date) -> Date {
        let byInterval = last.addingTimeInterval(Double(interval))
        guard let daily = nextDaily(after: last) else { return byInterval }
        return min(byInterval, daily)
    }

    /// The first daily scan time strictly after `date`, or nil without a daily time.
    public func nextDaily(after date: Date) -> Date? {
        guard let daily else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.nextDate(after: date, matching: DateComponents(hour: daily.hour, minute: daily.minute, second: 0),
                                 matchingPolicy: .nextTime)
    }
}
