import Foundation
import LunaCodec
import LunaConfig
import LunaDrift
import LunaFleet
import LunaSystem

/// What `luna init` is asked to do.
public struct InitOptions: Sendable {
    /// The fingerprints the operator expects, by host (inventory name, `bastion`, address or
    /// `[address]:port`); nil: ask on the terminal through the confirmation closure.
    public var fingerprints: [String: Set<String>]?
    /// Accept sshd values weaker than the policy as waivers instead of refusing them.
    public var acceptWeaker = false
    /// Overwrite an existing sudoers reference with the template.
    public var force = false
    /// Show what would be written; write and commit nothing.
    public var dryRun = false
    /// Who runs it (the waivers' owner, the commit's Initialized-by).
    public var owner: String
    /// Why; the commit message's body.
    public var reason: String
    /// The paths whose live mode and owner become each host's files reference (when it has none).
    public var files: [String] = InitOptions.defaultFiles
    /// Whether `files` is the operator's list: a path a host lacks then refuses that host's
    /// files capture (a typo is not skipped); the default list leaves it out with a note.
    public var filesGiven = false

    /// What a files reference watches unless `--files` says otherwise: the account
    /// databases and the sudo and sshd configuration. A path a host lacks is left out.
    public static let defaultFiles = ["/etc/group", "/etc/gshadow", "/etc/passwd", "/etc/shadow",
                                      "/etc/ssh/sshd_config", "/etc/sudoers", "/etc/sudoers.d"]

    /// Parses `--files` values (comma-separated, repeatable) into absolute paths.
    ///
    /// - Throws: `AgentError.invalid` for a relative path, or one a reference line cannot hold.
    public static func parseFiles(_ values: [String]) throws -> [String] {
        var out: [String] = []
        for value in values {
            for raw in value.split(separator: ",", omittingEmptySubsequences: true) {
                let path = String(raw)
                guard path.hasPrefix("/") else { throw AgentError(.invalid, "--files: '\(path)' is not an absolute path") }
                guard !path.contains(where: { $0 == " " || $0 == "\t" || $0 == "#" || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } ?? false }) else {
                    throw AgentError(.invalid, "--files: '\(path)' has a blank, '#' or control character, which a files reference line cannot hold")
                }
                if !out.contains(path) { out.append(path) }
            }
        }
        guard !out.isEmpty else { throw AgentError(.invalid, "--files needs at least one path") }
        return out
    }

    public init(owner: String, reason: String) {
        self.owner = owner
        self.reason = reason
    }

    /// Parses a fingerprints file: lines `HOST SHA256:…` (`#` comments and blank lines skipped).
    ///
    /// - Throws: `AgentError.invalid` naming `file:line` for any other line.
    public static func parseFingerprints(_ text: String, file: String) throws -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 2, fields[1].hasPrefix("SHA256:"), fields[1].count > 7 else {
                throw AgentError(.invalid, "\(file):\(index + 1): expected 'HOST SHA256:…' (as `ssh-keygen -lf` prints on the host), found '\(line)'")
            }
            out[fields[0], default: []].insert(fields[1])
        }
        return out
    }
}

/// One host key `luna init` fetched.
public struct InitKey: Sendable, Encodable, Equatable {
    /// The inventory name, or `bastion`.
    public var host: String
    /// The name known_hosts pins it under (`[127.0.0.3]:2222`).
    public var address: String
    /// `SHA256:…` of each key the host offered.
    public var fingerprints: [String]
    /// `new` (confirmed in this run), `pinned` (already in known_hosts, the same key), or `unreachable`.
    public var state: String
    /// Whether luna's login works there yet.
    public var loginWorks: Bool
    /// Why there is no key, or why the login failed.
    public var problem: String?
}

/// One reference (or other file) `luna init` writes.
public struct InitFile: Sendable, Encodable, Equatable {
    /// Relative to the ops repo.
    public var path: String
    /// `create` or `update`.
    public var action: String
}

