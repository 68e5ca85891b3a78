import Foundation
import LunaCodec
import LunaStore

/// Why outcomes are not being committed to the ops repo right now.
public struct RecordingBlock: Sendable, Codable, Equatable {
    /// What git said, and what to do about it.
    public var reason: String
    /// When recording first failed in this episode.
    public var since: String
    /// Whether the operator has been told (once per episode).
    public var told: Bool
}

extension Ledger {
    /// Proposals whose story is over and whose outcome is not committed yet, oldest first.
    public func proposalsToRecord() throws -> [Proposal] {
        try db.query("""
            SELECT * FROM proposals WHERE commit_id IS NULL
            AND state IN ('refused','denied','expired','interrupted','succeeded','failed') ORDER BY id
            """).map(Proposal.init)
    }

    /// Stores the commit and note of a proposal's outcome; a succeeded or failed proposal
    /// moves on to `recorded` (the other terminal states have no successor). Runs in the
    /// caller's transaction, beside the memory index and the skill stats of the same outcome.
    func markRecorded(_ p: Proposal, commit: String, notePath: String) throws {
        try db.transaction {
            try db.run("UPDATE proposals SET commit_id=?, note_path=? WHERE id=?", [.text(commit), .text(notePath), .integer(p.id)])
            if p.state == .succeeded || p.state == .failed {
                try transition(p.id, from: p.state, to: .recorded, note: "commit \(commit.prefix(12))")
            }
        }
    }

    static let recordingBlockKey = "recorder.blocked"
    static let recordingNoticesKey = "recorder.notices"

    /// The current recording block, or nil when the recorder records.
    public func recordingBlock() throws -> RecordingBlock? {
        guard let text = try value(Self.recordingBlockKey), !text.isEmpty else { return nil }
        return try? JSONDecoder().decode(RecordingBlock.self, from: Data(text.utf8))
    }

    /// Notes that recording is blocked; the episode keeps its start and whether it was told.
    func setRecordingBlocked(_ reason: String) throws {
        try db.transaction {
            let old = try recordingBlock()
            let block = RecordingBlock(reason: reason, since: old?.since ?? stamp, told: old?.told ?? false)
            try setValue(Self.recordingBlockKey, String(decoding: try JSONEncoder().encode(block), as: UTF8.self))
        }
    }

    /// Ends a blocking episode; when there was one, the operator is told that recording resumed.
    func clearRecordingBlocked(recorded: Int) throws {
        guard try recordingBlock() != nil else { return }   // the common case: no write transaction at every poll
        try db.transaction {
            guard let old = try recordingBlock() else { return }
            try db.run("DELETE FROM kv WHERE key=?", [.text(Self.recordingBlockKey)])
            if old.told {
                try addRecordingNotice("Recording resumed (blocked since \(old.since)); \(recorded) pending outcome\(recorded == 1 ? "" : "s") committed.")
            }
        }
    }

    /// Queues a sentence for the operator about the ops repo (a removed stale lock, a repair).
    func addRecordingNotice(_ line: String) throws {
        try db.transaction {
            var notices = JSONValue.decodeStrings(try value(Self.recordingNoticesKey)) ?? []
            notices.append(line)
            try setValue(Self.recordingNoticesKey, JSONValue.encode(Array(notices.suffix(50))))
        }
    }

    /// The recorder's notices not yet shown, plus the current block the first time it is asked.
    ///
    /// Each is returned once: the daemon prints them and posts them to Discord.
    public func takeRecordingNotices() throws -> [String] {
        if try value(Self.recordingNoticesKey) == nil, try recordingBlock()?.told ?? true { return [] }
        return try db.transaction {
            var notices = JSONValue.decodeStrings(try value(Self.recordingNoticesKey)) ?? []
            try db.run("DELETE FROM kv WHERE key=?", [.text(Self.recordingNoticesKey)])
            if var block = try recordingBlock(), !block.told {
                notices.append("Recording outcomes in the ops repo is blocked (since \(block.since)): \(block.reason). "
                               + "Scanning, gating and approvals go on; pending outcomes are committed once it clears.")
                block.told = true
                try setValue(Self.recordingBlockKey, String(decoding: try JSONEncoder().encode(block), as: UTF8.self))
            }
            return notices
        }
    }
}
