import Foundation

/// A skill's state as kept in git: `skills/<name>/stats.json`.
///
/// Uses, successes, failures, suspension and the approve/suspend/retire/restore
/// history are written to the ops repo in the commit that changed them (the
/// outcome commit for a use), so the state database can be rebuilt from the
/// repo like the memory index. The counts belong to one `version` of the
/// procedure, identified by its `fingerprint`: a hand edit of `luna.json`
/// starts a new version with fresh counts (the old ones stay in git history).
public struct SkillStateFile: Sendable, Codable, Equatable {
    /// The file beside `SKILL.md`.
    public static let fileName = "stats.json"
    /// The rejected drafts' fingerprints, one JSON object a line: `skills/.rejected`.
    public static let rejectedFile = ".rejected"
    /// Where a retired skill's folder goes: `skills/.retired/<name>/` (not read as a skill, restorable).
    public static let retiredFolder = ".retired"

    /// The procedure version the counts are for (1, 2 … after each hand edit of `luna.json`).
    public var version: Int
    /// The fingerprint of that version's procedure (check, match, steps).
    public var fingerprint: String
    /// approved, suspended or retired.
    public var status: String
    public var reason: String?
    public var uses: Int
    public var successes: Int
    public var failures: Int
    public var verifyPasses: Int
    public var consecutiveFailures: Int
    public var lastUsed: String?
    public var lastFailure: String?
    /// The hosts it ran on, sorted.
    public var hosts: [String]
    /// The proposal whose use was counted last: a use already in the file (written, then the
    /// recording interrupted) is not counted again when the outcome is recorded after a restart.
    public var lastProposal: Int64?
    public var history: [Event]

    /// One change of the skill's lifecycle.
    public struct Event: Sendable, Codable, Equatable {
        public var at: String
        /// approved, re-enabled, suspended, retired, restored, new-version.
        public var event: String
        public var by: String?
        public var reason: String?
        public var version: Int?

        public init(at: String, event: String, by: String? = nil, reason: String? = nil, version: Int? = nil) {
            self.at = at
            self.event = event
            self.by = by
            self.reason = reason
            self.version = version
        }
    }

    public init(version: Int = 1, fingerprint: String, status: String = "approved", reason: String? = nil, uses: Int = 0,
                successes: Int = 0, failures: Int = 0, verifyPasses: Int = 0, consecutiveFailures: Int = 0,
                lastUsed: String? = nil, lastFailure: String? = nil, hosts: [String] = [], lastProposal: Int64? = nil,
                history: [Event] = []) {
        self.version = version
        self.fingerprint = fingerprint
        self.status = status
        self.reason = reason
        self.uses = uses
        self.successes = successes
        self.failures = failures
        self.verifyPasses = verifyPasses
        self.consecutiveFailures = consecutiveFailures
        self.lastUsed = lastUsed
        self.lastFailure = lastFailure
        self.hosts = hosts
        self.lastProposal = lastProposal
        self.history = history
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.keyEncodingStrategy = .convertToSnakeCase
        return e
    }

    /// The file's text.
    public func encoded() -> String {
        String(decoding: (try? Self.encoder().encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }

    /// Reads the file's bytes.
    public static func decode(_ data: Data) throws -> SkillStateFile {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return try d.decode(SkillStateFile.self, from: data)
    }

    /// The same state with the counts of a new procedure version (the lifecycle status and history stay).
    public func newVersion(fingerprint: String, at: String) -> SkillStateFile {
        var next = SkillStateFile(version: version + 1, fingerprint: fingerprint, status: status, reason: reason, history: history)
        next.history.append(Event(at: at, event: "new-version", reason: "the procedure (luna.json) was edited; the counts start again", version: version + 1))
        return next
    }

    /// One rejected draft: never offered again.
    public struct Rejection: Sendable, Codable, Equatable {
        public var fingerprint: String
        public var name: String
        public var reason: String
        public var at: String

        public init(fingerprint: String, name: String, reason: String, at: String) {
            self.fingerprint = fingerprint
            self.name = name
            self.reason = reason
            self.at = at
        }

        /// One line of `skills/.rejected`.
        public func line() -> String {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self)
        }

        /// Reads one line; nil when it is not a rejection.
        public static func parse(_ line: String) -> Rejection? {
            try? JSONDecoder().decode(Rejection.self, from: Data(line.utf8))
        }
    }

    /// The rejections in a `skills/.rejected` text (unreadable lines are skipped; `luna skills lint` names them).
    public static func rejections(_ text: String) -> [Rejection] {
        text.split(separator: "\n").compactMap { Rejection.parse(String($0)) }
    }

    /// Reads `skills/<name>/stats.json` for every skill folder under `directory`, by name.
    public static func load(directory: String) -> [String: SkillStateFile] {
        var out: [String: SkillStateFile] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where !name.hasPrefix(".") {
            if let data = FileManager.default.contents(atPath: directory + "/\(name)/\(fileName)"), let s = try? decode(data) {
                out[name] = s
            }
        }
        return out
    }
}
