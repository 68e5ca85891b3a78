import Foundation
import LunaConfig
import LunaModel

/// The model as every service that talks to it sees it (the planner, the skill
/// refiner): the client for `[llm]`, today's usage against the budget, and how
/// untrusted text is handed to it.
extension AgentService {
    /// Today's model calls and tokens against the daily budget.
    public func modelUsageToday() throws -> ModelUsage {
        try ledger.modelUsage(budget: config.llm?.dailyTokenBudget)
    }

    /// The model client for the `[llm]` section, or nil without one.
    ///
    /// - Throws: `ConfigError` when the key file is unsafe or unreadable.
    public func modelClient(sleep: (@Sendable (Duration) -> Void)? = nil) throws -> ModelClient? {
        guard let llm = config.llm else { return nil }
        let key = try SecretFile.resolve(credential: "llm-key", file: llm.keyFile)
        // The configuration refused unknown providers already; never guess one here.
        guard let format = WireFormat(rawValue: llm.provider) else {
            throw AgentError(.invalid, "unknown [llm] provider \"\(llm.provider)\" in \(config.file)")
        }
        let settings = ModelSettings(format: format, apiBase: llm.apiBase, model: llm.model,
                                     apiKey: key, maxTokens: llm.maxTokens, timeout: .seconds(llm.timeoutSeconds))
        let http = environment.http(16 << 20)
        if let sleep { return ModelClient(settings: settings, http: http, sleep: sleep) }
        return ModelClient(settings: settings, http: http)
    }
}

/// How untrusted text is put in front of the model, and what it must never say back.
enum ModelText {
    /// The recon context is cut at about this many tokens (4 characters each).
    static let contextTokenBudget = 6000
    /// Discord mentions, which model text must never carry onto a card.
    static let mentionPattern = try! NSRegularExpression(pattern: #"@everyone|@here|<@[!&]?[0-9]+>|<#[0-9]+>"#)

    /// Untrusted text as a clearly delimited block the prompts call data, never instructions.
    static func dataBlock(_ name: String, _ text: String) -> String {
        let safe = text.replacingOccurrences(of: "<<<", with: "‹‹‹").replacingOccurrences(of: ">>>", with: "›››")
        return "<<<DATA \(name)>>>\n\(safe)\n<<<END DATA \(name)>>>"
    }
}
