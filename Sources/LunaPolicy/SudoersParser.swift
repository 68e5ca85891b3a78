import Foundation

/// A hand-written parser for the sudoers grammar (the subset sudo 1.9 accepts
/// in files of this kind), following sudo's lexer rules for words, paths,
/// arguments, regular expressions, quoting and line continuation.
struct SudoersParser {
    var bytes: [UInt8]
    var i = 0
    var line = 1
    var lineStart = 0
    let file: String
    /// Include handling: called with a resolved path and whether it is a
    /// directory; returns the entries parsed from there.
    let include: (String, Bool) throws(SudoersError) -> SudoersParser.Pieces

    /// What one file (and its includes) contributes.
    struct Pieces {
        var userSpecs: [UserSpec] = []
        var aliases: [AliasDefinition] = []
        var defaults: [DefaultEntry] = []
    }

    var userSpecs: [UserSpec] = []
    var aliases: [AliasDefinition] = []
    var defaults: [DefaultEntry] = []

    init(text: String, file: String,
         include: @escaping (String, Bool) throws(SudoersError) -> SudoersParser.Pieces) {
        self.bytes = Array(text.utf8)
        self.file = file
        self.include = include
    }

    // MARK: - Scanning helpers

    var column: Int { i - lineStart + 1 }
    func peek(_ offset: Int = 0) -> UInt8? {
        i + offset < bytes.count ? bytes[i + offset] : nil
    }
    var atEnd: Bool { i >= bytes.count }

    static func isBlank(_ c: UInt8?) -> Bool { c == 0x20 || c == 0x09 }

    func error(_ message: String) -> SudoersError {
        SudoersError(file: file, line: line, column: column, message: message)
    }

    func found() -> String {
        guard let c = peek() else { return "end of file" }
        if c == 0x0A || c == 0x0D { return "end of line" }
        var j = i
        while j < bytes.count, j - i < 20, bytes[j] != 0x0A, bytes[j] != 0x20, bytes[j] != 0x09 { j += 1 }
        return "'" + String(decoding: bytes[i..<max(j, i + 1)], as: UTF8.self) + "'"
    }

    /// A line continuation at `i`: backslash, blanks, newline. Returns its length.
    func continuationLength(at k: Int) -> Int? {
        guard k < bytes.count, bytes[k] == 0x5C else { return nil }
        var j = k + 1
        while j < bytes.count, Self.isBlank(bytes[j]) { j += 1 }
        if j < bytes.count, bytes[j] == 0x0D { j += 1 }
        if j < bytes.count, bytes[j] == 0x0A { return j + 1 - k }
        return nil
    }

    /// Whether the backslash at `k` has only blanks (and at most one line
    /// break) after it up to the end of the file: sudo rejects such a file.
    func danglingBackslash(at k: Int) -> Bool {
        var j = k + 1
        while j < bytes.count, Self.isBlank(bytes[j]) || bytes[j] == 0x0D { j += 1 }
        if j < bytes.count, bytes[j] == 0x0A { j += 1 }
        return j >= bytes.count
    }

    /// Skips blanks and line continuations; returns whether anything was skipped.
    @discardableResult
    mutating func skipBlanks() -> Bool {
        var skipped = false
        while let c = peek() {
            if Self.isBlank(c) { i += 1; skipped = true; continue }
            if let n = continuationLength(at: i) {
                i += n; line += 1; lineStart = i; skipped = true; continue
            }
            break
        }
        return skipped
    }

    /// Consumes the newline (or EOF) that ends an entry, or throws.
    mutating func expectEndOfLine(_ what: String) throws(SudoersError) {
        skipBlanks()
        guard let c = peek() else { return }
        if c == 0x0D, peek(1) == 0x0A { i += 1 }
        if peek() == 0x0A { i += 1; line += 1; lineStart = i; return }
        if peek() == 0x23, !isIDStart(at: i) { skipComment(); return }
        throw error("expected \(what), found \(found())")
    }

