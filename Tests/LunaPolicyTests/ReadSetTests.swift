import Foundation
import Testing
@testable import LunaPolicy

/// The declared read set: only commands the operator put in a read-only alias
/// run without an approval, and the classifier can take a known writing form out.
@Suite("declared read set")
struct ReadSetTests {
    static let reference = """
        Cmnd_Alias LUNA_READ = /usr/bin/stat -c *, /usr/bin/find *, /usr/local/bin/fleet-report, STATUS
        Cmnd_Alias STATUS = /usr/bin/systemctl is-active *
        Cmnd_Alias LUNA_FIX = /usr/bin/chmod 0600 /srv/app.conf, /usr/bin/stat -c %a /srv/other, /usr/bin/systemctl *
        luna ALL = (root) NOPASSWD: LUNA_READ, LUNA_FIX, !/usr/bin/find * -delete
        luna ALL = (backup) NOPASSWD: /usr/bin/cat /srv/backup.log

        """

    func verdict(_ argv: [String], reference: String = Self.reference, runas: String = "root",
                 aliases: Set<String> = Gate.defaultReadOnlyAliases) throws -> GateVerdict {
        let sudoers = try Sudoers.parse(reference, file: "luna-web1")
        let gate = Gate(sudoersDirectory: "/nonexistent", hosts: [:], readOnlyAliases: aliases)
        let request = SudoRequest(user: "luna", groups: [], host: "web1", runasUser: runas, argv: argv,
                                  paths: .canonical(usrmerge: true))
        return gate.judge(request, by: sudoers, hostLabel: "web1")
    }

    @Test func aCommandFromTheReadAliasRunsWithoutApproval() throws {
        let v = try verdict(["/usr/bin/stat", "-c", "%a", "/etc/ssh/sshd_config"])
        #expect(v.outcome == .allowed)
        #expect(v.runsWithoutApproval, "\(v)")
        #expect(v.readSet?.reason.contains("declared read-only by luna-web1:") == true, "\(v.readSet?.reason ?? "")")
    }

    @Test func nestedAliasesCountAndAnUnknownProgramIsTrustedWhenDeclared() throws {
        #expect(try verdict(["/usr/bin/systemctl", "is-active", "ssh"]).runsWithoutApproval)
        // Read-only is what the operator declared: a program the classifier does not know is not vetoed.
        let report = try verdict(["/usr/local/bin/fleet-report"])
        #expect(report.classification.known == false)
        #expect(report.runsWithoutApproval, "\(report)")
    }

    @Test func allowedButNotDeclaredNeedsAnApproval() throws {
        let v = try verdict(["/usr/bin/chmod", "0600", "/srv/app.conf"])
        #expect(v.outcome == .allowed)
        #expect(!v.runsWithoutApproval)
        #expect(v.readSet?.declared == false)
        #expect(v.readSet?.reason.contains("not in the declared read set") == true)
        // systemctl restart is allowed through LUNA_FIX's wildcard, not declared read-only.
        #expect(!(try verdict(["/usr/bin/systemctl", "restart", "ssh"])).runsWithoutApproval)
        // A form the classifier calls read-only is still not in the read set unless declared.
        let status = try verdict(["/usr/bin/stat", "-c", "%a", "/srv/other"])
        #expect(status.runsWithoutApproval, "stat -c is in LUNA_READ by its wildcard: \(status)")
        #expect(!(try verdict(["/usr/bin/systemctl", "status", "ssh"])).runsWithoutApproval)
    }

    @Test func theClassifierNarrowsTheDeclaredSetNeverWidens() throws {
        // `/usr/bin/find *` is declared, but -fprint writes a file as root.
        let fprint = try verdict(["/usr/bin/find", "/tmp", "-maxdepth", "0", "-fprint", "/tmp/x"])
        #expect(fprint.outcome == .allowed)
        #expect(fprint.readSet?.declared == true)
        #expect(!fprint.runsWithoutApproval, "\(fprint)")
        #expect(fprint.readSet?.reason.contains("-fprint") == true)
        // The negated entry keeps -delete out entirely.
        #expect(try verdict(["/usr/bin/find", "/tmp", "-delete"]).outcome != .allowed)
    }

