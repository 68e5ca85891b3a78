import Foundation
import Synchronization

/// Replaces secrets with stable placeholders before text leaves the host.
///
/// What counts as a secret, in the order the rules run:
/// - exact values given (from the ops repo's gitignored `.env` files);
/// - private key blocks (PEM, OpenSSH, PGP; a block cut before its END line is
///   redacted to the end of the text) and PuTTY private lines;
/// - HTTP credentials: `Authorization:`/`Proxy-Authorization:` (the scheme —
///   Bearer, Basic, Token, Digest… — stays visible, the credential does not),
///   API-key headers (`X-Api-Key:`, `Api-Key:`, `Private-Token:`…), cookie
///   values (`Cookie:`, `Set-Cookie:`), URL userinfo (`https://user:pass@host`);
/// - command-line passwords: `mysql -pX`, `sshpass -p X`, `redis-cli -a X`,
///   `curl -u user:X`, `htpasswd -b`, `openssl … pass:X`, `--password X`,
///   `--password=X` (and `--token`, `--secret`, `--api-key`…);
/// - token shapes: JWTs, GitHub, GitLab, Slack, Discord bot tokens and webhooks,
///   Anthropic, OpenAI, AWS access key ids (and a secret key beside one), Google
///   API keys and OAuth secrets, Stripe, npm, PyPI, Vault, Hugging Face and
///   other vendor formats, crypt(3) password hashes;
/// - values of secret-named keys in env/YAML/JSON/TOML/INI text (`PASSWORD=`,
///   `db_password: …`, `"SecretAccessKey": "…"`, `PGPASSWORD=`, `MYSQL_PWD=`…),
///   unless the value is plainly not a secret (a boolean, a small number, a
///   path, a `${VAR}` reference, an nsswitch source list). Weakly named keys
///   (`key`, `auth`, `salt`…) are redacted only when the value looks random.
///
/// What is deliberately *not* a secret: sudoers tags (`NOPASSWD:`, `PASSWD:`,
/// `SETENV:`…), keys that only mention a secret (`password_hash_algorithm`,
/// `PasswordAuthentication`, `token_count`, `secretName`), digests, commit
/// hashes and UUIDs. Hiding those would blind the planner.
///
/// One redactor serves one request (or one planning session): the same secret
/// always becomes the same placeholder, `[REDACTED-1]`, `[REDACTED-2]`…, so the
/// model can still see that two places hold the same value.
public final class Redactor: Sendable {
    /// Exact secrets, each with the forms it takes inside JSON text (escaped quotes,
    /// backslashes, slashes, line breaks), longest first; every form maps to the same placeholder.
    let exact: [(form: String, secret: String)]
    let mapping = Mutex<[String: String]>([:])

    /// Creates a redactor.
    ///
    /// - Parameter exactSecrets: Values to replace wherever they occur (values shorter
    ///   than 4 characters, and booleans like `true`, are ignored: they would redact
    ///   ordinary words).
    public init(exactSecrets: [String] = []) {
        let secrets = Set(exactSecrets.filter { $0.count >= 4 && !Self.booleanWords.contains($0.lowercased()) })
        var forms: [(form: String, secret: String)] = []
        for secret in secrets {
            forms.append((secret, secret))
            for escaped in Self.jsonForms(secret) where escaped != secret { forms.append((escaped, secret)) }
        }
        exact = forms.sorted { $0.form.count != $1.form.count ? $0.form.count > $1.form.count : $0.form < $1.form }
    }

    /// How a value looks inside a JSON string (with and without escaped slashes).
    static func jsonForms(_ s: String) -> [String] {
        let basic = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\t", with: "\\t")
        return [basic, basic.replacingOccurrences(of: "/", with: "\\/")]
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
        for (form, secret) in exact where out.contains(form) {
            out = out.replacingOccurrences(of: form, with: placeholder(secret))
        }
        for rule in Self.rules {
            out = apply(rule, to: out)
        }
        return out
    }

