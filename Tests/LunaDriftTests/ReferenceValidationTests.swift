import Foundation
import LunaFleet
import Testing

@testable import LunaDrift

/// One malformed reference line and what the check must say about it.
struct MalformedReference: CustomTestStringConvertible, Sendable {
    var check: String
    var text: String
    /// The line the error must name.
    var line: Int
    /// A phrase saying what was expected.
    var phrase: String

    init(_ check: String, _ text: String, line: Int, _ phrase: String) {
        self.check = check
        self.text = text
        self.line = line
        self.phrase = phrase
    }

    var testDescription: String { "\(check): \(text.split(separator: "\n").last ?? "")" }
}

/// Every reference file is validated when read: a malformed line is an `error`
/// result naming `file:line` and what was expected, never a dropped line or a
/// phantom expected item.
@Suite("reference files: malformed lines are errors with file:line")
struct ReferenceValidationTests {
    static let cases: [MalformedReference] = [
        // ports
        .init("ports", "tcp not-an-address", line: 1, "not a local address as ss prints it"),
        .init("ports", "tcp 0.0.0.0:22\ntcp", line: 2, "expected 'PROTO ADDRESS:PORT [PROCESS]'"),
        .init("ports", "tcp0.0.0.0:22", line: 1, "found 1 field"),
        .init("ports", "sctp 0.0.0.0:22", line: 1, "protocol must be 'tcp' or 'udp'"),
        .init("ports", "tcp 0.0.0.0:99999", line: 1, "port '99999' is not"),
        .init("ports", "tcp 0.0.0.0:022", line: 1, "port '022' is not"),
        .init("ports", "tcp 999.0.0.1:22", line: 1, "is not '*', an IPv4 address"),
        .init("ports", "tcp [::g]:22", line: 1, "is not an IPv6 address"),
        .init("ports", "tcp [0:0::0]:22", line: 1, "write the IPv6 address as ss does: [::]"),
        .init("ports", "tcp [::1:22", line: 1, "unbalanced"),
        .init("ports", "tcp 0.0.0.0:22 sshd extra", line: 1, "found 4 fields"),
        .init("ports", "tcp 127.0.0.53%:53", line: 1, "interface after '%'"),
        // cron
        .init("cron", "crom /etc/crontab: x", line: 1, "expected 'cron /FILE: ENTRY' or 'timer UNIT.timer'"),
        .init("cron", "cron /etc/crontab:", line: 1, "no ': ' after the cron file"),
        .init("cron", "cron etc/crontab: 1 * * * * root x", line: 1, "must be an absolute path"),
        .init("cron", "timer apt-daily", line: 1, "expected 'cron /FILE: ENTRY'"),
        .init("cron", "timer a.timer b.timer", line: 1, "expected 'cron /FILE: ENTRY'"),
        .init("cron", "Cron /etc/crontab: x", line: 1, "expected 'cron /FILE: ENTRY'"),
        // services
        .init("services", "ssh.service\nnginx.service sshd.service", line: 2, "expected one unit name a line"),
        .init("services", "-H", line: 1, "is not a systemd unit name"),
        .init("services", "a;b.service", line: 1, "is not a systemd unit name"),
        // vpn, qdevice, containers, backup
        .init("vpn", "node", line: 1, "expected 'node NAME'"),
        .init("vpn", "node a b", line: 1, "expected 'node NAME'"),
        .init("qdevice", "qnetd", line: 1, "expected 'qnetd HOST'"),
        .init("qdevice", "qnetd a\nqnetd b", line: 2, "'qnetd' is set twice (first at line 1)"),
        .init("containers", "engine docker\nexpect", line: 2, "expected 'expect CONTAINER_NAME'"),
        .init("containers", "engine docker\nengine podman", line: 2, "'engine' is set twice"),
        .init("containers", "engine lxc", line: 1, "expected 'engine docker' or 'engine podman'"),
        .init("backup", "repository a@pbs!t@h:ds\ngroup", line: 2, "expected 'group TYPE/ID"),
        .init("backup", "repository a@pbs!t@h:ds\nrepository b@pbs!t@h:ds", line: 2, "'repository' is set twice"),
        // thresholds written twice: the first would be silently ignored
        .init("memory", "min_available_percent 50\nmin_available_percent 10", line: 2, "'min_available_percent' is set twice"),
        .init("quorum", "expected_votes 3\nexpected_votes 5", line: 2, "'expected_votes' is set twice"),
        .init("auth", "ssh 5\nssh 50", line: 2, "'ssh' is set twice"),
        .init("auth", "source journal\nsource /var/log/auth.log", line: 2, "'source' is set twice"),
        // values that were accepted and then misread
        .init("gitlag", "repo /srv/app -1", line: 1, "expected 'repo /ABSOLUTE/PATH [MAX_BEHIND]'"),
        .init("dns", "resolver 127.0.0.1\nname example.org -f", line: 2, "expected 'name NAME [TYPE]'"),
        .init("tls", "endpoint example.org:https 30", line: 1, "endpoint is HOST:PORT with a port 1…65535"),
        .init("tls", "endpoint example.org:0 30", line: 1, "endpoint is HOST:PORT with a port 1…65535"),
        // the checks that validated already keep doing so
        .init("suid", "root", line: 1, "expected 'root /ABSOLUTE/PATH'"),
        .init("files", "/etc/x 0644", line: 1, "expected 'PATH MODE OWNER:GROUP'"),
        .init("disk", "/ ninety", line: 1, "expected 'MOUNTPOINT PERCENT'"),
        .init("sshd", "permitrootlogin", line: 1, "expected 'keyword value'"),
    ]

