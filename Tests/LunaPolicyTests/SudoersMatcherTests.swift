import Foundation
import Testing
@testable import LunaPolicy

/// The manual table: each row a reference, a request and sudo's answer.
struct MatchCase: Sendable, CustomStringConvertible {
    var rules: String
    var argv: [String]
    var runas = "root"
    var groups: [String] = ["luna"]
    var host = "web1"
    var usrmerge = true
    var allowed: Bool
    var description: String { "\(rules) | \(argv.joined(separator: " ")) as \(runas) -> \(allowed)" }
}

@Suite("Sudoers matcher")
struct SudoersMatcherTests {
    static let cases: [MatchCase] = [
        .init(rules: "luna ALL = /usr/bin/ls", argv: ["/usr/bin/ls", "-la", "/tmp"], allowed: true),
        .init(rules: "luna ALL = /usr/bin/ls \"\"", argv: ["/usr/bin/ls", "-l"], allowed: false),
        .init(rules: "luna ALL = /usr/bin/ls \"\"", argv: ["/usr/bin/ls"], allowed: true),
        .init(rules: "luna ALL = /usr/bin/ls -l", argv: ["/usr/bin/ls", "-l", "/tmp"], allowed: false),
        // * in arguments crosses spaces and slashes (fnmatch on the joined string)
        .init(rules: "luna ALL = /usr/bin/cat /var/log/*", argv: ["/usr/bin/cat", "/var/log/../../etc/shadow"], allowed: true),
        .init(rules: "luna ALL = /usr/bin/cat /var/log/*", argv: ["/usr/bin/cat", "/var/log/a", "/etc/shadow"], allowed: true),
        .init(rules: "luna ALL = /usr/bin/ls *", argv: ["/usr/bin/ls"], allowed: true),
        // wildcards in the path do not cross /
        .init(rules: "luna ALL = /usr/*", argv: ["/usr/bin/ls"], allowed: false),
        .init(rules: "luna ALL = /usr/bin/sys*", argv: ["/usr/bin/systemctl"], allowed: true),
        .init(rules: "luna ALL = /usr/bin/", argv: ["/usr/bin/ls"], allowed: true),
        .init(rules: "luna ALL = /usr/bin/", argv: ["/usr/bin/x/ls"], allowed: false),
        // usrmerge: /bin/ls is /usr/bin/ls
        .init(rules: "luna ALL = /usr/bin/ls", argv: ["/bin/ls"], allowed: true),
        .init(rules: "luna ALL = /usr/bin/ls", argv: ["/bin/ls"], usrmerge: false, allowed: false),
        // last match wins; negation
        .init(rules: "luna ALL = ALL, !/usr/bin/su", argv: ["/usr/bin/su"], allowed: false),
        .init(rules: "luna ALL = !/usr/bin/su, ALL", argv: ["/usr/bin/su"], allowed: true),
        .init(rules: "luna ALL = ALL\nluna ALL = !/usr/bin/passwd", argv: ["/usr/bin/passwd"], allowed: false),
        .init(rules: "luna ALL = !!/usr/bin/id", argv: ["/usr/bin/id"], allowed: true),
        // regex arguments
        .init(rules: "luna ALL = /usr/bin/systemctl ^(status|restart) nginx$", argv: ["/usr/bin/systemctl", "restart", "nginx"], allowed: true),
        .init(rules: "luna ALL = /usr/bin/systemctl ^(status|restart) nginx$", argv: ["/usr/bin/systemctl", "stop", "nginx"], allowed: false),
        // runas
        .init(rules: "luna ALL = /usr/bin/id", argv: ["/usr/bin/id"], runas: "postgres", allowed: false),
        .init(rules: "luna ALL = (postgres) /usr/bin/psql", argv: ["/usr/bin/psql"], runas: "postgres", allowed: true),
        .init(rules: "luna ALL = (postgres) /usr/bin/psql, /usr/bin/id", argv: ["/usr/bin/id"], runas: "postgres", allowed: true),
        .init(rules: "luna ALL = (ALL, !root) ALL", argv: ["/usr/bin/id"], runas: "root", allowed: false),
        .init(rules: "Defaults runas_default=www\nluna ALL = /usr/bin/id", argv: ["/usr/bin/id"], runas: "www", allowed: true),
        // users, groups, hosts, aliases
        .init(rules: "%ops ALL = ALL", argv: ["/usr/bin/id"], groups: ["ops"], allowed: true),
        .init(rules: "%ops ALL = ALL", argv: ["/usr/bin/id"], groups: ["dev"], allowed: false),
        .init(rules: "ALL, !luna ALL = ALL", argv: ["/usr/bin/id"], allowed: false),
        .init(rules: "luna web* = ALL", argv: ["/usr/bin/id"], host: "web7", allowed: true),
        .init(rules: "luna ALL, !db1 = ALL", argv: ["/usr/bin/id"], host: "db1", allowed: false),
        .init(rules: "Host_Alias WEB = web1, web2\nUser_Alias U = %ops, luna\nCmnd_Alias C = /usr/bin/id\nU WEB = C", argv: ["/usr/bin/id"], allowed: true),
        .init(rules: "Cmnd_Alias C = /usr/bin/id\nluna ALL = ALL, !C", argv: ["/usr/bin/id"], allowed: false),
        // relative and sudoedit
        .init(rules: "luna ALL = ALL", argv: ["sudoedit", "/etc/hosts"], allowed: true),
        .init(rules: "luna ALL = sudoedit /etc/nginx/*", argv: ["sudoedit", "/etc/nginx/a/b"], allowed: false),
        .init(rules: "luna ALL = sudoedit /etc/nginx/*", argv: ["sudoedit", "/etc/nginx/a"], allowed: true),
        // escapes
        .init(rules: "luna ALL = /usr/bin/echo a\\,b", argv: ["/usr/bin/echo", "a,b"], allowed: true),
        .init(rules: "luna ALL = /usr/bin/echo \\*", argv: ["/usr/bin/echo", "x"], allowed: false),
        .init(rules: "luna ALL = /usr/bin/echo \\*", argv: ["/usr/bin/echo", "*"], allowed: true),
    ]

