import Foundation
import LunaDrift
import LunaSystem

/// The node_exporter textfile (`[metrics] textfile`): Luna's state as Prometheus gauges.
///
/// Gauges only: every value is the state now (a status, a count of what is
/// open, a time), so a restart or a lost scrape loses nothing and no rate is
/// needed. Written after each scan cycle, atomically (a temporary file, then a
/// rename, mode 0644 so node_exporter can read it under luna's umask).
public struct MetricsFile: Sendable {
    public let context: AgentContext

    public init(context: AgentContext) { self.context = context }

    /// One sample of a gauge.
    struct Sample {
        var labels: [(String, String)]
        var value: Double
    }

    /// One gauge with its help text and samples.
    struct Gauge {
        var name: String
        var help: String
        var samples: [Sample]
    }

    /// The exposition text of every gauge, as of `now`.
    public func text(now: Date) throws -> String {
        let ledger = context.ledger, config = context.config
        var gauges: [Gauge] = []
        let observations = try ledger.latestObservations()
        let configured = Set(config.hosts.map(\.name))
        let current = observations.filter { configured.contains($0.host) }
        gauges.append(Gauge(name: "luna_check_status", help: "1 for the status the host's check had at its latest scan, 0 for the others.",
                            samples: current.flatMap { r in
                                CheckStatus.allCases.map { s in
                                    Sample(labels: [("host", r.host), ("check", r.check), ("status", s.rawValue)], value: r.status == s ? 1 : 0)
                                }
                            }))
        var open: [String: [String: Int]] = [:]
        for f in try ledger.findings() { open[f.host, default: [:]][f.check, default: 0] += 1 }
        // Every host and check scanned has a series, 0 when nothing is open, so a resolved finding shows as a drop to 0.
        for r in current where open[r.host]?[r.check] == nil { open[r.host, default: [:]][r.check] = 0 }
        gauges.append(Gauge(name: "luna_open_findings", help: "Open drift findings by host and check.",
                            samples: open.keys.sorted().flatMap { host in
                                open[host]!.keys.sorted().map { Sample(labels: [("host", host), ("check", $0)], value: Double(open[host]![$0]!)) }
                            }))
        let pending = try ledger.proposals(state: .awaitingApproval)
        gauges.append(Gauge(name: "luna_pending_approvals", help: "Proposals awaiting an operator's decision.",
                            samples: [Sample(labels: [], value: Double(pending.count))]))
        let oldest = pending.compactMap { Timestamp.date($0.createdAt) }.min()
        gauges.append(Gauge(name: "luna_oldest_pending_approval_age_seconds", help: "Age of the oldest proposal awaiting approval (0 when none).",
                            samples: [Sample(labels: [], value: oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0)]))
        let times = try ledger.scanTimes()
        if let started = times.lastStarted {
            gauges.append(Gauge(name: "luna_last_scan_timestamp_seconds", help: "When the latest scan started (Unix time).",
                                samples: [Sample(labels: [], value: started.timeIntervalSince1970)]))
        }
        if let duration = times.lastDuration {
            gauges.append(Gauge(name: "luna_last_scan_duration_seconds", help: "How long the latest finished scan took.",
                                samples: [Sample(labels: [], value: duration)]))
        }
        if let finished = times.lastFinished {
            gauges.append(Gauge(name: "luna_last_successful_scan_timestamp_seconds", help: "When the latest scan that stored its results finished (Unix time).",
                                samples: [Sample(labels: [], value: finished.timeIntervalSince1970)]))
        }
        gauges.append(Gauge(name: "luna_host_reachable", help: "1 when the host answered at the latest scan, 0 when it could not be reached.",
                            samples: config.hosts.compactMap { host in
                                let results = current.filter { $0.host == host.name }
                                guard !results.isEmpty else { return nil }
                                let reachable: Bool
                                if let reach = results.first(where: { $0.check == ReachCheck.name }) {
                                    reachable = reach.status == .ok
                                } else {
                                    reachable = results.contains { $0.status == .ok || $0.status == .drift }
                                }
                                return Sample(labels: [("host", host.name)], value: reachable ? 1 : 0)
                            }))
        let usage = try ledger.modelUsage(budget: config.llm?.dailyTokenBudget)
        gauges.append(Gauge(name: "luna_model_tokens_today", help: "Model tokens used today (UTC day).",
                            samples: [Sample(labels: [], value: Double(usage.tokens))]))
        if let budget = usage.budget {
            gauges.append(Gauge(name: "luna_model_token_budget", help: "The daily model token budget.",
                                samples: [Sample(labels: [], value: Double(budget))]))
        }
        var channels: [Sample] = []
        for kind in ChannelRegistry.kinds where config.channels.isConfigured(kind.name) {
            let state = try ChannelOutbox(ledger: ledger, channel: kind.name).health()?.state.rawValue ?? "not contacted yet"
            channels.append(Sample(labels: [("channel", kind.name)], value: state == "ok" ? 1 : 0))
        }
        gauges.append(Gauge(name: "luna_channel_up", help: "1 when the approval channel's last exchange succeeded, 0 when it is failing, halted or not contacted yet.",
                            samples: channels))
        return Self.render(gauges)
    }

    /// The text exposition format: `# HELP`, `# TYPE gauge`, then one line per sample.
    static func render(_ gauges: [Gauge]) -> String {
        var out = ""
        for g in gauges where !g.samples.isEmpty {
            out += "# HELP \(g.name) \(g.help)\n# TYPE \(g.name) gauge\n"
            for s in g.samples {
                let labels = s.labels.isEmpty ? "" : "{" + s.labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
                out += "\(g.name)\(labels) \(number(s.value))\n"
            }
        }
        return out
    }

    /// A label value escaped as the exposition format requires: backslash, double quote and line feed.
    public static func escape(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A sample value to the millisecond (the stored times' precision), without trailing zeros.
    static func number(_ value: Double) -> String {
        var text = String(format: "%.3f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    /// Writes the textfile when one is configured.
    ///
    /// - Throws: `SystemError` when it cannot be written (the daemon logs it and goes on).
    public func write(now: Date) throws {
        guard let path = context.config.operations.metricsTextfile else { return }
        try SystemFile.replace(path, with: Array(try text(now: now).utf8), mode: 0o644)
    }
}
