import Foundation
import Testing
import LunaAgent
import LunaConfig
import LunaDrift
import LunaFleet
import TestSupport

/// `luna check`'s findings on broken estates: each names the file (and line) and the fix.
@Suite("luna check: what a scan depends on, before anything connects")
struct EstateCheckTests {
    /// A two-host ssh estate behind a bastion that passes every check; `edit` breaks one thing.
    static func estate(_ edit: (TemporaryOpsRepo) throws -> Void = { _ in }, config: (String) -> String = { $0 }) throws -> (TemporaryOpsRepo, [EstateProblem]) {
        let toml = """
            [luna]
            ops_repo = "@ROOT@/repo"
            state_dir = "@ROOT@/state"

            [git]
            author_name = "Luna Test"
            author_email = "luna@test.invalid"

            [ssh]
            identity_file = "@ROOT@/id_ed25519"
            known_hosts = "configs/known_hosts"
            bastion_address = "127.0.0.10"

            [[hosts]]
            name = "web1"
            transport = "ssh"
            address = "127.0.0.11"
            checks = ["memory"]

            [[hosts]]
            name = "db1"
            transport = "ssh"
            address = "127.0.0.12"
            port = 2222
            checks = ["memory"]

            """
        let ops = try TemporaryOpsRepo(files: [
            "configs/known_hosts": "127.0.0.10 ssh-ed25519 AAAAbastion\n127.0.0.11 ssh-ed25519 AAAAweb1\n[127.0.0.12]:2222 ssh-ed25519 AAAAdb1\n",
            "configs/sudoers/luna-web1": "Cmnd_Alias LUNA_READ = /usr/bin/cat /proc/meminfo\nluna ALL = (root) NOPASSWD: LUNA_READ\n",
            "configs/sudoers/luna-db1": "Cmnd_Alias LUNA_READ = /usr/bin/cat /proc/meminfo\nluna ALL = (root) NOPASSWD: LUNA_READ\n",
            "configs/memory/web1": "min_available_percent 10\n",
            "configs/memory/db1": "min_available_mib 256\n",
        ], config: config(toml))
        let key = ops.root + "/id_ed25519"
        FileManager.default.createFile(atPath: key, contents: Data("not a real key\n".utf8), attributes: [.posixPermissions: 0o600])
        try edit(ops)
        let loaded = try LunaConfiguration.load(path: ops.config, knownChecks: CheckCatalog.names, channelKinds: ChannelRegistry.settingsKinds)
        let agent = try Agent(config: loaded, environment: AgentEnvironment(log: { _ in }))
        return (ops, EstateCheck(context: agent.context).problems())
    }

    @Test func aHealthyEstateHasNoProblem() throws {
        let (ops, problems) = try Self.estate()
        defer { ops.remove() }
        #expect(problems == [], "\(problems)")
    }

    static let broken: [(String, @Sendable (TemporaryOpsRepo) throws -> Void, [String])] = [
        ("identity file missing", { try FileManager.default.removeItem(atPath: $0.root + "/id_ed25519") }, ["id_ed25519 does not exist", "ssh-keygen"]),
        ("identity file readable by others", { chmod($0.root + "/id_ed25519", 0o644) }, ["id_ed25519: the private key is readable by others (mode 0644)", "chmod 600"]),
        ("known_hosts missing", { try FileManager.default.removeItem(atPath: $0.repo + "/configs/known_hosts") }, ["known_hosts: the known_hosts file does not exist"]),
        ("a host not pinned", { try $0.write("configs/known_hosts", "127.0.0.10 ssh-ed25519 AAAAb\n[127.0.0.12]:2222 ssh-ed25519 AAAAd\n") },
         ["web1 (127.0.0.11) has no pinned host key", "ssh-keyscan -p 22 127.0.0.11"]),
        ("the bastion not pinned", { try $0.write("configs/known_hosts", "127.0.0.11 ssh-ed25519 AAAAw\n[127.0.0.12]:2222 ssh-ed25519 AAAAd\n") },
         ["the bastion (127.0.0.10) has no pinned host key"]),
        ("a non-standard port pinned without it", { try $0.write("configs/known_hosts", "127.0.0.10 ssh-ed25519 AAAAb\n127.0.0.11 ssh-ed25519 AAAAw\n127.0.0.12 ssh-ed25519 AAAAd\n") },
         ["db1 ([127.0.0.12]:2222) has no pinned host key"]),
        ("no sudoers reference", { try FileManager.default.removeItem(atPath: $0.repo + "/configs/sudoers/luna-db1") },
         ["luna-db1: db1 has no sudoers reference", "luna.template"]),
        ("a sudoers reference that does not parse", { try $0.write("configs/sudoers/luna-web1", "Cmnd_Alias LUNA_READ = /usr/bin/cat /proc/meminfo\nluna ALL = (root NOPASSWD: LUNA_READ\n") },
         ["luna-web1:2", "visudo -cf"]),
        ("a reference with an unknown keyword", { try $0.write("configs/memory/web1", "min_available_percent 10\nmax_swap 5\n") },
         ["configs/memory/web1", "max_swap"]),
        ("a reference with a value out of range", { try $0.write("configs/memory/db1", "min_available_percent 250\n") },
         ["configs/memory/db1"]),
        ("an enabled check without a reference", { try FileManager.default.removeItem(atPath: $0.repo + "/configs/memory/db1") },
         ["the memory check is enabled on db1 but has no reference", "luna baseline capture --host db1 --check memory"]),
    ]

