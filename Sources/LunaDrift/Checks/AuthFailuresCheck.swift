import Foundation
import LunaFleet
import LunaCodec

/// Failed sudo and failed SSH logins since the last scan vs thresholds in `configs/auth/<host>`.
///
/// Reference lines: `sudo N` and `ssh N` (alert when the count is over N;
/// defaults 0 and 10), and optionally `source /var/log/auth.log` for a host
/// without a journal. From the journal it reads `sudo`, `sshd` and
/// `sshd-session` messages after the cursor it saved last time (the last 24
/// hours on the first run) and keeps the new cursor.
///
/// From a log file it runs one GNU `sed --sandbox -n` (an argv, no shell; see
/// ``logArgv(file:from:)``) that prints the file's first line as it is, one
/// word (`sudo` or `ssh`) for each failed attempt after the lines already read,
/// and the file's line count last, so the output stays small on a busy host.
/// The state is `file:N:FP:PATH`: N lines read and a 64-bit fingerprint (SHA-256 prefix)
/// of the first line (the older `file:N:PATH`, without a fingerprint, is still
/// read; it skips the first-line comparison once). When the first line's
/// fingerprint changed, or the file now has fewer lines than were read, the
/// file was rotated: that scan counts nothing (its output would miss or
/// double-count lines), says so in its detail, and the next scan reads the new
/// file from its first line. Lines written to the old file between the last
/// scan and its rotation are not read (they are in the rotated file).
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
        if let s = try b.single("source") {
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
                return .run(argv: Self.logArgv(file: file, from: Self.position(state, file: file)), reference: baseline)
            }
            return .run(argv: Self.journalArgv(after: state), reference: baseline)
        }
    }

    /// Reading the journal or `/var/log/auth.log` needs root (or the `adm` group).
    public var needsRoot: Bool { true }

    /// The journal reader, and the words of its collection before the window.
    static let journalctl = "/usr/bin/journalctl"
    static let journalArguments = ["--no-pager", "-o", "short-iso", "--show-cursor",
                                   "SYSLOG_IDENTIFIER=sudo", "SYSLOG_IDENTIFIER=sshd", "SYSLOG_IDENTIFIER=sshd-session"]
    /// The characters of a journal cursor (`s=…;i=…;b=…;m=…;t=…;x=…`): a saved
    /// state with anything else (it came from the host) is not passed on.
    static let cursorRegex = "[0-9a-z=;]+"

    /// The journal collection after the saved cursor, else for the last 24 hours.
    static func journalArgv(after state: String?) -> [String] {
        var argv = [journalctl] + journalArguments
        let cursor = state.flatMap { $0.hasPrefix("cursor:") ? String($0.dropFirst("cursor:".count)) : nil } ?? ""
        if !cursor.isEmpty,
           cursor.unicodeScalars.allSatisfy({ ($0 >= "0" && $0 <= "9") || ($0 >= "a" && $0 <= "z") || $0 == "=" || $0 == ";" }) {
            argv.append("--after-cursor=" + cursor)
        } else {
            argv.append("--since=-24h")
        }
        return argv
    }

    /// A regular expression: the collection's window (a cursor, a line number)
    /// changes every scan, and the regex lets exactly that part vary, never into
    /// another argument (its variable part has no space).
    public func sudoersCommand(for argv: [String]) -> String? {
        if argv.first == Self.journalctl {
            return SudoersCommand.regex(path: Self.journalctl, argumentsRegex: SudoersCommand.regexLiteral(arguments: Self.journalArguments)
                                        + " (--since=-24h|--after-cursor=\(Self.cursorRegex))")
        }
        if argv.first == Self.sed, argv.count == 7, let file = argv.last {
            let (before, after) = Self.sedScript
            let script = SudoersCommand.regexLiteral(before) + "[0-9]+" + SudoersCommand.regexLiteral(after)
            return SudoersCommand.regex(path: Self.sed, argumentsRegex: SudoersCommand.regexLiteral(arguments: ["--sandbox", "-n", "-e"])
                                        + " " + script + " -- " + SudoersCommand.regexLiteral(file))
        }
        return nil
    }

    /// Compares as if there were no saved state (a log file is read from its start).
    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        evaluate(host: host, output: output, reference: reference, previous: nil)
    }

    /// Counts the failures the collection started at `previous` found, against the thresholds.
    ///
    /// For a log file, a rotation since `previous` counts nothing and says so
    /// in the detail (see the type's discussion).
    ///
    /// - Parameters:
    ///   - output: What the journalctl or sed collection printed.
    ///   - previous: The state the collection started from.
    /// - Returns: `ok` or `drift` (counts over a threshold), `unavailable`
    ///   (no journal, no file, needs root) or `error`.
    public func evaluate(host: String, output: CommandResult, reference: Baseline?, previous: String?) -> CheckResult {
        guard let reference, let settings = try? Self.settings(reference) else { return failed(host, "no usable reference") }
        var counts: (sudo: Int, ssh: Int)
        var note = ""
        if let file = settings.logFile {
            if output.exitStatus != 0 {
                if output.stderrText.contains("No such file") { return unavailable(host, "\(file) does not exist") }
                if output.stderrText.contains("Permission denied") { return unavailable(host, "reading \(file) needs root") }
                return failed(host, "sed exited \(output.exitStatus): \(stderrExcerpt(output))")
            }
            let read: LogRead
            do throws(LogReadError) {
                read = try Self.readLog(output, previous: Self.position(previous, file: file))
            } catch {
                return failed(host, "unexpected output reading \(file): \(error.message)")
            }
            counts = (read.sudo, read.ssh)
            if let why = read.rotated {
                note = "\(file) was rotated (\(why)); nothing counted this time, counting restarts from its first line next scan. "
            }
        } else {
            let text = outputText(output)
            if output.stderrText.contains("No journal files were found") {
                return unavailable(host, "no journal on this host; set 'source /var/log/auth.log' in \(reference.file)")
            }
            guard output.exitStatus == 0 || text.hasPrefix("-- No entries --") else {
                return failed(host, "journalctl exited \(output.exitStatus): \(stderrExcerpt(output))")
            }
            counts = Self.count(text)
        }
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
                         okDetail: note + "\(counts.sudo) failed sudo, \(counts.ssh) failed SSH since the last scan (thresholds \(settings.sudo), \(settings.ssh))")
    }

    public func nextState(host: String, output: CommandResult, reference: Baseline?, previous: String?) -> String? {
        guard let reference, let settings = try? Self.settings(reference) else { return nil }
        if let file = settings.logFile {
            guard output.exitStatus == 0,
                  let read = try? Self.readLog(output, previous: Self.position(previous, file: file)) else { return nil }
            return Self.state(read.next, file: file)
        }
        return Self.cursor(output.stdoutText).map { "cursor:" + $0 }
    }

    /// How far a log file was read: its line count then, and a fingerprint of its first line.
    struct LogPosition: Equatable {
        /// Lines already read (0: read the file from its start).
        var lines: Int
        /// ``fingerprint(_:)`` of the first line, or nil when unknown (older state, empty file).
        var fingerprint: String?
    }

    /// The position kept in `state` for `file`: `file:N:FP:PATH`, or the older `file:N:PATH`.
    ///
    /// Anything else (no state, another file, a journal cursor, garbage) is the start of the file.
    static func position(_ state: String?, file: String) -> LogPosition {
        guard let state, state.hasPrefix("file:") else { return LogPosition(lines: 0) }
        let parts = state.dropFirst("file:".count).split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        // The bound keeps `n + 1` in the sed address from overflowing on a damaged state.
        guard parts.count == 2, let n = Int(parts[0]), (0..<(1 << 53)).contains(n) else { return LogPosition(lines: 0) }
        let rest = parts[1]
        if rest == file { return LogPosition(lines: n) }
        let fp = rest.prefix(16)
        guard fp.count == 16, fp.allSatisfy(\.isHexDigit), rest.dropFirst(16).hasPrefix(":"), rest.dropFirst(17) == file else {
            return LogPosition(lines: 0)
        }
        return LogPosition(lines: n, fingerprint: String(fp))
    }

    /// The state to keep for `position`: `file:N:FP:PATH`, or `file:N:PATH` without a fingerprint.
    static func state(_ position: LogPosition, file: String) -> String {
        if let fp = position.fingerprint { return "file:\(position.lines):\(fp):\(file)" }
        return "file:\(position.lines):\(file)"
    }

    /// Failed sudo attempts, as ``count(_:)`` recognises them, for a GNU sed address block.
    static let sedSudoLine = #"/ sudo\(\[\|:\)/"#
    static let sedSudoFailure = #"/incorrect password attempt\|NOT in sudoers\|command not allowed\|a password is required/"#
    /// Failed SSH logins, as ``count(_:)`` recognises them.
    static let sedSSHLine = #"/ sshd\(\[\|:\|-session\[\)/"#
    static let sedSSHFailure = #"/Failed \(password\|publickey\|keyboard-interactive[^[:space:]]*\|none\|hostbased\) for /"#

    /// The argv reading `file` after `position`: GNU `sed --sandbox -n -e SCRIPT -- FILE`.
    ///
    /// It prints line 1 as it is (for the rotation check; never counted as
    /// such), then `sudo` or `ssh` for each failed attempt on lines N+1… (line
    /// 1 included when N is 0, as a word, so it is counted once), then the
    /// file's line count (`$=`). An empty file prints nothing. `z` empties the
    /// pattern space whatever its bytes, so non-UTF-8 lines are counted too.
    static func logArgv(file: String, from position: LogPosition) -> [String] {
        let (before, after) = sedScript
        return [sed, "--sandbox", "-n", "-e", before + String(position.lines + 1) + after, "--", file]
    }

    /// GNU sed; `--sandbox` refuses the script's `e`, `r` and `w` commands, so the
    /// read set knows it for a reader.
    static let sed = "/usr/bin/sed"

    /// The script of ``logArgv(file:from:)`` around the first line to count.
    static var sedScript: (before: String, after: String) {
        ("1p;", ",${"
            + "\(sedSudoLine){\(sedSudoFailure){z;s/^/sudo/p}};"
            + "\(sedSudoLine)!{\(sedSSHLine){\(sedSSHFailure){z;s/^/ssh/p}}}"
            + "};$=")
    }

    /// What one read of a log file found.
    struct LogRead: Equatable {
        var sudo = 0
        var ssh = 0
        /// Why the file counts as rotated (nothing was counted), or nil.
        var rotated: String?
        /// Where the next scan continues.
        var next: LogPosition
    }

    /// Output of ``logArgv(file:from:)`` that is not what it prints (cut at the limit, not GNU sed).
    struct LogReadError: Error, Equatable {
        var message: String
    }

    /// Parses the output of ``logArgv(file:from:)`` run after `previous`, deciding whether the file was rotated.
    ///
    /// - Throws: ``LogReadError`` when the output was cut or is not first line, words, count.
    static func readLog(_ output: CommandResult, previous: LogPosition) throws(LogReadError) -> LogRead {
        guard !output.stdoutTruncated else { throw LogReadError(message: "output cut at the limit") }
        var lines = output.stdout.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let countLine = lines.last else {
            // Empty file: nothing new; if lines had been read, it was emptied (rotated).
            return LogRead(rotated: previous.lines > 0 ? "it is now empty" : nil, next: LogPosition(lines: 0))
        }
        guard lines.count >= 2, let total = Int(String(decoding: countLine, as: UTF8.self)), total >= 1 else {
            throw LogReadError(message: "no first line and line count (is sed GNU sed?)")
        }
        let fingerprint = Self.fingerprint(Data(lines[0]))
        if total < previous.lines {
            return LogRead(rotated: "it has \(total) lines, fewer than the \(previous.lines) read before", next: LogPosition(lines: 0))
        }
        if previous.lines > 0, let old = previous.fingerprint, old != fingerprint {
            return LogRead(rotated: "its first line changed", next: LogPosition(lines: 0))
        }
        var read = LogRead(next: LogPosition(lines: total, fingerprint: fingerprint))
        for word in lines[1..<(lines.count - 1)] {
            switch String(decoding: word, as: UTF8.self) {
            case "sudo": read.sudo += 1
            case "ssh": read.ssh += 1
            default: throw LogReadError(message: "unexpected line between the first line and the count")
            }
        }
        return read
    }

    /// The first 16 hex digits (64 bits) of the SHA-256 of `bytes`: it tells files apart (the shared SHA-256 of LunaCodec, not a hash of our own).
    static func fingerprint(_ bytes: Data) -> String {
        String(SHA256.hex(bytes).prefix(16))
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
