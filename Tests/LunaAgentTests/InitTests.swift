import Foundation
import LunaAgent
import LunaCodec
import LunaConfig
import LunaDrift
import LunaFleet
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `luna init` on a farm of stock sshd hosts behind a bastion, from an ops repo
/// holding nothing: the host keys through the bastion against a fingerprints
/// file, the sudoers references from the template, the references captured
/// (sshd through sudo once the operator installed the sudoers file), one commit
/// per run, then `luna check` and a clean `luna scan`.
@Suite("luna init: from the inventory to a clean scan", .serialized,
       .enabled(if: SSHFarm.available, "needs root, sshd, sudo, visudo and mount namespaces (unshare --mount)"))
struct InitTests {
    final class World {
        let farm: SSHFarm
        let ops: TemporaryOpsRepo
        let bastion: SSHFarmHost
        let hosts: [SSHFarmHost]
        /// The fingerprints file, as the operator writes it from each host's console.
        let fingerprints: String

        init(hardened: Bool = true) throws {
            let farm = try SSHFarm()
            self.farm = farm
            do {
                bastion = try farm.start(name: "bastion", address: "127.0.0.30")
                hosts = try ["a", "b", "c"].enumerated().map { i, name in try farm.start(name: name, address: "127.0.0.3\(i + 1)") }
                if hardened {
                    // The operator's hardening, in the drop-in folder the stock config includes first.
                    for host in hosts {
                        try host.sshdDropIn("10-hardening", "PasswordAuthentication no\nPermitRootLogin no\nX11Forwarding no\n")
                    }
                }
                // What `ssh-keygen -lf` prints on each host's console (every farm host presents the machine's key).
                let printed = try ProcessRunner.run(["ssh-keygen", "-lf", "/etc/ssh/ssh_host_ed25519_key.pub"])
                let print = try #require(printed.stdoutText.split(separator: " ").dropFirst().first.map(String.init))
                fingerprints = farm.directory + "/fingerprints"
                try (["bastion"] + hosts.map(\.name)).map { "\($0) \(print)\n" }.joined()
                    .write(toFile: fingerprints, atomically: true, encoding: .utf8)
                let inventory = hosts.map { h in
                    """
                    [[hosts]]
                    name = "\(h.name)"
                    transport = "ssh"
                    address = "\(h.address)"
                    port = \(h.port)
                    checks = ["sshd", "sudoers", "auth", "files"]

                    """
                }.joined(separator: "\n")
                ops = try TemporaryOpsRepo(files: [:], config: """
                    [luna]
                    ops_repo = "@ROOT@/repo"
                    state_dir = "@ROOT@/state"
                    identity = "\(farm.user)"
                    execution = "sudo"
                    command_timeout_seconds = 60

                    [ssh]
                    identity_file = "\(farm.clientKey)"
                    bastion_address = "\(bastion.address)"
                    bastion_port = \(bastion.port)
                    connect_timeout_seconds = 5
                    control_dir = "\(farm.directory)/c"

                    \(inventory)
                    """)
            } catch {
                farm.shutdown()
                throw error
            }
        }

        func luna(_ args: String...) -> (status: Int32, out: String, err: String) {
            LunaCLITestRunner.run(["--config", ops.config] + args)
        }

        var commits: Int { Int((try? ops.git("rev-list", "--count", "HEAD")) ?? "") ?? -1 }

        /// What the operator does on each host after the first run: the printed sudoers file, through visudo.
        func installSudoers() throws {
            for host in hosts {
                try host.installSudoers(try String(contentsOfFile: ops.repo + "/configs/sudoers/luna-" + host.name, encoding: .utf8))
            }
        }

        func remove() {
            farm.shutdown()
            ops.remove()
        }
    }

