import Foundation
import LunaAgent
import Testing
import TestSupport

/// A luna killed inside git's private-index steps must not block recording for ever.
@Suite("private index leftovers", .serialized)
struct ScratchIndexTests {
    @Test func aDeadLunasPrivateIndexLockDoesNotBlockTheNextCommit() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let agent = try Agent(config: estate.configuration(), environment: AgentEnvironment(log: { _ in }))
        _ = try agent.scanner.scan()
        let p = try #require(try agent.planning.plan().proposals.first)
        try agent.ledger.decide(p.id, .approve, approver: "op", channel: "cli")
        #expect(try agent.execution.executeApproved() == [p.id])
        // What a luna killed inside `git read-tree`/`update-index` leaves in the state directory:
        // the shared private index of older versions, and a per-process one of a pid that is gone.
        let state = agent.config.stateDirectory
        let leftovers = ["record.index", "record.index.lock", "record.index-2147483646-7", "record.index-2147483646-7.lock"]
        for name in leftovers { FileManager.default.createFile(atPath: state + "/" + name, contents: Data()) }
        let recorded = try agent.recorder.recordPending()
        #expect(recorded.map(\.0) == [p.id], "recorded despite the leftovers")
        for name in leftovers { #expect(!FileManager.default.fileExists(atPath: state + "/" + name), "\(name) was cleared") }
        #expect(try estate.ops.git("status", "--porcelain") == "")
        // A live process's private index is left alone.
        let mine = state + "/record.index-1-9.lock"   // pid 1 is always alive
        FileManager.default.createFile(atPath: mine, contents: Data())
        _ = try agent.recorder.repo.prepare()
        #expect(FileManager.default.fileExists(atPath: mine))
    }
}
