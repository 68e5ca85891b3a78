import Foundation
import Testing
import LunaAgent
import TestSupport

/// `luna check`, `luna waive/unwaive/waivers` and `scan`'s "nothing was checked", run as the CLI.
@Suite("estate commands: check, waivers, nothing checked")
struct EstateCommandTests {
    @Test func checkExitsZeroOnAHealthyEstateOneOnProblemsAndTwoWhenTheConfigurationDoesNotLoad() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let ok = try estate.luna("check")
        #expect(ok.status == 0, "\(ok.out)\(ok.err)")
        #expect(ok.out.contains(": ok — 1 host"))
        try FileManager.default.removeItem(atPath: estate.ops.repo + "/configs/sudoers/luna-localhost")
        let broken = try estate.luna("check")
        #expect(broken.status == 1)
        #expect(broken.out.contains("luna-localhost: localhost has no sudoers reference") && broken.out.contains("fix: write it from configs/sudoers/luna.template"))
        let json = try estate.luna("check", "--json")
        #expect(json.status == 1 && json.out.contains("\"ok\" : false") && json.out.contains("\"location\""))
        try "[luna]\nops_repo = 3\n".write(toFile: estate.ops.config, atomically: true, encoding: .utf8)
        let unloadable = try estate.luna("check")
        #expect(unloadable.status == 2 && unloadable.out.contains("luna.toml:2:"), "\(unloadable.out)")
    }

    @Test func aScanThatCheckedNothingExitsThree() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let none = try estate.luna("scan", "--check", "sshd")
        #expect(none.status == 3, "\(none.out)\(none.err)")
        #expect(none.err.contains("nothing was checked: no host enables the checks asked for (sshd)"))
        try FileManager.default.removeItem(atPath: estate.ops.repo + "/configs/files/localhost")
        let unreferenced = try estate.luna("scan")
        #expect(unreferenced.status == 3 && unreferenced.err.contains("every check was unavailable"), "\(unreferenced.out)\(unreferenced.err)")
    }

    @Test func waiveListAndUnwaiveThroughTheCLI() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let first = try estate.luna("scan")
        #expect(first.status == 1)
        let subject = estate.target + " mode"
        let typo = try estate.luna("waive", "localhost/files/\(estate.target)", "--reason", "x")
        #expect(typo.status == 2 && typo.err.contains("no finding localhost/files/\(estate.target) is known") && typo.err.contains("1: localhost/files/\(subject)"))
        let missing = try estate.luna("waive", "localhost/files/\(subject)")
        #expect(missing.status == 2 && missing.err.contains("--reason"))
        let bad = try estate.luna("waive", "localhost-files", "--reason", "x")
        #expect(bad.status == 2 && bad.err.contains("HOST/CHECK/SUBJECT"))
        let waived = try estate.luna("waive", "localhost/files/\(subject)", "--reason", "the app resets it", "--until", "30d")
        #expect(waived.status == 0, "\(waived.err)")
        #expect(waived.out.contains("Waived localhost/files/\(subject): waived until "))
        let scan = try estate.luna("scan")
        #expect(scan.status == 0, "a waived finding is not drift: \(scan.out)")
        #expect(scan.out.contains("waived") && scan.out.contains("(the app resets it)"))
        let list = try estate.luna("waivers")
        #expect(list.status == 0 && list.out.contains("active  localhost/files/\(subject)"))
        let json = try estate.luna("waivers", "--json")
        #expect(json.out.contains("\"active\" : true") && json.out.contains("\"reason\" : \"the app resets it\""))
        #expect(try estate.luna("unwaive", "localhost/files/\(subject)").status == 0)
        #expect(try estate.luna("unwaive", "localhost/files/\(subject)").status == 1)
        #expect(try estate.luna("scan").status == 1, "drift again once the waiver is gone")
        let byID = try estate.luna("waive", "1", "--reason", "by id")
        #expect(byID.status == 0 && byID.out.contains("localhost/files/\(subject)") && byID.out.contains("with no expiry"))
    }
}
