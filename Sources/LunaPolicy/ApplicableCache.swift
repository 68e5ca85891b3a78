import Synchronization

/// One command entry whose user, host and runas lists matched a context.
/// A class so that walking the cached list costs one retain per entry.
final class ApplicableEntry: Sendable {
    let spec: CmndSpec
    let text: String
    let runasUser: String
    let compiled: CompiledCommand
    /// Whether the user, host and runas lists match for certain (not only
    /// under some value of a fact Luna does not know).
    let certain: Bool

    init(spec: CmndSpec, text: String, runasUser: String, compiled: CompiledCommand, certain: Bool) {
        self.certain = certain
        self.spec = spec
        self.text = text
        self.runasUser = runasUser
        self.compiled = compiled
    }
}

/// A bounded memo of the entries that apply to a (user, groups, host, runas)
/// context, in evaluation order (last entry first).
final class ApplicableCache: Sendable {
    private let table = Mutex<[String: [ApplicableEntry]]>([:])

    func entries(for key: String, compute: () -> [ApplicableEntry]) -> [ApplicableEntry] {
        if let hit = table.withLock({ $0[key] }) { return hit }
        let value = compute()
        table.withLock {
            if $0.count >= 256 { $0.removeAll(keepingCapacity: true) }
            $0[key] = value
        }
        return value
    }
}