/// What `luna init` did for one host, and what the operator still has to do there.
public struct InitHost: Sendable, Encodable, Equatable {
    public var host: String
    /// `written`, `kept` (exists; `--force` overwrites), `unchanged`, or `none` (the bastion).
    public var sudoers: String
    /// Checks whose reference was captured now.
    public var captured: [String] = []
    /// Checks that already had a reference (left alone: re-capture with `luna baseline capture`).
    public var existing: [String] = []
    /// Checks not captured, with why.
    public var skipped: [Skip] = []
    /// Waived sshd settings (weaker than the policy, accepted with `--accept-weaker`).
    public var waived: [String] = []
    /// What a capture left out (a proposed path the host lacks).
    public var notes: [String] = []
    /// What the operator still has to do, in order.
    public var nextSteps: [String] = []

    public struct Skip: Sendable, Encodable, Equatable {
        public var check: String
        public var reason: String
    }
}

/// The outcome of `luna init`.
public struct InitReport: Sendable, Encodable {
    public var keys: [InitKey] = []
    public var hosts: [InitHost] = []
    /// The files written (or, with `--dry-run`, that would be).
    public var files: [InitFile] = []
    /// The one commit, or nil (nothing changed, or a dry run).
    public var commit: String?
    public var dryRun: Bool
    /// luna's public key (`identity_file` + `.pub`), for the hosts' authorized_keys.
    public var publicKey: String?
    /// Whether anything was (or would be) written.
    public var changed: Bool { !files.isEmpty }
}

/// `luna init`: from the inventory in `luna.toml` to an ops repo a scan can run
/// on, in one reviewed commit.
///
/// It fetches every host's (and the bastion's) host key through the bastion,
/// trusting nothing until the operator confirms each fingerprint (or a
/// fingerprints file matches it; any mismatch, or a key that differs from one
/// already pinned, aborts before anything is written); writes each host's
/// sudoers reference from the template; captures the reference of every
/// capturable check that has none yet (root checks through the same read set as
/// the scan, judged against the references being written); and commits
/// known_hosts, sudoers references, references and waivers together. A host it
/// cannot log in to yet gets its sudoers reference and the exact steps left.
/// Existing references are never re-captured (that is `luna baseline capture`),
/// so a second run changes nothing.
public struct InitService: AgentService {
    public let context: AgentContext

    public init(context: AgentContext) { self.context = context }

