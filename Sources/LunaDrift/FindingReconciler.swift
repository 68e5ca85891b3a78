import Foundation

/// Identifies a finding across scans: the same host, check and subject is the same finding.
public struct FindingKey: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var host: String
    public var check: String
    public var subject: String

    public init(host: String, check: String, subject: String) {
        self.host = host
        self.check = check
        self.subject = subject
    }

    public var description: String { "\(host)/\(check)/\(subject)" }

    public static func < (a: FindingKey, b: FindingKey) -> Bool { a.description < b.description }
}

/// What a scan means for one finding.
public enum FindingEvent: Sendable, Equatable {
    /// Not open before: report it.
    case appeared(FindingKey, DriftItem)
    /// Open before with other content: report it again.
    case changed(FindingKey, DriftItem)
    /// Open before with the same content: report only as a reminder.
    case ongoing(FindingKey, DriftItem)
    /// Open before, and the check now ran and no longer sees it.
    case resolved(FindingKey)

    public var key: FindingKey {
        switch self {
        case .appeared(let k, _), .changed(let k, _), .ongoing(let k, _), .resolved(let k): return k
        }
    }
}

/// Turns a scan's results and the findings open before it into events.
///
/// Pure: persistence belongs to the caller. A check that was unavailable,
/// failed, or saw only part of the live state (`CheckResult.partial`) resolves
/// nothing: not seeing drift is not the same as seeing none.
public enum FindingReconciler {
    /// - Parameters:
    ///   - results: This scan's check results.
    ///   - open: The findings open before this scan, with their summaries.
    /// - Returns: One event per finding that is open now or was open before, sorted by key.
    public static func reconcile(results: [CheckResult], open: [FindingKey: String]) -> [FindingEvent] {
        var events: [FindingEvent] = []
        var seen = Set<FindingKey>()
        var conclusive = Set<String>()
        for result in results {
            guard result.status == .ok || result.status == .drift else { continue }
            if !result.partial { conclusive.insert(result.host + "\u{0}" + result.check) }
            for item in result.items {
                let key = FindingKey(host: result.host, check: result.check, subject: item.subject)
                guard seen.insert(key).inserted else { continue }
                switch open[key] {
                case nil: events.append(.appeared(key, item))
                case let summary? where summary != item.summary: events.append(.changed(key, item))
                default: events.append(.ongoing(key, item))
                }
            }
        }
        for key in open.keys where !seen.contains(key) && conclusive.contains(key.host + "\u{0}" + key.check) {
            events.append(.resolved(key))
        }
        return events.sorted { $0.key < $1.key }
    }
}