    @Test("init, the sudoers installed, init again: luna check passes, the scan is clean, and a third init changes nothing")
    func fromZeroToACleanScan() throws {
        let world = try World()
        defer { world.remove() }
        #expect(world.commits == 1)

        // 1. Keys, sudoers references, what can be captured without root — one commit — and what is left.
        let first = world.luna("init", "--fingerprints", world.fingerprints)
        #expect(first.status == 0, "\(first.out)\(first.err)")
        #expect(world.commits == 2)
        let pins = try String(contentsOfFile: world.ops.repo + "/configs/known_hosts", encoding: .utf8)
        for host in [world.bastion] + world.hosts {
            #expect(pins.contains("[\(host.address)]:\(host.port) ssh-ed25519 "), "\(pins)")
        }
        let sudoers = try String(contentsOfFile: world.ops.repo + "/configs/sudoers/luna-a", encoding: .utf8)
        #expect(sudoers.contains("\(world.farm.user) ALL = (root) NOPASSWD: LUNA_READ") && sudoers.contains("/usr/sbin/sshd -T"), "\(sudoers)")
        #expect(!sudoers.contains("@HOST@"))
        // sshd needs root, and the host has no sudoers for luna yet: the step left, not a failure of the run.
        #expect(first.out.contains("still to do on a:"), "\(first.out)")
        #expect(first.out.contains("install configs/sudoers/luna-a as /etc/sudoers.d/luna on a, checked first: visudo -cf luna-a"), "\(first.out)")
        #expect(first.out.contains("then run luna init again"), "\(first.out)")
        #expect(first.out.contains("not captured: sshd: needs root, and sudo refused it on the host"), "\(first.out)")
        #expect(!FileManager.default.fileExists(atPath: world.ops.repo + "/configs/sshd/a"))
        #expect(first.out.contains("not captured: auth: needs root, and sudo refused it on the host"), "\(first.out)")
        // files needs no root: the default paths' live mode and owner, a path the host lacks left out with a note.
        let files = try String(contentsOfFile: world.ops.repo + "/configs/files/a", encoding: .utf8)
        #expect(files.contains("/etc/passwd 0644 root:root\n") && files.contains("/etc/sudoers.d 0755 root:root\n"), "\(files)")
        #expect(!files.contains("/etc/ssh/sshd_config\n"), "every line is captured: \(files)")
        #expect(try world.ops.git("status", "--porcelain") == "", "init leaves nothing uncommitted")

        // 2. On each host, as the operator would. The failed sudo a host logged before its
        // reference is captured (here: someone's, and on a real host the first init's own) is not news.
        try world.installSudoers()
        try Self.appendFailedSudo(world.hosts[0])

        // 3. The rest, now through sudo.
        let second = world.luna("init", "--fingerprints", world.fingerprints)
        #expect(second.status == 0, "\(second.out)\(second.err)")
        #expect(world.commits == 3)
        for host in world.hosts {
            let sshd = try String(contentsOfFile: world.ops.repo + "/configs/sshd/" + host.name, encoding: .utf8)
            #expect(sshd.contains("passwordauthentication no") && sshd.contains("permitrootlogin no"), "\(sshd)")
        }
        #expect(!second.out.contains("still to do"), "\(second.out)")
        #expect(second.out.contains("note: before the capture: 1 failed sudo attempts"), "\(second.out)")
        // No journal on the farm's hosts: the auth log rsyslog keeps, read through sudo.
        let auth = try String(contentsOfFile: world.ops.repo + "/configs/auth/a", encoding: .utf8)
        #expect(auth.contains("source /var/log/auth.log\n") && auth.contains("sudo 0\n"), "\(auth)")

        // 4. and 5.
        let check = world.luna("check")
        #expect(check.status == 0, "\(check.out)\(check.err)")
        let scan = world.luna("scan")
        #expect(scan.status == 0, "\(scan.out)\(scan.err)")
        #expect(!scan.out.contains("drift") && !scan.out.contains("unavailable"), "\(scan.out)")

        // A failed sudo after the capture is a finding, counted through the allowlist.
        try Self.appendFailedSudo(world.hosts[0])
        let after = world.luna("scan", "--check", "auth")
        #expect(after.out.contains("1 failed sudo attempts since the last scan (threshold 0)"), "\(after.out)\(after.err)")

        // Idempotent: nothing left to write, no commit, and it says so.
        let third = world.luna("init", "--fingerprints", world.fingerprints)
        #expect(third.status == 0, "\(third.out)\(third.err)")
        #expect(third.out.contains("Nothing to do"), "\(third.out)")
        #expect(world.commits == 3)
        // Without a file or a terminal, already-pinned keys need no confirmation either.
        let unattended = world.luna("init")
        #expect(unattended.status == 0 && unattended.out.contains("Nothing to do"), "\(unattended.out)\(unattended.err)")
    }

