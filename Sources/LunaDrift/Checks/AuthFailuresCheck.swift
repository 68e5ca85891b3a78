import Foundation
import LunaFleet

/// Failed sudo and failed SSH logins since the last scan vs thresholds in `configs/auth/<host>`.
///
/// Reference lines: `sudo N` and `ssh N` (alert when the count is over N;
/// defaults 0 and 10), and optionally `source /var/log/auth.log` for a host
/// without a journal. From the journal it reads `sudo`, `sshd` and
/// `sshd-session` messages after the cursor it saved last time (the last 24
/// hours on the first run) and keeps the new cursor; from a log file it reads
/// the lines after the count it saved (a rotated file is not noticed until it
/// grows past that count: a known gap).
public struct AuthFailuresCheck: StatefulDriftCheck {
    public let name = "auth"
    public let referenceKind = "auth"

    public init() {}

    /// Thresholds and source from the reference.
    struct Settings: Equatable {
        var sudo: Int
        var ssh: Int
        var logFile: String?
    }

    static func settings(_ b: Baseline) throws(BaselineError) -> Settings {
        try b.requireKeywords(["sudo", "ssh", "source"])
        var file: String? = nil
        if let s = b.entries("source").last {
            guard s.args.count == 1, s.args[0] == "journal" || s.args[0].hasPrefix("/") else {
                throw b.error(s.line, "source is 'journal' or an absolute log file path")
            }
            file = s.args[0] == "journal" ? nil : s.args[0]
        }
        return Settings(sudo: try b.integer("sudo", default: 0), ssh: try b.integer("ssh", default: 10), logFile: file)
    }

    public func plan(host: String, references: References, state: String?) -> CollectionPlan {
        switch reference(host: host, references: references, Self.settings) {
        case .failure(let box):
            return .done(box.result)
        case .success(let (baseline, settings)):
            if let file = settings.logFile {
                let read = Self.linesRead(state, file: file)
                return .run(argv: ["tail", "-n", "+\(read + 1)", "--", file], reference: baseline)
            }
            var argv = ["journalctl", "--no-pager", "-o", "short-iso", "--show-cursor",
                        "SYSLOG_IDENTIFIER=sudo", "SYSLOG_IDENTIFIER=sshd", "SYSLOG_IDENTIFIER=sshd-session"]
            if let state, state.hasPrefix("cursor:") {
                argv.append("--after-cursor=" + state.dropFirst("cursor:".count))
            } else {
                argv.append("--since=-24h")
            }
            return .run(argv: argv, reference: baseline)
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard let reference, let settings = try? Self.settings(reference) else { return failed(host, "no usable reference") }
        let text = outputText(output)
        if settings.logFile == nil {
            if output.stderrText.contains("No journal files were found") {
                return unavailable(host, "no journal on this host; set 'source /var/log/auth.log' in \(reference.file)")
            }
        } else if output.exitStatus != 0 {
            if output.stderrText.contains("No such file") { return unavailable(host, "\(settings.logFile!) does not exist") }
            if output.stderrText.contains("Permission denied") { return unavailable(host, "reading \(settings.logFile!) needs root") }
        }
        let noEntries = settings.logFile == nil && text.hasPrefix("-- No entries --")
        guard output.exitStatus == 0 || noEntries else {
            return failed(host, "\(settings.logFile == nil ? "journalctl" : "tail") exited \(output.exitStatus): \(stderrExcerpt(output))")
        }
        let counts = Self.count(text)
        var items: [DriftItem] = []
        if counts.sudo > settings.sudo {
            items.append(DriftItem(subject: "failed sudo",
                                   summary: "\(counts.sudo) failed sudo attempts since the last scan (threshold \(settings.sudo))",
                                   observed: String(counts.sudo)))
        }
        if counts.ssh > settings.ssh {
            items.append(DriftItem(subject: "failed ssh",
                                   summary: "\(counts.ssh) failed SSH logins since the last scan (threshold \(settings.ssh))",
                                   observed: String(counts.ssh)))
        }
        return .compared(host: host, check: name, items: items,
                         okDetail: "\(counts.sudo) failed sudo, \(counts.ssh) failed SSH since the last scan (thresholds \(settings.sudo), \(settings.ssh))")
    }

    public func nextState(host: String, output: CommandResult, reference: Baseline?, previous: String?) -> String? {
        guard let reference, let settings = try? Self.settings(reference) else { return nil }
        let text = output.stdoutText
        if let file = settings.logFile {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: true).count
            return "file:\(Self.linesRead(previous, file: file) + lines):\(file)"
        }
        return Self.cursor(text).map { "cursor:" + $0 }
    }

    /// Lines of `file` already read, from a state `file:N:PATH`.
    static func linesRead(_ state: String?, file: String) -> Int {
        guard let state, state.hasPrefix("file:") else { return 0 }
        let parts = state.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[2] == file, let n = Int(parts[1]), n >= 0 else { return 0 }
        return n
    }

    /// The cursor from journalctl's last line `-- cursor: s=…`.
    static func cursor(_ text: String) -> String? {
        for line in text.split(separator: "\n").reversed() where line.hasPrefix("-- cursor: ") {
            let value = line.dropFirst("-- cursor: ".count).trimmingCharacters(in: .whitespaces)
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// Counts failed sudo attempts and failed SSH logins in syslog-style lines.
    ///
    /// sudo: `N incorrect password attempt(s)`, `user NOT in sudoers`,
    /// `command not allowed`, `a password is required` (the PAM line for the same
    /// event is not counted twice). SSH: `Failed <method> for …`.
    public static func count(_ text: String) -> (sudo: Int, ssh: Int) {
        var sudo = 0
        var ssh = 0
        for raw in text.split(separator: "\n") {
            let line = String(raw)
            if line.contains(" sudo[") || line.contains(" sudo:") {
                if line.contains("incorrect password attempt") || line.contains("NOT in sudoers")
                    || line.contains("command not allowed") || line.contains("a password is required") {
                    sudo += 1
                }
            } else if line.contains(" sshd[") || line.contains(" sshd-session[") || line.contains(" sshd:") {
                if line.range(of: #"Failed (password|publickey|keyboard-interactive\S*|none|hostbased) for "#,
                              options: .regularExpression) != nil {
                    ssh += 1
                }
            }
        }
        return (sudo, ssh)
    }
}
