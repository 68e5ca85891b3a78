import Foundation
import Testing
@testable import LunaPolicy

/// The classes where the gate once allowed what sudo 1.9 denies, each as a
/// remote host sees it (no local files): decided as sudo decides, or fail closed.
@Suite("Sudoers: what sudo denies, Luna denies")
struct SudoersFailClosedTests {
    func parse(_ text: String) throws -> Sudoers { try Sudoers.parse(text, file: "ref") }

    func allowed(_ text: String, _ argv: [String] = ["/usr/bin/id"], _ change: (inout SudoRequest) -> Void = { _ in }) throws -> Bool {
        var r = SudoRequest(host: "web1", argv: argv)
        change(&r)
        return try parse(text).decide(r).allowed
    }

    static func date(_ s: String) -> Date {
        let f = ISO8601DateFormatter()
        return f.date(from: s)!
    }

    @Test("NOTBEFORE/NOTAFTER are enforced against the request's clock")
    func timeBounds() throws {
        let rule = "luna ALL = NOTAFTER=20170301083000Z /usr/bin/id\n"
        #expect(try !allowed(rule))
        #expect(try allowed(rule) { $0.now = Self.date("2017-03-01T08:29:00Z") })
        #expect(try !allowed("luna ALL = NOTBEFORE=2099123100Z /usr/bin/id\n"))
        #expect(try allowed("luna ALL = NOTBEFORE=2001010100+0100 NOTAFTER=2099010100-05 /usr/bin/id\n"))
        // No zone: sudo reads the host's local time, which Luna does not know for a remote host.
        let local = "luna ALL = NOTAFTER=20170301083000 /usr/bin/id\n"
        #expect(try allowed(local) { $0.now = Self.date("2017-02-27T00:00:00Z") })
        #expect(try !allowed(local) { $0.now = Self.date("2017-03-01T08:00:00Z") }, "within a day: depends on the zone")
        let decision = try parse(local).decide(SudoRequest(host: "web1", argv: ["/usr/bin/id"], now: Self.date("2017-03-01T08:00:00Z")))
        #expect(decision.note?.contains("time zone") == true, "\(decision)")
    }