    @Test("capturing the source into a hand-written auth reference never skips the failures since the last scan")
    func recapturingAuthKeepsCounting() throws {
        let world = try World()
        defer { world.remove() }
        #expect(world.luna("init", "--fingerprints", world.fingerprints).status == 0)
        try world.installSudoers()
        // A new auth reference counts from the capture on, and says what it read before that.
        try Self.appendFailedSudo(world.hosts[1])
        let first = world.luna("baseline", "capture", "--host", "b", "--check", "auth", "--reason", "onboarding b")
        #expect(first.status == 0 && first.out.contains("note: before the capture: 1 failed sudo attempts"), "\(first.out)\(first.err)")
        #expect(world.luna("init", "--fingerprints", world.fingerprints).status == 0)
        // The operator's own reference from before captures named the source, and a failure after it.
        try "sudo 0\nssh 10\n".write(toFile: world.ops.repo + "/configs/auth/a", atomically: true, encoding: .utf8)
        try Self.appendFailedSudo(world.hosts[0])
        let capture = world.luna("baseline", "capture", "--host", "a", "--check", "auth", "--reason", "name the log")
        #expect(capture.status == 0, "\(capture.out)\(capture.err)")
        #expect(try String(contentsOfFile: world.ops.repo + "/configs/auth/a", encoding: .utf8).contains("source /var/log/auth.log"))
        let scan = world.luna("scan", "--host", "a", "--check", "auth")
        #expect(scan.out.contains("1 failed sudo attempts since the last scan (threshold 0)"), "\(scan.out)\(scan.err)")
    }

    @Test("an operator's --files path a host lacks refuses that host's files capture; the default list leaves it out with a note")
    func explicitFilesAreNotSkipped() throws {
        let world = try World()
        defer { world.remove() }
        let given = world.luna("init", "--fingerprints", world.fingerprints, "--files", "/etc/passwd,/etc/no-such-file", "--dry-run")
        #expect(given.status == 0, "\(given.out)\(given.err)")
        #expect(given.out.contains("not captured: files: /etc/no-such-file does not exist on the host"), "\(given.out)")
        #expect(!given.out.contains("would write configs/files/a"), "\(given.out)")
        let bad = world.luna("init", "--files", "etc/passwd")
        #expect(bad.status == 2 && bad.err.contains("--files: 'etc/passwd' is not an absolute path"), "\(bad.err)")
    }

