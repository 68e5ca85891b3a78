import Foundation
import LunaAgent
import LunaFleet
import Testing
import TestSupport

/// The real `luna` under a real pseudo-terminal (util-linux `script`), fed hostile text from every side:
/// a listener whose process name is an escape sequence (host data), a model whose rationale tries to
/// erase and forge the approval block, an argv with ESC, a memory note with OSC and BEL. What reaches
/// the terminal must hold no ESC, BEL, C1 or bidi control from that data — only their visible `\u{…}` forms.
@Suite("inert text on a real terminal", .serialized)
struct InertTerminalTests {
    /// An erase-line-above, a CR and a forged approval line, then a C1 CSI and a bidi override.
    static let forgedRationale = "Harmless.\u{1B}[1A\u{1B}[2K\r  #2  localhost  as luna \u{2192} root  /usr/bin/stat /etc/hostname\u{9B}2K\u{202E}"
    /// The process name the listener takes (15 bytes, the kernel's limit): hidden text, a window title, BEL, CSI, RLO.
    static let processName: [UInt8] = [0x1B, 0x5B, 0x38, 0x6D, 0x1B, 0x5D, 0x30, 0x3B, 0x58, 0x07, 0xC2, 0x9B, 0xE2, 0x80, 0xAE]

    /// What the operator's terminal received, minus the one sequence Luna writes itself.
    ///
    /// `luna scan` on a terminal rewrites its progress line on stderr with `CR ESC [K`;
    /// that is Luna's own output, not data, and is removed before the check.
    static func hostile(_ captured: String) -> [String] {
        let own = captured.replacingOccurrences(of: "\u{1B}[K", with: "")
        var found: [String] = []
        for s in own.unicodeScalars {
            switch s.value {
            case 0x1B: found.append("ESC")
            case 0x07: found.append("BEL")
            case 0x80...0x9F: found.append("C1 U+\(String(s.value, radix: 16))")
            case 0x202A...0x202E, 0x2066...0x2069: found.append("bidi U+\(String(s.value, radix: 16))")
            default: break
            }
        }
        return found
    }

    /// Runs `luna ARGS` under a pseudo-terminal (stdout and stderr both a tty) and returns what it printed.
    static func onTerminal(_ estate: Estate, _ args: [String]) throws -> (status: Int32, screen: String) {
        let words = [LunaBinary.path, "--config", estate.ops.config] + args
        let command = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let r = try ProcessRunner.run(["/usr/bin/script", "-qfec", command, "/dev/null"], timeout: .seconds(120))
        return (r.exitStatus, r.stdoutText)
    }

