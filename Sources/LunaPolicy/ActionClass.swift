/// How much an action changes a host.
public enum ActionClass: String, Sendable, Codable, Comparable {
    /// Only reads state.
    case readOnly = "read-only"
    /// Changes state in a way that can be undone or is routine.
    case mutating
    /// Deletes, wipes, formats, removes users or rotates/revokes keys: never run as luna.
    case destructive

    var rank: Int { self == .readOnly ? 0 : (self == .mutating ? 1 : 2) }

    /// Orders by severity: read-only < mutating < destructive.
    public static func < (a: ActionClass, b: ActionClass) -> Bool { a.rank < b.rank }
}

/// The class of an argv and why.
public struct Classification: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The class.
    public var actionClass: ActionClass
    /// A sentence a person understands.
    public var reason: String
    /// Whether the classifier knows this program and form. `false` only for the
    /// default "not known to be read-only": such a command needs an approval
    /// unless the operator declared it read-only in the host's reference. The
    /// classifier can only narrow the declared read set, so only a *known*
    /// mutating or destructive form takes a declared command out of it.
    public var known: Bool

    /// Creates a classification.
    ///
    /// - Parameters:
    ///   - actionClass: The class.
    ///   - reason: Why.
    ///   - known: Whether the classifier recognised the program and form (default true).
    public init(actionClass: ActionClass, reason: String, known: Bool = true) {
        self.actionClass = actionClass
        self.reason = reason
        self.known = known
    }

    enum CodingKeys: String, CodingKey { case actionClass, reason, known }

    /// Decodes a classification; one stored before `known` existed counts as known.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        actionClass = try c.decode(ActionClass.self, forKey: .actionClass)
        reason = try c.decode(String.self, forKey: .reason)
        known = try c.decodeIfPresent(Bool.self, forKey: .known) ?? true
    }

    /// `class: reason`.
    public var description: String { "\(actionClass.rawValue): \(reason)" }
}

/// An estate-specific classification rule, checked before the built-in knowledge.
public struct ClassificationRule: Sendable, Codable, Equatable {
    /// Program base name (`rm`) or absolute path (`/usr/local/bin/backup`).
    public var program: String
    /// Arguments that must all be present; one ending in `=` or `*` matches by prefix.
    public var arguments: [String]
    /// The class given when the rule matches.
    public var actionClass: ActionClass
    /// Why, in words.
    public var reason: String

    /// Creates a rule.
    ///
    /// - Parameters:
    ///   - program: Base name or absolute path of the program.
    ///   - arguments: Arguments that must all appear (prefix match when ending in `=` or `*`).
    ///   - actionClass: The resulting class.
    ///   - reason: Why.
    public init(program: String, arguments: [String] = [], actionClass: ActionClass, reason: String) {
        self.program = program
        self.arguments = arguments
        self.actionClass = actionClass
        self.reason = reason
    }

    func matches(_ argv: [String]) -> Bool {
        guard let first = argv.first else { return false }
        let base = first.split(separator: "/").last.map(String.init) ?? first
        guard program.hasPrefix("/") ? first == program : base == program else { return false }
        let rest = argv.dropFirst()
        return arguments.allSatisfy { want in
            if want.hasSuffix("*") { return rest.contains { $0.hasPrefix(String(want.dropLast())) } }
            if want.hasSuffix("=") { return rest.contains { $0.hasPrefix(want) } }
            return rest.contains(want)
        }
    }
}
