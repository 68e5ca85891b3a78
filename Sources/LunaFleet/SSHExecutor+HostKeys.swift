import Foundation

/// The host key one ssh connection was offered, as `ssh` recorded it.
public struct ScannedHostKey: Sendable, Equatable {
    /// The inventory name (or `bastion`).
    public var host: String
    /// The name ssh pins it under: `address`, or `[address]:port` off port 22.
    public var pinnedName: String
    /// The known_hosts lines ssh wrote for it (`[127.0.0.3]:2222 ssh-ed25519 AAAA…`).
    public var lines: [String]
    /// Whether the login user could also log in with the configured key.
    public var loginWorks: Bool
    /// ssh's words when the login did not work.
    public var loginProblem: String?
}

extension SSHExecutor {
    /// The name known_hosts pins a target under, as ssh writes and matches it.
    public static func pinnedName(address: String, port: Int) -> String {
        port == 22 ? address : "[\(address)]:\(port)"
    }

    /// Fetches `target`'s host key with one connection that trusts nothing yet.
    ///
    /// The connection uses `StrictHostKeyChecking=accept-new` against
    /// `options.knownHostsFile` — a scratch file, never the pinned one — so ssh
    /// records the key the host offered in the key exchange, before any
    /// authentication; the caller shows its fingerprint for the operator to
    /// confirm before anything is pinned. Through a bastion (`options.bastion`) the
    /// inner hop checks the bastion strictly against the same scratch file, which
    /// must already hold the bastion's key (scan the bastion first, with
    /// `options.bastion = nil`). The remote command is `true`, so the same
    /// connection also says whether the login works yet.
    ///
    /// - Parameters:
    ///   - target: The host.
    ///   - options: The client, key, scratch known_hosts and bastion.
    ///   - timeout: Limit for the whole connection.
    /// - Returns: The recorded key lines and whether the login works.
    /// - Throws: ``FleetError`` `.unreachable` (or `.hostKeyMismatch` for the bastion hop)
    ///   when no key was recorded, with ssh's words.
    public static func scanHostKey(_ target: SSHTarget, options: SSHOptions, timeout: Duration) throws(FleetError) -> ScannedHostKey {
        let scanner = SSHExecutor(target: target, options: options)
        var argv = [options.sshPath] + (try scanner.sshOptions(for: target, sharing: .alone, hostKeys: "accept-new"))
        if let bastion = options.bastion {
            let inner = [options.sshPath] + (try scanner.sshOptions(for: bastion, sharing: .alone)) + ["-W", "%h:%p", bastion.address]
            argv += ["-o", "ProxyCommand=" + inner.map(RemoteCommand.quote(element:)).joined(separator: " ")]
        }
        argv += ["-T", target.address, "true"]
        let result: CommandResult
        do {
            result = try ProcessRunner.run(argv, environment: clientEnvironment(), timeout: timeout)
        } catch {
            var located = error
            located.host = target.host
            throw located
        }
        let name = pinnedName(address: target.address, port: target.port)
        let text = (try? String(contentsOfFile: options.knownHostsFile, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").map(String.init).filter { line in
            guard let names = line.split(separator: " ").first else { return false }
            return names.split(separator: ",").contains { $0 == name }
        }
        let words = result.stderrText.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("@") && !$0.hasPrefix("Warning: Permanently added") }.suffix(3).joined(separator: " / ")
        guard !lines.isEmpty else {
            let kind: FleetError.Kind = classify(result)?.kind ?? .unreachable
            throw FleetError(kind, "no host key from \(name): " + (result.timedOut ? "timed out" : words.isEmpty ? "ssh exited \(result.exitStatus)" : words),
                             host: target.host)
        }
        let works = result.exitStatus == 0
        return ScannedHostKey(host: target.host, pinnedName: name, lines: lines, loginWorks: works,
                              loginProblem: works ? nil : (words.isEmpty ? "ssh exited \(result.exitStatus)" : words))
    }
}
