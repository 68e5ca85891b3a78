import Foundation
import LunaConfig
import LunaDrift
import LunaMemory
import LunaModel
import LunaPolicy

/// What every service of the agent works with: the configuration, the state
/// database, the injected side effects and the gate. `Agent` builds it once.
public struct AgentContext: Sendable {
    public let config: LunaConfiguration
    public let ledger: Ledger
    public let environment: AgentEnvironment
    public let gate: Gate

    public init(config: LunaConfiguration, ledger: Ledger, environment: AgentEnvironment, gate: Gate) {
        self.config = config
        self.ledger = ledger
        self.environment = environment
        self.gate = gate
    }
}

/// One job of the agent over the shared context: scanning, gating, planning,
/// execution, recording or curation. Services hold no state of their own (it is
/// all in the ledger and the ops repo), so building one is free.
public protocol AgentService: Sendable {
    var context: AgentContext { get }
}

extension AgentService {
    public var config: LunaConfiguration { context.config }
    public var ledger: Ledger { context.ledger }
    public var environment: AgentEnvironment { context.environment }
    public var gate: Gate { context.gate }
    var references: References { References(directory: config.configsDirectory) }

    /// The memory notes' index (files under the ops repo's `memory/`).
    public var memory: MemoryStore { ledger.memory(directory: config.memoryDirectory) }
    /// The skills' lifecycle in the state database.
    public var skillRegistry: SkillRegistry { ledger.skills }

    /// The ops repo, as the recorder and the curator commit to it.
    public var repo: GitRepository {
        GitRepository(path: config.opsRepo, authorName: config.gitAuthorName, authorEmail: config.gitAuthorEmail,
                      scratchIndex: config.stateDirectory + "/record.index")
    }

    /// A redactor that knows the exact values of the ops repo's gitignored `.env` files.
    public func redactor() -> Redactor { repo.redactor() }
}
