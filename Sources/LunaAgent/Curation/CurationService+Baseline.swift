import Foundation
import LunaDrift
import LunaFleet

/// What capturing one check's current state would change in its reference.
public struct BaselineChange: Sendable, Equatable, Encodable {
    public var host: String
    public var check: String
    /// The reference path, relative to the ops repo (`configs/<kind>/<host>`).
    public var path: String
    /// Lines a capture adds.
    public var added: [String]
    /// Lines a capture removes.
    public var removed: [String]
    /// The whole new reference text (sorted, one item a line); nil when the check could not be captured.
    public var content: String?
    /// Why the check could not be captured, or nil.
    public var problem: String?
    /// sshd settings weaker than the policy that the capture accepted (`--accept-weaker`):
    /// the reference holds the policy's value and each becomes a waiver.
    public var weaker: [WeakerSetting] = []
    /// What the capture left out, and why (a proposed path that does not exist).
    public var notes: [String] = []
    /// Where a stateful check's next scan starts once this reference is written (the auth
    /// log's end): the failures before the capture, the onboarding's own refused sudo among
    /// them, were the state captured, not news.
    public var startState: StartState?

    public struct StartState: Sendable, Equatable, Encodable {
        public var key: String
        public var value: String
    }

    /// Whether the capture changes nothing.
    public var isUnchanged: Bool { added.isEmpty && removed.isEmpty && problem == nil }
}

extension CurationService {
    /// Collects the current state of a host's capturable checks and compares it with the references.
    ///
    /// A check whose subjects depend on the host (the engine, the TLS listeners) is probed
    /// first, unprivileged, in one round trip; then every capture runs in one more, each
    /// that needs root through the read set like the check's own collection.
    ///
    /// - Parameters:
    ///   - host: The inventory name.
    ///   - checks: Check names (all of the host's capturable enabled checks when nil).
    ///   - acceptWeaker: Accept sshd values weaker than the policy (as waivers) instead of refusing them.
    ///   - seeds: By check name, what to capture when the host has no reference yet (luna
    ///     init's path list for files).
    ///   - seedsMayLack: A seeded path that does not exist is left out, with a note (init's
    ///     default list); otherwise it refuses the capture like a listed one.
    /// - Returns: One change per check, in check order.
    /// - Throws: `AgentError` for an unknown host or check, or one that cannot be captured;
    ///   `FleetError` when the host cannot be reached.
    public func baselineDiff(host name: String, checks: [String]? = nil, acceptWeaker: Bool = false,
                             seeds: [String: Baseline] = [:], seedsMayLack: Bool = false) throws -> [BaselineChange] {
        guard let host = config.host(name) else { throw AgentError(.invalid, "host '\(name)' is not in the inventory (\(config.file))") }
        var selected: [any BaselineCapturable] = []
        for check in checks ?? host.checks {
            guard let known = CheckCatalog.named(check) else { throw AgentError(.invalid, "unknown check '\(check)'") }
            if let capturable = known as? any BaselineCapturable {
                selected.append(capturable)
            } else if checks != nil {
                throw AgentError(.invalid, "the \(check) check has no capturable state")
            }
        }
        let refs = references
        var changes: [BaselineChange] = []
        struct Entry { var index: Int; var check: any BaselineCapturable; var current: Baseline?; var subjects: Baseline?; var seeded: Bool }
        var entries: [Entry] = []
        for check in selected {
            let relative = "configs/\(check.referenceKind)/\(host.name)"
            do {
                let current = try refs.load(kind: check.referenceKind, host: host.name)
                let seed = current == nil ? seeds[check.name] : nil
                entries.append(Entry(index: changes.count, check: check, current: current, subjects: current ?? seed, seeded: seed != nil))
                changes.append(BaselineChange(host: host.name, check: check.name, path: relative, added: [], removed: []))
            } catch {
                changes.append(BaselineChange(host: host.name, check: check.name, path: relative, added: [], removed: [], problem: "\(error)"))
            }
        }
        let executor = try environment.executor(host, config)
        let timeout = Duration.seconds(config.commandTimeoutSeconds)

        // 1. Probes: what to capture where the host decides it.
        let probing = entries.indices.compactMap { i in entries[i].check.captureProbe(host: host.name, current: entries[i].subjects).map { (i, $0) } }
        let probed = try HostCollection.run(probing.map(\.1), executor: executor, timeout: timeout)
        var ready = Array(repeating: true, count: entries.count)
        for ((i, _), output) in zip(probing, probed) {
            do {
                if case .success(let out) = output, out.stdoutTruncated {
                    throw AgentError(.invalid, "the probe's output was cut at the output limit; nothing to capture from it")
                }
                entries[i].subjects = try entries[i].check.captureSubjects(probe: output.get(), current: entries[i].subjects, host: host.name)
            } catch {
                changes[entries[i].index].problem = "\(error)"
                ready[i] = false
            }
        }

        // 2. The captures; one that needs root goes through the read set.
        let elevate = collectionElevation(host)
        var pending: [(entry: Entry, argv: [String], elevated: Bool)] = []
        for (i, entry) in entries.enumerated() where ready[i] {
            do {
                var argv = try entry.check.captureArgv(host: host.name, current: entry.subjects)
                var elevated = false
                if entry.check.needsRoot {
                    switch elevate(entry.check, argv) {
                    case .asIs: break
                    case .sudo(let wrapped): argv = wrapped; elevated = true
                    case .refused(let reason): throw AgentError(.invalid, reason)
                    }
                }
                pending.append((entry, argv, elevated))
            } catch {
                changes[entry.index].problem = "\(error)"
            }
        }
        let outputs = try HostCollection.run(pending.map(\.argv), executor: executor, timeout: timeout)
        for ((entry, _, elevated), output) in zip(pending, outputs) {
            do {
                if elevated, case .success(let out) = output, let refusal = HostCollection.sudoRefusal(out) {
                    throw AgentError(.invalid, "needs root, and sudo refused it on the host: \(refusal)")
                }
                let captured = try entry.check.capture(output: output.get(), current: entry.subjects,
                                                       options: CaptureOptions(acceptWeaker: acceptWeaker, subjectsMayLack: entry.seeded && seedsMayLack))
                let lines = captured.lines
                changes[entry.index].weaker = captured.weaker
                changes[entry.index].notes = captured.notes
                // A new stateful reference starts counting at the capture; an existing one (or a
                // host with saved state) keeps its place, so nothing since the last scan is skipped.
                // What the capture read over the thresholds is shown, since the next scan will not count it.
                if entry.current == nil, let stateful = entry.check as? any StatefulDriftCheck, case .success(let out) = output,
                   (try? ledger.value(stateful.stateKey(host: host.name))) ?? nil == nil,
                   let next = stateful.nextState(host: host.name, output: out, reference: entry.subjects, previous: nil) {
                    changes[entry.index].startState = .init(key: stateful.stateKey(host: host.name), value: next)
                    changes[entry.index].notes += stateful.evaluate(host: host.name, output: out, reference: entry.subjects, previous: nil)
                        .items.map { "before the capture: " + $0.summary }
                }
                let new = Set(lines)
                let old = Set(entry.current?.lines.map(\.text) ?? [])
                changes[entry.index].added = new.subtracting(old).sorted()
                changes[entry.index].removed = old.subtracting(new).sorted()
                changes[entry.index].content = Baseline.render(lines)
            } catch {
                changes[entry.index].problem = "\(error)"
            }
        }
        return changes
    }

