import Foundation
import LunaAgent

/// `luna status`: each approval channel's health, pending proposals, the last scan and the last error.
enum StatusCommand {
    struct Channel: Encodable {
        var channel: String
        var configured: Bool
        var state: String
        var failures: Int
        var lastOKAt: String?
        var lastError: String?
        var lastErrorAt: String?
        var nextAttemptAt: String?
    }

    struct Pending: Encodable {
        var id: Int64
        var host: String
        var argv: [String]
        var expiresAt: String?
        /// The channels where its card is posted.
        var postedOn: [String]
    }

    struct Status: Encodable {
        var channels: [Channel]
        var pending: [Pending]
        var lastScan: String?
        var lastError: String?
        /// Today's model use against the daily budget (budget nil without `[llm]`).
        var model: ModelUsage
        /// Why outcomes are not being committed to the ops repo, when they are not.
        var recording: RecordingBlock?
        /// Proposals whose action still runs from before luna last stopped (left `executing`).
        var executing: [Int64]
        /// Scheduled scans that did not run and scan cycles that failed, in the last 7 days (at most 20, oldest first).
        var scanProblems: [ScanProblem]
    }

    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let json = args.flag("--json")
        try args.finish()
        let agent = try context.agent()
        // Every channel the registry knows, configured or not, with its recorded health.
        let listing = try ChannelRegistry.listing(agent: agent)
        let channels = listing.map { c in
            guard c.configured else { return Channel(channel: c.name, configured: false, state: "not configured", failures: 0) }
            if c.name == ChannelRegistry.cli { return Channel(channel: c.name, configured: true, state: "ok", failures: 0) }
            let h = c.health
            return Channel(channel: c.name, configured: true, state: h?.state.rawValue ?? "not contacted yet", failures: h?.failures ?? 0,
                           lastOKAt: h?.lastOKAt, lastError: h?.lastError, lastErrorAt: h?.lastErrorAt, nextAttemptAt: h?.nextAttemptAt)
        }
        let health = listing.compactMap(\.health)
        let outboxes = listing.filter { $0.name != ChannelRegistry.cli }.map { ChannelOutbox(ledger: agent.ledger, channel: $0.name) }
        let pending = try agent.ledger.proposals(state: .awaitingApproval).map { p in
            Pending(id: p.id, host: p.host, argv: p.argv, expiresAt: p.expiresAt,
                    postedOn: try outboxes.filter { try $0.item(.proposal, proposalID: p.id)?.externalID != nil }.map(\.channel))
        }
        let lastError = health.filter { $0.lastError != nil }.max { ($0.lastErrorAt ?? "") < ($1.lastErrorAt ?? "") }
        let status = Status(channels: channels, pending: pending, lastScan: try agent.ledger.lastScanAt(),
                            lastError: lastError.map { "\($0.channel) at \($0.lastErrorAt ?? "?"): \($0.lastError ?? "")" },
                            model: try agent.modelUsageToday(), recording: try agent.ledger.recordingBlock(),
                            executing: try agent.ledger.proposals(state: .executing).map(\.id),
                            scanProblems: try agent.ledger.scanProblems(since: agent.environment.now().addingTimeInterval(-7 * 86_400), limit: 20))
        if json {
            try printJSON(status)
            return Exit.ok
        }
        emit("Approval channels:")
        for c in channels {
            var line = "  \(c.channel.padding(toLength: 8, withPad: " ", startingAt: 0)) \(shown(c.state))"
            if c.failures > 0 { line += " (\(c.failures) failure\(c.failures == 1 ? "" : "s") in a row)" }
            if let next = c.nextAttemptAt { line += "; next attempt \(shown(next))" }
            if let ok = c.lastOKAt { line += "; last contact \(shown(ok))" }
            emit(line)
        }
        emit("Last scan: \(shown(status.lastScan ?? "never"))")
        emit("Last error: \(shown(status.lastError ?? "none"))")
        if status.scanProblems.isEmpty {
            emit("Scheduled scans: ok (none missed or failed in the last 7 days)")
        } else {
            emit("Scheduled scans: \(status.scanProblems.count) problem\(status.scanProblems.count == 1 ? "" : "s") in the last 7 days:")
            for p in status.scanProblems { emit("  \(shown(p.at))  \(shown(p.text))") }
        }
        if let block = status.recording {
            emit("Recording: blocked since \(shown(block.since)): \(shown(block.reason))")
        } else {
            emit("Recording: ok")
        }
        if !status.executing.isEmpty {
            emit("Executing: " + status.executing.map { "#\($0)" }.joined(separator: ", ") + " (see: luna show ID)")
        }
        let m = status.model
        if let budget = m.budget {
            emit("Model use today (\(m.day) UTC): \(m.tokens) of \(budget) tokens in \(m.calls) call\(m.calls == 1 ? "" : "s")"
                  + (m.tokens >= budget ? " — over budget: the planner stops calling the model until tomorrow" : ""))
        } else {
            emit("Model: not configured (planning from skills only)")
        }
        if pending.isEmpty {
            emit("No proposal is awaiting approval.")
        } else {
            emit("Awaiting approval (\(pending.count)):")
            for p in pending {
                emit("  #\(p.id)  \(shown(p.host))  \(shownArgv(p.argv))  expires \(shown(p.expiresAt ?? "never"))"
                      + (p.postedOn.isEmpty ? "" : "  (posted on \(p.postedOn.joined(separator: ", ")))"))
            }
        }
        return Exit.ok
    }
}
