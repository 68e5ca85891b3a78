import Foundation
import LunaDrift
import LunaText

extension CurationService {
    /// The waivers in the ops repo.
    public func waivers() throws -> Waivers { try Waivers.load(opsRepo: config.opsRepo) }

    /// Writes (or replaces) the waiver for `key` and commits `configs/waivers.toml`.
    ///
    /// - Parameters:
    ///   - until: A date (`2027-01-31`, the last day it holds) or days from now (`30d`); nil: no expiry.
    ///   - reason: Why the finding is accepted; required.
    ///   - owner: Who accepts it.
    /// - Returns: The waiver and the commit.
    /// - Throws: `AgentError.invalid` naming what is wrong (unknown host or check, a past date, no reason).
    public func waive(_ key: FindingKey, until: String?, reason: String, owner: String) throws -> (Waiver, String) {
        guard config.host(key.host) != nil else { throw AgentError(.invalid, "host '\(key.host)' is not in the inventory (\(config.file))") }
        guard CheckCatalog.named(key.check) != nil || key.check == ReachCheck.name else {
            throw AgentError(.invalid, "unknown check '\(key.check)'; known: \(CheckCatalog.names.joined(separator: ", "))")
        }
        guard !key.subject.isEmpty else { throw AgentError(.invalid, "name the finding as HOST/CHECK/SUBJECT (see `luna status` for subjects)") }
        // A waiver for a finding Luna never saw is most likely a mistyped subject: it would waive nothing.
        let known = try ledger.findings(state: nil)
        guard known.contains(where: { $0.key == key }) else {
            let near = known.filter { $0.host == key.host && $0.check == key.check }.map { "\($0.id): \($0.key)" }
            throw AgentError(.notFound, "no finding \(key) is known" + (near.isEmpty ? "" : "; \(key.host)/\(key.check) findings: " + near.joined(separator: ", "))
                             + " (give HOST/CHECK/SUBJECT exactly, or the finding's id from `luna status`)")
        }
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw AgentError(.invalid, "a waiver needs --reason: why the finding is accepted") }
        let now = environment.now()
        var day: String? = nil
        if let until {
            guard let d = Waivers.until(until, now: now) else {
                throw AgentError(.invalid, "--until \(until): give the last day it holds (2027-01-31) or a number of days (30d)")
            }
            guard let end = Waivers.day(d), end.addingTimeInterval(86_400) > now else {
                throw AgentError(.invalid, "--until \(d) is in the past; a waiver must hold at least until today")
            }
            day = d
        }
        var book = try waivers()
        let waiver = Waiver(host: key.host, check: key.check, subject: key.subject, until: day, owner: owner, reason: why,
                            created: Timestamp.string(now), source: Waivers.relativePath)
        book.waivers.removeAll { $0.key == key }
        book.waivers.append(waiver)
        let message = "waiver: \(Clip.characters(Recorder.oneLine("\(key)"), 60)) " + (day.map { "until \($0)" } ?? "with no expiry")
            + "\n\n" + Recorder.wrap("Accepted by \(owner): \(Recorder.oneLine(why))") + "\n\nHost: \(key.host)\nCheck: \(key.check)\n"
            + "Waived-by: \(owner)\nUntil: \(day ?? "none")\n"
        let commit = try git.commit(files: [Waivers.relativePath: book.render()], message: message)
        return (waiver, commit)
    }

    /// Removes the waiver for `key` and commits; the finding counts again at the next scan.
    ///
    /// - Returns: The commit, or nil when there was no such waiver.
    public func unwaive(_ key: FindingKey, by who: String) throws -> String? {
        var book = try waivers()
        guard book.waiver(for: key) != nil else { return nil }
        book.waivers.removeAll { $0.key == key }
        return try git.commit(files: [Waivers.relativePath: book.render()],
                              message: "waiver removed: \(Clip.characters(Recorder.oneLine("\(key)"), 60))\n\nRemoved by \(who).\n\nHost: \(key.host)\nCheck: \(key.check)\n")
    }
}
