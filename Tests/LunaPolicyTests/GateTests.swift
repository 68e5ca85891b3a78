import Foundation
import Testing
@testable import LunaPolicy

@Suite("Gate")
struct GateTests {
    static let reference = """
        Cmnd_Alias SHELLS = /usr/bin/bash -c /usr/local/bin/rotate-logs
        luna ALL = (root) NOPASSWD: /usr/bin/systemctl status *, /usr/bin/systemctl restart nginx, \\
            /usr/bin/journalctl *, /usr/bin/rm /tmp/*, /usr/bin/systemctl mask *, /usr/bin/cat *, \\
            /usr/bin/less *, /usr/bin/env *, /usr/bin/nice *, /usr/bin/sh -c *, SHELLS, \\
            /usr/bin/find *, /usr/bin/python3 *, /usr/bin/sudo *, /usr/bin/awk *
        luna ALL = (root) NOPASSWD: NOEXEC: /usr/bin/vi /etc/motd
        luna ALL = sudoedit /etc/nginx/nginx.conf
        """

    static func gate() throws -> (Gate, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-gate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try (reference + "\n").write(toFile: dir + "/luna-web1", atomically: true, encoding: .utf8)
        try "luna ALL = (root /usr/bin/id\n".write(toFile: dir + "/luna-broken", atomically: true, encoding: .utf8)
        let hosts = ["web1": HostPolicy(groups: ["luna"]), "broken": HostPolicy(), "nofile": HostPolicy()]
        let extra = [ClassificationRule(program: "backup-now", actionClass: .readOnly, reason: "our backup is read-only")]
        return (Gate(sudoersDirectory: dir, hosts: hosts, classifier: Classifier(extra: extra)), dir)
    }

    static let refusals: [([String], String, String)] = [
        (["systemctl", "status", "nginx"], "web1", "relative program path"),
        ([], "web1", "empty"),
        (["/usr/bin/cat", "a\nb"], "web1", "argument 1 contains U+000A (a control character)"),
        (["/usr/bin/cat", "a\0b"], "web1", "argument 1 contains U+0000 (a control character)"),
        (["/usr/bin/id"], "elsewhere", "not in the inventory"),
        (["/usr/bin/id"], "broken", "luna-broken:1:"),
        (["/usr/bin/id"], "nofile", "no sudoers reference"),
        (["/usr/bin/sh", "-c", "id"], "web1", "given code"),
        (["/usr/bin/python3", "-c", "print(1)"], "web1", "given code"),
        (["/usr/bin/env", "/usr/bin/id"], "web1", "runs another command"),
        (["/usr/bin/nice", "/usr/bin/id"], "web1", "runs another command"),
        (["/usr/bin/find", "/", "-exec", "/usr/bin/id", ";"], "web1", "find -exec"),
        (["/usr/bin/awk", "BEGIN{system(\"id\")}"], "web1", "awk programs"),
        (["/usr/bin/sudo", "/usr/bin/id"], "web1", "nests privilege"),
        (["/usr/bin/less", "/var/log/syslog"], "web1", "shell escapes"),
        (["/usr/bin/systemctl", "stop", "nginx"], "web1", "does not allow"),
        (["/usr/bin/id"], "web1", "does not allow"),
    ]

    /// Arguments a terminal, sudo's log or the approval prompt would not show as they run.
    static let unprintable: [(String, String)] = [
        ("/etc/motd\u{1B}[8m", "U+001B (a control character)"),
        ("\u{1B}]0;X\u{07}", "U+001B (a control character)"),
        ("bell\u{07}", "U+0007 (a control character)"),
        ("cr\r", "U+000D (a control character)"),
        ("tab\there", "U+0009 (a control character)"),
        ("del\u{7F}", "U+007F (a control character)"),
        ("csi\u{9B}2K", "U+009B (a control character)"),
        ("nel\u{85}", "U+0085 (a control character)"),
        ("/etc/\u{202E}dwssap", "U+202E (a bidi control)"),
        ("\u{2066}x\u{2069}", "U+2066 (a bidi control)"),
        ("\u{202A}", "U+202A (a bidi control)"),
    ]

    @Test("an argument with a control or bidi character is refused by evaluate and judge", arguments: unprintable)
    func unprintableArgument(argument: String, reason: String) throws {
        let (gate, dir) = try Self.gate()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // /usr/bin/cat * allows any argument, and rm /tmp/* would escalate: the character check comes first.
        for argv in [["/usr/bin/cat", "/etc/hosts", argument], ["/usr/bin/rm", "/tmp/" + argument + "x"]] {
            let v = gate.evaluate(host: "web1", argv: argv)
            #expect(v.outcome == .refused, "\(v)")
            #expect(v.reasons.joined().contains("argument \(argv.count - 1) contains " + reason), "\(v)")
            let sudoers = try Sudoers.load(path: dir + "/luna-web1")
            let request = SudoRequest(user: "luna", groups: ["luna"], host: "web1", runasUser: "root", argv: argv, paths: .local)
            let judged = gate.judge(request, by: sudoers, hostLabel: "web1")
            #expect(judged.outcome == .refused, "\(judged)")
            #expect(judged.reasons.joined().contains("argument \(argv.count - 1) contains " + reason), "\(judged)")
        }
        // Printable Unicode stays allowed.
        #expect(gate.evaluate(host: "web1", argv: ["/usr/bin/cat", "/srv/caf\u{E9}-\u{65E5}"]).outcome == .allowed)
    }

