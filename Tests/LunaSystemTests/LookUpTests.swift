import Foundation
import LunaSystem
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("User, host and process look-ups")
struct LookUpTests {
    @Test("user names and uids from the password database, nil for users that do not exist")
    func users() {
        #expect(SystemUser.name(of: 0) == "root")
        #expect(SystemUser.id(named: "root") == 0)
        #expect(SystemUser.id(named: "nobody") == 65534)
        #expect(SystemUser.describe(65534) == "uid 65534 (nobody)")
        #expect(SystemUser.id(named: "no-such-luna-user") == nil)
        #expect(SystemUser.name(of: 3_999_999_999) == nil)
        #expect(SystemUser.describe(3_999_999_999) == "uid 3999999999")
        #expect(SystemUser.effectiveID == geteuid() && SystemUser.realID == getuid())
        #expect(SystemUser.loginName().map { !$0.isEmpty } ?? true)
    }

    @Test("the short host name is the kernel's host name up to the first dot",
          .enabled(if: FileManager.default.fileExists(atPath: "/proc/sys/kernel/hostname")))
    func shortHostName() throws {
        let kernel = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let expected = String(kernel.split(separator: ".").first ?? Substring(kernel))
        #expect(SystemHost.shortName() == expected)
        #expect(!SystemHost.shortName().contains("."))
    }

    @Test("this process's /proc stat: its parent, its group, a start time", .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/stat")))
    func ownProcess() throws {
        let me = try #require(ProcessStat.read(getpid()))
        #expect(me.parent == getppid())
        #expect(me.group == getpgrp())
        #expect(me.startTicks > 0)
        #expect(!me.hasEnded)
        #expect(ProcessStat.allProcesses()?.contains(getpid()) == true)
        #expect(ProcessStat.read(Int32.max) == nil)
    }

    @Test("a command name with spaces and parentheses does not shift the fields")
    func parseOddName() throws {
        let fields = (4...52).map { String($0) }.joined(separator: " ")
        let stat = try #require(ProcessStat.parse("4242 (a) b (c) Z 7 9 \(fields)\n"))
        #expect(stat.state == "Z" && stat.hasEnded)
        #expect(stat.parent == 7 && stat.group == 9)
        // Field 22 is the 20th after the state; the filler starts at field 6 with "4".
        #expect(stat.startTicks == 20)
        #expect(ProcessStat.parse("4242 no parenthesis") == nil)
    }
}

@Suite("Accounts with their groups")
struct AccountTests {
    @Test("root's account: ids, shell from the password database, and its groups with names")
    func root() throws {
        let root = try #require(SystemUser.account(named: "root"))
        #expect(root.uid == 0 && root.gid == 0)
        let line = try #require(try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("root:") })
        #expect(root.shell == String(line.split(separator: ":", omittingEmptySubsequences: false)[6]))
        #expect(root.groups.contains(SystemAccount.Group(id: 0, name: "root")))
        #expect(SystemUser.account(id: 0) == root)
        #expect(SystemUser.groupName(of: 0) == "root")
    }

    @Test("an account that does not exist is nil, by name and by uid")
    func missing() {
        #expect(SystemUser.account(named: "no-such-luna-user") == nil)
        #expect(SystemUser.account(id: 3_999_999_999) == nil)
        #expect(SystemUser.groupName(of: 3_999_999_999) == nil)
    }
}
