import Foundation
import LunaFleet

/// A forced-command SSH surface answers its handshake over its dedicated key.
///
/// Reference `configs/handshake/<host>`: `target USER@ADDRESS`, `key PATH`,
/// `banner TEXT` (the first line the forced command must print), optional
/// `port N` and `known_hosts PATH` (then host keys are checked strictly
/// against it alone; the system-wide known_hosts is not consulted). Runs
/// `ssh -T` with `BatchMode=yes`, `IdentitiesOnly=yes` and no remote
/// command: the forced command decides what runs. Anything but the
/// banner as the first line is `drift`: another answer, no answer, or ssh
/// failing (key refused, host key mismatch, connection refused), with ssh's
/// reason (the last line of its stderr) in the summary.
public struct HandshakeCheck: DriftCheck {
    public let name = "handshake"
    public let referenceKind = "handshake"

    public init() {}

    struct Settings: Equatable {
        var target: String
        var key: String
        var banner: String
        var port: Int?
        var knownHosts: String?
    }

    static func settings(_ b: Baseline) throws(BaselineError) -> Settings {
        try b.requireKeywords(["target", "key", "banner", "port", "known_hosts"])
        func one(_ keyword: String) throws(BaselineError) -> String? {
            guard let e = b.entries(keyword).last else { return nil }
            let value = e.args.joined(separator: " ")
            guard !value.isEmpty, !value.hasPrefix("-") else { throw b.error(e.line, "\(keyword) needs a value not starting with '-'") }
            return value
        }
        guard let target = try one("target"), let key = try one("key"), let banner = try one("banner") else {
            throw BaselineError(file: b.file, line: 0, message: "needs 'target USER@ADDRESS', 'key PATH' and 'banner TEXT'")
        }
        guard !target.contains(" ") else { throw BaselineError(file: b.file, line: 0, message: "target has a blank") }
        let port = b.entries("port").isEmpty ? nil : try b.integer("port", default: 22, range: 1...65535)
        return Settings(target: target, key: key, banner: banner, port: port, knownHosts: try one("known_hosts"))
    }

    static func argv(_ s: Settings) -> [String] {
        var argv = ["ssh", "-T", "-i", s.key, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10"]
        // The pin is exclusive: a key in the system-wide known_hosts must not satisfy it.
        if let k = s.knownHosts { argv += ["-o", "UserKnownHostsFile=" + k, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes"] }
        if let p = s.port { argv += ["-p", String(p)] }
        return argv + ["--", s.target]
    }

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.settings) {
        case .failure(let box): return .done(box.result)
        case .success(let (baseline, settings)): return .run(argv: Self.argv(settings), reference: baseline)
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard let reference, let s = try? Self.settings(reference) else { return failed(host, "no usable reference") }
        let first = outputText(output).split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        if first == s.banner {
            return CheckResult(host: host, check: name, status: .ok, detail: "\(s.target) answered '\(s.banner)'")
        }
        let why = output.exitStatus == 255 ? "ssh failed: \(Self.sshFailure(output.stderrText))"
            : first.isEmpty ? "no banner (exit \(output.exitStatus))" : "answered '\(first.prefix(120))'"
        return .compared(host: host, check: name, items: [DriftItem(
            subject: s.target, summary: "\(s.target) did not answer its handshake '\(s.banner)': \(why)",
            params: ["target": s.target], observed: String(first.prefix(200)))], okDetail: "")
    }

    /// The reason in ssh's stderr: its last line (`Host key verification failed.`,
    /// `Permission denied (publickey).`, `connect to host …: Connection refused`), so
    /// that the reason is not lost behind the 20-line changed-host-key warning.
    static func sshFailure(_ stderr: String) -> String {
        let lines = stderr.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let last = lines.last else { return "no message" }
        let reason = String(last.prefix(300))
        return stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") ? "its host key does not match the pinned one: \(reason)" : reason
    }
}