    @Test("refusals, each with a reason a person understands", arguments: refusals)
    func refusal(argv: [String], host: String, reason: String) throws {
        let (gate, dir) = try Self.gate()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let v = gate.evaluate(host: host, argv: argv)
        #expect(v.outcome == .refused, "\(v)")
        #expect(v.reasons.joined().contains(reason), "\(v)")
    }

    @Test("allowed, escalated and the exact-form exceptions")
    func allowedAndEscalated() throws {
        let (gate, dir) = try Self.gate()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let status = gate.evaluate(host: "web1", argv: ["/usr/bin/systemctl", "status", "nginx"])
        #expect(status.outcome == .allowed)
        #expect(status.classification.actionClass == .readOnly)
        #expect(status.sudo?.tags == ["NOPASSWD"])
        #expect(gate.evaluate(host: "web1", argv: ["/bin/systemctl", "restart", "nginx"]).outcome == .allowed)
        // destructive: escalate even though sudo would allow it
        let rm = gate.evaluate(host: "web1", argv: ["/usr/bin/rm", "/tmp/x"])
        #expect(rm.outcome == .escalate && rm.sudo?.allowed == true)
        #expect(gate.evaluate(host: "web1", argv: ["/usr/bin/systemctl", "mask", "nginx"]).outcome == .escalate)
        // the reference names this exact shell form
        #expect(gate.evaluate(host: "web1", argv: ["/usr/bin/bash", "-c", "/usr/local/bin/rotate-logs"]).outcome == .allowed)
        // NOEXEC rule and sudoedit allow editors
        #expect(gate.evaluate(host: "web1", argv: ["/usr/bin/vi", "/etc/motd"]).outcome == .allowed)
        #expect(gate.evaluate(host: "web1", argv: ["sudoedit", "/etc/nginx/nginx.conf"]).outcome == .allowed)
        let json = try JSONEncoder().encode(status)
        #expect(try JSONDecoder().decode(GateVerdict.self, from: json) == status)
        #expect(status.description.hasPrefix("ALLOWED (read-only)"))
    }

    @Test("classification", arguments: [
        (["/usr/bin/rm", "-rf", "/srv"], ActionClass.destructive), (["/usr/sbin/mkfs.ext4", "/dev/sdb1"], .destructive),
        (["/usr/bin/dd", "if=/dev/zero", "of=/dev/sda"], .destructive), (["/usr/bin/dd", "if=/dev/sda"], .readOnly),
        (["/usr/sbin/wipefs", "-a", "/dev/sdb"], .destructive), (["/usr/bin/shred", "f"], .destructive),
        (["/usr/bin/truncate", "-s0", "f"], .destructive), (["/usr/sbin/userdel", "bob"], .destructive),
        (["/usr/bin/passwd", "-l", "bob"], .destructive), (["/usr/sbin/chpasswd"], .destructive),
        (["/usr/bin/ssh-keygen", "-t", "ed25519"], .destructive), (["/usr/bin/systemctl", "disable", "x"], .destructive),
        (["/usr/bin/docker", "volume", "rm", "v"], .destructive), (["/usr/bin/docker", "system", "prune", "-f"], .destructive),
        (["/usr/sbin/zfs", "destroy", "tank/x"], .destructive), (["/usr/sbin/zpool", "destroy", "tank"], .destructive),
        (["/usr/sbin/qm", "destroy", "100"], .destructive), (["/usr/sbin/pct", "destroy", "101"], .destructive),
        (["/usr/bin/systemctl", "status", "x"], .readOnly), (["/usr/bin/systemctl", "is-active", "x"], .readOnly),
        (["/usr/bin/journalctl", "-u", "x"], .readOnly), (["/usr/bin/cat", "/etc/hosts"], .readOnly),
        (["/usr/bin/ss", "-tlnp"], .readOnly), (["/usr/bin/systemctl", "restart", "x"], .mutating),
        (["/usr/bin/nice", "/usr/bin/rm", "x"], .destructive), (["/usr/local/bin/backup-now"], .readOnly),
        (["/usr/local/bin/unknown"], .mutating),
    ])
    func classification(argv: [String], expected: ActionClass) throws {
        let extra = [ClassificationRule(program: "backup-now", actionClass: .readOnly, reason: "our backup is read-only")]
        #expect(Classifier(extra: extra).classify(argv).actionClass == expected)
    }
}
