import Foundation
import LunaFleet

/// Why the current state could not be captured as a reference.
public struct CaptureError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A check whose current state can be written as its reference (`luna baseline capture`).
///
/// Capturing is collection (an argv, read-only, like ``DriftCheck/plan(host:references:)``)
/// plus a pure function from the output to reference lines. The lines are
/// written sorted and unique, one item a line (``Baseline/render(_:header:)``).
public protocol BaselineCapturable: DriftCheck {
    /// The argv whose output is the current state.
    ///
    /// - Parameters:
    ///   - host: The inventory name.
    ///   - current: The host's reference today (some checks take their subject list from it).
    /// - Returns: The read-only argv to run.
    /// - Throws: ``CaptureError`` when the check cannot be captured (e.g. no paths to watch).
    func captureArgv(host: String, current: Baseline?) throws(CaptureError) -> [String]

    /// The reference lines for the collected state.
    ///
    /// - Parameters:
    ///   - output: What ``captureArgv(host:current:)`` printed.
    ///   - current: The host's reference today.
    /// - Returns: The new reference's lines (unsorted is fine).
    /// - Throws: ``CaptureError`` when the output is unusable.
    func capture(output: CommandResult, current: Baseline?) throws(CaptureError) -> [String]
}

extension BaselineCapturable {
    /// Refuses a failed collection with its stderr.
    func requireSuccess(_ output: CommandResult, _ what: String) throws(CaptureError) {
        guard output.exitStatus == 0 else {
            throw CaptureError("\(what) exited \(output.exitStatus): \(stderrExcerpt(output))")
        }
    }
}

extension PortsCheck: BaselineCapturable {
    public func captureArgv(host: String, current: Baseline?) throws(CaptureError) -> [String] { ["ss", "-H", "-tulpn"] }

    /// `proto address:port [process,…]` per listener (process names when ss could see them);
    /// an `ignore loopback` line stays, and then loopback listeners are left out.
    public func capture(output: CommandResult, current: Baseline?) throws(CaptureError) -> [String] {
        try requireSuccess(output, "ss")
        let ignoring = Self.ignoresLoopback(current)
        return (ignoring ? ["ignore loopback"] : []) + Self.parse(outputText(output)).filter { !ignoring || !$0.isLoopback }.map { listener in
            let names = listener.processes.map { $0.replacingOccurrences(of: " ", with: "_") }.joined(separator: ",")
            return names.isEmpty ? listener.item : listener.item + " " + names
        }
    }
}

extension SSHDCheck: BaselineCapturable {
    /// The settings captured when the host has no reference yet.
    public static let defaultKeywords = ["kbdinteractiveauthentication", "passwordauthentication", "permitemptypasswords",
                                         "permitrootlogin", "pubkeyauthentication", "x11forwarding"]

    public func captureArgv(host: String, current: Baseline?) throws(CaptureError) -> [String] { SSHDCheck.argv }

    /// `keyword value` for each keyword of the current reference (or ``defaultKeywords``).
    ///
    /// - Throws: ``CaptureError`` when a live value is weaker than the policy (see
    ///   ``capture(output:current:acceptWeaker:)``), so a weakening is never captured silently.
    public func capture(output: CommandResult, current: Baseline?) throws(CaptureError) -> [String] {
        try capture(output: output, current: current, acceptWeaker: false).lines
    }

    /// The capture, weighing each live value against the hardening policy.
    ///
    /// An inline exception already in the reference stays, with its reason, while the
    /// live value is the same. Any other live value weaker than ``SSHDCheck/policy`` is
    /// refused, naming every such setting; with `acceptWeaker` the reference records
    /// the *policy's* value instead and the weaker setting is returned, so the caller
    /// waives the finding the next scan raises (owner, reason, reviewed in git) rather
    /// than writing the weakening into the reference.
    ///
    /// - Returns: The reference lines and the accepted weaker settings (empty unless `acceptWeaker`).
    /// - Throws: ``CaptureError`` for a failed collection, or weaker values without `acceptWeaker`.
    public func capture(output: CommandResult, current: Baseline?, acceptWeaker: Bool) throws(CaptureError) -> (lines: [String], weaker: [WeakerSetting]) {
        try requireSuccess(output, "sshd -T")
        let live = Self.parse(outputText(output))
        guard !live.isEmpty else { throw CaptureError("sshd -T printed no settings") }
        let keys = current.map { $0.lines.compactMap { $0.fields.first?.lowercased() } } ?? Self.defaultKeywords
        var reasons: [String: (value: String, reason: String)] = [:]
        for line in current?.lines ?? [] {
            guard let hash = line.text.firstIndex(of: "#") else { continue }
            let comment = line.text[line.text.index(after: hash)...].trimmingCharacters(in: .whitespaces)
            let fields = line.text[..<hash].split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 2, comment.lowercased().hasPrefix("exception:") else { continue }
            reasons[fields[0].lowercased()] = (fields[1...].joined(separator: " ").lowercased(), comment)
        }
        var lines: [String] = []
        var weaker: [WeakerSetting] = []
        for key in keys {
            guard let value = live[key] else { continue }
            if let kept = reasons[key], kept.value == value.lowercased() { lines.append(key + " " + value + "  # " + kept.reason); continue }
            if let required = Self.policy[key], required != value.lowercased() {
                weaker.append(WeakerSetting(setting: key, live: value, policy: required))
                lines.append(key + " " + required)
                continue
            }
            lines.append(key + " " + value)
        }
        if !weaker.isEmpty && !acceptWeaker {
            throw CaptureError("weaker than Luna's policy: " + weaker.map { "\($0.setting) \($0.live) (policy: \($0.policy))" }.joined(separator: ", ")
                + "; harden sshd on the host, or accept it with --accept-weaker (the reference keeps the policy value and the finding is waived, with its owner and reason)")
        }
        return (lines, weaker)
    }
}