    @Test("the plan is an error naming file:line and the expected form", arguments: cases)
    func malformedLineIsAnError(_ bad: MalformedReference) throws {
        let check = try #require(CheckCatalog.named(bad.check))
        let refs = try TempReferences(["\(check.referenceKind)/h": bad.text + "\n"])
        defer { refs.remove() }
        let path = refs.references.path(kind: check.referenceKind, host: "h")
        let plan = (check as? any StatefulDriftCheck)?.plan(host: "h", references: refs.references, state: nil)
            ?? check.plan(host: "h", references: refs.references)
        guard case .done(let result) = plan else {
            Issue.record("\(bad.check) planned a run for a malformed reference")
            return
        }
        #expect(result.status == .error)
        #expect(result.detail.contains("\(path):\(bad.line): "), "\(result.detail)")
        #expect(result.detail.contains(bad.phrase), "\(result.detail)")
    }

    @Test("ports: a bad line is an error at evaluation too, never a listener reported gone")
    func portsEvaluateRefusesBadReference() throws {
        let ss = "tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"sshd\",pid=1,fd=3))\n"
        let ref = try baseline("tcp 0.0.0.0:22 sshd\ntcp not-an-address\n", file: "configs/ports/h")
        let result = PortsCheck().evaluate(host: "h", output: output(Data(ss.utf8)), reference: ref)
        #expect(result.status == .error)
        #expect(result.detail.contains("configs/ports/h:2: "), "\(result.detail)")
        #expect(!result.items.contains { $0.subject.hasPrefix("-") })
    }

    @Test("cron: a misspelt keyword is an error at evaluation too, never a job reported gone")
    func cronEvaluateRefusesBadReference() throws {
        let recorded = try text("cron-sequence-debian12.txt")
        let ref = try baseline("crom /etc/crontab: x\n", file: "configs/cron/h")
        let result = CronCheck().evaluate(host: "h", output: output(Data(recorded.utf8)), reference: ref)
        #expect(result.status == .error)
        #expect(result.detail.contains("configs/cron/h:1: "), "\(result.detail)")
    }

    @Test("the forms ss prints are accepted, with process names and inline comments")
    func portsAcceptsWhatSSPrints() throws {
        let ref = try baseline("""
            tcp 0.0.0.0:22 sshd
            tcp [::]:22 sshd
            udp 127.0.0.53%lo:53 systemd-resolve
            tcp *:80 nginx,nginx_worker  # web
            udp [fe80::1]%eth0:546
            tcp [::ffff:127.0.0.1]:631 cupsd
            udp 0.0.0.0:* 
            """)
        let items = try PortsCheck.expected(ref)
        #expect(items.count == 7)
        #expect(items.contains("udp 127.0.0.53%lo:53"))
        #expect(items.contains("tcp *:80"))
    }

    @Test("the references shipped in configs/ and captured lines all validate")
    func shippedReferencesValidate() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let refs = References(directory: root.appendingPathComponent("configs").path)
        for check in CheckCatalog.all {
            let plan = (check as? any StatefulDriftCheck)?.plan(host: "localhost", references: refs, state: nil)
                ?? check.plan(host: "localhost", references: refs)
            if case .done(let result) = plan {
                #expect(result.status != .error, "\(check.name): \(result.detail)")
            }
        }
        // What capture writes for ports is accepted back.
        let ss = try text("ss-tulpn-debian12.txt")
        let captured = try PortsCheck().capture(output: output(Data(ss.utf8)), current: nil)
        #expect(try PortsCheck.expected(baseline(captured.joined(separator: "\n"))).count == Set(captured.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }).count)
    }
}