    /// Whether the byte at `k` is inside a `#` comment on its line.
    func backslashInComment(at k: Int) -> Bool {
        var j = k
        while j > 0, bytes[j - 1] != 0x0A { j -= 1 }
        var quoted = false
        while j < k {
            if bytes[j] == 0x22 { quoted.toggle() }
            if bytes[j] == 0x5C { j += 2; continue }
            if bytes[j] == 0x23, !quoted, !isIDStart(at: j) { return true }
            j += 1
        }
        return false
    }

    mutating func skipComment() {
        while let c = peek(), c != 0x0A { i += 1 }
        if peek() == 0x0A { i += 1; line += 1; lineStart = i }
    }

    func isIDStart(at k: Int) -> Bool {
        guard k < bytes.count, bytes[k] == 0x23 else { return false }
        var j = k + 1
        if j < bytes.count, bytes[j] == 0x2D { j += 1 }
        return j < bytes.count && bytes[j] >= 0x30 && bytes[j] <= 0x39
    }

    func lookingAt(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard i + u.count <= bytes.count else { return false }
        return Array(bytes[i..<i + u.count]) == u
    }

    static func isUpper(_ c: UInt8) -> Bool { c >= 0x41 && c <= 0x5A }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    /// Upper-case words sudo's lexer reads as keywords, so they cannot name an alias.
    static let reservedWords: Set<String> = ["ALL", "TIMEOUT", "NOTBEFORE", "NOTAFTER", "CWD", "CHROOT", "ROLE", "TYPE"]

    static func isAliasName(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard let f = u.first, isUpper(f) else { return false }
        return u.allSatisfy { isUpper($0) || isDigit($0) || $0 == 0x5F }
    }

    // MARK: - Entries

    mutating func parseFile() throws(SudoersError) {
        if let k = bytes.lastIndex(where: { !Self.isBlank($0) && $0 != 0x0A && $0 != 0x0D }), bytes[k] == 0x5C,
           danglingBackslash(at: k), !backslashInComment(at: k) {
            var line = 1, start = 0
            for (n, b) in bytes[..<k].enumerated() where b == 0x0A { line += 1; start = n + 1 }
            throw SudoersError(file: file, line: line, column: k - start + 1,
                               message: "a backslash at the end of the file continues into nothing (sudo rejects the file)")
        }
        while true {
            skipBlanks()
            guard let c = peek() else { return }
            if c == 0x0A { i += 1; line += 1; lineStart = i; continue }
            if c == 0x0D, peek(1) == 0x0A { i += 2; line += 1; lineStart = i; continue }
            if c == 0x23 { // '#'
                if lookingAt("#includedir"), Self.isBlank(peek(11)) {
                    i += 11; try parseInclude(isDirectory: true); continue
                }
                if lookingAt("#include"), Self.isBlank(peek(8)) {
                    i += 8; try parseInclude(isDirectory: false); continue
                }
                if !isIDStart(at: i) { skipComment(); continue }
            }
            if lookingAt("@includedir") { i += 11; try parseInclude(isDirectory: true); continue }
            if lookingAt("@include") { i += 8; try parseInclude(isDirectory: false); continue }
            if lookingAt("Defaults") {
                let next = peek(8)
                if next == nil || next == 0x0A || Self.isBlank(next) || [0x3A, 0x40, 0x3E, 0x21].contains(next!) {
                    i += 8; try parseDefaults(); continue
                }
            }
            var aliasMatched = false
            for (prefix, kind) in [("User_Alias", AliasKind.user), ("Runas_Alias", .runas),
                                   ("Host_Alias", .host), ("Cmnd_Alias", .command), ("Cmd_Alias", .command)]
            where lookingAt(prefix) {
                i += prefix.utf8.count
                try parseAliases(kind)
                aliasMatched = true
                break
            }
            if aliasMatched { continue }
            try parseUserSpec()
        }
    }