    @Test("the gate's clock is injectable")
    func gateClock() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-clock-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "luna ALL = (root) NOTAFTER=20170301083000Z /usr/bin/id\n".write(toFile: dir + "/luna-web1", atomically: true, encoding: .utf8)
        let early = Gate(sudoersDirectory: dir, hosts: ["web1": HostPolicy()], now: { Self.date("2017-01-01T00:00:00Z") })
        let late = Gate(sudoersDirectory: dir, hosts: ["web1": HostPolicy()])
        #expect(early.evaluate(host: "web1", argv: ["/usr/bin/id"]).outcome == .allowed)
        #expect(late.evaluate(host: "web1", argv: ["/usr/bin/id"]).outcome == .refused)
    }

    @Test("CHROOT= and CWD= (other than CWD=*) never allow: the executor passes neither -R nor -D")
    func chrootCwd() throws {
        #expect(try !allowed("luna ALL = CHROOT=/nonexistent /usr/bin/id\n"))
        #expect(try !allowed("luna ALL = CHROOT=* /usr/bin/id\n"))
        #expect(try !allowed("luna ALL = CWD=/tmp /usr/bin/id\n"))
        #expect(try allowed("luna ALL = CWD=* /usr/bin/id\n"))
        #expect(try !allowed("Defaults runchroot=/srv\nluna ALL = /usr/bin/id\n"))
        // A negated entry with a chroot still denies.
        #expect(try !allowed("luna ALL = /usr/bin/id, CHROOT=/ !/usr/bin/id\n"))
        // sudo resolves the command in the chroot of a later CHROOT= rule, and then denies the earlier rules too.
        #expect(try !allowed("luna ALL = /usr/bin/ls\nluna ALL = CHROOT=/nonexistent /usr/bin/id\n", ["/usr/bin/ls"]))
        #expect(try allowed("luna ALL = CHROOT=/nonexistent /usr/bin/id\nluna ALL = /usr/bin/ls\n", ["/usr/bin/ls"]))
        let d = try parse("luna ALL = CHROOT=/x /usr/bin/id\n").decide(SudoRequest(host: "web1", argv: ["/usr/bin/id"]))
        #expect(d.note?.contains("CHROOT=/x") == true && d.note?.contains("fails closed") == true, "\(d)")
    }

    @Test("runas_check_shell uses the target's shell from the inventory; unknown = deny")
    func checkShell() throws {
        let rule = "Defaults runas_check_shell\nluna ALL = (ALL) /usr/bin/id\n"
        let accounts = [SudoAccount(name: "nobody", uid: 65534, shell: "/usr/sbin/nologin"),
                        SudoAccount(name: "root", uid: 0, groups: ["root"], shell: "/bin/bash")]
        #expect(try !allowed(rule) { $0.runasUser = "nobody" }, "shell unknown")
        #expect(try !allowed(rule) { $0.runasUser = "nobody"; $0.accounts = accounts; $0.loginShells = ["/bin/sh", "/bin/bash"] })
        #expect(try allowed(rule) { $0.accounts = accounts; $0.loginShells = ["/bin/sh", "/bin/bash"] })
        #expect(try !allowed(rule) { $0.accounts = accounts }, "/etc/shells unknown")
        #expect(try allowed("Defaults !runas_check_shell\n" + rule.split(separator: "\n").last! + "\n") { $0.runasUser = "nobody" })
        // !root_sudo matters only when root asks (sudo -l -U by root); luna is not root.
        #expect(try allowed("Defaults !root_sudo\nluna ALL = /usr/bin/id\n"))
        #expect(try !allowed("Defaults !root_sudo\nluna ALL = /usr/bin/id\n") { $0.invokingUser = "root" })
    }

    @Test("\"\" means exactly no arguments")
    func emptyArguments() throws {
        let rule = "luna ALL = /usr/bin/ls \"\"\n"
        #expect(try allowed(rule, ["/usr/bin/ls"]))
        #expect(try !allowed(rule, ["/usr/bin/ls", "\"\""]))
        #expect(try !allowed(rule, ["/usr/bin/ls", ""]))
        #expect(try !allowed(rule, ["/usr/bin/ls", "-l"]))
    }

    @Test("what visudo rejects is a syntax error that allows nothing", arguments: [
        "luna ALL = TIMEOUT=10m30ss /usr/bin/id\n", "Defaults command_timeout=15f\nluna ALL = /usr/bin/id\n",
        "Defaults no_such_setting\nluna ALL = /usr/bin/id\n", "Defaults env_reset=yes\nluna ALL = /usr/bin/id\n",
        "Defaults secure_path\nluna ALL = /usr/bin/id\n", "Defaults lecture=sometimes\nluna ALL = /usr/bin/id\n",
        "Defaults umask=0999\nluna ALL = /usr/bin/id\n", "Defaults timestamp_timeout+=5\nluna ALL = /usr/bin/id\n",
        "luna ALL = /usr/bin/id \\", "luna ALL = /usr/bin/id \\\n", "\"%\" ALL = /usr/bin/id\n", "\"%:\" ALL = /usr/bin/id\n",
        "\"+\" ALL = /usr/bin/id\n", "Cmnd_Alias TIMEOUT = /usr/bin/id\nluna ALL = TIMEOUT\n",
        "Cmnd_Alias CWD = /usr/bin/id\nluna ALL = CWD\n", "Cmnd_Alias NOTBEFORE = /usr/bin/id\nluna ALL = NOTBEFORE\n",
        "Cmnd_Alias NOTAFTER = /usr/bin/id\nluna ALL = NOTAFTER\n", "luna ALL = NOTAFTER=2017 /usr/bin/id\n",
        "luna ALL = CWD=tmp /usr/bin/id\n", "luna ALL = NOPASSWD: TIMEOUT=5 /usr/bin/id\n",
        "Cmnd_Alias C = /usr/bin/id\nluna ALL = sha256:0000000000000000000000000000000000000000000000000000000000000000 C\n",
    ])
    func rejected(text: String) {
        #expect(throws: SudoersError.self) { try Sudoers.parse(text, file: "ref") }
    }

    @Test("accepted forms: base64 digests, list, escaped include paths, TIMEOUT=1d2h, IPv6 hosts")
    func accepted() throws {
        _ = try parse("luna ALL = sha256:o9mH3T+ewGENwTt/3M74SJVigGVDT0QkemXvDSo0Gzw= /usr/bin/id\n")
        _ = try parse("luna ALL = sha224:MKSXqQ9Q2/5F4jhJppKlNCqkSRf6lRyXjeTZ7w /usr/bin/id\n")
        #expect(try !allowed("luna ALL = list\n"), "list lets one list others' rules; it runs nothing")
        _ = try parse("luna ALL = TIMEOUT=1d2h3m4s NOPASSWD: /usr/bin/id\nluna fd00::/64, !fe80::1 = /usr/bin/ls\n")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-inc-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "luna ALL = /usr/bin/ls\n".write(toFile: dir + "/with space", atomically: true, encoding: .utf8)
        let s = try Sudoers.parse("@include \(dir)/with\\ space\n", file: dir + "/main")
        #expect(s.decide(SudoRequest(host: "web1", argv: ["/usr/bin/ls"])).allowed)
    }

    @Test("a digest Luna cannot check on a remote host never allows, on ALL or on a path")
    func digests() throws {
        let zeros = String(repeating: "0", count: 64)
        #expect(try !allowed("luna ALL = sha256:\(zeros) ALL\n"))
        #expect(try !allowed("luna ALL = sha256:\(zeros) /usr/bin/id\n"))
        #expect(try !allowed("luna ALL = ALL, sha256:\(zeros) !/usr/bin/id\n"), "a negated digest entry may deny")
    }

    @Test("host addresses and networks match the inventory's addresses; unknown = no allow, but deny")
    func addresses() throws {
        let negated = "luna ALL, !192.0.2.0/24 = /usr/bin/id\n"
        #expect(try !allowed(negated), "addresses unknown")
        #expect(try !allowed(negated) { $0.hostAddresses = ["192.0.2.5/24"] })
        #expect(try allowed(negated) { $0.hostAddresses = ["198.51.100.1/24", "fd00::1/64"] })
        let positive = "luna 10.0.0.1, fd00::/64 = /usr/bin/id\n"
        #expect(try !allowed(positive))
        #expect(try allowed(positive) { $0.hostAddresses = ["10.0.0.1/8"] })
        #expect(try allowed(positive) { $0.hostAddresses = ["fd00::7/64"] })
        #expect(try !allowed(positive) { $0.hostAddresses = ["10.0.0.2/8"] })
        #expect(try allowed("luna 10.0.0.0 = /usr/bin/id\n") { $0.hostAddresses = ["10.0.0.2/8"] }, "the network address")
        #expect(try !allowed("luna 10.0.0.0 = /usr/bin/id\n") { $0.hostAddresses = ["10.0.0.2"] }, "netmask unknown")
    }

    @Test("#uid users and runas, groups, explicit groups and the empty runas list")
    func identities() throws {
        #expect(try allowed("#1001 ALL = /usr/bin/id\n") { $0.uid = 1001 })
        #expect(try !allowed("#1001 ALL = /usr/bin/id\n"), "uid unknown")
        #expect(try !allowed("ALL, !#1001 ALL = /usr/bin/id\n"), "uid unknown: the negation may apply")
        #expect(try allowed("luna ALL = (#0) /usr/bin/id\n"))
        #expect(try allowed("luna ALL = (root) /usr/bin/id\n") { $0.runasUser = "#0" })
        #expect(try allowed("luna ALL = (:#0) /usr/bin/id\n") { $0.runasUser = "luna"; $0.runasGroup = "#0"; $0.runasUserSpecified = false })
        #expect(try allowed("luna ALL = (root:lunaops) /usr/bin/id\n") {
            $0.runasUser = "luna"; $0.runasGroup = "lunaops"; $0.runasUserSpecified = false })
        #expect(try !allowed("luna ALL = (%postgres) /usr/bin/id\n") { $0.runasUser = "pg" }, "pg's groups unknown")
        #expect(try allowed("luna ALL = (%postgres) /usr/bin/id\n") {
            $0.runasUser = "pg"; $0.accounts = [SudoAccount(name: "pg", uid: 105, groups: ["postgres"])] })
        #expect(try allowed("luna ALL = () /usr/bin/id\n") { $0.runasUser = "luna" })
        #expect(try !allowed("luna ALL = () /usr/bin/id\n"), "() is the invoking user, not root")
    }
}