    @Test(.enabled(if: SystemRequirements.available(tools: ["ssh-keygen"])))
    func hashedKnownHostsAreLookedUpNotTakenOnTrust() throws {
        // Hash the healthy file as `ssh-keygen -H` does (HashKnownHosts): names can no longer be read.
        let (ops, problems) = try Self.estate { ops in
            let file = ops.repo + "/configs/known_hosts"
            let r = try ProcessRunner.run(["ssh-keygen", "-H", "-f", file], timeout: .seconds(10))
            #expect(r.exitStatus == 0, "\(r.stderrText)")
            try? FileManager.default.removeItem(atPath: file + ".old")
        }
        defer { ops.remove() }
        #expect(problems == [], "every host is found in the hashed file: \(problems)")
        let (ops2, missing) = try Self.estate { ops in
            try ops.write("configs/known_hosts", "127.0.0.10 ssh-ed25519 AAAAb\n127.0.0.11 ssh-ed25519 AAAAw\n")
            let r = try ProcessRunner.run(["ssh-keygen", "-H", "-f", ops.repo + "/configs/known_hosts"], timeout: .seconds(10))
            #expect(r.exitStatus == 0)
        }
        defer { ops2.remove() }
        #expect(missing.map(\.message) == ["db1 ([127.0.0.12]:2222) has no pinned host key"], "a hashed file still names the host it lacks")
    }

    @Test(arguments: 0..<broken.count)
    func eachBrokenEstateNamesTheFileAndTheFix(_ index: Int) throws {
        let (name, edit, expected) = Self.broken[index]
        let (ops, problems) = try Self.estate(edit)
        defer { ops.remove() }
        let text = problems.map(\.description).joined(separator: "\n")
        #expect(!problems.isEmpty, "\(name): no problem reported")
        for phrase in expected {
            #expect(text.contains(phrase), "\(name): expected “\(phrase)” in:\n\(text)")
        }
        #expect(problems.allSatisfy { !$0.fix.isEmpty && !$0.location.isEmpty })
    }

    @Test func sshHostsWithoutAnSSHSectionFailToLoadWithTheLine() throws {
        do {
            let (ops, _) = try Self.estate(config: { toml in
                toml.replacingOccurrences(of: "[ssh]\nidentity_file = \"@ROOT@/id_ed25519\"\nknown_hosts = \"configs/known_hosts\"\nbastion_address = \"127.0.0.10\"\n", with: "")
            })
            ops.remove()
            Issue.record("the configuration loaded")
        } catch let error as ConfigError {
            #expect("\(error)".contains("luna.toml:12:1") && "\(error)".contains("needs an [ssh] section"))
        }
    }

    /// With execution = "sudo", web1 enables sshd (root only); its sudoers reference holds `read` as LUNA_READ.
    static func rootEstate(read: String) throws -> (TemporaryOpsRepo, [EstateProblem]) {
        try estate({ ops in
            try ops.write("configs/sshd/web1", "passwordauthentication no\n")
            try ops.write("configs/sudoers/luna-web1", "Cmnd_Alias LUNA_READ = \(read)\nluna ALL = (root) NOPASSWD: LUNA_READ\n")
        }, config: { toml in
            toml.replacingOccurrences(of: "state_dir = \"@ROOT@/state\"\n", with: "state_dir = \"@ROOT@/state\"\nexecution = \"sudo\"\n")
                .replacingOccurrences(of: "address = \"127.0.0.11\"\nchecks = [\"memory\"]", with: "address = \"127.0.0.11\"\nchecks = [\"memory\", \"sshd\"]")
        })
    }

    @Test func aSudoersReferenceMissingARootChecksCollectionNamesTheLineToAdd() throws {
        let (ops, problems) = try Self.rootEstate(read: "/usr/bin/cat /proc/meminfo")
        defer { ops.remove() }
        let problem = try #require(problems.first { $0.message.contains("sshd check needs root") }, "\(problems)")
        #expect(problem.location.hasSuffix("configs/sudoers/luna-web1"))
        #expect(problem.host == "web1")
        #expect(problem.message == "the sshd check needs root on web1, and its collection is not in the read set")
        // The same words the scan shows as the check's `unavailable` detail.
        #expect(problem.fix.hasPrefix("add \"/usr/sbin/sshd -T\" to LUNA_READ in configs/sudoers/luna-web1"), "\(problem.fix)")
        #expect(problems.count == 1, "\(problems)")

        // With the line in the read set, nothing is left to report.
        let (fixed, none) = try Self.rootEstate(read: "/usr/bin/cat /proc/meminfo, /usr/sbin/sshd -T")
        defer { fixed.remove() }
        #expect(none == [], "\(none)")
    }
}