    /// Runs it.
    ///
    /// - Parameters:
    ///   - options: What to do.
    ///   - confirm: Asked once with the new keys when there is no fingerprints file; false aborts.
    /// - Returns: What was (or would be) written, and the steps left per host.
    /// - Throws: `AgentError.invalid` when a key does not match, is not confirmed, or the
    ///   configuration cannot be initialized; nothing is written then.
    public func run(_ options: InitOptions, confirm: ([InitKey]) -> Bool) throws -> InitReport {
        var report = InitReport(dryRun: options.dryRun)
        Self.removeAbandonedScratch(config.stateDirectory)
        let scratch = config.stateDirectory + "/init-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        // 1. Host keys.
        var files: [String: String] = [:]
        var knownHostsScratch: String? = nil
        let sshHosts = config.hosts.filter { $0.transport == .ssh }
        if let ssh = config.fleet.ssh, !sshHosts.isEmpty {
            report.publicKey = (try? String(contentsOfFile: ssh.identityFile + ".pub", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let relative = try relativeToRepo(ssh.knownHostsFile, what: "[ssh] known_hosts")
            let existing = (try? String(contentsOfFile: ssh.knownHostsFile, encoding: .utf8)) ?? ""
            let (keys, newLines) = try scanKeys(ssh, hosts: sshHosts, pinned: Self.pinnedKeys(existing), scratch: scratch)
            try verify(keys, options: options, confirm: confirm)
            report.keys = keys
            let text = newLines.isEmpty ? existing : (existing.isEmpty || existing.hasSuffix("\n") ? existing : existing + "\n") + newLines.joined(separator: "\n") + "\n"
            if !newLines.isEmpty { files[relative] = text }
            knownHostsScratch = scratch + "/known_hosts"
            try text.write(toFile: knownHostsScratch!, atomically: true, encoding: .utf8)
        }

        // 2. Sudoers references, judged from a scratch copy until they are committed.
        let sudoersScratch = scratch + "/sudoers"
        try FileManager.default.createDirectory(atPath: sudoersScratch, withIntermediateDirectories: true)
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: config.sudoersDirectory)) ?? [] where entry.hasPrefix("luna-") {
            try? FileManager.default.copyItem(atPath: config.sudoersDirectory + "/" + entry, toPath: sudoersScratch + "/" + entry)
        }
        let template = SudoersTemplate.text(opsRepo: config.opsRepo)
        var hostReports: [String: InitHost] = [:]
        for host in config.hosts {
            let path = config.sudoersDirectory + "/luna-" + host.name
            let relative = Self.relativeReference(config, host: host.name)
            let wanted = SudoersTemplate.render(template, host: host.name, identity: config.identity)
            let current = try? String(contentsOfFile: path, encoding: .utf8)
            var state = "written"
            if let current {
                if current == wanted { state = "unchanged" } else if !options.force { state = "kept" }
            }
            if state == "written" {
                files[relative] = wanted
                try wanted.write(toFile: sudoersScratch + "/luna-" + host.name, atomically: true, encoding: .utf8)
            }
            hostReports[host.name] = InitHost(host: host.name, sudoers: state)
        }

        // 3. References of capturable checks that have none yet, through the scratch pins and read sets.
        var scratchConfig = config
        if let knownHostsScratch { scratchConfig.fleet.ssh?.knownHostsFile = knownHostsScratch }
        let curator = CurationService(context: AgentContext(
            config: scratchConfig, ledger: ledger, environment: environment,
            gate: Agent.makeGate(config, now: environment.now, sudoersDirectory: sudoersScratch)))
        var weaker: [(host: String, setting: WeakerSetting)] = []
        var starts: [BaselineChange] = []
        let refs = references
        var missing: [String: [String]] = [:]
        var capturing: [HostConfig] = []
        for host in config.hosts {
            var entry = hostReports[host.name]!
            let key = report.keys.first { $0.host == host.name }
            for name in host.checks {
                guard let check = CheckCatalog.named(name), check is any BaselineCapturable else { continue }
                if FileManager.default.fileExists(atPath: refs.path(kind: check.referenceKind, host: host.name)) {
                    entry.existing.append(name)
                } else {
                    missing[host.name, default: []].append(name)
                }
            }
            if let key, key.state == "unreachable" || !key.loginWorks {
                let why = key.state == "unreachable" ? "no host key: \(key.problem ?? "unreachable")" : "luna cannot log in yet: \(key.problem ?? "login failed")"
                entry.skipped = (missing[host.name] ?? []).map { .init(check: $0, reason: why) }
            } else if missing[host.name] != nil {
                capturing.append(host)
            }
            hostReports[host.name] = entry
        }
        // The hosts' captures, max_parallel at once (each is two round trips through the bastion).
        let seedPaths = options.files.joined(separator: "\n") + "\n"
        let acceptWeaker = options.acceptWeaker
        let mayLack = !options.filesGiven
        let jobs = capturing.map { ($0.name, missing[$0.name] ?? []) }
        let captured = Parallel.map(jobs, width: config.fleet.maxParallel) { name, checks in
            Result { () throws -> [BaselineChange] in
                let seeds = ["files": try Baseline.parse(seedPaths, file: "configs/files/\(name)")]
                return try curator.baselineDiff(host: name, checks: checks, acceptWeaker: acceptWeaker, seeds: seeds, seedsMayLack: mayLack)
            }
        }
        for ((name, checks), result) in zip(jobs, captured) {
            var entry = hostReports[name]!
            switch result {
            case .failure(let error):
                entry.skipped = checks.map { .init(check: $0, reason: "\(error)") }
            case .success(let changes):
                for change in changes {
                    entry.notes += change.notes
                    if let problem = change.problem {
                        entry.skipped.append(.init(check: change.check, reason: problem))
                    } else if let content = change.content {
                        files[change.path] = content
                        if change.startState != nil { starts.append(change) }
                        entry.captured.append(change.check)
                        entry.waived += change.weaker.map { "\($0.setting) \($0.live) (policy: \($0.policy))" }
                        weaker += change.weaker.map { (name, $0) }
                    }
                }
            }
            hostReports[name] = entry
        }
        if let book = try curator.waiversAccepting(weaker, owner: options.owner, reason: "accepted at init: weaker than policy") {
            files[Waivers.relativePath] = book.render()
        }

        // 4. What the operator still has to do, per host.
        if let key = report.keys.first(where: { $0.host == "bastion" }) {
            var bastion = InitHost(host: "bastion", sudoers: "none")
            bastion.nextSteps = loginSteps(key, publicKey: report.publicKey)
            report.hosts.append(bastion)
        }
        for host in config.hosts {
            var entry = hostReports[host.name]!
            entry.nextSteps = nextSteps(host, entry, key: report.keys.first { $0.host == host.name }, publicKey: report.publicKey)
            report.hosts.append(entry)
        }

        // 5. One commit.
        report.files = files.keys.sorted().map { path in
            InitFile(path: path, action: FileManager.default.fileExists(atPath: config.opsRepo + "/" + path) ? "update" : "create")
        }
        guard !files.isEmpty, !options.dryRun else { return report }
        let why = options.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        let summary = why.split(separator: "\n").first.map(String.init) ?? why
        let message = "luna init: \(Recorder.oneLine(summary))\n\n" + Recorder.wrap(why) + "\n\n"
            + report.files.map { "\($0.path): \($0.action)" }.joined(separator: "\n")
            + "\n\nHosts: \(config.hosts.map(\.name).joined(separator: ", "))\nInitialized-by: \(options.owner)\n"
        report.commit = try repo.commit(files: files, message: message)
        try curator.saveStartStates(starts)
        return report
    }

