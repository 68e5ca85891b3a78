import Foundation
import Testing
import LunaPolicy

/// The sudoers audit: one reference line per risky form, each reported with
/// its file:line and kind; the narrow forms Luna itself ships are not.
@Suite("sudoers audit")
struct SudoersAuditTests {
    /// One risky rule (line 1 of its reference) and the kind it must be reported as.
    static let risky: [(rule: String, kind: String, because: String)] = [
        ("luna ALL = (root) NOPASSWD: ALL", "all", "ALL"),
        ("luna ALL = (root) NOPASSWD: /bin/cat /var/log/*", "argument-wildcard", "matches blanks"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/stat -c ?a /etc/[ps]*", "argument-wildcard", "wildcard"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/*", "program-wildcard", "other programs"),
        ("luna ALL = (root) NOPASSWD: /usr/sbin/", "directory", "every program in it"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/du", "any-arguments", "any arguments"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/journalctl ^-u [a-z.]+ -n .*$", "regex-argument", "blank"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/less /var/log/syslog", "shell-escape", "pager"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/more /var/log/syslog", "shell-escape", "pager"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/vim /etc/hosts", "shell-escape", "editor"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/nano /etc/hosts", "shell-escape", "editor"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/man ls", "shell-escape", "pager"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/find /srv -name x -exec /bin/true ;", "shell-escape", "-exec"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/tar -xzf /srv/a.tgz", "shell-escape", "extracting"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/tar -cf /tmp/x /srv --checkpoint-action=exec=sh", "shell-escape", "checkpoint"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/rsync -e sh /a /b", "shell-escape", "--rsh"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/sed -n 1p /etc/hosts", "shell-escape", "--sandbox"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/awk {print} /etc/hosts", "shell-escape", "interpreter"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/python3 /srv/report.py", "shell-escape", "interpreter"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/perl -e 1", "shell-escape", "interpreter"),
        ("luna ALL = (root) NOPASSWD: /bin/bash /srv/x.sh", "shell-escape", "interpreter"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/git -C /srv/app status", "shell-escape", "pager"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/journalctl -u nginx", "shell-escape", "--no-pager"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/systemctl edit nginx.service", "shell-escape", "editor"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/docker run --rm alpine", "shell-escape", "root shell"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/env", "shell-escape", "runs the program"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/tee", "shell-escape", "writes"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/cp", "shell-escape", "writes"),
        ("luna ALL = (root) NOPASSWD: /usr/bin/dd", "shell-escape", "writes"),
        ("luna ALL = (root) NOPASSWD:SETENV: /usr/bin/systemctl restart nginx.service", "setenv", "LD_PRELOAD"),
        ("Defaults setenv\nluna ALL = (root) NOPASSWD: /usr/bin/systemctl restart nginx.service", "setenv", "LD_PRELOAD"),
        ("luna ALL = (root) NOPASSWD: ALL, !/usr/bin/passwd", "negation", "denylist"),
        ("luna ALL = (ALL) NOPASSWD: /usr/bin/systemctl restart nginx.service", "runas", "any user"),
        ("luna ALL = (root, www-data) NOPASSWD: /usr/bin/systemctl restart nginx.service", "runas", "www-data"),
        ("luna ALL = (ALL, !root) NOPASSWD: /usr/bin/id", "runas", "denylist"),
        ("luna ALL = (root : ALL) NOPASSWD: /usr/bin/systemctl restart nginx.service", "runas", "any group"),
        ("luna ALL = (root) NOPASSWD: /opt/tools/report", "unprovable-path", "cannot prove"),
        ("luna ALL = (root) NOPASSWD: /usr/local/bin/report --daily", "unprovable-path", "/usr/local"),
        ("Cmnd_Alias LOGS = /bin/cat /var/log/*\nluna ALL = (root) NOPASSWD: LOGS", "argument-wildcard", "matches blanks"),
    ]

    @Test(arguments: 0..<risky.count)
    func eachRiskyFormIsReportedWithItsLine(_ index: Int) throws {
        let (rule, kind, because) = Self.risky[index]
        let sudoers = try Sudoers.parse(rule + "\n", file: "configs/sudoers/luna-web1")
        let findings = sudoers.audit(user: "luna", groups: [], host: "web1", paths: .remote)
        let hit = findings.first { $0.kind == kind && $0.reason.contains(because) }
        #expect(hit != nil, "\(rule): \(findings.map(\.description))")
        // The line that writes the risky entry: the alias definition or the Defaults line for those forms.
        #expect(hit?.file == "configs/sudoers/luna-web1" && hit?.line == 1, "\(hit?.description ?? rule)")
        #expect(hit?.description.hasPrefix("configs/sudoers/luna-web1:1: ") == true)
    }

    /// Narrow rules: fixed arguments, `""`, a regex without a blank, the safe forms of the listed programs.
    static let narrow = [
        "luna ALL = (root) NOPASSWD: /usr/sbin/sshd -T",
        "luna ALL = (root) NOPASSWD: /usr/bin/grep -r -a -H -Z -e \\^ -- /etc/sudoers /etc/sudoers.d",
        "luna ALL = (root) NOPASSWD: /usr/bin/journalctl ^--no-pager -o short-iso (--since=-24h|--after-cursor=[0-9a-z=;]+)$",
        "luna ALL = (root) NOPASSWD: /usr/bin/sed --sandbox -n -e 1p -- /var/log/auth.log",
        "luna ALL = (root) NOPASSWD: /usr/bin/docker ps -a --format json",
        "luna ALL = (root) NOPASSWD: /usr/bin/systemctl restart ssh.service",
        "luna ALL = (root) NOPASSWD: /usr/bin/chmod 0600 /srv/app.conf",
        "luna ALL = (root) NOPASSWD: /usr/bin/find /srv -maxdepth 1 -name *.conf",
        "luna ALL = (root) NOPASSWD: /usr/sbin/corosync-quorumtool \"\"",
        "luna ALL = () NOPASSWD: /usr/bin/id -u",
        "luna ALL = (root) NOPASSWD: /usr/bin/tar -tzf /srv/backup.tgz",
        // Rules for someone else, or for another host, are not luna's.
        "alice ALL = (ALL) ALL",
        "luna db1 = (root) NOPASSWD: ALL",
    ]

    @Test(arguments: narrow)
    func narrowRulesAreNotReported(_ rule: String) throws {
        let sudoers = try Sudoers.parse(rule + "\n", file: "luna-web1")
        let findings = sudoers.audit(user: "luna", groups: [], host: "web1", paths: .remote)
        // `find … -name *.conf` has a wildcard, and `*` matches `x -exec sh ;` too: both are reported.
        if rule.contains("*.conf") {
            #expect(findings.map(\.kind) == ["argument-wildcard", "shell-escape"], "\(findings.map(\.description))")
        } else {
            #expect(findings.isEmpty, "\(rule): \(findings.map(\.description))")
        }
    }

    /// On this machine the audit looks: a program in a directory everyone may write is reported,
    /// the same program under root's directories is not.
    @Test func aLocalProgramUnderAWritableDirectoryIsReported() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-audit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        chmod(dir, 0o777)
        let program = dir + "/report"
        FileManager.default.createFile(atPath: program, contents: Data("#!/bin/true\n".utf8))
        chmod(program, 0o755)
        let sudoers = try Sudoers.parse("luna ALL = (root) NOPASSWD: \(program) --daily\n", file: "luna-localhost")
        let findings = sudoers.audit(user: "luna", groups: [], host: "localhost", paths: .local)
        let writable = findings.filter { $0.kind == "writable-path" }
        #expect(writable.count == 1, "\(findings.map(\.description))")
        // Owned by the test's user (not root) or writable by everyone: either way, named.
        #expect(writable.first.map { $0.reason.contains(dir) || $0.reason.contains("/tmp") } == true, "\(writable)")

        let stock = try Sudoers.parse("luna ALL = (root) NOPASSWD: /usr/bin/id -u\n", file: "luna-localhost")
        #expect(stock.audit(user: "luna", groups: [], host: "localhost", paths: .local).isEmpty)
    }

    @Test func aRiskyEntryInAnAliasIsReportedAtTheAliasLine() throws {
        let text = """
            # comment
            Cmnd_Alias LUNA_READ = /usr/sbin/sshd -T, \\
                                   /usr/bin/less /var/log/syslog
            luna ALL = (root) NOPASSWD: LUNA_READ

            """
        let sudoers = try Sudoers.parse(text, file: "luna-web1")
        let findings = sudoers.audit(user: "luna", groups: [], host: "web1", paths: .remote)
        #expect(findings.map(\.kind) == ["shell-escape"], "\(findings.map(\.description))")
        #expect(findings.first?.line == 2)
        #expect(findings.first?.entry == "(root) NOPASSWD: /usr/bin/less /var/log/syslog")
    }
}
