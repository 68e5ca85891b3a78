import Foundation

/// A way the operator hears about proposals and decides on them, outside the CLI.
///
/// A channel publishes proposals awaiting approval, collects the operator's
/// decisions (and hands each to `Ledger.decide`, the one path every channel
/// and the CLI decide through), announces outcomes, and tells the operator of
/// problems once. The daemon drives every configured channel the same way;
/// it knows no channel by name. Discord is the one conformance today
/// (`DiscordApprovals`); a channel must never throw into the loop, so an
/// unreachable channel never stops the scans.
public protocol ApprovalChannel: Sendable {
    /// The channel's name, as recorded with its decisions (`discord`).
    var name: String { get }
    /// Posts what a scan changed (nothing when there is nothing to say).
    func report(_ scan: ScanReport?)
    /// Publishes, collects decisions and announces outcomes when due (`force`: now,
    /// unless the channel is backing off or halted).
    ///
    /// - Returns: Whether a sync ran and succeeded.
    @discardableResult func tick(force: Bool) -> Bool
    /// Tells the operator something once (a blocked recorder, a repaired ops repo).
    func notice(_ text: String)
}

extension DiscordApprovals: ApprovalChannel {
    public var name: String { Self.channel }

    public func notice(_ text: String) {
        do { try agent.ledger.discordEnqueue(kind: "notice", proposalID: nil, content: "⚠️ " + text) } catch {
            agent.environment.log("discord: cannot queue the notice: \(error)")
        }
    }
}