    mutating func parseInclude(isDirectory: Bool) throws(SudoersError) {
        guard skipBlanks() else { throw error("expected a file name after the include directive") }
        var path = ""
        if peek() == 0x22 {
            path = try readQuoted()
        } else {
            var out: [UInt8] = []
            while let c = peek(), c != 0x0A, c != 0x0D {
                if Self.isBlank(c) { break }
                if c == 0x5C, let n = peek(1), Self.isBlank(n) { out.append(n); i += 2; continue }
                out.append(c); i += 1
            }
            path = String(decoding: out, as: UTF8.self)
        }
        if path.isEmpty { throw error("expected a file name after the include directive") }
        let includeLine = line, includeColumn = column
        try expectEndOfLine("end of line after the include path")
        var resolved = path
        if !path.hasPrefix("/") {
            if let slash = file.lastIndex(of: "/") {
                resolved = String(file[...slash]) + path
            }
        }
        do throws(SudoersError) {
            let pieces = try include(resolved, isDirectory)
            userSpecs += pieces.userSpecs
            for a in pieces.aliases {
                if aliases.contains(where: { $0.kind == a.kind && $0.name == a.name }) {
                    throw SudoersError(file: a.file, line: a.line, column: 1, message: "duplicate \(a.kind.rawValue) \(a.name)")
                }
                aliases.append(a)
            }
            defaults += pieces.defaults
        } catch {
            if error.line == 0 {
                throw SudoersError(file: file, line: includeLine, column: includeColumn, message: error.message)
            }
            throw error
        }
    }

