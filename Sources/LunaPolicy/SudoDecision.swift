/// Where a deciding rule is: file, line and the rule's text.
public struct RuleReference: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The sudoers file (or included file).
    public var file: String
    /// The line of the deciding command.
    public var line: Int
    /// The user specification's text, continuation lines joined.
    public var text: String

    /// `file:line: text`.
    public var description: String { "\(file):\(line): \(text)" }
}

/// sudo's answer for one request, with the rule that decided it.
public struct SudoDecision: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Whether sudo would run the command.
    public var allowed: Bool
    /// The deciding rule (nil when no rule matched).
    public var rule: RuleReference?
    /// The user the command would run as.
    public var runasUser: String
    /// The group the command would run as, if one was asked for.
    public var runasGroup: String?
    /// The effective tags of the deciding rule (NOPASSWD, NOEXEC, …).
    public var tags: [String]
    /// Extra information (why nothing matched, digests not checked here…).
    public var note: String?
    /// Whether the deciding rule names this exact command line (a literal path
    /// and literal arguments; no ALL, wildcard or regex).
    public var exact: Bool

    /// A readable verdict, e.g. `allowed as root by luna-web1:3: luna ALL = …`.
    public var description: String {
        var s = allowed ? "allowed" : "denied"
        s += " as \(runasUser)" + (runasGroup.map { ":\($0)" } ?? "")
        if let rule { s += " by \(rule)" } else { s += " (no rule matches)" }
        if !tags.isEmpty { s += " [\(tags.joined(separator: ", "))]" }
        if let note { s += " — \(note)" }
        return s
    }
}