    @Test func runasAndDenialsAreDecidedAsSudoDoes() throws {
        // Declared for root only: as another user the read alias does not apply.
        let asBackup = try verdict(["/usr/bin/stat", "-c", "%a", "/x"], runas: "backup")
        #expect(!asBackup.runsWithoutApproval)
        let cat = try verdict(["/usr/bin/cat", "/srv/backup.log"], runas: "backup")
        #expect(cat.outcome == .allowed && !cat.runsWithoutApproval)
        // A negated read-only alias takes its commands away from the read set.
        let negated = """
            Cmnd_Alias LUNA_READ = /usr/bin/id
            luna ALL = (root) NOPASSWD: /usr/bin/id, !LUNA_READ

            """
        #expect(try verdict(["/usr/bin/id"], reference: negated).outcome == .refused)
        // A later rule that denies wins over an earlier read-only one.
        let later = """
            Cmnd_Alias LUNA_READ = /usr/bin/id *
            luna ALL = (root) NOPASSWD: LUNA_READ
            luna ALL = (root) NOPASSWD: /usr/bin/id, !/usr/bin/id -Z

            """
        #expect(try verdict(["/usr/bin/id", "-Z"], reference: later).outcome == .refused)
        #expect(try verdict(["/usr/bin/id", "-u"], reference: later).runsWithoutApproval)
    }

    @Test func withoutAReadAliasNothingRunsWithoutApproval() throws {
        let plain = "luna ALL = (root) NOPASSWD: /usr/bin/stat *\n"
        let v = try verdict(["/usr/bin/stat", "/etc/hosts"], reference: plain)
        #expect(v.outcome == .allowed && !v.runsWithoutApproval)
        #expect(v.readSet?.reason.contains("declares no read-only commands") == true)
        // The estate may name its own read aliases.
        let custom = "Cmnd_Alias OPS_READ = /usr/bin/stat *\nluna ALL = (root) NOPASSWD: OPS_READ\n"
        #expect(try verdict(["/usr/bin/stat", "/etc/hosts"], reference: custom, aliases: ["OPS_READ"]).runsWithoutApproval)
        #expect(!(try verdict(["/usr/bin/stat", "/etc/hosts"], reference: custom)).runsWithoutApproval)
    }

    /// Forms found writing as root while the built-in list called them read-only.
    static let writingForms: [[String]] = [
        ["/usr/bin/find", "/tmp", "-maxdepth", "0", "-fprint", "/tmp/x"],
        ["/usr/bin/find", "/", "-fls", "/tmp/x"],
        ["/usr/bin/find", "/", "-fprintf", "/tmp/x", "%p"],
        ["/usr/bin/find", "/", "-execdir", "/bin/true", ";"],
        ["/usr/bin/ip", "netns", "exec", "foo", "/bin/sh"],
        ["/usr/bin/ip", "link", "set", "eth0", "down"],
        ["/usr/bin/ip", "-batch", "/tmp/cmds"],
        ["/usr/bin/ip", "a", "d", "10.0.0.1/24", "dev", "eth0"],
        ["/usr/bin/date", "--set=2001-01-01"],
        ["/usr/bin/date", "-s", "2001-01-01"],
        ["/usr/bin/date", "010100002001"],
        ["/usr/bin/dmesg", "-C"],
        ["/usr/bin/dmesg", "-c"],
        ["/usr/bin/dmesg", "-Tc"],
        ["/usr/bin/dmesg", "-n", "1"],
        ["/usr/bin/dmesg", "--console-off"],
        ["/usr/bin/journalctl", "--setup-keys"],
        ["/usr/bin/journalctl", "--rotate"],
        ["/usr/bin/journalctl", "--relinquish-var"],
        ["/usr/bin/journalctl", "--flush"],
        ["/usr/bin/docker", "run", "--name", "x", "alpine", "touch", "/x"],
        ["/usr/bin/docker", "-H", "tcp://10.0.0.9:2375", "ps"],
        ["/usr/bin/podman", "exec", "web", "sh"],
        ["/usr/bin/docker", "stats"],
        ["/usr/bin/hostname", "evil"],
        ["/usr/bin/hostname", "-F", "/tmp/name"],
        ["/usr/bin/timedatectl", "set-time", "2001-01-01"],
        ["/usr/bin/hostnamectl", "set-hostname", "x"],
        ["/usr/sbin/sysctl", "-w", "kernel.x=1"],
        ["/usr/sbin/sysctl", "kernel.x=1"],
        ["/usr/sbin/sysctl", "-p", "/tmp/evil.conf"],
        ["/usr/bin/tee", "/etc/x"],
        ["/usr/bin/sed", "-i", "s/a/b/", "/etc/x"],
        ["/usr/bin/sed", "-n", "w /etc/x", "/etc/hosts"],
        ["/usr/bin/sort", "-o", "/etc/x", "/etc/hosts"],
        ["/usr/bin/sort", "--output=/etc/x", "/etc/hosts"],
        ["/usr/bin/tar", "-cf", "/tmp/x.tar", "/etc"],
        ["/usr/bin/tar", "xf", "/tmp/x.tar"],
        ["/usr/bin/tar", "-tf", "/tmp/x.tar", "--to-command=/bin/sh"],
        ["/usr/bin/cp", "/tmp/a", "/etc/a"],
        ["/usr/bin/mv", "/tmp/a", "/etc/a"],
        ["/usr/bin/install", "/tmp/a", "/etc/a"],
        ["/usr/bin/git", "commit", "-m", "x"],
        ["/usr/bin/git", "-c", "core.pager=sh", "log"],
        ["/usr/bin/git", "diff", "--output=/etc/x"],
        ["/usr/bin/crontab", "-r"],
        ["/usr/bin/crontab", "-e"],
        ["/usr/bin/crontab", "/tmp/evil"],
        ["/usr/bin/crontab", "-l", "/tmp/evil"],
        ["/usr/bin/loginctl", "terminate-user", "alice"],
        ["/usr/bin/ss", "-K", "dst", "10.0.0.1"],
        ["/usr/bin/tree", "-o", "/etc/x"],
        ["/usr/bin/mount", "-l", "-o", "remount,rw", "/"],
        ["/usr/sbin/parted", "-s", "/dev/sda", "print", "rm", "1"],
        ["/usr/bin/ssh-keygen", "-l", "-R", "host"],
        ["/usr/bin/gpg", "--list-keys", "--import", "/tmp/k"],
        ["/usr/bin/awk", "BEGIN{system(\"id\")}"],
        ["/usr/bin/file", "-C", "-m", "/tmp/magic"],
    ]