    @Test("manual cases and pitfalls", arguments: cases)
    func table(_ c: MatchCase) throws {
        let s = try Sudoers.parse(c.rules + "\n", file: "ref")
        let d = s.decide(SudoRequest(groups: c.groups, host: c.host, runasUser: c.runas, argv: c.argv,
                                     paths: .canonical(usrmerge: c.usrmerge)))
        #expect(d.allowed == c.allowed, "\(d)")
    }

    @Test("the decision names the deciding rule, runas and tags")
    func decisionDetails() throws {
        let s = try Sudoers.parse("# header\nluna ALL = (root) NOPASSWD: NOEXEC: /usr/bin/less /var/log/*, \\\n   /usr/bin/id\n", file: "luna-web1")
        let d = s.decide(SudoRequest(host: "web1", argv: ["/usr/bin/id"]))
        #expect(d.allowed)
        #expect(d.rule?.file == "luna-web1" && d.rule?.line == 3)
        #expect(d.rule?.text == "luna ALL = (root) NOPASSWD: NOEXEC: /usr/bin/less /var/log/*, /usr/bin/id")
        #expect(d.tags == ["NOEXEC", "NOPASSWD"])
        #expect(d.description.hasPrefix("allowed as root by luna-web1:3"))
        let json = try JSONEncoder().encode(d)
        #expect(try JSONDecoder().decode(SudoDecision.self, from: json) == d)
    }

    @Test("local resolution compares the files like sudo")
    func local() throws {
        let s = try Sudoers.parse("luna ALL = /usr/bin/ls, /usr/bin/c*\n", file: "ref")
        func allowed(_ argv: [String]) -> Bool { s.decide(SudoRequest(host: "vm", argv: argv, paths: .local)).allowed }
        #expect(allowed(["/usr/bin/ls"]))
        #expect(allowed(["/usr/bin/cat"]))
        #expect(!allowed(["/usr/bin/id"]))
        #expect(!allowed(["/no/such/program"]))
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: "/bin")) != nil {
            #expect(allowed(["/bin/ls"]))
            #expect(allowed(["/bin/cat"]))
        }
    }

    @Test("listing and semantic diff")
    func listingAndDiff() throws {
        let a = try Sudoers.parse("""
            Cmnd_Alias READ = /usr/bin/journalctl, /usr/bin/systemctl status *
            Host_Alias WEB = web1
            luna WEB = (root) NOPASSWD: READ
            luna db1 = ALL
            """, file: "a")
        let b = try Sudoers.parse("""
            # reordered, renamed, reformatted
            Host_Alias WEBS = web1
            Cmnd_Alias LOGS = /usr/bin/systemctl status *,\\
                              /usr/bin/journalctl
            luna   WEBS=(root)   NOPASSWD:LOGS
            """, file: "b")
        #expect(a.semanticDiff(b, user: "luna", groups: [], host: "web1").isEmpty)
        #expect(a.listing(user: "luna", groups: [], host: "web1").count == 1)
        #expect(a.listing(user: "luna", groups: [], host: "web1")[0].contains("NOPASSWD"))
        let c = try Sudoers.parse("luna web1 = (root) NOPASSWD: /usr/bin/journalctl\n", file: "c")
        let diff = a.semanticDiff(c, user: "luna", groups: [], host: "web1")
        #expect(diff.count == 2)
        #expect(diff.contains { $0.hasPrefix("only in a:") } && diff.contains { $0.hasPrefix("only in c:") })
        let d = try Sudoers.parse("luna ALL = ALL, !/usr/bin/su\n", file: "d")
        let e = try Sudoers.parse("luna ALL = !/usr/bin/su, ALL\n", file: "e")
        #expect(d.semanticDiff(e, user: "luna", groups: [], host: "x").first?.contains("different order") == true)
    }
}