    /// Fetches every key: the bastion's directly, then each host's through it.
    func scanKeys(_ ssh: SSHSettings, hosts: [HostConfig], pinned: [String: Set<String>], scratch: String) throws -> (keys: [InitKey], newLines: [String]) {
        guard var options = try AgentEnvironment.sshOptions(config) else { return ([], []) }
        options.knownHostsFile = scratch + "/scanned_known_hosts"
        FileManager.default.createFile(atPath: options.knownHostsFile, contents: Data())
        let timeout = options.connectTimeout * 3 + .seconds(10)
        var keys: [InitKey] = []
        var newLines: [String] = []
        var bastionProblem: String? = nil
        var fetched: [String: (host: String, keys: Set<String>)] = [:]
        func record(_ host: String, _ result: Result<ScannedHostKey, FleetError>, address: String) throws {
            switch result {
            case .failure(let error):
                keys.append(InitKey(host: host, address: address, fingerprints: [], state: "unreachable", loginWorks: false, problem: error.message))
            case .success(let scanned):
                let offered = Set(scanned.lines.compactMap(Self.keyPart))
                let prints = scanned.lines.compactMap(Self.keyPart).map(Self.fingerprint).sorted()
                var state = "new"
                // Two inventory names for one address:port must be offered the same key, or neither is pinned.
                if let other = fetched[scanned.pinnedName] {
                    guard other.keys == offered else {
                        throw AgentError(.invalid, "\(other.host) and \(host) share \(scanned.pinnedName) but were offered different host keys "
                            + "(\(prints.joined(separator: ", ")) here); nothing was written. A load-balanced address cannot be pinned as one host, "
                            + "and otherwise someone is in the middle: find out on the hosts' consoles")
                    }
                    keys.append(InitKey(host: host, address: scanned.pinnedName, fingerprints: prints, state: keys.first { $0.address == scanned.pinnedName }?.state ?? "new",
                                        loginWorks: scanned.loginWorks, problem: scanned.loginProblem))
                    return
                }
                fetched[scanned.pinnedName] = (host, offered)
                if let known = pinned[scanned.pinnedName], !known.isEmpty {
                    guard !known.isDisjoint(with: offered) else {
                        throw AgentError(.invalid, "the host key of \(host) (\(scanned.pinnedName)) is not the one pinned in known_hosts: it offers \(prints.joined(separator: ", ")), "
                            + "pinned: \(known.map(Self.fingerprint).sorted().joined(separator: ", ")); nothing was written. "
                            + "Find out why on the host's console before changing the pin (a reinstalled host, or someone in the middle)")
                    }
                    state = "pinned"
                } else {
                    newLines += scanned.lines
                }
                keys.append(InitKey(host: host, address: scanned.pinnedName, fingerprints: prints, state: state,
                                    loginWorks: scanned.loginWorks, problem: scanned.loginProblem))
            }
        }
        if let bastion = options.bastion {
            var direct = options
            direct.bastion = nil
            let result = Result { () throws(FleetError) in try SSHExecutor.scanHostKey(bastion, options: direct, timeout: timeout) }
            try record("bastion", result, address: SSHExecutor.pinnedName(address: bastion.address, port: bastion.port))
            if case .failure(let error) = result { bastionProblem = error.message }
        }
        let targets = hosts.compactMap { host in
            host.ssh.map { SSHTarget(host: host.name, address: $0.address, port: $0.port, user: $0.user) }
        }
        if let bastionProblem {
            for target in targets {
                keys.append(InitKey(host: target.host, address: SSHExecutor.pinnedName(address: target.address, port: target.port),
                                    fingerprints: [], state: "unreachable", loginWorks: false,
                                    problem: "the bastion could not be reached: \(bastionProblem)"))
            }
            return (keys, newLines)
        }
        // Each host's key through the bastion, a few at a time (each is a few handshakes), recorded in inventory order.
        // Each client appends to a known_hosts of its own, seeded with the bastion's pin its ProxyCommand checks.
        let seeded = FileManager.default.contents(atPath: options.knownHostsFile) ?? Data()
        let jobs = targets.enumerated().map { index, target in
            var own = options
            own.knownHostsFile = scratch + "/scanned_known_hosts-\(index)"
            FileManager.default.createFile(atPath: own.knownHostsFile, contents: seeded)
            return (target, own)
        }
        let results = Parallel.map(jobs, width: config.fleet.maxParallel) { target, own in
            Result { () throws(FleetError) in try SSHExecutor.scanHostKey(target, options: own, timeout: timeout) }
        }
        for (target, result) in zip(targets, results) {
            try record(target.host, result, address: SSHExecutor.pinnedName(address: target.address, port: target.port))
        }
        return (keys, newLines)
    }

