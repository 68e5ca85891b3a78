import Foundation
import Testing
@testable import LunaCLI
import LunaFleet
import TestSupport

/// The man page and the bash completion come from the command definitions, and the
/// shipped copies are exactly what the build generates.
@Suite("man page and bash completion")
struct ManPageTests {
    static func shipped(_ relative: String) throws -> String {
        try String(contentsOf: Estate.projectRoot.appendingPathComponent(relative), encoding: .utf8)
    }

    @Test func theShippedCopiesAreWhatTheBuildGenerates() throws {
        let man = LunaCLITestRunner.run(["help", "--man"])
        #expect(man.status == 0)
        #expect(try Self.shipped("docs/luna.1") == man.out, "docs/luna.1 is stale: swift run luna help --man > docs/luna.1")
        let bash = LunaCLITestRunner.run(["help", "--bash-completion"])
        #expect(try Self.shipped("docs/completion/luna.bash") == bash.out,
                "docs/completion/luna.bash is stale: swift run luna help --bash-completion > docs/completion/luna.bash")
        for d in LunaCommand.definitions {
            #expect(man.out.contains(".SS " + ManPage.roff(d.name)), "\(d.name) has a section")
            for o in d.options { #expect(man.out.contains(".B " + ManPage.roff(o.flag)), "\(d.name) \(o.flag)") }
        }
        let ascii = man.out.unicodeScalars.allSatisfy { $0.isASCII }
        #expect(ascii, "roff input stays ASCII")
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["groff"])))
    func groffReadsThePageWithoutAWarning() throws {
        let r = try ProcessRunner.run(["groff", "-man", "-Tutf8", "-ww", "-z", Estate.projectRoot.appendingPathComponent("docs/luna.1").path],
                                      timeout: .seconds(60))
        #expect(r.exitStatus == 0 && r.stderrText.isEmpty, "\(r.stderrText)")
    }

    /// What bash completes for the words typed so far (the last one being completed).
    static func complete(_ words: [String]) throws -> [String] {
        let script = Estate.projectRoot.appendingPathComponent("docs/completion/luna.bash").path
        let quoted = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let program = "source '\(script)'; COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1); _luna; printf '%s\\n' \"${COMPREPLY[@]}\""
        let r = try ProcessRunner.run(["bash", "--norc", "--noprofile", "-c", program], timeout: .seconds(30))
        #expect(r.exitStatus == 0, "\(r.stderrText)")
        return r.stdoutText.split(separator: "\n").map(String.init)
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["bash"])))
    func bashCompletesCommandsOptionsChecksAndSubcommands() throws {
        #expect(try Self.complete(["luna", "sc"]) == ["scan"])
        #expect(try Self.complete(["luna", "--config", "x.toml", "wai"]).sorted() == ["waive", "waivers"])
        #expect(try Self.complete(["luna", "scan", "--ch"]) == ["--check"])
        #expect(try Self.complete(["luna", "scan", "--check", "ss"]) == ["sshd"])
        #expect(try Self.complete(["luna", "baseline", "c"]) == ["capture"])
        #expect(try Self.complete(["luna", "secrets", "s"]) == ["scan"])
        #expect(!(try Self.complete(["luna", "waive", ""])).contains("HOST/CHECK/SUBJECT|ID"), "placeholders are not offered")
        #expect(try Self.complete(["luna", "run", "--"]).contains("--once"))
        #expect(try Self.complete(["luna", "--"]).contains("--version"))
    }
}