    /// Reads a double-quoted string starting at `"`; backslash-quote stays an escape.
    mutating func readQuoted() throws(SudoersError) -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard let c = peek() else { throw error("unterminated string") }
            if c == 0x0A || c == 0x0D { throw error("unexpected line break in string") }
            if let n = continuationLength(at: i) { i += n; line += 1; lineStart = i; continue }
            if c == 0x22 { i += 1; break }
            if c == 0x5C, peek(1) == 0x22 { out.append(0x22); i += 2; continue }
            out.append(c); i += 1
        }
        if out.isEmpty { throw error("empty string") }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Words and members

    static let wordStop: Set<UInt8> = Set("#>!=:,() \t\r\n\\\"".utf8)

    /// Reads a WORD (unescaping `\x`, `\xHH`); empty when none.
    mutating func readWord(allowHash: Bool = false) -> String {
        var out: [UInt8] = []
        while let c = peek() {
            if c == 0x5C {
                if continuationLength(at: i) != nil { break }
                guard let n = peek(1), n != 0x0A, n != 0x09 else { break }
                out.append(n); i += 2; continue
            }
            if c == 0x23 && allowHash && out.isEmpty { out.append(c); i += 1; continue }
            if Self.wordStop.contains(c) { break }
            out.append(c); i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads `!`… then one member of a user, host or runas list.
    mutating func readMember(context: String) throws(SudoersError) -> Member {
        var negated = false
        while true {
            skipBlanks()
            guard peek() == 0x21 else { break }
            negated.toggle(); i += 1
        }
        skipBlanks()
        guard let c = peek() else { throw error("expected \(context), found end of file") }
        if c == 0x22 {
            let s = try readQuoted()
            if s == "%" || s == "%:" { throw error("empty group") }
            if s == "+" { throw error("empty netgroup") }
            if s.hasPrefix("%") { return Member(negated: negated, kind: .group(String(s.dropFirst()))) }
            if s.hasPrefix("+") { return Member(negated: negated, kind: .netgroup(String(s.dropFirst()))) }
            return Member(negated: negated, kind: .word(s))
        }
        if c == 0x25 { // %
            i += 1
            var prefix = ""
            if peek() == 0x3A { prefix = ":"; i += 1 }
            let w = readWord(allowHash: true)
            if w.isEmpty { throw error("empty group") }
            return Member(negated: negated, kind: .group(prefix + w))
        }
        if c == 0x2B { // +
            i += 1
            let w = readWord()
            if w.isEmpty { throw error("empty netgroup") }
            return Member(negated: negated, kind: .netgroup(w))
        }
        if c == 0x23 {
            guard isIDStart(at: i) else { throw error("expected \(context), found \(found())") }
            i += 1
            var s = "#"
            if peek() == 0x2D { s += "-"; i += 1 }
            while let d = peek(), Self.isDigit(d) { s.append(Character(UnicodeScalar(d))); i += 1 }
            return Member(negated: negated, kind: .word(s))
        }
        if let address = try readIPv6() { return Member(negated: negated, kind: .address(address)) }
        let w = readWord()
        if w.isEmpty { throw error("expected \(context), found \(found())") }
        if w == "ALL" { return Member(negated: negated, kind: .all) }
        if Self.isAliasName(w) { return Member(negated: negated, kind: .alias(w)) }
        if Self.isAddress(w) { return Member(negated: negated, kind: .address(w)) }
        return Member(negated: negated, kind: .word(w))
    }

    /// Reads an IPv6 address or network (`fd00::1`, `fd00::/64`) where sudo's
    /// lexer sees one: hex groups with at least two colons, which a word cannot hold.
    mutating func readIPv6() throws(SudoersError) -> String? {
        var j = i
        var colons = 0
        func hexOrPunct(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) || c == 0x3A || c == 0x2E
        }
        while j < bytes.count, hexOrPunct(bytes[j]) { if bytes[j] == 0x3A { colons += 1 }; j += 1 }
        guard colons >= 2 else { return nil }
        let address = String(decoding: bytes[i..<j], as: UTF8.self)
        guard HostAddress.parse(address).map({ $0.count == 16 }) == true else { throw error("invalid IPv6 address \(address)") }
        var k = j
        if k < bytes.count, bytes[k] == 0x2F {
            k += 1
            while k < bytes.count, hexOrPunct(bytes[k]) { k += 1 }
        }
        // A longer word (a host name with other characters) is not an address.
        if k < bytes.count, !Self.wordStop.contains(bytes[k]) { return nil }
        let text = String(decoding: bytes[i..<k], as: UTF8.self)
        i = k
        return text
    }

    static func isAddress(_ w: String) -> Bool {
        let parts = w.split(separator: "/", maxSplits: 1).map(String.init)
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4, octets.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) && Int($0)! <= 255 }) {
            return true
        }
        return parts[0].contains(":") && parts[0].allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }

    /// Reads `member (, member)*`, stopping before anything that is not a comma.
    mutating func readList(context: String) throws(SudoersError) -> [Member] {
        var list = [try readMember(context: context)]
        while true {
            let save = (i, line, lineStart)
            skipBlanks()
            if peek() == 0x2C { i += 1; list.append(try readMember(context: context)); continue }
            (i, line, lineStart) = save
            return list
        }
    }

    // MARK: - Aliases

    mutating func parseAliases(_ kind: AliasKind) throws(SudoersError) {
        while true {
            guard skipBlanks() else { throw error("expected blank and an alias name after \(kind.rawValue)") }
            let startLine = line
            let name = readWord()
            guard Self.isAliasName(name), !Self.reservedWords.contains(name) else {
                throw error("expected an alias name (upper case letters, digits, _), found \(name.isEmpty ? found() : "'\(name)'")")
            }
            skipBlanks()
            guard peek() == 0x3D else { throw error("expected '=' after alias name \(name), found \(found())") }
            i += 1
            var def = AliasDefinition(kind: kind, name: name, members: [], commands: [], file: file, line: startLine)
            if kind == .command {
                def.commands = try readCommandList()
            } else {
                def.members = try readList(context: "a member of \(name)")
            }
            if aliases.contains(where: { $0.kind == kind && $0.name == name }) {
                throw SudoersError(file: file, line: startLine, column: 1, message: "duplicate \(kind.rawValue) \(name)")
            }
            aliases.append(def)
            skipBlanks()
            if peek() == 0x3A { i += 1; continue }
            try expectEndOfLine("',' or ':' or end of line in \(kind.rawValue) \(name)")
            return
        }
    }

    mutating func readCommandList() throws(SudoersError) -> [Command] {
        var list = [try readCommand()]
        while true {
            skipBlanks()
            if peek() == 0x2C { i += 1; list.append(try readCommand()); continue }
            return list
        }
    }

    // MARK: - Commands

    static let digestLengths = ["sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64]

    /// Reads optional digests, `!`…, then ALL, an alias, a path with arguments,
    /// `sudoedit` or a regular expression.
    mutating func readCommand() throws(SudoersError) -> Command {
        let command = try readCommandWithDigests()
        if !command.digests.isEmpty {
            switch command.kind {
            case .all, .path: break
            default: throw error("a digest requires a path name")
            }
        }
        return command
    }

    mutating func readCommandWithDigests() throws(SudoersError) -> Command {
        var digests: [Digest] = []
        while true {
            skipBlanks()
            var matchedDigest = false
            for (alg, length) in Self.digestLengths where lookingAt(alg) {
                let save = (i, line, lineStart)
                i += alg.utf8.count
                skipBlanks()
                guard peek() == 0x3A else { (i, line, lineStart) = save; break }
                i += 1
                skipBlanks()
                var out: [UInt8] = []
                while let d = peek(), (d >= 0x30 && d <= 0x39) || (d >= 0x41 && d <= 0x5A) || (d >= 0x61 && d <= 0x7A)
                        || d == 0x2B || d == 0x2F || d == 0x3D {
                    out.append(d); i += 1
                }
                let value = String(decoding: out, as: UTF8.self)
                let isHex = out.count == length * 2 && out.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66) }
                let b64 = value.hasSuffix("=") ? 4 * ((length + 2) / 3) : (4 * length + 2) / 3
                guard isHex || out.count == b64 else {
                    throw error("expected a \(alg) digest of \(length * 2) hex digits or \(b64) base64 characters")
                }
                digests.append(Digest(algorithm: alg, value: value))
                skipBlanks()
                if peek() == 0x2C { i += 1 }
                matchedDigest = true
                break
            }
            if !matchedDigest { break }
        }
        var negated = false
        while true {
            skipBlanks()
            guard peek() == 0x21 else { break }
            negated.toggle(); i += 1
        }
        skipBlanks()
        guard let c = peek() else { throw error("expected a command, found end of file") }
        if c == 0x2F { // path
            var out: [UInt8] = []
            while let d = peek() {
                if d == 0x5C {
                    if let n = peek(1), Set(",:= \t#".utf8).contains(n) {
                        if continuationLength(at: i) != nil { break }
                        out.append(n); i += 2; continue
                    }
                    break
                }
                if Set(",:= \t\r\n#".utf8).contains(d) { break }
                out.append(d); i += 1
            }
            let path = String(decoding: out, as: UTF8.self)
            if path.hasSuffix("/") {
                return Command(negated: negated, kind: .path(path, args: nil), digests: digests)
            }
            let args = try readArguments()
            return Command(negated: negated, kind: .path(path, args: args), digests: digests)
        }
        if c == 0x5E { // ^regex$
            var out: [UInt8] = [0x5E]
            i += 1
            while true {
                guard let d = peek(), d != 0x0A, d != 0x0D, d != 0x23 else {
                    throw error("unterminated regular expression (a command regex must end in '$')")
                }
                if d == 0x5C, let n = peek(1), n == 0x23 || n == 0x24 { out += [d, n]; i += 2; continue }
                out.append(d); i += 1
                if d == 0x24 { break }
            }
            let re = String(decoding: out, as: UTF8.self)
            guard Pattern.regexCompiles(re) else { throw error("invalid regular expression \(re)") }
            let args = try readArguments()
            return Command(negated: negated, kind: .path(re, args: args), digests: digests)
        }
        if lookingAt("sudoedit"), peek(8).map({ !Self.wordStop.contains($0) }) != true {
            i += 8
            let args = try readArguments()
            return Command(negated: negated, kind: .path("sudoedit", args: args), digests: digests)
        }
        let w = readWord()
        if w == "ALL" { return Command(negated: negated, kind: .all, digests: digests) }
        // `list` lets a user list another user's privileges (`sudo -l -U`); it never runs anything.
        if w == "list" { return Command(negated: negated, kind: .path("list", args: nil), digests: digests) }
        if Self.isAliasName(w) { return Command(negated: negated, kind: .alias(w), digests: digests) }
        if w.isEmpty { throw error("expected a command (absolute path, ALL, sudoedit or Cmnd_Alias), found \(found())") }
        throw error("expected a command (absolute path, ALL, sudoedit or Cmnd_Alias), found '\(w)' (commands must be fully qualified)")
    }

    /// Reads command arguments the way sudo's lexer does; nil when none.
    mutating func readArguments() throws(SudoersError) -> String? {
        var args: [UInt8]? = nil
        var sawSpace = false
        func fill(_ text: [UInt8], _ space: Bool, _ args: inout [UInt8]?) {
            if args == nil { args = text } else {
                if space { args!.append(0x20) }
                args! += text
            }
        }
        while true {
            if skipBlanks() { sawSpace = true }
            guard let c = peek() else { break }
            if Set("#:,=\r\n".utf8).contains(c) { break }
            if c == 0x5C {
                guard let n = peek(1) else { throw error("unexpected '\\' at end of file") }
                if Set("*?[]!^".utf8).contains(n) { fill([c, n], sawSpace, &args); sawSpace = false; i += 2; continue }
                if Set(":\\,= \t#".utf8).contains(n) { fill([n], sawSpace, &args); sawSpace = false; i += 2; continue }
                throw error("unexpected escape '\\\(Character(UnicodeScalar(n)))' in command arguments")
            }
            if args == nil && c == 0x5E {
                // A regular expression: up to and including '$'.
                var out: [UInt8] = []
                var continued = false
                while true {
                    guard let d = peek() else { throw error("unterminated regular expression (argument regex must end in '$')") }
                    if let n = continuationLength(at: i) { i += n; line += 1; lineStart = i; continued = true; continue }
                    if d == 0x0A || d == 0x0D || d == 0x23 {
                        throw error("unterminated regular expression (argument regex must end in '$')")
                    }
                    if d == 0x5C, let n = peek(1) { out += [d, n]; i += 2; continued = false; continue }
                    if continued && Self.isBlank(d) { i += 1; continue }
                    continued = false
                    out.append(d); i += 1
                    if d == 0x24 { break }
                }
                let re = String(decoding: out, as: UTF8.self)
                guard Pattern.regexCompiles(re) else { throw error("invalid regular expression \(re)") }
                return re
            }
            var out: [UInt8] = []
            while let d = peek(), !Set("#\\:, \t\r\n".utf8).contains(d) { out.append(d); i += 1 }
            fill(out, sawSpace, &args)
            sawSpace = false
        }
        return args.map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: - User specifications

    static let tagNames: [String: (String, Bool)] = [
        "NOPASSWD": ("PASSWD", false), "PASSWD": ("PASSWD", true),
        "NOEXEC": ("EXEC", false), "EXEC": ("EXEC", true),
        "SETENV": ("SETENV", true), "NOSETENV": ("SETENV", false),
        "LOG_INPUT": ("LOG_INPUT", true), "NOLOG_INPUT": ("LOG_INPUT", false),
        "LOG_OUTPUT": ("LOG_OUTPUT", true), "NOLOG_OUTPUT": ("LOG_OUTPUT", false),
        "MAIL": ("MAIL", true), "NOMAIL": ("MAIL", false),
        "FOLLOW": ("FOLLOW", true), "NOFOLLOW": ("FOLLOW", false),
        "INTERCEPT": ("INTERCEPT", true), "NOINTERCEPT": ("INTERCEPT", false),
    ]
    static let optionNames: Set<String> = ["CWD", "CHROOT", "TIMEOUT", "NOTBEFORE", "NOTAFTER", "ROLE", "TYPE"]

    /// Why sudo's grammar rejects the value of a rule option, or nil.
    static func optionRejection(_ name: String, _ value: String) -> String? {
        switch name {
        case "TIMEOUT": return SudoersTime.timeout(value) == nil ? "invalid timeout value \(value)" : nil
        case "NOTBEFORE", "NOTAFTER":
            return SudoersTime.generalized(value) == nil ? "invalid \(name.lowercased()) value \(value)" : nil
        case "CWD", "CHROOT":
            if !value.hasPrefix("/") && !value.hasPrefix("~") && value != "*" {
                return "values for \"\(name)\" must start with a '/', '~', or '*'"
            }
            return value.utf8.count >= 4096 ? "\"\(name)\" path too long" : nil
        default: return nil
        }
    }

    mutating func parseUserSpec() throws(SudoersError) {
        let startLine = line, startIndex = i
        let users = try readList(context: "a user, %group, User_Alias or ALL")
        var privileges: [Privilege] = []
        while true {
            skipBlanks()
            let hosts = try readList(context: "a host, Host_Alias or ALL")
            skipBlanks()
            guard peek() == 0x3D else {
                throw error("expected '=' after the host list, found \(found())")
            }
            i += 1
            var specs: [CmndSpec] = []
            var previous: CmndSpec? = nil
            while true {
                var spec = try readCmndSpec(previous: previous)
                if let p = previous {
                    if spec.runasUsers == nil && spec.runasGroups == nil {
                        spec.runasUsers = p.runasUsers; spec.runasGroups = p.runasGroups
                    }
                    for (k, v) in p.tags where spec.tags[k] == nil { spec.tags[k] = v }
                    for (k, v) in p.options where spec.options[k] == nil { spec.options[k] = v }
                }
                spec.notBefore = spec.options["NOTBEFORE"].flatMap(SudoersTime.generalized)
                spec.notAfter = spec.options["NOTAFTER"].flatMap(SudoersTime.generalized)
                specs.append(spec)
                previous = spec
                skipBlanks()
                if peek() == 0x2C { i += 1; continue }
                break
            }
            privileges.append(Privilege(hosts: hosts, commands: specs))
            skipBlanks()
            if peek() == 0x3A { i += 1; continue }
            break
        }
        let endIndex = i
        try expectEndOfLine("',' or ':' or end of line after a command")
        var text = String(decoding: bytes[startIndex..<endIndex], as: UTF8.self)
        text = text.replacingOccurrences(of: "\\\n", with: " ")
        text = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
        userSpecs.append(UserSpec(users: users, privileges: privileges, file: file, line: startLine, text: text))
    }

    mutating func readCmndSpec(previous: CmndSpec?) throws(SudoersError) -> CmndSpec {
        skipBlanks()
        let specLine = line
        var runasUsers: [Member]? = nil
        var runasGroups: [Member]? = nil
        if peek() == 0x28 {
            i += 1
            skipBlanks()
            if peek() == 0x29 {
                runasUsers = [Member(negated: false, kind: .myself)]
            } else if peek() == 0x3A {
                i += 1
                skipBlanks()
                if peek() == 0x29 { runasUsers = [Member(negated: false, kind: .myself)] } else {
                    runasGroups = try readList(context: "a runas group")
                }
            } else {
                runasUsers = try readList(context: "a runas user")
                skipBlanks()
                if peek() == 0x3A {
                    i += 1
                    runasGroups = try readList(context: "a runas group")
                }
            }
            skipBlanks()
            guard peek() == 0x29 else { throw error("expected ')' to close the runas list, found \(found())") }
            i += 1
        }
        var tags: [String: Bool] = [:]
        var options: [String: String] = [:]
        // sudo's grammar: runas, then options (CWD=, TIMEOUT=, …), then tags (NOPASSWD: …).
        var sawTag = false
        while true {
            skipBlanks()
            let save = (i, line, lineStart)
            var j = i
            while j < bytes.count, Self.isUpper(bytes[j]) || bytes[j] == 0x5F { j += 1 }
            let word = String(decoding: bytes[i..<j], as: UTF8.self)
            if let (tag, value) = Self.tagNames[word] {
                i = j
                skipBlanks()
                if peek() == 0x3A { i += 1; tags[tag] = value; sawTag = true; continue }
                (i, line, lineStart) = save
            } else if Self.optionNames.contains(word) {
                i = j
                skipBlanks()
                if peek() == 0x3D {
                    if sawTag { throw error("\(word)= must come before the tags (NOPASSWD: …) of a command") }
                    i += 1
                    skipBlanks()
                    let v = peek() == 0x22 ? try readQuoted() : readWord()
                    if v.isEmpty { throw error("expected a value after \(word)=") }
                    if let why = Self.optionRejection(word, v) { throw error(why) }
                    options[word] = v
                    continue
                }
                (i, line, lineStart) = save
            }
            break
        }
        let command = try readCommand()
        return CmndSpec(runasUsers: runasUsers, runasGroups: runasGroups, tags: tags, options: options,
                        command: command, file: file, line: specLine)
    }

    // MARK: - Defaults

    mutating func parseDefaults() throws(SudoersError) {
        let startLine = line
        var scope = DefaultEntry.Scope.global
        if let c = peek(), [0x3A, 0x40, 0x3E, 0x21].contains(c) {
            i += 1
            switch c {
            case 0x3A: scope = .user(try readList(context: "a user after Defaults:"))
            case 0x40: scope = .host(try readList(context: "a host after Defaults@"))
            case 0x3E: scope = .runas(try readList(context: "a runas user after Defaults>"))
            default: scope = .command(try readCommandListNoArgs())
            }
        }
        guard skipBlanks() else { throw error("expected blank after Defaults, found \(found())") }
        while true {
            skipBlanks()
            var negated = false
            while peek() == 0x21 { negated.toggle(); i += 1; skipBlanks() }
            var j = i
            while j < bytes.count, (bytes[j] >= 0x61 && bytes[j] <= 0x7A) || bytes[j] == 0x5F { j += 1 }
            guard j > i else { throw error("expected a Defaults setting name (lower case), found \(found())") }
            let name = String(decoding: bytes[i..<j], as: UTF8.self)
            i = j
            skipBlanks()
            var op = DefaultEntry.Operation.flag
            var value: String? = nil
            if peek() == 0x3D { op = .set; i += 1 } else if peek() == 0x2B, peek(1) == 0x3D { op = .add; i += 2 } else if peek() == 0x2D, peek(1) == 0x3D { op = .remove; i += 2 }
            if op != .flag {
                if negated { throw error("a negated Defaults setting (!\(name)) cannot take a value") }
                skipBlanks()
                if peek() == 0x22 { value = try readQuoted() } else {
                    var out: [UInt8] = []
                    while let d = peek(), !Set("#=, \t\r\n\"".utf8).contains(d) || (d == 0x23 && out.isEmpty == false && false) {
                        if d == 0x5C {
                            if continuationLength(at: i) != nil { break }
                            if let n = peek(1), n != 0x0A { out.append(n); i += 2; continue }
                        }
                        out.append(d); i += 1
                    }
                    if out.isEmpty { throw error("expected a value for \(name), found \(found())") }
                    value = String(decoding: out, as: UTF8.self)
                }
            }
            if let why = DefaultSetting.rejection(name: name, negated: negated, operation: op, value: value) {
                throw SudoersError(file: file, line: startLine, column: 1, message: why + " (visudo rejects it)")
            }
            defaults.append(DefaultEntry(scope: scope, name: name, negated: negated, operation: op, value: value, file: file, line: startLine))
            skipBlanks()
            if peek() == 0x2C { i += 1; continue }
            break
        }
        try expectEndOfLine("',' or end of line in Defaults")
    }

    mutating func readCommandListNoArgs() throws(SudoersError) -> [Command] {
        var list: [Command] = []
        repeat {
            skipBlanks()
            var negated = false
            while peek() == 0x21 { negated.toggle(); i += 1; skipBlanks() }
            if peek() == 0x2F || peek() == 0x5E {
                var out: [UInt8] = []
                while let d = peek(), !Set(",:= \t\r\n#".utf8).contains(d) { out.append(d); i += 1 }
                list.append(Command(negated: negated, kind: .path(String(decoding: out, as: UTF8.self), args: nil), digests: []))
            } else {
                let w = readWord()
                if w == "ALL" { list.append(Command(negated: negated, kind: .all, digests: [])) } else if Self.isAliasName(w) { list.append(Command(negated: negated, kind: .alias(w), digests: [])) } else if w == "sudoedit" { list.append(Command(negated: negated, kind: .path(w, args: nil), digests: [])) } else {
                    throw error("expected a command after Defaults!, found \(found())")
                }
            }
            let save = (i, line, lineStart)
            skipBlanks()
            if peek() == 0x2C { i += 1; continue }
            (i, line, lineStart) = save
            break
        } while true
        return list
    }
}