    /// One pass of one rule: every range it names is replaced, left to right.
    func apply(_ rule: Rule, to text: String) -> String {
        let ns = text as NSString
        let matches = rule.regex.matches(in: text, range: NSRange(location: 0, length: ns.length))
        guard !matches.isEmpty else { return text }
        var ranges: [NSRange] = []
        for m in matches {
            for r in rule.secrets(m, ns) where r.location != NSNotFound && r.length > 0 {
                let value = ns.substring(with: r)
                if Self.isPlaceholder(value) { continue }
                ranges.append(r)
            }
        }
        guard !ranges.isEmpty else { return text }
        ranges.sort { $0.location < $1.location }
        var result = ""
        var cursor = 0
        for r in ranges where r.location >= cursor {
            result += ns.substring(with: NSRange(location: cursor, length: r.location - cursor))
            result += placeholder(ns.substring(with: r))
            cursor = r.location + r.length
        }
        result += ns.substring(from: cursor)
        return result
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

// MARK: - Rules

extension Redactor {
    /// A pattern and the parts of each match that are secret.
    struct Rule: Sendable {
        /// What the secret is, for a person: "a GitHub token", "the value of a secret-named key".
        let shape: String
        let regex: NSRegularExpression
        let secrets: @Sendable (NSTextCheckingResult, NSString) -> [NSRange]

        /// A rule whose secret is one capture group (0: the whole match).
        init(shape: String, _ pattern: String, group: Int = 0) {
            self.shape = shape
            regex = try! NSRegularExpression(pattern: pattern)
            secrets = { m, _ in [m.range(at: group)] }
        }

        /// A rule that decides from the match and the text which ranges are secret.
        init(shape: String, _ pattern: String, _ secrets: @escaping @Sendable (NSTextCheckingResult, NSString) -> [NSRange]) {
            self.shape = shape
            regex = try! NSRegularExpression(pattern: pattern)
            self.secrets = secrets
        }
    }

    static let placeholderPattern = try! NSRegularExpression(pattern: #"^\[REDACTED-\d+\]$"#)

    static func isPlaceholder(_ s: String) -> Bool {
        s.hasPrefix("[REDACTED-") && placeholderPattern.firstMatch(in: s, range: NSRange(location: 0, length: (s as NSString).length)) != nil
    }

    /// A quoted string or one shell-like word (the value after a flag or a header).
    static let word = #"("[^"\n]*"|'[^'\n]*'|[^\s"'`]+)"#
    /// What separates two arguments: blanks on a command line, `", "` in an argv shown as JSON.
    static let gap = #"(?:\s+|["']\s*,\s*["'])"#

    /// The inside of a quoted value, or the value itself.
    static func unquoted(_ r: NSRange, _ ns: NSString) -> NSRange {
        guard r.location != NSNotFound, r.length >= 2 else { return r }
        let first = ns.character(at: r.location), last = ns.character(at: r.location + r.length - 1)
        if (first == 0x22 || first == 0x27) && first == last { return NSRange(location: r.location + 1, length: r.length - 2) }
        return r
    }

    /// The range when its text is a real value (not a `$VAR`, a flag, a boolean…), else none.
    static func unlessBenign(_ r: NSRange, _ ns: NSString) -> [NSRange] {
        guard r.location != NSNotFound, r.length > 0 else { return [] }
        let value = ns.substring(with: r)
        return isBenign(value) || value.hasPrefix("-") ? [] : [r]
    }

    static let rules: [Rule] = [
        // Private key blocks, to their END line or, when cut, to the end of the text.
        Rule(shape: "a private key block", #"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\z)"#),
        Rule(shape: "a PuTTY private key", #"(?m)^Private-Lines: *\d+\r?\n((?:[A-Za-z0-9+/=]+\r?\n?)+)"#, group: 1),

        // HTTP authorization: the scheme stays, the credential goes. Single-token schemes end at
        // whitespace or a quote; any other scheme (Digest, AWS4-HMAC…) or none: the rest of the value.
        Rule(shape: "an HTTP Authorization credential", #"(?i)(?<![A-Za-z0-9-])(?:proxy-)?authorization["']?\s*[:=]\s*(["']?)(?:(bearer|basic|token|bot|apikey|api-key|key|sso-key|jwt|oauth)\s+([^\s"'\\]+)|(?!(?:bearer|basic|token|bot)\b)([^\r\n]+))"#) { m, ns in
            if m.range(at: 3).location != NSNotFound { return unlessBenign(m.range(at: 3), ns) }
            var r = m.range(at: 4)
            guard r.location != NSNotFound else { return [] }
            // Stop at the closing quote when the value was quoted.
            if m.range(at: 1).length == 1 {
                let q = ns.substring(with: m.range(at: 1))
                let close = ns.range(of: q, options: [], range: r)
                if close.location != NSNotFound { r.length = close.location - r.location }
            }
            let value = ns.substring(with: r).trimmingCharacters(in: .whitespaces)
            // A prose line ("Authorization: required for admins") has no credential in it.
            if value.split(separator: " ").allSatisfy({ $0.allSatisfy(\.isLetter) && $0.count < 16 }) || isBenign(value) { return [] }
            return [r]
        },
        Rule(shape: "a bearer token", #"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{8,})"#, group: 1),
        Rule(shape: "an API-key header", #"(?i)(?<![A-Za-z0-9-])(?:x-api-key|api-key|apikey|x-auth-token|x-access-token|private-token|job-token|deploy-token|x-vault-token|x-goog-api-key|x-amz-security-token|x-gitlab-token|x-csrf-token|x-xsrf-token|ocp-apim-subscription-key|x-functions-key|x-shopify-access-token|x-hub-signature(?:-256)?)["']?\s*:\s*["']?([^\s"'\\,;]+)"#) { m, ns in
            unlessBenign(m.range(at: 1), ns)
        },
        // Cookies: every value of `Cookie:`, the cookie's own value in `Set-Cookie:` (not its attributes).
        Rule(shape: "a cookie value", #"(?im)(?<![A-Za-z0-9-])(set-)?cookie["']?\s*:\s*["']?([^\r\n"']*)"#) { m, ns in
            let body = m.range(at: 2)
            guard body.location != NSNotFound else { return [] }
            let pairs = cookiePair.matches(in: ns as String, range: body)
            let chosen = m.range(at: 1).location != NSNotFound ? Array(pairs.prefix(1)) : pairs
            return chosen.flatMap { unlessBenign($0.range(at: 1), ns) }
        },
        // scheme://user:password@host (the password may itself hold '@'); scheme://TOKEN@host when it looks random.
        Rule(shape: "a password in a URL", #"(?i)\b[a-z][a-z0-9+.-]*://([^\s/?#@:"'<>]*):([^\s/?#"'<>]+)@"#, group: 2),
        Rule(shape: "a token in a URL", #"(?i)\b[a-z][a-z0-9+.-]*://([^\s/?#@:"'<>]{16,})@"#) { m, ns in
            looksRandom(ns.substring(with: m.range(at: 1))) ? [m.range(at: 1)] : []
        },

        // Command-line passwords.
        Rule(shape: "a command-line password (mysql -p)", #"(?<![\w-])(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mysqlslap|mariadb|mariadb-dump|mariadb-admin)\b[^\n|;&]*?"# + gap + #"-p(?=\S)(?!"\s*,)"# + word) { m, ns in
            [unquoted(m.range(at: 1), ns)]
        },
        Rule(shape: "a command-line password (sshpass -p)", #"\bsshpass\b[^\n|;&]*?"# + gap + #"-p(?:\s*|["']\s*,\s*["'])"# + word) { m, ns in [unquoted(m.range(at: 1), ns)] },
        Rule(shape: "a command-line password (redis-cli -a)", #"\bredis-cli\b[^\n|;&]*?"# + gap + #"(?:-a|--pass)"# + gap + word) { m, ns in [unquoted(m.range(at: 1), ns)] },
        Rule(shape: "a command-line password (curl -u)", #"\b(?:curl|wget)\b[^\n|;&]*?\s(?:-u|--user|-U|--proxy-user)\s*["']?[^\s:"']*:([^\s"']+)"#, group: 1),
        Rule(shape: "a command-line password (htpasswd -b)", #"\bhtpasswd\s+-[A-Za-z]*b[A-Za-z]*\s+(?:-\S+\s+)*\S+\s+\S+\s+"# + word) { m, ns in [unquoted(m.range(at: 1), ns)] },
        Rule(shape: "an openssl pass: password", #"(?<![\w-])pass:([^\s"']+)"#, group: 1),
        Rule(shape: "a server password setting", #"(?im)^\s*(?:requirepass|masterauth|bindpw|rootpw)\s+"# + word) { m, ns in unlessBenign(unquoted(m.range(at: 1), ns), ns) },
        Rule(shape: "a .netrc password", #"\b(?:login|machine)\s+\S+\s+password\s+(\S+)"#, group: 1),
        // ~/.pgpass: host:port:database:user:password.
        Rule(shape: "a .pgpass password", #"(?m)^[^:\s#]+:(?:\d{1,5}|\*):[^:\s]+:[^:\s]+:(\S+)$"#, group: 1),
        Rule(shape: "a password option", #"(?i)(?<![\w-])--?(?!no-)(?:[a-z0-9]+[-_.])*(?:password|passwd|pass|passphrase|pwd|token|secret|api[-_]?key|access[-_]?key|secret[-_]?key|private[-_]?key|auth[-_]?token|client[-_]?secret)(?:=|[ \t]+|["']\s*,\s*["'])"# + word) { m, ns in
            unlessBenign(unquoted(m.range(at: 1), ns), ns)
        },

        // Token shapes.
        Rule(shape: "a JWT", #"\beyJ[A-Za-z0-9_-]{8,}\.(?:eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*|[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"#),
        Rule(shape: "an Anthropic API key", #"\bsk-ant-[A-Za-z0-9_-]{16,}"#),
        // OpenAI keys are generated; a host called sk-production-db-01 is not one.
        Rule(shape: "an OpenAI API key", #"\bsk-(?:proj-|svcacct-|admin-)?([A-Za-z0-9_-]{20,})"#) { m, ns in
            looksRandom(ns.substring(with: m.range(at: 1))) ? [m.range] : []
        },
        Rule(shape: "a GitHub token", #"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"#),
        Rule(shape: "a GitLab token", #"\bgl(?:pat|dt|rt|ptt|cbt|oas|soat|ft|imt|agent|ffct|suat|wt)-[A-Za-z0-9_.-]{20,}"#),
        Rule(shape: "a Slack token", #"\bxox[abposer]-[A-Za-z0-9-]{10,}"#),
        Rule(shape: "a Slack app token", #"\bxapp-[0-9]-[A-Za-z0-9-]{10,}"#),
        Rule(shape: "a Slack webhook", #"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9_/-]{8,})"#, group: 1),
        Rule(shape: "a Discord webhook", #"discord(?:app)?\.com/api/webhooks/[0-9]+/([A-Za-z0-9_-]{20,})"#, group: 1),
        Rule(shape: "a Discord bot token", #"(?<![A-Za-z0-9_.-])[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}(?![A-Za-z0-9_-])"#),
        // An AWS secret key beside its access key id (credentials CSV, `id:secret`), then the id itself.
        Rule(shape: "an AWS secret access key", #"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b[\s,:;="'|]+([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"#, group: 1),
        Rule(shape: "an AWS access key id", #"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"#),
        Rule(shape: "a Google API key", #"\bAIza[0-9A-Za-z_-]{35}"#),
        Rule(shape: "a Google OAuth client secret", #"\bGOCSPX-[A-Za-z0-9_-]{20,}"#),
        Rule(shape: "a Google OAuth access token", #"\bya29\.[A-Za-z0-9_-]{20,}"#),
        Rule(shape: "a Google OAuth refresh token", #"(?<![A-Za-z0-9/])1//0[A-Za-z0-9_-]{30,}"#),
        Rule(shape: "a Stripe key", #"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"#),
        Rule(shape: "a webhook signing secret", #"\bwhsec_[A-Za-z0-9]{20,}"#),
        Rule(shape: "an npm token", #"\bnpm_[A-Za-z0-9]{36}\b"#),
        Rule(shape: "a PyPI token", #"\bpypi-AgE[A-Za-z0-9_-]{50,}"#),
        Rule(shape: "a Vault token", #"\bhv[sbr]\.[A-Za-z0-9_-]{20,}"#),
        Rule(shape: "a Hugging Face token", #"\bhf_[A-Za-z0-9]{30,}"#),
        Rule(shape: "a DigitalOcean token", #"\bdo[por]_v1_[a-f0-9]{64}\b"#),
        Rule(shape: "a SendGrid key", #"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"#),
        Rule(shape: "an age secret key", #"\bAGE-SECRET-KEY-1[0-9A-Z]{50,}"#),
        // crypt(3) hashes (shadow, htpasswd): crackable, so secret.
        Rule(shape: "a crypt(3) password hash", #"\$(?:1|2[abxy]?|5|6|y|gy|7|md5|apr1|argon2(?:id|i|d))\$[A-Za-z0-9./+=$,]{16,}"#),

        // Values of secret-named keys: XML elements (Maven settings.xml, Jenkins) and key-value text.
        Rule(shape: "a secret-named XML element", #"<(?:[A-Za-z_][\w-]*:)?([A-Za-z_][\w.-]*)>([^<\n]{1,500})</(?:[A-Za-z_][\w-]*:)?\1>"#) { m, ns in
            let range = m.range(at: 2)
            switch keyKind(ns.substring(with: m.range(at: 1))) {
            case .strong: return unlessBenign(range, ns)
            case .weak: return looksRandom(ns.substring(with: range)) ? [range] : []
            case nil: return []
            }
        },
        Rule(shape: "the value of a secret-named key", #"(?<![A-Za-z0-9_.])(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\1[ \t]*(=>|=|:)[ \t]*"#) { m, ns in
            keyedValue(m, ns)
        },
    ]

    static let cookiePair = try! NSRegularExpression(pattern: #"[^=;,\s]+=([^;\s]*)"#)
}

// MARK: - Secret-named keys

extension Redactor {
    enum KeyKind { case strong, weak }

    /// Words that name a secret when they end a key (`db_password`, `SessionToken`).
    static let strongWords: Set<String> = ["password", "passwd", "passphrase", "pass", "pwd", "pw", "secret", "token",
                                           "apikey", "credential", "credentials", "psk", "privatekey", "secretkey", "accesskey",
                                           "authtoken"]
    /// Word pairs that name a secret when they end a key (`api_key`, `SecretAccessKey`).
    static let strongPairs: Set<String> = ["apikey", "accesskey", "privatekey", "secretkey", "signingkey", "encryptionkey",
                                           "masterkey", "sessionkey", "accountkey", "sharedkey", "clientkey", "appkey",
                                           "authkey", "webhookkey", "licensekey", "deploykey", "storagekey", "subscriptionkey"]
    /// Words that may name a secret; their values are redacted only when they look random.
    static let weakWords: Set<String> = ["key", "auth", "salt", "session", "sid", "signature", "hmac", "nonce", "seed", "dsn", "otp", "pin"]
    /// Trailing words that still describe the secret itself (`password_hash`, `token_b64`).
    static let qualifiers: Set<String> = ["value", "b64", "base64", "hex", "enc", "encrypted", "raw", "plain", "plaintext", "hash", "str", "string",
                                          "data", "base"]
    /// Words that make a key worth a closer look wherever they stand (`secret_key_id`, `token_hmac_x`).
    static let mentionWords: Set<String> = ["password", "passwd", "passphrase", "secret", "token", "apikey", "credential", "credentials"]
    /// Run-together words that end like a secret but are not one.
    static let notSecretWords: Set<String> = ["nopasswd", "bypass", "compass", "trespass", "overpass", "underpass", "surpass", "cwd"]
    /// sudoers tags: `NOPASSWD:` and friends qualify commands, they hold no value.
    static let sudoersTags: Set<String> = ["PASSWD", "NOPASSWD", "SETENV", "NOSETENV", "EXEC", "NOEXEC", "FOLLOW", "NOFOLLOW",
                                           "LOG_INPUT", "NOLOG_INPUT", "LOG_OUTPUT", "NOLOG_OUTPUT", "MAIL", "NOMAIL",
                                           "INTERCEPT", "NOINTERCEPT"]

    /// How secret a key's name is, or nil when it names something else (`token_count`, `PasswordAuthentication`).
    static func keyKind(_ key: String) -> KeyKind? {
        var words = keyWords(key)
        while let last = words.last, qualifiers.contains(last) || last.allSatisfy(\.isNumber) { words.removeLast() }
        guard let last = words.last, !notSecretWords.contains(last) else { return nil }
        let previous = words.count >= 2 ? words[words.count - 2] : nil
        if let previous, previous == "public" || previous == "pub" { return nil }
        if let previous, strongPairs.contains(previous + last) { return .strong }
        if strongWords.contains(last) { return .strong }
        // Run-together names: DBPASSWORD, pgpassword, mysqlpwd, authtoken.
        for w in ["password", "passwd", "passphrase", "secret", "token", "apikey", "pwd"] where last.count > w.count && last.hasSuffix(w) {
            return .strong
        }
        if weakWords.contains(last) { return .weak }
        // A key that mentions a secret but ends in another word: only a generated-looking value.
        if words.contains(where: { w in mentionWords.contains(w) }) { return .weak }
        return nil
    }

    /// What may stand before a key at the start of its line: indentation, a YAML list dash, `export`.
    static let lineStartPrefix = try! NSRegularExpression(pattern: #"^\s*(?:-\s+|export\s+|set\s+|\[\s*)?$"#)

    static let wordPattern = try! NSRegularExpression(pattern: #"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+"#)

    /// The lower-cased words of a key: `SecretAccessKey` → secret, access, key; `db_password` → db, password.
    static func keyWords(_ key: String) -> [String] {
        let ns = key as NSString
        return wordPattern.matches(in: key, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range).lowercased() }
    }

    /// The value's range after `key=`/`key: `, when the key names a secret and the value is one.
    static func keyedValue(_ m: NSTextCheckingResult, _ ns: NSString) -> [NSRange] {
        let key = ns.substring(with: m.range(at: 2))
        let separator = ns.substring(with: m.range(at: 3))
        if separator == ":" && sudoersTags.contains(key) { return [] }
        guard let kind = keyKind(key) else { return [] }
        let start = m.range.location + m.range.length
        guard start < ns.length else { return [] }

        // What precedes the key on its line: at a line start (YAML, INI, TOML, .env) the value is the rest of the line.
        let lineStart = ns.lineRange(for: NSRange(location: m.range.location, length: 0)).location
        let before = ns.substring(with: NSRange(location: lineStart, length: m.range.location - lineStart))
        let atLineStart = lineStartPrefix.firstMatch(in: before, range: NSRange(location: 0, length: (before as NSString).length)) != nil
        let spaced = ns.substring(with: m.range).contains(" ") || ns.substring(with: m.range).contains("\t")

        var r: NSRange
        var quoted = false
        let c = ns.character(at: start)
        if c == 0x22 || c == 0x27 {
            // A quoted value, to the matching unescaped quote on the same line.
            var i = start + 1
            while i < ns.length {
                let ch = ns.character(at: i)
                if ch == 0x0A { break }
                if ch == 0x5C && c == 0x22 { i += 2; continue }
                if ch == c { break }
                i += 1
            }
            r = NSRange(location: start + 1, length: min(i, ns.length) - start - 1)
            quoted = true
        } else if atLineStart && (separator == ":" || spaced) {
            let line = ns.lineRange(for: NSRange(location: start, length: 0))
            var end = line.location + line.length
            while end > start, let u = UnicodeScalar(ns.character(at: end - 1)), CharacterSet.whitespacesAndNewlines.contains(u) { end -= 1 }
            r = NSRange(location: start, length: end - start)
            // An inline comment or a JSON/TOML trailing comma is not part of the value.
            let text = ns.substring(with: r)
            if let comment = text.range(of: #"\s+[#;].*$"#, options: .regularExpression) {
                r.length = (text[..<comment.lowerBound] as Substring).utf16.count
            }
            while r.length > 0, ns.character(at: r.location + r.length - 1) == 0x2C { r.length -= 1 }
        } else {
            var end = start
            while end < ns.length, let u = UnicodeScalar(ns.character(at: end)),
                  !CharacterSet.whitespacesAndNewlines.contains(u), !"\"',;&<>`|".unicodeScalars.contains(u) { end += 1 }
            r = NSRange(location: start, length: end - start)
            while r.length > 0, ")]}".utf16.contains(ns.character(at: r.location + r.length - 1)) { r.length -= 1 }
        }
        guard r.length > 0 else { return [] }
        let value = ns.substring(with: r)
        if isBenign(value) || value.hasPrefix("[REDACTED-") { return [] }
        switch kind {
        case .weak:
            return looksRandom(value) ? [r] : []
        case .strong:
            // Mid-line `password: word` is usually prose; a value with a digit, a symbol or inner capitals is not.
            if !quoted && !atLineStart && separator == ":" && value.range(of: #"^[A-Za-z][a-z]*$"#, options: .regularExpression) != nil { return [] }
            return [r]
        }
    }
}

// MARK: - What a value is

extension Redactor {
    static let booleanWords: Set<String> = ["true", "false", "yes", "no", "on", "off", "none", "null", "nil", "undefined"]
    /// Values of secret-named keys that are settings, not secrets (nsswitch sources, algorithms, modes).
    static let settingWords: Set<String> = booleanWords.union([
        "empty", "required", "optional", "disabled", "enabled", "disable", "enable", "prompt", "default", "auto", "any", "all",
        "never", "always", "ask", "unset", "files", "systemd", "compat", "sss", "ldap", "nis", "nisplus", "winbind", "db", "dns",
        "mdns", "mdns4", "mdns4_minimal", "hesiod", "myhostname", "resolve", "altfiles", "cache", "extrausers", "mymachines",
        "bcrypt", "scrypt", "argon2", "argon2id", "pbkdf2", "sha256", "sha512", "md5", "yescrypt", "plain", "redacted",
        "[notfound=return]", "[success=merge]", "[!unavail=return]", "[unavail=return]",
    ])

    /// A value that is plainly not a secret: empty, a boolean or setting word, a small number,
    /// a path, a variable reference or template, a mask, or an earlier placeholder.
    static func isBenign(_ raw: String) -> Bool {
        let v = raw.trimmingCharacters(in: .whitespaces)
        if v.isEmpty || isPlaceholder(v) { return true }
        if v.split(separator: " ").allSatisfy({ settingWords.contains($0.lowercased()) }) { return true }
        let range = NSRange(location: 0, length: (v as NSString).length)
        if benignPatterns.contains(where: { $0.firstMatch(in: v, range: range) != nil }) { return true }
        return isPath(v)
    }

    static let benignPatterns: [NSRegularExpression] = [
        #"^-?\d{1,6}(\.\d+)?[smhdwkKMGB%]?$"#,                       // 12, 30s, 1.5
        #"^\$\{?[A-Za-z_][A-Za-z0-9_]*(:?[-=?][^}]*)?\}?$"#,           // $VAR, ${VAR:-x}
        #"^\$\{\{.*\}\}$|^\{\{.*\}\}$|^\{%.*%\}$|^%\(.*\)s$|^%[A-Za-z_]+%$"#, // templates
        #"^<[^<>]*>$"#,                                                // <password>
        #"^(\*+|x{3,}|X{3,}|\.\.\.|…)$"#,                              // masks
        #"^(env|file|fd|stdin):"#,                                     // openssl-style indirection
        #"^!vault\b"#,                                                 // ansible-vault
    ].map { try! NSRegularExpression(pattern: $0) }

    /// `/run/secrets/db`, `~/.pgpass`, `./key.pem`: a file name, not its content.
    static func isPath(_ v: String) -> Bool {
        guard v.hasPrefix("/") || v.hasPrefix("~/") || v.hasPrefix("./") || v.hasPrefix("../") else { return false }
        guard v.range(of: #"^[~.]{0,2}/[A-Za-z0-9._@%/-]*$"#, options: .regularExpression) != nil else { return false }
        // A generated value that happens to start with '/' has a random-looking segment; a path does not.
        return !v.split(separator: "/").contains { looksRandom(String($0)) }
    }

    /// Long and varied enough to be generated: what a weakly named key's value must be to count as secret.
    ///
    /// Generated values (hex, base64, random alphanumerics) switch between lower case,
    /// upper case and digits all the time; identifiers (`ssh_host_ed25519_key`,
    /// `web-tls-2024`) are words and numbers joined by separators and rarely switch.
    static func looksRandom(_ v: String) -> Bool {
        guard v.count >= 12, !v.contains(" "), entropy(v) >= 3.0 else { return false }
        func kind(_ c: Character) -> Int { c.isLowercase ? 1 : c.isUppercase ? 2 : c.isNumber ? 3 : 0 }
        var switches = 0
        var previous = 0
        for c in v {
            let k = kind(c)
            if k != 0 && previous != 0 && k != previous { switches += 1 }
            previous = k
        }
        return switches >= max(3, v.count / 8)
    }

    /// Shannon entropy in bits per character.
    static func entropy(_ s: String) -> Double {
        var counts: [Character: Int] = [:]
        for c in s { counts[c, default: 0] += 1 }
        let n = Double(s.count)
        return counts.values.reduce(0) { acc, k in
            let p = Double(k) / n
            return acc - p * log2(p)
        }
    }
}
