import Foundation
import LunaStore

/// A scheduled scan that did not run, or a scan cycle that failed.
public struct ScanProblem: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// Scheduled scans whose time passed without a scan (luna was down, or a step overran).
        case missed
        /// A scan cycle that threw.
        case failed
    }
    public var id: Int64
    public var kind: Kind
    /// The scheduled time of the (first) scan that did not run, or when the failed cycle started.
    public var dueAt: String
    /// How many scheduled scans it covers (1 for a failure).
    public var scans: Int
    /// What happened, for the operator.
    public var detail: String
    /// When it was recorded.
    public var at: String

    /// One line for the log, `luna status` and the channels.
    public var text: String {
        switch kind {
        case .missed:
            "\(scans == 1 ? "the scheduled scan" : "\(scans) scheduled scans") due at \(dueAt)\(scans == 1 ? "" : " and after") did not run: \(detail)"
        case .failed:
            "the scan cycle at \(dueAt) failed: \(detail)"
        }
    }
}

/// The last scan's times, for the metrics.
public struct ScanTimes: Sendable, Equatable {
    /// When the newest scan started (finished or not).
    public var lastStarted: Date?
    /// How long the newest finished scan took.
    public var lastDuration: TimeInterval?
    /// When the newest scan finished (every finished scan stored its results).
    public var lastFinished: Date?
}

extension Ledger {
    /// Records a scan problem.
    @discardableResult
    public func recordScanProblem(_ kind: ScanProblem.Kind, dueAt: Date, scans: Int = 1, detail: String) throws -> ScanProblem {
        try db.run("INSERT INTO scan_problems(kind, due_at, scans, detail, at) VALUES (?,?,?,?,?)",
                   [.text(kind.rawValue), .text(Timestamp.string(dueAt)), .integer(Int64(scans)), .text(detail), .text(stamp)])
        return ScanProblem(id: db.lastInsertRowID, kind: kind, dueAt: Timestamp.string(dueAt), scans: scans, detail: detail, at: stamp)
    }

    /// Scan problems recorded after `since` (all when nil), oldest first, at most `limit`.
    public func scanProblems(since: Date? = nil, limit: Int = 100) throws -> [ScanProblem] {
        let rows = try db.query("SELECT * FROM (SELECT * FROM scan_problems WHERE at > ? ORDER BY id DESC LIMIT ?) ORDER BY id",
                                [.text(since.map(Timestamp.string) ?? ""), .integer(Int64(limit))])
        return rows.map { row in
            ScanProblem(id: row.int("id") ?? 0, kind: ScanProblem.Kind(rawValue: row.string("kind") ?? "") ?? .failed,
                        dueAt: row.string("due_at") ?? "", scans: Int(row.int("scans") ?? 1),
                        detail: row.string("detail") ?? "", at: row.string("at") ?? "")
        }
    }

    /// When the newest scan started (finished or not), if any.
    public func lastScanStartedAt() throws -> Date? {
        Timestamp.date(try db.queryOne("SELECT max(started_at) AS at FROM scans")?.string("at"))
    }

    /// The newest scan's start, the newest finished scan's end and duration.
    public func scanTimes() throws -> ScanTimes {
        let finished = try db.queryOne("SELECT started_at, finished_at FROM scans WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1")
        let start = Timestamp.date(finished?.string("started_at")), end = Timestamp.date(finished?.string("finished_at"))
        return ScanTimes(lastStarted: try lastScanStartedAt(),
                         lastDuration: start.flatMap { s in end.map { $0.timeIntervalSince(s) } },
                         lastFinished: end)
    }

    /// Decisions recorded after the approval row `after`, oldest first (the daemon logs each once).
    public func approvals(after: Int64) throws -> [(row: Int64, proposalID: Int64, record: ApprovalRecord)] {
        try db.query("SELECT id, proposal_id FROM approvals WHERE id > ? ORDER BY id", [.integer(after)]).compactMap { row in
            guard let id = row.int("id"), let pid = row.int("proposal_id"), let record = try approval(pid) else { return nil }
            return (id, pid, record)
        }
    }
}
