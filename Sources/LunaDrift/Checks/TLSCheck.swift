import Foundation
import LunaFleet

/// TLS certificate expiry vs a days-left threshold, for endpoints and files.
///
/// Reference `configs/tls/<host>`: `endpoint HOST:PORT DAYS` (the served leaf
/// certificate, via `openssl s_client`; `NotAfter` from its chain listing) and
/// `file PATH DAYS` (via `openssl x509 -enddate`). All run in one argv
/// (`CommandSequence`). A certificate with fewer days left than DAYS, or one
/// that cannot be read, is a finding.
public struct TLSCheck: DriftCheck {
    public let name = "tls"
    public let referenceKind = "tls"

    public init() {}

    struct Target: Equatable {
        var kind: String
        var location: String
        var days: Int
        var label: String { kind + " " + location }
    }

    static func targets(_ b: Baseline) throws(BaselineError) -> [Target] {
        try b.requireKeywords(["endpoint", "file"])
        return try b.lines.map { line throws(BaselineError) -> Target in
            let f = line.fields
            guard f.count == 3, let days = Int(f[2]), days >= 0 else { throw b.error(line, "expected 'endpoint HOST:PORT DAYS' or 'file PATH DAYS'") }
            let kind = f[0].lowercased()
            if kind == "file" && !f[1].hasPrefix("/") { throw b.error(line, "file path must be absolute") }
            if kind == "endpoint" {
                let port = f[1].split(separator: ":").last.flatMap { Int($0) }
                guard f[1].contains(":"), !f[1].hasPrefix("-"), !f[1].hasPrefix(":"), let port, (1...65535).contains(port) else {
                    throw b.error(line, "endpoint is HOST:PORT with a port 1…65535, found '\(f[1])'")
                }
            }
            return Target(kind: kind, location: f[1], days: days)
        }
    }

    static func steps(_ targets: [Target]) -> [CommandSequence.Step] {
        targets.map { t in
            if t.kind == "file" {
                return .init(label: t.label, argv: ["openssl", "x509", "-noout", "-enddate", "-in", t.location])
            }
            var server = t.location
            if let colon = server.lastIndex(of: ":") { server = String(server[..<colon]) }
            server = server.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            return .init(label: t.label, argv: ["openssl", "s_client", "-connect", t.location, "-servername", server])
        }
    }

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.targets) {
        case .failure(let box):
            return .done(box.result)
        case .success(let (baseline, targets)):
            guard !targets.isEmpty else { return .done(unavailable(host, "\(baseline.file) lists no endpoint or file")) }
            guard let argv = CommandSequence.argv(Self.steps(targets)) else {
                return .done(failed(host, "bad reference: \(baseline.file) has a value that cannot be passed safely"))
            }
            return .run(argv: argv, reference: baseline)
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        evaluate(host: host, output: output, reference: reference, now: Date())
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?, now: Date) -> CheckResult {
        guard let reference, let targets = try? Self.targets(reference) else { return failed(host, "no usable reference") }
        if CommandSequence.missing("openssl", stderr: output.stderrText) { return unavailable(host, "openssl not installed") }
        let steps = CommandSequence.split(outputText(output))
        var items: [DriftItem] = []
        var lines: [String] = []
        for t in targets {
            guard let step = steps.first(where: { $0.label == t.label }), let end = Self.notAfter(step.output) else {
                items.append(DriftItem(subject: t.label, summary: "\(t.label): no certificate read", params: [t.kind: t.location]))
                continue
            }
            let days = Int((end.timeIntervalSince(now) / 86400).rounded(.down))
            lines.append("\(t.label): \(days) days left")
            if days < t.days {
                let what = days < 0 ? "expired \(-days) days ago" : "expires in \(days) days"
                items.append(DriftItem(subject: t.label, summary: "\(t.label) \(what) (threshold \(t.days))",
                                       params: [t.kind: t.location], observed: String(days)))
            }
        }
        return .compared(host: host, check: name, items: items, okDetail: lines.joined(separator: "; "))
    }

    /// The expiry in `openssl x509 -enddate` (`notAfter=…`) or `s_client` (`v:NotBefore: …; NotAfter: …`) output; the first (leaf) wins.
    public static func notAfter(_ text: String) -> Date? {
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("notAfter=") { return parseDate(String(line.dropFirst("notAfter=".count))) }
            if line.hasPrefix("v:"), let r = line.range(of: "NotAfter: ") { return parseDate(String(line[r.upperBound...])) }
        }
        return nil
    }

    /// Parses OpenSSL's `Dec  9 14:45:48 2026 GMT`.
    public static func parseDate(_ text: String) -> Date? {
        let f = fields(text)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard f.count >= 4, let month = months.firstIndex(of: f[0]), let day = Int(f[1]), let year = Int(f[3]) else { return nil }
        let hms = f[2].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3 else { return nil }
        var c = DateComponents()
        c.timeZone = TimeZone(identifier: "UTC")
        c.year = year; c.month = month + 1; c.day = day
        c.hour = hms[0]; c.minute = hms[1]; c.second = hms[2]
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: c)
    }
}
