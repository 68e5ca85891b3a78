import Foundation
import LunaConfig
import LunaDrift
import LunaFleet
import LunaPolicy
import LunaSystem

/// One problem `luna check` found: where, what, and the fix.
public struct EstateProblem: Sendable, Codable, Equatable, CustomStringConvertible {
    /// `file:line` (or the file alone when no line applies).
    public var location: String
    public var message: String
    public var fix: String
    /// The host it is about, when it is about one.
    public var host: String?

    public init(location: String, message: String, fix: String, host: String?) {
        self.location = location
        self.message = message
        self.fix = fix
        self.host = host
    }

    public var description: String { "\(location): \(message) — \(fix)" }
}

/// `luna check`: everything a scan depends on, checked before anything connects —
/// like `visudo -c` or `nginx -t`. The configuration itself has already loaded
/// (its errors are `ConfigError`s with file:line:column).
public struct EstateCheck: AgentService {
    public let context: AgentContext

    public init(context: AgentContext) { self.context = context }

    /// Every problem, in inventory order.
    public func problems() -> [EstateProblem] {
        var out: [EstateProblem] = []
        let sshHosts = config.hosts.filter { $0.transport == .ssh }
        if let ssh = config.fleet.ssh {
            out += identityProblems(ssh.identityFile)
            out += knownHostsProblems(ssh, hosts: sshHosts)
        } else if !sshHosts.isEmpty {
            out.append(EstateProblem(location: config.file, message: "hosts use transport ssh but there is no [ssh] section",
                                     fix: "add [ssh] with identity_file (and known_hosts)", host: nil))
        }
        for host in config.hosts {
            out += sudoersProblems(host)
            out += referenceProblems(host)
        }
        return out
    }

    func identityProblems(_ path: String) -> [EstateProblem] {
        var st = stat()
        guard stat(path, &st) == 0 else {
            return [EstateProblem(location: config.file, message: "identity_file \(path) does not exist",
                                  fix: "create the key (ssh-keygen -t ed25519 -f \(path)) or fix identity_file in [ssh]", host: nil)]
        }
        var out: [EstateProblem] = []
        if st.st_mode & 0o077 != 0 {
            out.append(EstateProblem(location: path, message: String(format: "the private key is readable by others (mode %04o)", st.st_mode & 0o7777),
                                     fix: "chmod 600 \(path)", host: nil))
        }
        if st.st_uid != geteuid() {
            out.append(EstateProblem(location: path, message: "the private key is owned by uid \(st.st_uid), not by the user luna runs as (uid \(geteuid()))",
                                     fix: "chown it to luna's user; ssh refuses a key it does not own", host: nil))
        }
        if access(path, R_OK) != 0 {
            out.append(EstateProblem(location: path, message: "the private key cannot be read", fix: "make it readable by luna's user", host: nil))
        }
        return out
    }