    static func appendFailedSudo(_ host: SSHFarmHost) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: host.authLogFile))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("Dec  1 10:00:01 a sudo:   bob : 1 incorrect password attempt ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh\n".utf8))
    }

    @Test("a fingerprint mismatch, a missing line or an unconfirmed key aborts and writes nothing")
    func aMismatchAbortsAndWritesNothing() throws {
        let world = try World()
        defer { world.remove() }
        let wrong = world.farm.directory + "/wrong"
        let good = try String(contentsOfFile: world.fingerprints, encoding: .utf8)
        try good.replacingOccurrences(of: "b SHA256:", with: "b SHA256:AAAA").write(toFile: wrong, atomically: true, encoding: .utf8)
        let mismatch = world.luna("init", "--fingerprints", wrong)
        #expect(mismatch.status == 2, "\(mismatch.out)\(mismatch.err)")
        #expect(mismatch.err.contains("the host key of b ([127.0.0.32]:\(world.hosts[1].port)) does not match the fingerprints file"), "\(mismatch.err)")
        #expect(mismatch.err.contains("nothing was written"))

        let partial = world.farm.directory + "/partial"
        try good.split(separator: "\n").filter { !$0.hasPrefix("bastion ") }.map { $0 + "\n" }.joined()
            .write(toFile: partial, atomically: true, encoding: .utf8)
        let missing = world.luna("init", "--fingerprints", partial)
        #expect(missing.status == 2 && missing.err.contains("no line for bastion"), "\(missing.err)")

        // No file, no terminal: the keys cannot be confirmed, so nothing is pinned.
        let unconfirmed = world.luna("init")
        #expect(unconfirmed.status == 2 && unconfirmed.err.contains("--fingerprints FILE"), "\(unconfirmed.err)")

        #expect(world.commits == 1)
        #expect(try world.ops.git("status", "--porcelain", "--untracked-files=all") == "")

        // A dry run shows what it would write and writes nothing either.
        let dry = world.luna("init", "--fingerprints", world.fingerprints, "--dry-run")
        #expect(dry.status == 0 && dry.out.contains("would write configs/known_hosts (create)"), "\(dry.out)\(dry.err)")
        #expect(dry.out.contains("Dry run: nothing was written."))
        #expect(world.commits == 1)
        #expect(try world.ops.git("status", "--porcelain", "--untracked-files=all") == "")

        // A key that differs from the one already pinned aborts too, whatever the file says.
        #expect(world.luna("init", "--fingerprints", world.fingerprints).status == 0)
        let stray = try world.farm.strayPublicKey()
        let pinned = world.ops.repo + "/configs/known_hosts"
        let text = try String(contentsOfFile: pinned, encoding: .utf8)
        let swapped = text.split(separator: "\n").map { line in
            line.hasPrefix("[127.0.0.31]:") ? "[127.0.0.31]:\(world.hosts[0].port) " + stray.split(separator: " ").prefix(2).joined(separator: " ") : String(line)
        }.joined(separator: "\n") + "\n"
        try world.ops.write("configs/known_hosts", swapped)
        try world.ops.git("commit", "-qam", "a pin that is not the host's")
        let before = world.commits
        let changed = world.luna("init", "--fingerprints", world.fingerprints)
        #expect(changed.status == 2 && changed.err.contains("is not the one pinned in known_hosts"), "\(changed.err)")
        #expect(world.commits == before)
    }

    @Test("on a terminal the operator is shown each fingerprint and asked; anything but y writes nothing",
          .enabled(if: SystemRequirements.available(tools: ["script"])))
    func theOperatorConfirmsOnATerminal() throws {
        let world = try World()
        defer { world.remove() }
        func onTerminal(answer: String) throws -> (status: Int32, screen: String) {
            let words = [LunaBinary.path, "--config", world.ops.config, "init"]
            let command = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            let r = try ProcessRunner.run(["/usr/bin/script", "-qfec", command, "/dev/null"], input: Data(answer.utf8), timeout: .seconds(120))
            return (r.exitStatus, r.stdoutText)
        }
        let print = try #require(try String(contentsOfFile: world.fingerprints, encoding: .utf8).split(separator: " ").dropFirst().first?
            .split(separator: "\n").first.map(String.init))
        let no = try onTerminal(answer: "n\n")
        #expect(no.screen.contains("New host keys") && no.screen.contains("a [127.0.0.31]:\(world.hosts[0].port) \(print)"), "\(no.screen)")
        #expect(no.screen.contains("Pin them in known_hosts? [y/N]"), "\(no.screen)")
        #expect(no.status == 2 && no.screen.contains("not confirmed; nothing was written"), "\(no.screen)")
        #expect(world.commits == 1)
        let yes = try onTerminal(answer: "y\n")
        #expect(yes.status == 0, "\(yes.screen)")
        #expect(world.commits == 2)
        #expect(FileManager.default.fileExists(atPath: world.ops.repo + "/configs/known_hosts"))

        // --json: the same report, for a script.
        let json = world.luna("init", "--json")
        #expect(json.status == 0, "\(json.err)")
        let value = try JSONValue.parse(json.out)
        #expect(value["changed"] == .bool(false), "\(json.out)")
        #expect(value["report"]?["keys"]?.arrayValue?.count == 4, "\(json.out)")
    }

    @Test("a host luna cannot log in to yet gets its sudoers reference and the steps to authorize the key; the rest goes on")
    func aHostWithoutLuna() throws {
        let world = try World()
        defer { world.remove() }
        // c's sshd accepts no key for luna yet.
        try "".write(toFile: world.hosts[2].authorizedKeysFile, atomically: false, encoding: .utf8)
        let run = world.luna("init", "--fingerprints", world.fingerprints)
        #expect(run.status == 0, "\(run.out)\(run.err)")
        #expect(FileManager.default.fileExists(atPath: world.ops.repo + "/configs/sudoers/luna-c"))
        #expect(run.out.contains("not captured: sshd: luna cannot log in yet"), "\(run.out)")
        let key = try String(contentsOfFile: world.farm.clientKey + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(run.out.contains("authorize luna's key: install -d -m 0700 -o \(world.farm.user)") && run.out.contains(key), "\(run.out)")
        #expect(run.out.contains("create the \(world.farm.user) user with a normal shell if it is missing"), "\(run.out)")
        // The key was still fetched and pinned (host keys come before authentication).
        let pins = try String(contentsOfFile: world.ops.repo + "/configs/known_hosts", encoding: .utf8)
        #expect(pins.contains("[127.0.0.33]:\(world.hosts[2].port) "), "\(pins)")
        #expect(world.commits == 2)
    }

    @Test("stock sshd values weaker than the policy are refused, and with --accept-weaker become waivers")
    func weakerSSHDIsRefusedOrWaived() throws {
        let world = try World(hardened: false)
        defer { world.remove() }
        #expect(world.luna("init", "--fingerprints", world.fingerprints).status == 0)
        try world.installSudoers()

        let refused = world.luna("init", "--fingerprints", world.fingerprints)
        #expect(refused.status == 0, "\(refused.out)\(refused.err)")
        #expect(refused.out.contains("not captured: sshd: weaker than Luna's policy"), "\(refused.out)")
        #expect(refused.out.contains("passwordauthentication yes (policy: no)"), "\(refused.out)")
        #expect(!FileManager.default.fileExists(atPath: world.ops.repo + "/configs/sshd/a"))
        #expect(!FileManager.default.fileExists(atPath: world.ops.repo + "/configs/waivers.toml"))

        let accepted = world.luna("init", "--fingerprints", world.fingerprints, "--accept-weaker")
        #expect(accepted.status == 0, "\(accepted.out)\(accepted.err)")
        // The reference keeps the policy's values; no inline exception.
        let sshd = try String(contentsOfFile: world.ops.repo + "/configs/sshd/a", encoding: .utf8)
        #expect(sshd.contains("passwordauthentication no") && !sshd.contains("exception"), "\(sshd)")
        let config = try LunaConfiguration.load(path: world.ops.config, knownChecks: CheckCatalog.names)
        let book = try Waivers.load(opsRepo: config.opsRepo)
        let a = book.waivers.filter { $0.host == "a" }
        #expect(a.map(\.subject).sorted() == ["passwordauthentication", "permitrootlogin", "x11forwarding"], "\(book.waivers)")
        #expect(a.allSatisfy { $0.reason == "accepted at init: weaker than policy" && $0.until == nil && !$0.owner.isEmpty })
        #expect(book.waivers.count == 9)

        // The scan shows each as waived — a finding, not drift.
        let scan = world.luna("scan")
        #expect(scan.status == 0, "\(scan.out)\(scan.err)")
        #expect(scan.out.contains("waived with no expiry by"), "\(scan.out)")
        #expect(scan.out.contains("accepted at init: weaker than policy"), "\(scan.out)")
        let again = world.luna("init", "--fingerprints", world.fingerprints, "--accept-weaker")
        #expect(again.out.contains("Nothing to do"), "\(again.out)")
    }
}

