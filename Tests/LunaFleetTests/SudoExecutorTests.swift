import Foundation
import Testing
import LunaFleet
import TestSupport

/// The sudo decorator against the real sudo: the argv it spawns, and that what runs
/// is exactly the wrapped argv as the runas user.
@Suite("SudoExecutor: actions through the real sudo",
       .enabled(if: SystemRequirements.available(tools: ["sudo"], needsRoot: true)))
struct SudoExecutorTests {
    @Test func theWrappedArgvIsSudoNonInteractiveWithAnExplicitTarget() {
        let sudo = SudoExecutor(LocalExecutor(host: "localhost"), sudoPath: "/usr/bin/sudo", runas: "nobody")
        #expect(sudo.host == "localhost")
        #expect(sudo.wrapped(["/usr/bin/id", "-un"]) == ["/usr/bin/sudo", "-n", "-u", "nobody", "--", "/usr/bin/id", "-un"])
    }

    @Test func theCommandRunsAsTheRunasUserAndItsArgumentsArePassedVerbatim() throws {
        let sudoPath = try #require(SystemRequirements.which("sudo"))
        let sudo = SudoExecutor(LocalExecutor(host: "localhost"), sudoPath: sudoPath, runas: "nobody")
        let who = try sudo.run(["/usr/bin/id", "-un"], timeout: .seconds(20))
        #expect(who.exitStatus == 0, "\(who.stderrText)")
        #expect(who.stdoutText == "nobody\n")
        // An argument that looks like an option of sudo's is the command's, after `--`.
        let echo = try sudo.run(["/bin/echo", "-u", "root", "; id"], timeout: .seconds(20))
        #expect(echo.stdoutText == "-u root ; id\n")
        var spawned: Int32 = 0
        let withPid = try sudo.run(["/bin/true"], timeout: .seconds(20), onSpawn: { spawned = $0 })
        #expect(withPid.exitStatus == 0 && spawned > 0, "the decorator passes the pid report through")
    }
}