    /// Every fetched key against the fingerprints file, or the operator's confirmation of the new ones.
    func verify(_ keys: [InitKey], options: InitOptions, confirm: ([InitKey]) -> Bool) throws {
        let fetched = keys.filter { $0.state != "unreachable" }
        if let expected = options.fingerprints {
            for key in fetched {
                let names = [key.host, key.address, key.address.hasPrefix("[") ? String(key.address.dropFirst().prefix { $0 != "]" }) : key.address]
                guard let wanted = names.lazy.compactMap({ expected[$0] }).first else {
                    throw AgentError(.invalid, "the fingerprints file has no line for \(key.host) (\(key.address)), which offers \(key.fingerprints.joined(separator: ", ")); nothing was written")
                }
                guard !wanted.isDisjoint(with: key.fingerprints) else {
                    throw AgentError(.invalid, "the host key of \(key.host) (\(key.address)) does not match the fingerprints file: it offers \(key.fingerprints.joined(separator: ", ")), "
                        + "expected \(wanted.sorted().joined(separator: ", ")); nothing was written")
                }
            }
            return
        }
        let new = fetched.filter { $0.state == "new" }
        guard !new.isEmpty, !options.dryRun else { return }
        guard confirm(new) else { throw AgentError(.invalid, "the host keys were not confirmed; nothing was written") }
    }

    func loginSteps(_ key: InitKey, publicKey: String?) -> [String] {
        guard key.state != "unreachable" else {
            return ["make \(key.address) reachable from here (sshd running, the address and port in luna.toml right): \(key.problem ?? "")"]
        }
        guard !key.loginWorks else { return [] }
        let user = key.host == "bastion" ? config.fleet.ssh?.bastion?.user ?? config.identity
            : config.host(key.host)?.ssh?.user ?? config.identity
        return [
            "create the \(user) user with a normal shell if it is missing: useradd --create-home --shell /bin/sh \(user)",
            "authorize luna's key: install -d -m 0700 -o \(user) -g \(user) ~\(user)/.ssh && echo '\(publicKey ?? "<the contents of identity_file.pub>")' >> ~\(user)/.ssh/authorized_keys"
                + " && chown \(user): ~\(user)/.ssh/authorized_keys && chmod 0600 ~\(user)/.ssh/authorized_keys",
            "(ssh said: \(key.problem ?? "login failed"))",
        ]
    }

