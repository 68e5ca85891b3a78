import Foundation
import Testing
@testable import LunaPolicy

@Suite("Sudoers parser")
struct SudoersParserTests {
    @Test("syntax errors are reported as file:line:column with what was expected",
          arguments: [
              ("luna ALL = (root /usr/bin/ls\n", 1, "expected ')'"),
              ("# ok\nluna ALL /usr/bin/ls\n", 2, "expected '='"),
              ("luna ALL = ls\n", 1, "fully qualified"),
              ("Cmnd_Alias lower = /bin/ls\n", 1, "alias name"),
              ("luna ALL = /usr/bin/ls ^-l\n", 1, "unterminated regular expression"),
              ("luna ALL = UNDEFINED\n", 1, "used but not defined"),
              ("luna ALL = /usr/bin/ls,\\\n  /usr/bin/cat :\n", 2, "expected a host"),
              ("Defaults:luna\n", 1, "expected blank"),
          ])
    func syntaxErrors(text: String, line: Int, expected: String) throws {
        let error = #expect(throws: SudoersError.self) { try Sudoers.parse(text, file: "luna-web1") }
        let e = try #require(error)
        #expect(e.file == "luna-web1")
        #expect(e.line == line)
        #expect(e.column >= 1)
        #expect(e.description.hasPrefix("luna-web1:\(line):\(e.column): "))
        #expect(e.message.contains(expected), "\(e)")
    }

    @Test("parses every construct of the per-host references")
    func constructs() throws {
        let text = #"""
        # comment
        Defaults env_reset, !lecture
        Defaults:luna timestamp_timeout=0
        Defaults>root !set_logname
        Defaults@web1 secure_path="/usr/sbin:/usr/bin"
        Defaults!/usr/bin/journalctl !log_output
        User_Alias OPS = luna, %ops : ADMINS = #0
        Runas_Alias SVC = www-data, postgres
        Host_Alias WEB = web1, web2.example.com, 192.168.1.0/24
        Cmnd_Alias READ = /usr/bin/systemctl status *, \
                          /usr/bin/journalctl -u *
        Cmd_Alias SHA = sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 /usr/bin/true
        OPS WEB = (root) NOPASSWD: READ, (SVC : %www-data) NOEXEC: /usr/bin/psql "", !/usr/bin/su : ALL = sudoedit /etc/nginx/*.conf
        luna ALL = /usr/bin/ls ^-l( -a)?$, /usr/bin/echo a\,b \*, /usr/sbin/
        """#
        let s = try Sudoers.parse(text, file: "luna-web1")
        #expect(s.userSpecs.count == 2)
        #expect(s.defaults.count == 6)
        #expect(s.aliases[.command]?["READ"]?.commands.count == 2)
        let first = s.userSpecs[0]
        #expect(first.privileges.count == 2)
        // runas and tags carry forward to the next command of the list
        let cmds = first.privileges[0].commands
        #expect(cmds[2].runasUsers == cmds[1].runasUsers)
        #expect(cmds[2].tags["EXEC"] == false && cmds[2].tags["PASSWD"] == false)
        let second = s.userSpecs[1].privileges[0].commands
        #expect(second[0].command.kind == .path("/usr/bin/ls", args: "^-l( -a)?$"))
        #expect(second[1].command.kind == .path("/usr/bin/echo", args: #"a,b \*"#))
    }

    @Test("@include, #include and @includedir are followed relative to the file")
    func includes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-incl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/d", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "luna ALL = /usr/bin/ls\n@include extra\n#includedir d\n".write(toFile: dir + "/main", atomically: true, encoding: .utf8)
        try "luna ALL = /usr/bin/cat\n".write(toFile: dir + "/extra", atomically: true, encoding: .utf8)
        try "luna ALL = /usr/bin/id\n".write(toFile: dir + "/d/20-b", atomically: true, encoding: .utf8)
        try "luna ALL = !/usr/bin/id\n".write(toFile: dir + "/d/10-a", atomically: true, encoding: .utf8)
        try "luna ALL = /usr/bin/df\n".write(toFile: dir + "/d/skip.conf", atomically: true, encoding: .utf8)
        try "luna ALL = /usr/bin/du\n".write(toFile: dir + "/d/backup~", atomically: true, encoding: .utf8)
        let s = try Sudoers.load(path: dir + "/main")
        func allowed(_ p: String) -> Bool { s.decide(SudoRequest(host: "h", argv: [p])).allowed }
        #expect(allowed("/usr/bin/ls") && allowed("/usr/bin/cat"))
        #expect(allowed("/usr/bin/id")) // 20-b comes after 10-a: lexical order, last match wins
        #expect(!allowed("/usr/bin/df") && !allowed("/usr/bin/du"))
        #expect(s.decide(SudoRequest(host: "h", argv: ["/usr/bin/id"])).rule?.file == dir + "/d/20-b")

        try "luna ALL = /usr/bin/ls\n@include missing\n".write(toFile: dir + "/broken", atomically: true, encoding: .utf8)
        #expect(throws: SudoersError.self) { try Sudoers.load(path: dir + "/broken") }
        try "luna ALL = (root /usr/bin/ls\n".write(toFile: dir + "/d/30-bad", atomically: true, encoding: .utf8)
        let e = #expect(throws: SudoersError.self) { try Sudoers.load(path: dir + "/main") }
        #expect(e?.file == dir + "/d/30-bad" && e?.line == 1)
    }
}
