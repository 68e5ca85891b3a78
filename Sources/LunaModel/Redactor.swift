import Foundation
import Synchronization

/// Replaces secrets with stable placeholders before text leaves the host.
///
/// What counts as a secret: exact values given (from the ops repo's gitignored
/// `.env` files), private key blocks, values of secret-looking keys in
/// env-style assignments (`PASSWORD=`, `TOKEN=`, `SECRET`, `API_KEY`…), bearer
/// tokens, common API-token formats (OpenAI/Anthropic `sk-`, GitHub, GitLab,
/// Slack, AWS access keys, Google API keys, JWTs) and passwords in URLs.
///
/// One redactor serves one request (or one planning session): the same secret
/// always becomes the same placeholder, `[REDACTED-1]`, `[REDACTED-2]`…, so the
/// model can still see that two places hold the same value.
public final class Redactor: Sendable {
    let exact: [String]
    let mapping = Mutex<[String: String]>([:])

    /// Secret-looking key names in assignments (case-insensitive, as part of the key).
    static let keyWords = "PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH"

    static let patterns: [(NSRegularExpression, Int)] = {
        let specs: [(String, Int)] = [
            // A whole private key block.
            (#"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----"#, 0),
            // KEY=value, KEY: value, "key": "value" where the key looks secret; group 2 is the value.
            (#"(?i)([A-Za-z0-9_.-]*(?:\#(keyWords))[A-Za-z0-9_.-]*"?\s*[=:]\s*)("[^"\n]*"|'[^'\n]*'|[^\s"',;&]+)"#, 2),
            // Authorization: Bearer …
            (#"(?i)(\bbearer\s+)([A-Za-z0-9._~+/=-]{8,})"#, 2),
            // scheme://user:password@host
            (#"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)(@)"#, 2),
            // Token formats.
            (#"\bsk-(?:ant-)?[A-Za-z0-9_-]{16,}"#, 0),
            (#"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"#, 0),
            (#"\bglpat-[A-Za-z0-9_-]{20,}"#, 0),
            (#"\bxox[abprs]-[A-Za-z0-9-]{10,}"#, 0),
            (#"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"#, 0),
            (#"\bAIza[0-9A-Za-z_-]{35}"#, 0),
            (#"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"#, 0),
        ]
        return specs.map { (try! NSRegularExpression(pattern: $0.0), $0.1) }
    }()

    /// Creates a redactor.
    ///
    /// - Parameter exactSecrets: Values to replace wherever they occur (values shorter
    ///   than 4 characters are ignored: they would redact ordinary words).
    public init(exactSecrets: [String] = []) {
        exact = Array(Set(exactSecrets.filter { $0.count >= 4 })).sorted { $0.count > $1.count }
    }

    /// The placeholder for a secret, the same one each time.
    func placeholder(_ secret: String) -> String {
        mapping.withLock { map in
            if let p = map[secret] { return p }
            let p = "[REDACTED-\(map.count + 1)]"
            map[secret] = p
            return p
        }
    }

    /// How many distinct secrets were replaced so far.
    public var count: Int { mapping.withLock { $0.count } }

    /// The text with every secret replaced by its placeholder.
    public func redact(_ text: String) -> String {
        var out = text
        for secret in exact where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: placeholder(secret))
        }
        for (regex, group) in Self.patterns {
            let ns = out as NSString
            let matches = regex.matches(in: out, range: NSRange(location: 0, length: ns.length))
            guard !matches.isEmpty else { continue }
            var result = ""
            var cursor = 0
            for m in matches {
                let r = m.range(at: group)
                guard r.location != NSNotFound else { continue }
                let secret = ns.substring(with: r)
                if secret.hasPrefix("[REDACTED-") || secret.count < 4 { continue }
                result += ns.substring(with: NSRange(location: cursor, length: r.location - cursor))
                result += placeholder(secret)
                cursor = r.location + r.length
            }
            result += ns.substring(from: cursor)
            out = result
        }
        return out
    }

    /// The values of `KEY=VALUE` lines in an env file (quotes removed; `export` allowed).
    public static func envValues(_ text: String) -> [String] {
        var values: [String] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || line.isEmpty { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)) }
            guard let eq = line.firstIndex(of: "=") else { continue }
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let f = value.first, f == "\"" || f == "'", value.last == f {
                value = String(value.dropFirst().dropLast())
            }
            if !value.isEmpty { values.append(value) }
        }
        return values
    }
}
