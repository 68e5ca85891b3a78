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

    /// Whether the capture changes nothing.
    public var isUnchanged: Bool { added.isEmpty && removed.isEmpty && problem == nil }
}

extension CurationService {
    /// Collects the current state of a host's capturable checks and compares it with the references.
    ///
    /// - Parameters:
    ///   - host: The inventory name.
    ///   - checks: Check names (all of the host's capturable enabled checks when nil).
    ///   - acceptWeaker: Accept sshd values weaker than the policy (as waivers) instead of refusing them.
    /// - Returns: One change per check, in check order.
    /// - Throws: `AgentError` for an unknown host or check, or one that cannot be captured;
    ///   `FleetError` when the host cannot be reached.
    public func baselineDiff(host name: String, checks: [String]? = nil, acceptWeaker: Bool = false) throws -> [BaselineChange] {
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
        var pending: [(index: Int, check: any BaselineCapturable, argv: [String], elevated: Bool, current: Baseline?)] = []
        // A capture that needs root goes through the read set like the check's own collection.
        let elevate = collectionElevation(host)
        for check in selected {
            let relative = "configs/\(check.referenceKind)/\(host.name)"
            var change = BaselineChange(host: host.name, check: check.name, path: relative, added: [], removed: [])
            do {
                let current = try refs.load(kind: check.referenceKind, host: host.name)
                var argv = try check.captureArgv(host: host.name, current: current)
                var elevated = false
                if check.needsRoot {
                    switch elevate(check, argv) {
                    case .asIs: break
                    case .sudo(let wrapped): argv = wrapped; elevated = true
                    case .refused(let reason): throw AgentError(.invalid, reason)
                    }
                }
                pending.append((changes.count, check, argv, elevated, current))
            } catch {
                change.problem = "\(error)"
            }
            changes.append(change)
        }
        let executor = try environment.executor(host, config)
        let outputs = try HostCollection.run(pending.map(\.argv), executor: executor, timeout: .seconds(config.commandTimeoutSeconds))
        for (entry, output) in zip(pending, outputs) {
            do {
                if entry.elevated, case .success(let out) = output, let refusal = HostCollection.sudoRefusal(out) {
                    throw AgentError(.invalid, "needs root, and sudo refused it on the host: \(refusal)")
                }
                let lines: [String]
                if let sshd = entry.check as? SSHDCheck {
                    let weighed = try sshd.capture(output: output.get(), current: entry.current, acceptWeaker: acceptWeaker)
                    lines = weighed.lines
                    changes[entry.index].weaker = weighed.weaker
                } else {
                    lines = try entry.check.capture(output: output.get(), current: entry.current)
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
        return (changes, try repo.commit(files: files, message: message))
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
