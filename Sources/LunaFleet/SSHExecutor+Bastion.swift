import Foundation

extension SSHExecutor {
    /// Makes sure one shared connection to the bastion runs (an OpenSSH master,
    /// kept 60 s after its last use), so the hosts behind it are reached through
    /// it instead of each opening a login of its own on the bastion.
    ///
    /// Call it before fanning out to many hosts: started while 30 connections
    /// race, every one of them would log in to the bastion alone. When a master
    /// already runs this returns at once. It is an optimisation only: when it
    /// fails, each host's `ProxyCommand` connects to the bastion by itself and
    /// reports its own `unreachable` or `hostkey-mismatch`, so nothing is hidden.
    ///
    /// - Parameter timeout: Limit for the whole attempt, connection included.
    /// - Returns: false when no bastion is configured (nothing to do).
    /// - Throws: ``FleetError`` `.unreachable` or `.hostKeyMismatch` when the bastion
    ///   cannot be reached or verified, `.invalidArgument` for unsafe options.
    @discardableResult
    public static func openBastion(_ options: SSHOptions, timeout: Duration) throws(FleetError) -> Bool {
        guard let bastion = options.bastion else { return false }
        let hop = bastionHop(bastion, options)
        // -N: no remote command; -f: background once authenticated. With a master
        // already running, this is a quick client request that starts nothing.
        let commandLine = [options.sshPath] + (try hop.sshOptions(for: bastion, sharing: .bastionMaster)) + ["-N", "-f", bastion.address]
        let result = try ProcessRunner.run(commandLine, environment: clientEnvironment(), timeout: timeout)
        if let failure = classify(result) {
            throw FleetError(failure.kind, "bastion \(bastion.address): " + failure.message, host: bastion.host)
        }
        guard result.exitStatus == 0 else {
            throw FleetError(.unreachable, "bastion \(bastion.address): ssh exited \(result.exitStatus): \(result.stderrText.prefix(300))",
                             host: bastion.host)
        }
        return true
    }

    /// Asks the bastion's shared connection to exit, if one runs (harmless otherwise).
    ///
    /// - Parameter options: The same options ``openBastion(_:timeout:)`` was given.
    public static func closeBastion(_ options: SSHOptions) {
        guard let bastion = options.bastion else { return }
        let hop = bastionHop(bastion, options)
        guard let commandLine = try? hop.sshOptions(for: bastion, sharing: .bastionMaster) + ["-O", "exit", bastion.address]
        else { return }
        _ = try? ProcessRunner.run([options.sshPath] + commandLine, environment: clientEnvironment(), timeout: .seconds(10))
    }

    /// The bastion as a direct target of its own, with the same pinning.
    private static func bastionHop(_ bastion: SSHTarget, _ options: SSHOptions) -> SSHExecutor {
        var direct = options
        direct.bastion = nil
        return SSHExecutor(target: bastion, options: direct)
    }
}
