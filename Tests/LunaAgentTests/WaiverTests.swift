import Foundation
import Synchronization
import Testing
@testable import LunaAgent
import LunaDrift
import TestSupport

/// Waivers: an accepted finding is shown with its owner, reason and expiry, never
/// planned and not drift for the exit status, until the waiver lapses; then it
/// counts again and the operator is told once.
@Suite("waivers")
struct WaiverTests {
    static func agent(_ estate: Estate, _ clock: TestClock) throws -> Agent {
        try Agent(config: estate.configuration(), environment: AgentEnvironment(now: { clock.now }, log: { _ in }, sleep: { _ in }))
    }

    @Test func aWaivedFindingIsShownNeverPlannedAndComesBackWhenTheWaiverLapses() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let clock = TestClock(Waivers.day("2026-12-01")!.addingTimeInterval(12 * 3600))
        let agent = try Self.agent(estate, clock)
        let first = try agent.scanner.scan()
        #expect(first.hasDrift)
        let finding = try #require(try agent.ledger.findings().first)

        let (waiver, commit) = try agent.curation.waive(finding.key, until: "2026-12-03", reason: "the app rewrites it at start", owner: "alice")
        #expect(waiver.until == "2026-12-03")
        let file = try String(contentsOfFile: estate.ops.repo + "/" + Waivers.relativePath, encoding: .utf8)
        #expect(file.contains("owner = \"alice\"") && file.contains("until = \"2026-12-03\""))
        #expect(try estate.ops.git("log", "-1", "--format=%B", commit).contains("Waived-by: alice"))

        let waived = try agent.scanner.scan()
        #expect(!waived.hasDrift, "a waived finding is not drift for the exit status")
        #expect(waived.text.contains("waived until 2026-12-03 by alice (the app rewrites it at start)"))
        #expect(try agent.planning.plan().proposals.isEmpty, "a waived finding is never planned")
        #expect(throws: AgentError.self) { try agent.planning.planFinding(finding.id) }
        #expect(try agent.ledger.findings().count == 1, "it is still a finding, never hidden")

        // The last day still holds; the day after, the waiver has lapsed.
        clock.advance(2 * 86_400)
        #expect(!(try agent.scanner.scan()).hasDrift)
        clock.advance(86_400)
        let back = try agent.scanner.scan()
        #expect(back.hasDrift)
        #expect(back.lapsed.map(\.key) == [finding.key])
        #expect(back.text.contains("lapsed"))
        let notices = try agent.ledger.takeRecordingNotices()
        #expect(notices.count == 1 && notices[0].contains("lapsed after 2026-12-03") && notices[0].contains("counts again"))
        #expect(try agent.scanner.scan().lapsed.isEmpty, "told once")
        #expect(try agent.ledger.takeRecordingNotices().isEmpty)
        #expect(try agent.planning.plan().proposals.count == 1, "planned again once the waiver lapsed")
    }

    @Test func waivingChecksItsInputAndNeverTakesAPastDateOrNoReason() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let clock = TestClock(Waivers.day("2026-12-01")!)
        let agent = try Self.agent(estate, clock)
        #expect(throws: AgentError.self, "a finding Luna never saw") {
            try agent.curation.waive(FindingKey(host: "localhost", check: "files", subject: "x"), until: nil, reason: "r", owner: "a")
        }
        _ = try agent.scanner.scan()
        let key = try #require(try agent.ledger.findings().first).key
        #expect(throws: AgentError.self) { try agent.curation.waive(FindingKey(host: "nope", check: "files", subject: "x"), until: nil, reason: "r", owner: "a") }
        #expect(throws: AgentError.self) { try agent.curation.waive(FindingKey(host: "localhost", check: "nope", subject: "x"), until: nil, reason: "r", owner: "a") }
        #expect(throws: AgentError.self) { try agent.curation.waive(key, until: "2026-11-30", reason: "r", owner: "a") }
        #expect(throws: AgentError.self) { try agent.curation.waive(key, until: "next week", reason: "r", owner: "a") }
        #expect(throws: AgentError.self) { try agent.curation.waive(key, until: nil, reason: "  ", owner: "a") }
        let (w, _) = try agent.curation.waive(key, until: "30d", reason: "r", owner: "a")
        #expect(w.until == "2026-12-31")
        // A reason with quotes, a backslash, a line break and a control character survives the file.
        let odd = "say \"no\" \\ twice\nthen\u{1}stop — ok"
        let (_, _) = try agent.curation.waive(key, until: nil, reason: odd, owner: "o")
        #expect(try agent.curation.waivers().waiver(for: key)?.reason == odd)
        let (again, _) = try agent.curation.waive(key, until: nil, reason: "for good", owner: "b")
        #expect(try agent.curation.waivers().waivers == [try #require(try agent.curation.waivers().waiver(for: key))], "one waiver per finding")
        #expect(again.until == nil && again.shown == "waived with no expiry by b (for good)")
        #expect(try agent.curation.unwaive(key, by: "b") != nil)
        #expect(try agent.curation.waivers().waivers.isEmpty)
        #expect(try agent.curation.unwaive(key, by: "b") == nil)
    }

    @Test func aBrokenWaiversFileWaivesNothingAndNamesTheLine() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let clock = TestClock()
        let lines = Mutex<[String]>([])
        let agent = try Agent(config: estate.configuration(),
                              environment: AgentEnvironment(now: { clock.now }, log: { l in lines.withLock { $0.append(l) } }, sleep: { _ in }))
        _ = try agent.scanner.scan()
        let finding = try #require(try agent.ledger.findings().first)
        let text = """
            [[waiver]]
            host = "\(finding.host)"
            check = "\(finding.check)"
            subject = "\(finding.subject)"
            until = "soon"
            owner = "alice"
            reason = "typo in the date"

            """
        try text.write(toFile: estate.ops.repo + "/" + Waivers.relativePath, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try Waivers.load(opsRepo: estate.ops.repo) }
        do { _ = try Waivers.load(opsRepo: estate.ops.repo) } catch {
            #expect("\(error)".contains("waivers.toml:5") && "\(error)".contains("2027-01-31"))
        }
        let report = try agent.scanner.scan()
        #expect(report.hasDrift, "fail closed: the finding is not waived")
        #expect(lines.withLock { $0 }.contains { $0.contains("waivers.toml:5") && $0.contains("no finding is waived") })
        #expect(try agent.planning.plan().proposals.count == 1)
    }
}