    /// A loopback listener renamed (prctl PR_SET_NAME) to `processName`; returns the process and its port.
    static func hostileListener() throws -> (Process, Int) {
        let script = """
            import ctypes, socket, sys, time
            ctypes.CDLL(None).prctl(15, ctypes.c_char_p(bytes(\(processName))), 0, 0, 0)
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
            print(s.getsockname()[1], flush=True)
            time.sleep(300)
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(SystemRequirements.which("python3")))
        p.arguments = ["-c", script]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(Int(line.trimmingCharacters(in: .whitespacesAndNewlines)), "listener printed '\(line)'")
        return (p, port)
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["script", "python3", "ss"])))
    func nothingFromUntrustedDataActsOnTheTerminal() throws {
        let me = try ModelEstate(fake: nil)
        defer { me.remove() }
        let estate = me.estate
        let target = estate.target
        let fake = try FakeLLM(.anthropic, steps: [
            .tools([
                ("propose_action", json(["host": "localhost", "argv": ["/usr/bin/chmod", "0600", target], "rationale": Self.forgedRationale,
                                         "verify_argv": ["/usr/bin/stat", "-c", "%04a", target], "risk": "mutating"])),
                ("propose_action", json(["host": "localhost", "argv": ["/usr/bin/stat", target + "\u{1B}[8m"], "rationale": "hide the tail",
                                         "verify_argv": [String](), "risk": "mutating"])),
                ("note", json(["title": "Title\u{1B}[31m red", "body": "line one\u{1B}]0;owned\u{07}\nline two\u{9B}2J"])),
            ], text: "Looking.\u{1B}[2J"),
            .text("Nothing else.\u{1B}]0;pwned\u{07}\u{202E}"),
        ])
        defer { fake.stop() }
        try me.appendLLMSection(fake)
        // Watch the listeners too: their process names are host data.
        let config = try String(contentsOfFile: estate.ops.config, encoding: .utf8)
        try config.replacingOccurrences(of: #"checks = ["files"]"#, with: #"checks = ["files", "ports"]"#)
            .write(toFile: estate.ops.config, atomically: true, encoding: .utf8)
        try estate.ops.write("configs/ports/localhost", "# no listener is expected\n")
        try estate.ops.git("add", "-A")
        try estate.ops.git("commit", "-q", "-m", "ports reference")
        let (listener, port) = try Self.hostileListener()
        // SIGKILL: the test process may hand its children a mask that blocks SIGTERM.
        defer { kill(listener.processIdentifier, SIGKILL); listener.waitUntilExit() }

        // Host data: the scan report names the renamed process.
        let scan = try Self.onTerminal(estate, ["scan"])
        #expect(scan.screen.contains("127.0.0.1:\(port)"), "\(scan.screen)")
        #expect(scan.screen.contains(#"\u{1b}[8m\u{1b}]0;X\u{7}\u{9b}\u{202e}"#), "\(scan.screen)")
        #expect(Self.hostile(scan.screen).isEmpty, "luna scan: \(Self.hostile(scan.screen))")

        let agent = try me.agent()
        let findings = try agent.ledger.findings()
        let files = try #require(findings.first { $0.check == "files" })
        let ports = try #require(findings.first { $0.check == "ports" && $0.summary.contains(":\(port)") })

        // Model text: the forged rationale, the model's prose, a refused argv with ESC.
        let plan = try Self.onTerminal(estate, ["plan", String(files.id)])
        #expect(plan.screen.contains(#"why: Harmless.\u{1b}[1A\u{1b}[2K\u{d}  #2  localhost"#), "\(plan.screen)")
        #expect(Self.hostile(plan.screen).isEmpty, "luna plan: \(Self.hostile(plan.screen))")
        let proposals = try agent.ledger.proposals()
        let good = try #require(proposals.first { $0.state == .awaitingApproval })
        let refused = try #require(proposals.first { $0.state == .refused })
        #expect(refused.gateReasons.joined().contains("argument 1 contains U+001B (a control character)"), "\(refused.gateReasons)")

        for args in [["proposals"], ["show", String(good.id)], ["show", String(refused.id)], ["plan", "--dry-run", String(ports.id)],
                     ["memory", "list", "--pending"], ["status"]] {
            let r = try Self.onTerminal(estate, args)
            #expect(Self.hostile(r.screen).isEmpty, "luna \(args.joined(separator: " ")): \(Self.hostile(r.screen))\n\(r.screen)")
        }
        let show = try Self.onTerminal(estate, ["show", String(good.id)]).screen
        // The forged line cannot stand on a line of its own: it stays inside the "why:" line.
        #expect(!show.split(whereSeparator: \.isNewline).contains { $0.hasPrefix("  #2  localhost") }, "\(show)")
        let note = try #require(try agent.memory.list(status: "pending", host: nil, tag: nil).first)
        let shownNote = try Self.onTerminal(estate, ["memory", "show", note.slug])
        #expect(shownNote.screen.contains(#"line one\u{1b}]0;owned\u{7}"#), "\(shownNote.screen)")
        #expect(Self.hostile(shownNote.screen).isEmpty, "luna memory show: \(Self.hostile(shownNote.screen))")

        // A cycle: the ports findings go to the model, whose prose comes back with an OSC; the approval block is intact.
        let cycle = try Self.onTerminal(estate, ["run", "--once"])
        #expect(cycle.screen.contains("Awaiting your approval:"), "\(cycle.screen)")
        #expect(Self.hostile(cycle.screen).isEmpty, "luna run --once: \(Self.hostile(cycle.screen))")
        let lines = cycle.screen.split(whereSeparator: \.isNewline).map(String.init)
        let argvLine = try #require(lines.firstIndex { $0.hasPrefix("  #\(good.id)  localhost  as luna") })
        #expect(lines[argvLine].hasSuffix("/usr/bin/chmod 0600 \(target)"), "\(lines[argvLine])")
        // The block's own lines follow it (then verify, why, …); the forged "#2" stays inside the why line.
        let why = try #require(lines[(argvLine + 1)...].first { $0.hasPrefix("        why: ") })
        #expect(why.hasPrefix(#"        why: Harmless.\u{1b}[1A\u{1b}[2K\u{d}  #2"#), "\(why)")
        #expect(!lines.contains { $0.hasPrefix("  #2  localhost") }, "\(cycle.screen)")

        // The gate refuses an argv with ESC, and `luna allowed` says so inertly.
        let allowed = try Self.onTerminal(estate, ["allowed", "--host", "localhost", "--", "/usr/bin/stat", "/etc/hostname\u{1B}[8m"])
        #expect(allowed.screen.contains("gate:  refused — argument 1 contains U+001B (a control character)"), "\(allowed.screen)")
        #expect(Self.hostile(allowed.screen).isEmpty, "luna allowed: \(Self.hostile(allowed.screen))")

        // --json stays valid JSON and carries the text exactly, escaped.
        let listed = try estate.luna("proposals", "--json")
        #expect(listed.status == 0, "\(listed.err)")
        #expect(listed.out.contains(#"\u001b[1A"#) && listed.out.contains(#"\u009b2K"#) && listed.out.contains(#"\u202e"#), "\(listed.out)")
        #expect(Self.hostile(listed.out).isEmpty)
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(listed.out.utf8)) as? [[String: Any]])
        #expect(decoded.contains { $0["rationale"] as? String == Self.forgedRationale })

        // Approved and run: the commit message and the outcome note are inert too.
        #expect(try estate.luna("approve", String(good.id)).status == 0)
        let ran = try Self.onTerminal(estate, ["run", "--once"])
        #expect(Self.hostile(ran.screen).isEmpty, "luna run --once: \(Self.hostile(ran.screen))")
        let recorded = try #require(try agent.ledger.proposal(good.id))
        let commit = try #require(recorded.commitID, "\(ran.screen)")
        let message = try estate.ops.git("log", "-1", "--format=%B", commit)
        #expect(message.contains(#"Harmless.\u{1b}[1A\u{1b}[2K"#), "\(message)")
        #expect(Self.hostile(message).isEmpty && !message.contains("\r"), "\(message)")
        let notePath = try #require(recorded.notePath)
        let noteText = try String(contentsOfFile: estate.ops.repo + "/" + notePath, encoding: .utf8)
        #expect(Self.hostile(noteText).isEmpty && !noteText.contains("\r"), "\(noteText)")
        let log = try Self.onTerminal(estate, ["show", String(good.id)])
        #expect(Self.hostile(log.screen).isEmpty, "luna show after the run: \(Self.hostile(log.screen))")
    }
}