/// The template `luna init` writes from, and its fingerprints file.
@Suite("luna init: the template and the fingerprints file")
struct SudoersTemplateTests {
    @Test func theShippedTemplateIsTheRepositorysFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("configs/sudoers/luna.template"), encoding: .utf8)
        #expect(SudoersTemplate.shipped == file)
    }

    @Test func renderingNamesTheHostAndTheIdentityOnly() {
        let text = SudoersTemplate.render(SudoersTemplate.shipped, host: "web1", identity: "ops")
        #expect(!text.contains("@HOST@") && text.contains("configs/sudoers/luna-web1"))
        #expect(text.contains("\nops ALL = (root) NOPASSWD: LUNA_READ"))
        #expect(!text.contains("\nluna ALL"))
        #expect(SudoersTemplate.render(SudoersTemplate.shipped, host: "h", identity: "luna").contains("\nluna ALL = (root) NOPASSWD: LUNA_READ"))
    }

    @Test func aFingerprintsFileLineThatIsNotHostAndFingerprintNamesTheLine() throws {
        let good = try InitOptions.parseFingerprints("# from the consoles\nweb1 SHA256:abc\n\nbastion SHA256:def\nweb1 SHA256:ghi\n", file: "fp")
        #expect(good == ["web1": ["SHA256:abc", "SHA256:ghi"], "bastion": ["SHA256:def"]])
        #expect(throws: AgentError.self) { try InitOptions.parseFingerprints("web1 SHA256:abc\nweb2 MD5:aa:bb\n", file: "fp") }
        do {
            _ = try InitOptions.parseFingerprints("web1 SHA256:abc\nweb2 MD5:aa:bb\n", file: "fp")
        } catch {
            #expect("\(error)".hasPrefix("fp:2: expected 'HOST SHA256:…'"), "\(error)")
        }
    }

    @Test func theFingerprintIsOpenSSHs() throws {
        // ssh-keygen -lf on this public key prints SHA256:… — computed the same way.
        let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIhZSTcs34MS0ZsvdzhsZ9G8aon17T5M0OYD+482AunV"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fp-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try (key + "\n").write(toFile: dir + "/k.pub", atomically: true, encoding: .utf8)
        let printed = try ProcessRunner.run(["ssh-keygen", "-lf", dir + "/k.pub"])
        try #require(printed.exitStatus == 0, "\(printed.stderrText)")
        #expect(printed.stdoutText.split(separator: " ")[1] == InitService.fingerprint(key)[...])
    }
}
