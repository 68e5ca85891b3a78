import Foundation

/// The state a check found on one host.
public enum CheckStatus: String, Sendable, Codable, CaseIterable {
    /// Live state matches the reference.
    case ok
    /// Live state differs from the reference; see the result's items.
    case drift
    /// The check cannot run here (tool missing, no reference, not configured), with the reason.
    case unavailable
    /// The check ran but failed (non-zero exit, unparseable output).
    case error
}

/// One difference between live state and its reference; each becomes a finding.
public struct DriftItem: Sendable, Codable, Equatable {
    /// What differs, stable across scans (a path, a listener, a setting name).
    public var subject: String
    /// One line a person reads: what was expected and what was found.
    public var summary: String
    /// Values a skill may use as parameters. Taken from the reference and the
    /// configuration only, never from live output, so a host cannot steer an argv.
    public var params: [String: String]
    /// Live detail for the report (may come from the host; never used in an argv).
    public var observed: String

    public init(subject: String, summary: String, params: [String: String] = [:], observed: String = "") {
        self.subject = subject
        self.summary = summary
        self.params = params
        self.observed = observed
    }
}

/// What one check reported for one host in one scan.
public struct CheckResult: Sendable, Codable, Equatable {
    public var host: String
    public var check: String
    public var status: CheckStatus
    /// A readable explanation: the diff, or why the check was unavailable or failed.
    public var detail: String
    /// The differences, one per finding (empty unless `status == .drift`).
    public var items: [DriftItem]
    /// The collection saw only part of the live state (some files unreadable):
    /// what it reports is real, but what it did not see is no evidence of
    /// absence, so a partial result resolves no finding.
    public var partial: Bool

    public init(host: String, check: String, status: CheckStatus, detail: String, items: [DriftItem] = [], partial: Bool = false) {
        self.host = host
        self.check = check
        self.status = status
        self.detail = detail
        self.items = items
        self.partial = partial
    }

    enum CodingKeys: String, CodingKey { case host, check, status, detail, items, partial }

    /// Decodes a result; one stored before `partial` existed was complete.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        host = try c.decode(String.self, forKey: .host)
        check = try c.decode(String.self, forKey: .check)
        status = try c.decode(CheckStatus.self, forKey: .status)
        detail = try c.decode(String.self, forKey: .detail)
        items = try c.decode([DriftItem].self, forKey: .items)
        partial = try c.decodeIfPresent(Bool.self, forKey: .partial) ?? false
    }

    /// A result that compares a set of differences: `.ok` when there are none.
    public static func compared(host: String, check: String, items: [DriftItem], okDetail: String) -> CheckResult {
        if items.isEmpty {
            return CheckResult(host: host, check: check, status: .ok, detail: okDetail)
        }
        let detail = items.map { "  " + $0.summary }.joined(separator: "\n")
        return CheckResult(host: host, check: check, status: .drift, detail: detail, items: items)
    }
}