    func knownHostsProblems(_ ssh: SSHSettings, hosts: [HostConfig]) -> [EstateProblem] {
        let file = ssh.knownHostsFile
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            return [EstateProblem(location: file, message: "the known_hosts file does not exist or cannot be read",
                                  fix: "pin each host's key (ssh-keyscan through the bastion, checked against the console) into it, or fix known_hosts in [ssh]", host: nil)]
        }
        // Every name a line pins, as ssh matches them: `host`, `[host]:port`, comma lists; hashed names are looked up below.
        var pinned: Set<String> = []
        var hashed = false
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            var fields = trimmed.split(separator: " ", omittingEmptySubsequences: true)
            if fields.first?.hasPrefix("@") == true { fields.removeFirst() }   // @cert-authority / @revoked
            guard let names = fields.first else { continue }
            if names.hasPrefix("|1|") { hashed = true; continue }
            for n in names.split(separator: ",") { pinned.insert(String(n)) }
        }
        func isPinned(_ address: String, _ port: Int) -> Bool {
            if port == 22 ? pinned.contains(address) || pinned.contains("[\(address)]:22") : pinned.contains("[\(address)]:\(port)") {
                return true
            }
            // Hashed names (HashKnownHosts) cannot be read back: ssh-keygen looks the name up as ssh would.
            guard hashed else { return false }
            let name = port == 22 ? address : "[\(address)]:\(port)"
            let found = try? ProcessRunner.run(["ssh-keygen", "-F", name, "-f", file], timeout: .seconds(10))
            return found?.exitStatus == 0 && found?.stdoutText.contains(where: { !$0.isWhitespace }) == true
        }
        var out: [EstateProblem] = []
        var targets: [(name: String, address: String, port: Int)] = hosts.compactMap { h in h.ssh.map { (h.name, $0.address, $0.port) } }
        if let b = ssh.bastion { targets.insert(("the bastion", b.address, b.port), at: 0) }
        for t in targets where !isPinned(t.address, t.port) {
            let name = t.port == 22 ? t.address : "[\(t.address)]:\(t.port)"
            out.append(EstateProblem(location: file, message: "\(t.name) (\(name)) has no pinned host key",
                                     fix: "add its key: ssh-keyscan -p \(t.port) \(t.address) (compare the fingerprint with the host's console) >> \(file)",
                                     host: t.name == "the bastion" ? nil : t.name))
        }
        return out
    }

    func sudoersProblems(_ host: HostConfig) -> [EstateProblem] {
        let file = config.sudoersDirectory + "/luna-" + host.name
        guard FileManager.default.fileExists(atPath: file) else {
            return [EstateProblem(location: file, message: "\(host.name) has no sudoers reference, so the gate refuses every action there",
                                  fix: "write it from configs/sudoers/luna.template (what luna may run on \(host.name)), and install the same file on the host with visudo", host: host.name)]
        }
        do {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            _ = try Sudoers.parse(text, file: file)
            return readSetProblems(host, file: file)
        } catch {
            return [EstateProblem(location: file, message: "\(error)", fix: "fix the line; `visudo -cf \(file)` checks it the way sudo will", host: host.name)]
        }
    }

    /// Each enabled check that needs root and whose collection the host's read set does not
    /// hold, with the same "add …" line the scan would name (`collectionElevation`).
    func readSetProblems(_ host: HostConfig, file: String) -> [EstateProblem] {
        guard config.execution == .sudo else { return [] }
        let elevate = collectionElevation(host)
        let references = References(directory: config.configsDirectory)
        var out: [EstateProblem] = []
        for name in host.checks {
            guard let check = CheckCatalog.named(name), check.needsRoot else { continue }
            // The scan's argv; without a reference yet, the capture's (the same program).
            var collection: [String]? = nil
            if case .run(let argv, _) = check.plan(host: host.name, references: references) { collection = argv }
            if collection == nil, let capturable = check as? any BaselineCapturable {
                collection = try? capturable.captureArgv(host: host.name, current: nil)
            }
            guard let argv = collection else { continue }
            guard case .refused(let reason) = elevate(check, argv) else { continue }
            let fix = reason.hasPrefix("needs root — ") ? String(reason.dropFirst("needs root — ".count)) : reason
            out.append(EstateProblem(location: file, message: "the \(name) check needs root on \(host.name), and its collection is not in the read set",
                                     fix: fix + "; install the same file on the host (visudo -cf first)", host: host.name))
        }
        return out
    }

    func referenceProblems(_ host: HostConfig) -> [EstateProblem] {
        let references = References(directory: config.configsDirectory)
        var out: [EstateProblem] = []
        for name in host.checks {
            guard let check = CheckCatalog.named(name) else { continue }
            let path = references.path(kind: check.referenceKind, host: host.name)
            do {
                _ = try references.load(kind: check.referenceKind, host: host.name)
            } catch {
                out.append(EstateProblem(location: path, message: "\(error)", fix: "fix the reference, or capture it again with `luna baseline capture --host \(host.name) --check \(name)`", host: host.name))
                continue
            }
            // The check's own reading of its reference (keywords, values), without connecting.
            guard case .done(let result) = check.plan(host: host.name, references: references) else { continue }
            if result.status == .error {
                out.append(EstateProblem(location: path, message: result.detail, fix: "fix the reference (see docs/architecture.md, \"Drift checks in this build\")", host: host.name))
            } else if result.status == .unavailable, result.detail.hasPrefix("no reference") {
                out.append(EstateProblem(location: path, message: "the \(name) check is enabled on \(host.name) but has no reference, so it checks nothing",
                                         fix: "capture it from the host: luna baseline capture --host \(host.name) --check \(name) (or write it by hand)", host: host.name))
            }
        }
        return out
    }
}