    func nextSteps(_ host: HostConfig, _ entry: InitHost, key: InitKey?, publicKey: String?) -> [String] {
        var steps = key.map { loginSteps($0, publicKey: publicKey) } ?? []
        let reference = Self.relativeReference(config, host: host.name)
        let sudoRefused = entry.skipped.contains { $0.reason.contains("sudo") || $0.reason.contains("needs root") }
        if entry.sudoers == "written" || sudoRefused {
            steps.append("install \(reference) as /etc/sudoers.d/luna on \(host.name), checked first: visudo -cf luna-\(host.name) && install -m 0440 -o root -g root luna-\(host.name) /etc/sudoers.d/luna")
        } else if entry.sudoers == "kept" {
            steps.append("\(reference) exists and was kept (luna init --force writes the template over it)")
        }
        // Skips the steps above already answer (no key, no login, sudo refusing) are not repeated.
        for skip in entry.skipped where !skip.reason.hasPrefix("no host key") && !skip.reason.hasPrefix("luna cannot log in")
            && !skip.reason.contains("sudo refused") {
            if skip.check == "files" {
                steps.append("files: \(skip.reason); list the paths to watch with luna init --files PATH,… (or one a line in configs/files/\(host.name), then luna baseline capture --host \(host.name) --check files --reason TEXT)")
            } else if skip.reason.contains("weaker than Luna's policy") {
                steps.append("sshd: \(skip.reason)")
            } else {
                steps.append("\(skip.check): not captured: \(skip.reason)")
            }
        }
        if !entry.skipped.isEmpty {
            steps.append("then run luna init again: it captures what is still missing and changes nothing else")
        }
        return steps
    }

    /// Removes the scratch folders of runs that died before their cleanup (their pid is gone).
    static func removeAbandonedScratch(_ stateDirectory: String) {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: stateDirectory)) ?? [] where entry.hasPrefix("init-") {
            let parts = entry.split(separator: "-")
            guard parts.count == 3, let pid = Int32(parts[1]), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(atPath: stateDirectory + "/" + entry) }
        }
    }

    /// `path` relative to the ops repo; init commits everything it writes there.
    func relativeToRepo(_ path: String, what: String) throws -> String {
        let root = config.opsRepo.hasSuffix("/") ? config.opsRepo : config.opsRepo + "/"
        guard path.hasPrefix(root) else {
            throw AgentError(.invalid, "\(what) \(path) is outside the ops repo \(config.opsRepo); luna init commits the pins it writes, so point it into the repo (the default is configs/known_hosts)")
        }
        return String(path.dropFirst(root.count))
    }

    /// `type base64` of a known_hosts line (without its names and comment).
    static func keyPart(_ line: String) -> String? {
        var fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if fields.first?.hasPrefix("@") == true { return nil }
        guard fields.count >= 3 else { return nil }
        fields.removeFirst()
        return fields[0] + " " + fields[1]
    }

    /// Pinned keys by name (`host`, `[host]:port`), from a known_hosts text.
    static func pinnedKeys(_ text: String) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for line in text.split(separator: "\n").map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let key = keyPart(trimmed),
                  let names = trimmed.split(separator: " ").first else { continue }
            for name in names.split(separator: ",") { out[String(name), default: []].insert(key) }
        }
        return out
    }

    /// OpenSSH's `SHA256:` fingerprint of `type base64`: the key blob's SHA-256, base64 without padding.
    public static func fingerprint(_ key: String) -> String {
        let parts = key.split(separator: " ")
        guard parts.count >= 2, let blob = Data(base64Encoded: String(parts[1])), let digest = SHA2.digest("sha256", blob) else {
            return "SHA256:(unreadable key)"
        }
        var text = Data(digest).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return "SHA256:" + text
    }
}
