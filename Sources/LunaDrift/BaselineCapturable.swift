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
    /// An unprivileged, read-only look that decides *what* to capture when that depends on
    /// the host (which container engine is installed, which ports serve TLS); nil when the
    /// reference alone decides. Its output goes to ``captureSubjects(probe:current:host:)``.
    func captureProbe(host: String, current: Baseline?) -> [String]?

    /// The reference-shaped list the capture starts from, given the probe's output
    /// (``captureArgv(host:current:)`` and ``capture(output:current:)`` receive it as `current`).
    ///
    /// - Throws: ``CaptureError`` when the probe shows there is nothing to capture.
    func captureSubjects(probe: CommandResult, current: Baseline?, host: String) throws(CaptureError) -> Baseline?

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

    /// The capture with the operator's choices, and what it accepted or left out besides the lines.
    /// By default ``capture(output:current:)``; sshd (weaker values) and files (proposed paths) differ.
    func capture(output: CommandResult, current: Baseline?, options: CaptureOptions) throws(CaptureError) -> Captured
}

/// How a capture may treat what it finds.
public struct CaptureOptions: Sendable, Equatable {
    /// Accept sshd values weaker than the policy: the reference keeps the policy's value and
    /// each weaker setting is returned, to be waived.
    public var acceptWeaker: Bool
    /// The subjects are a proposed list (luna init's default paths), not the operator's: one the
    /// host lacks is left out with a note instead of refusing the capture.
    public var subjectsMayLack: Bool

    public init(acceptWeaker: Bool = false, subjectsMayLack: Bool = false) {
        self.acceptWeaker = acceptWeaker
        self.subjectsMayLack = subjectsMayLack
    }
}

/// What a capture produced.
public struct Captured: Sendable, Equatable {
    /// The new reference's lines (unsorted is fine).
    public var lines: [String]
    /// sshd settings weaker than the policy that were accepted (``CaptureOptions/acceptWeaker``).
    public var weaker: [WeakerSetting] = []
    /// What was left out, and why.
    public var notes: [String] = []

    public init(lines: [String], weaker: [WeakerSetting] = [], notes: [String] = []) {
        self.lines = lines
        self.weaker = weaker
        self.notes = notes
    }
}

extension BaselineCapturable {
    public func captureProbe(host: String, current: Baseline?) -> [String]? { nil }

    public func captureSubjects(probe: CommandResult, current: Baseline?, host: String) throws(CaptureError) -> Baseline? { current }

    public func capture(output: CommandResult, current: Baseline?, options: CaptureOptions) throws(CaptureError) -> Captured {
        Captured(lines: try capture(output: output, current: current))
    }

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

    public func capture(output: CommandResult, current: Baseline?, options: CaptureOptions) throws(CaptureError) -> Captured {
        let (lines, weaker) = try capture(output: output, current: current, acceptWeaker: options.acceptWeaker)
        return Captured(lines: lines, weaker: weaker)
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
            throw CaptureError("the files check watches the paths listed in its reference; list them in configs/files/\(host), one a line (a path alone: its mode and owner are captured), or give luna init --files PATH,…")
        }
        do {
            return Self.statArgv((try Self.expectations(current, allowUncaptured: true)).map(\.path))
        } catch {
            throw CaptureError("bad reference: \(error)")
        }
    }

    /// `PATH MODE OWNER:GROUP` for each listed path: a path alone gets its live mode and
    /// owner, a `*` column stays `*`, a captured value is replaced by the live one.
    ///
    /// - Throws: ``CaptureError`` when a listed path does not exist: dropping the
    ///   operator's line silently would stop watching it.
    public func capture(output: CommandResult, current: Baseline?) throws(CaptureError) -> [String] {
        try capture(output: output, current: current, skipMissing: false).lines
    }

    /// The capture; with `skipMissing` (a path list luna init proposes, not the operator's
    /// reference) a path that does not exist is left out and returned instead of refused.
    ///
    /// - Throws: ``CaptureError`` for a path stat could not read, cut output, or (without
    ///   `skipMissing`) a path that does not exist.
    public func capture(output: CommandResult, current: Baseline?, skipMissing: Bool) throws(CaptureError) -> (lines: [String], missing: [String]) {
        guard let current else { throw CaptureError("no usable reference") }
        let expectations: [Expectation]
        do { expectations = try Self.expectations(current, allowUncaptured: true) } catch { throw CaptureError("bad reference: \(error)") }
        let live = Self.parseStat(outputText(output))
        if output.stdoutTruncated { throw CaptureError("the stat output was cut; list fewer paths") }
        var lines: [String] = []
        var missing: [String] = []
        for e in expectations {
            guard let found = live[e.path] else {
                // Only "No such file" makes a path missing; unreadable or unknown is no capture.
                guard Self.reportedAbsent(e.path, stderr: output.stderrText) else {
                    throw CaptureError("stat could not read \(e.path) (exit \(output.exitStatus)): \(stderrExcerpt(output))")
                }
                missing.append(e.path)
                continue
            }
            let keepMode = e.captured && e.mode == nil, keepOwner = e.captured && e.owner == nil
            lines.append("\(e.path) \(keepMode ? "*" : found.mode) \(keepOwner ? "*" : found.owner)")
        }
        guard missing.isEmpty || skipMissing else {
            throw CaptureError("\(missing.joined(separator: ", ")) \(missing.count == 1 ? "does" : "do") not exist on the host; remove \(missing.count == 1 ? "its line" : "their lines") from the reference or create \(missing.count == 1 ? "it" : "them") first")
        }
        return (lines, missing)
    }

    /// Proposed paths (``CaptureOptions/subjectsMayLack``) the host lacks are notes; none existing is no reference.
    public func capture(output: CommandResult, current: Baseline?, options: CaptureOptions) throws(CaptureError) -> Captured {
        let (lines, missing) = try capture(output: output, current: current, skipMissing: options.subjectsMayLack)
        guard !lines.isEmpty else { throw CaptureError("none of the paths exists on the host: \(missing.joined(separator: ", "))") }
        return Captured(lines: lines, notes: missing.map { "\($0) does not exist on the host; not watched" })
    }

    /// Whether stat said `path` does not exist (`stat: cannot statx '/p': No such file or directory`).
    static func reportedAbsent(_ path: String, stderr: String) -> Bool {
        stderr.split(separator: "\n").contains { $0.contains("'\(path)'") && $0.hasSuffix("No such file or directory") }
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