    @Test(arguments: writingForms)
    func writingFormsAreNeverReadOnly(_ argv: [String]) throws {
        let c = Classifier().classify(argv)
        #expect(c.actionClass != .readOnly, "\(argv) classified \(c)")
        #expect(c.known, "\(argv) must be known to write, so it narrows a declared read set: \(c)")
        // Even in a reference that allows ALL and declares ALL read-only, none runs without an approval.
        let all = "Cmnd_Alias LUNA_READ = ALL\nluna ALL = (root) NOPASSWD: LUNA_READ\n"
        #expect(!(try verdict(argv, reference: all)).runsWithoutApproval, "\(argv)")
    }

    static let readingForms: [[String]] = [
        ["/usr/bin/find", "/usr", "-xdev", "-type", "f", "-perm", "/6000", "-printf", "%m %p\\0"],
        ["/usr/bin/ip", "addr"],
        ["/usr/bin/ip", "-j", "route", "show"],
        ["/usr/bin/ip", "-br", "link", "list"],
        ["/usr/bin/ip", "netns", "list"],
        ["/usr/bin/date", "+%s"],
        ["/usr/bin/date", "-u", "-d", "@0", "+%F"],
        ["/usr/bin/dmesg", "-T"],
        ["/usr/bin/journalctl", "-u", "ssh", "--since", "-1h"],
        ["/usr/bin/docker", "ps", "--all"],
        ["/usr/bin/docker", "container", "ls"],
        ["/usr/bin/podman", "inspect", "web"],
        ["/usr/bin/hostname", "-f"],
        ["/usr/bin/timedatectl", "status"],
        ["/usr/sbin/sysctl", "net.ipv4.ip_forward"],
        ["/usr/bin/sed", "--sandbox", "-n", "1,5p", "/etc/hosts"],
        ["/usr/bin/sort", "/etc/hosts"],
        ["/usr/bin/tar", "-tf", "/tmp/x.tar"],
        ["/usr/bin/git", "log", "--oneline"],
        ["/usr/bin/crontab", "-l"],
        ["/usr/bin/crontab", "-u", "bob", "-l"],
        ["/usr/bin/loginctl", "list-sessions"],
        ["/usr/bin/ss", "-H", "-tulpn"],
        ["/usr/bin/mount", "-l", "-t", "ext4"],
        ["/usr/sbin/parted", "-s", "/dev/sda", "print"],
        ["/usr/bin/ssh-keygen", "-l", "-f", "/etc/ssh/ssh_host_ed25519_key.pub"],
        ["/usr/bin/gpg", "--list-keys"],
        ["/usr/bin/stat", "-c", "%a", "/etc/shadow"],
    ]

    @Test(arguments: readingForms)
    func readingFormsStayReadOnly(_ argv: [String]) {
        let c = Classifier().classify(argv)
        #expect(c.actionClass == .readOnly, "\(argv) classified \(c)")
    }
}
