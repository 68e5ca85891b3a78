import Foundation
import LunaConfig
import LunaDrift

/// An acknowledged finding: who accepted it, why, and until when.
///
/// A waived finding is still a finding — scanned, stored and shown as
/// `waived until … by … (reason)` in every report — but it is never planned and
/// does not count as drift for the exit status. When the waiver lapses the finding
/// counts again and the operator is told once. Waivers live in the ops repo
/// (`configs/waivers.toml`), so every one is reviewed and committed like a reference.
public struct Waiver: Sendable, Codable, Equatable {
    public var host: String
    public var check: String
    public var subject: String
    /// The last day (UTC, `YYYY-MM-DD`) the waiver holds; nil: until removed.
    public var until: String?
    public var owner: String
    public var reason: String
    /// When it was written.
    public var created: String
    /// Where it is written (`configs/waivers.toml:12`).
    public var source: String

    public var key: FindingKey { FindingKey(host: host, check: check, subject: subject) }

    /// The instant the waiver ends: the start of the day after `until`, UTC.
    public var end: Date? { until.flatMap(Waivers.day).map { $0.addingTimeInterval(86_400) } }

    /// Whether it holds at `now`.
    public func isActive(at now: Date) -> Bool { end.map { now < $0 } ?? true }

    /// How a report shows it: `waived until 2027-01-31 by alice (legacy client)`.
    public var shown: String {
        "waived " + (until.map { "until \($0)" } ?? "with no expiry") + " by \(owner) (\(reason))"
    }
}

/// The ops repo's waivers file, `configs/waivers.toml`: one `[[waiver]]` table each.
///
/// ```toml
/// [[waiver]]
/// host = "web1"
/// check = "sshd"
/// subject = "passwordauthentication"
/// until = "2027-01-31"        # optional: no expiry when absent
/// owner = "alice"
/// reason = "the legacy client needs it until the migration"
/// created = "2026-12-01T18:00:00.000Z"
/// ```
public struct Waivers: Sendable, Equatable {
    /// The file, relative to the ops repo.
    public static let relativePath = "configs/waivers.toml"

    public var waivers: [Waiver]

    public init(_ waivers: [Waiver] = []) { self.waivers = waivers }

    /// Reads the file (none is no waiver).
    ///
    /// - Throws: `ConfigError` naming `file:line:column` and the fix for a malformed file.
    public static func load(opsRepo: String) throws -> Waivers {
        let path = opsRepo + "/" + relativePath
        guard FileManager.default.fileExists(atPath: path) else { return Waivers() }
        let root = TableReader(try TOML.load(path: path))
        try root.checkKnownKeys(["waiver"])
        var out: [Waiver] = []
        var seen: Set<FindingKey> = []
        for t in try root.tables("waiver") {
            try t.checkKnownKeys(["host", "check", "subject", "until", "owner", "reason", "created"])
            let until = try t.optionalString("until")
            if let until, day(until) == nil {
                throw t.error("until", "must be a date like 2027-01-31 (the last day the waiver holds), found \"\(until)\"")
            }
            let reason = try t.string("reason")
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw t.error("reason", "must say why the finding is accepted") }
            let w = Waiver(host: try t.string("host"), check: try t.string("check"), subject: try t.string("subject"),
                           until: until, owner: try t.string("owner"), reason: reason,
                           created: try t.optionalString("created") ?? "", source: "\(relativePath):\(t.position.line)")
            guard seen.insert(w.key).inserted else {
                throw t.error("subject", "waives \(w.key) a second time; keep one waiver per finding")
            }
            out.append(w)
        }
        return Waivers(out)
    }

    /// The waivers that hold at `now`, by finding.
    public func active(at now: Date) -> [FindingKey: Waiver] {
        var out: [FindingKey: Waiver] = [:]
        for w in waivers where w.isActive(at: now) { out[w.key] = w }
        return out
    }

    /// The waivers whose day has passed.
    public func lapsed(at now: Date) -> [Waiver] { waivers.filter { !$0.isActive(at: now) } }

    /// The waiver for `key`, if any.
    public func waiver(for key: FindingKey) -> Waiver? { waivers.first { $0.key == key } }

    /// The file's text, one table per waiver, sorted by finding.
    public func render() -> String {
        func q(_ s: String) -> String {
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7f {
                        out += String(format: "\\u%04X", scalar.value)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        }
        var text = "# Findings the operator accepted, each with its owner, reason and expiry (`luna waive`, `luna waivers`).\n"
        for w in waivers.sorted(by: { $0.key < $1.key }) {
            text += "\n[[waiver]]\nhost = \(q(w.host))\ncheck = \(q(w.check))\nsubject = \(q(w.subject))\n"
            if let until = w.until { text += "until = \(q(until))\n" }
            text += "owner = \(q(w.owner))\nreason = \(q(w.reason))\n"
            if !w.created.isEmpty { text += "created = \(q(w.created))\n" }
        }
        return text
    }

    /// `YYYY-MM-DD` as the start of that day, UTC; nil for anything else.
    public static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), (1...31).contains(d) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: y, month: m, day: d)
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        return date
    }

    /// The `until` a `--until` value names: a date (`2027-01-31`) or a number of days from `now` (`30d`).
    public static func until(_ text: String, now: Date) -> String? {
        if day(text) != nil { return text }
        guard text.hasSuffix("d"), let days = Int(text.dropLast()), (1...3650).contains(days) else { return nil }
        return String(Timestamp.string(now.addingTimeInterval(Double(days) * 86_400)).prefix(10))
    }
}