/// An sshd setting whose live value is weaker than ``SSHDCheck/policy``, accepted at capture.
public struct WeakerSetting: Sendable, Equatable, Encodable {
    /// The keyword (the sshd finding's subject).
    public var setting: String
    /// The host's value.
    public var live: String
    /// The policy's value, which the reference records.
    public var policy: String

    public init(setting: String, live: String, policy: String) {
        self.setting = setting
        self.live = live
        self.policy = policy
    }
}

extension FileModeCheck: BaselineCapturable {
    public func captureArgv(host: String, current: Baseline?) throws(CaptureError) -> [String] {
        guard let current, !current.lines.isEmpty else {
            throw CaptureError("the files check watches the paths listed in its reference; write configs/files/\(host) with the paths first")
        }
        do {
            return ["stat", "-c", "%a|%U:%G|%n", "--"] + (try Self.expectations(current)).map(\.path)
        } catch {
            throw CaptureError("bad reference: \(error)")
        }
    }

    /// `PATH MODE OWNER:GROUP` for each path that exists; a `*` column of the current reference stays `*`.
    public func capture(output: CommandResult, current: Baseline?) throws(CaptureError) -> [String] {
        guard let current, let expectations = try? Self.expectations(current) else { throw CaptureError("no usable reference") }
        var live: [String: (mode: String, owner: String)] = [:]
        for raw in outputText(output).split(separator: "\n") {
            let parts = raw.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, let mode = Int(parts[0], radix: 8) else { continue }
            live[parts[2]] = (String(format: "%04o", mode), parts[1])
        }
        if live.isEmpty && output.exitStatus != 0 { try requireSuccess(output, "stat") }
        return expectations.compactMap { e in
            guard let found = live[e.path] else { return nil }
            return "\(e.path) \(e.mode == nil ? "*" : found.mode) \(e.owner == nil ? "*" : found.owner)"
        }
    }
}

extension ServicesCheck: BaselineCapturable {
    public func captureArgv(host: String, current: Baseline?) throws(CaptureError) -> [String] {
        ["systemctl", "list-units", "--type=service", "--state=running", "--no-legend", "--plain", "--no-pager"]
    }

    /// One running service unit a line.
    public func capture(output: CommandResult, current: Baseline?) throws(CaptureError) -> [String] {
        try requireSuccess(output, "systemctl list-units")
        return outputText(output).split(separator: "\n").compactMap { line in
            line.split(separator: " ").first.map(String.init).flatMap { $0.hasSuffix(".service") ? $0 : nil }
        }
    }
}

extension SUIDCheck: BaselineCapturable {
    /// The trees scanned when the host has no reference yet.
    public static let defaultRoots = ["/usr"]

    static func captureRoots(_ current: Baseline?) throws(CaptureError) -> [String] {
        guard let current else { return defaultRoots }
        do {
            let roots = try Self.roots(current)
            return roots.isEmpty ? defaultRoots : roots
        } catch {
            throw CaptureError("bad reference: \(error)")
        }
    }

    public func captureArgv(host: String, current: Baseline?) throws(CaptureError) -> [String] {
        ["find"] + (try Self.captureRoots(current)) + ["-xdev", "-type", "f", "-perm", "/6000", "-printf", "%m %p\\0"]
    }

    /// The `root` lines, then every SUID/SGID file found. A scan that could not read every
    /// directory is refused: a baseline missing a file would report it "new" for ever.
    public func capture(output: CommandResult, current: Baseline?) throws(CaptureError) -> [String] {
        guard output.exitStatus == 0, !output.stdoutTruncated else {
            throw CaptureError("find could not read every directory (exit \(output.exitStatus)): \(stderrExcerpt(output)); capture as root or through sudo")
        }
        return (try Self.captureRoots(current)).map { "root " + $0 } + Self.parse(output.stdout).keys.sorted()
    }
}

extension CronCheck: BaselineCapturable {
    public func captureArgv(host: String, current: Baseline?) throws(CaptureError) -> [String] { Self.argv }

    /// Every scheduled job as the check collects it. Unreadable cron files (user crontabs
    /// need root) refuse the capture rather than record an incomplete list.
    public func capture(output: CommandResult, current: Baseline?) throws(CaptureError) -> [String] {
        let steps = CommandSequence.split(outputText(output))
        guard let cron = steps.first(where: { $0.label == "cron" }) else {
            throw CaptureError("no output from the cron collection: \(stderrExcerpt(output))")
        }
        guard !output.stderrText.contains("Permission denied"), !output.stdoutTruncated else {
            throw CaptureError("some cron files could not be read (user crontabs need root); capture as root or through sudo")
        }
        let timers = steps.first(where: { $0.label == "timers" })
        return Self.parseCron(cron.output) + (timers?.succeeded == true ? Self.parseTimers(timers!.output) : [])
    }
}