    /// Writes the current state of a host's checks as their references and commits it with the reason.
    ///
    /// - Parameters:
    ///   - host: The inventory name.
    ///   - checks: Check names (all capturable enabled checks when nil).
    ///   - reason: Why this state becomes the reference; the commit message's body.
    ///   - acceptWeaker: Accept sshd values weaker than the policy: the reference keeps the
    ///     policy's value and each weaker setting is waived (no expiry) by `owner`, in the same commit.
    ///   - owner: Who accepts them (the waivers' owner).
    /// - Returns: The changes and the new commit (nil when nothing changed).
    /// - Throws: `AgentError` for an empty reason, a check that could not be captured, or a git failure.
    public func captureBaseline(host: String, checks: [String]? = nil, reason: String, acceptWeaker: Bool = false,
                                owner: String = "operator") throws -> (changes: [BaselineChange], commit: String?) {
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw AgentError(.invalid, "a capture needs --reason TEXT: it becomes the commit message") }
        let changes = try baselineDiff(host: host, checks: checks, acceptWeaker: acceptWeaker)
        if let bad = changes.first(where: { $0.problem != nil }) {
            throw AgentError(.invalid, "cannot capture \(bad.check) on \(host): \(bad.problem!); nothing was written")
        }
        var files = Dictionary(uniqueKeysWithValues: changes.filter { !$0.isUnchanged }.compactMap { c in c.content.map { (c.path, $0) } })
        if let book = try waiversAccepting(changes.flatMap { c in c.weaker.map { (c.host, $0) } }, owner: owner,
                                           reason: "accepted at capture: weaker than policy") {
            files[Waivers.relativePath] = book.render()
        }
        guard !files.isEmpty else { return (changes, nil) }
        let summary = why.split(separator: "\n").first.map(String.init) ?? why
        let names = changes.filter { !$0.isUnchanged }.map(\.check).joined(separator: ", ")
        let message = "luna: baseline \(names) on \(host): \(summary)\n\n\(why)\n\n"
            + changes.filter { !$0.isUnchanged }.map { "\($0.path): +\($0.added.count) -\($0.removed.count)" }.joined(separator: "\n")
            + "\n\nHost: \(host)\nBaseline: \(names)\n"
        let repo = GitRepository(path: config.opsRepo, authorName: config.gitAuthorName, authorEmail: config.gitAuthorEmail,
                                 scratchIndex: config.stateDirectory + "/baseline.index")
        let commit = try repo.commit(files: files, message: message)
        try saveStartStates(changes.filter { !$0.isUnchanged })
        return (changes, commit)
    }

    /// Saves where each written stateful reference's next scan starts.
    func saveStartStates(_ written: [BaselineChange]) throws {
        for start in written.compactMap(\.startState) { try ledger.setValue(start.key, start.value) }
    }

    /// The waivers file with a no-expiry waiver for each accepted weaker sshd setting not already
    /// waived; nil when there is nothing new to waive.
    func waiversAccepting(_ weaker: [(host: String, setting: WeakerSetting)], owner: String, reason: String) throws -> Waivers? {
        guard !weaker.isEmpty else { return nil }
        var book = try waivers()
        var added = false
        for (host, setting) in weaker {
            let key = FindingKey(host: host, check: "sshd", subject: setting.setting)
            guard book.waiver(for: key) == nil else { continue }
            book.waivers.append(Waiver(host: host, check: "sshd", subject: setting.setting, until: nil, owner: owner,
                                       reason: reason,
                                       created: Timestamp.string(environment.now()), source: Waivers.relativePath))
            added = true
        }
        return added ? book : nil
    }
}
