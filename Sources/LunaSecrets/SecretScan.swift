import Foundation

/// A secret-shaped value found in a file: where, and what shape — never the value.
public struct SecretFinding: Sendable, Equatable, Codable {
    /// The file as the caller named it (repo-relative for the ops repo).
    public var file: String
    /// 1-based.
    public var line: Int
    /// 1-based, in UTF-16 code units (what editors count for ASCII lines).
    public var column: Int
    /// The Redactor's name for the shape: "a GitHub token", "the value of a secret-named key".
    public var shape: String
    /// The key whose value it is (`DB_PASSWORD`), when the shape is a keyed value.
    public var key: String?

    public init(file: String, line: Int, column: Int, shape: String, key: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.shape = shape
        self.key = key
    }

    /// `FILE:LINE: SHAPE` or `FILE:LINE: KEY: SHAPE`.
    public var description: String {
        "\(file):\(line): " + (key.map { "\($0): " } ?? "") + shape
    }
}

extension Redactor {
    static let keyedShape = "the value of a secret-named key"
    static let xmlShape = "a secret-named XML element"

    /// Where `text` holds values the Redactor's shapes call secret, in text order.
    ///
    /// The same rules as ``redact(_:)``, without the exact values (a scan knows
    /// only shapes): each match is reported once, at the first rule that names it,
    /// and a value already replaced by a placeholder (`[REDACTED-1]`) is not a secret.
    /// Digests, commit hashes, UUIDs and sudoers tags are not shapes, as in `redact`.
    ///
    /// - Parameters:
    ///   - text: The file's content.
    ///   - file: The name the findings carry.
    /// - Returns: One finding per secret-shaped value.
    public static func findSecrets(in text: String, file: String) -> [SecretFinding] {
        let ns = text as NSString
        var taken: [NSRange] = []
        var found: [(NSRange, String, String?)] = []
        for rule in rules {
            for m in rule.regex.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                for r in rule.secrets(m, ns) where r.location != NSNotFound && r.length > 0 {
                    if isPlaceholder(ns.substring(with: r)) { continue }
                    if taken.contains(where: { NSIntersectionRange($0, r).length > 0 }) { continue }
                    taken.append(r)
                    var key: String? = nil
                    let group = rule.shape == keyedShape ? 2 : rule.shape == xmlShape ? 1 : 0
                    if group > 0, m.range(at: group).location != NSNotFound { key = ns.substring(with: m.range(at: group)) }
                    found.append((r, rule.shape, key))
                }
            }
        }
        // Line starts, in UTF-16 offsets.
        var starts: [Int] = [0]
        for i in 0..<ns.length where ns.character(at: i) == 0x0A { starts.append(i + 1) }
        return found.sorted { $0.0.location < $1.0.location }.map { r, shape, key in
            var low = 0, high = starts.count - 1
            while low < high {
                let mid = (low + high + 1) / 2
                if starts[mid] <= r.location { low = mid } else { high = mid - 1 }
            }
            return SecretFinding(file: file, line: low + 1, column: r.location - starts[low] + 1, shape: shape, key: key)
        }
    }
}
