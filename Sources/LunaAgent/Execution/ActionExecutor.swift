import LunaConfig
import LunaFleet

extension AgentService {
    /// The executor for what Luna runs on a host as `runas` — approved actions, their
    /// verifications, the model's inspections: the host's transport, wrapped in
    /// `SudoExecutor` when `execution = "sudo"`.
    public func actionExecutor(_ host: HostConfig, runas: String) throws -> any Executor {
        let base = try environment.executor(host, config)
        switch config.execution {
        case .direct: return base
        case .sudo: return SudoExecutor(base, sudoPath: config.sudoPath, runas: runas)
        }
    }

    /// The argv actually spawned for `argv` run as `runas` (what the ledger stores and the log shows).
    public func spawnArgv(_ argv: [String], runas: String) -> [String] {
        switch config.execution {
        case .direct: argv
        case .sudo: SudoExecutor.wrap(argv, sudoPath: config.sudoPath, runas: runas)
        }
    }
}
