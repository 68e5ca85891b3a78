#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// fnmatch(3) and POSIX extended regular expressions, as sudo uses them.
///
/// The C library is used on purpose: sudo itself calls the system fnmatch and
/// regcomp, so matching through the same functions gives the same answers for
/// bracket expressions, classes and escapes.
enum Pattern {
    static let pathname = FNM_PATHNAME
    static let period = FNM_PERIOD
    static let casefold: Int32 = 1 << 4 // FNM_CASEFOLD (GNU)

    /// fnmatch(pattern, string, flags) == 0.
    static func fnmatch(_ pattern: String, _ string: String, flags: Int32 = 0) -> Bool {
        #if canImport(Glibc)
        return Glibc.fnmatch(pattern, string, flags) == 0
        #else
        return Darwin.fnmatch(pattern, string, flags) == 0
        #endif
    }

    /// Whether the text contains fnmatch/glob meta characters (as sudo's has_meta).
    static func hasMeta(_ s: String) -> Bool {
        s.utf8.contains { $0 == 0x5C || $0 == 0x3F || $0 == 0x2A || $0 == 0x5B || $0 == 0x5D }
    }

    /// Whether `re` compiles as a POSIX extended regular expression.
    static func regexCompiles(_ re: String) -> Bool { Regex.compile(re) != nil }

    /// Whether `string` matches the extended regular expression `re`.
    static func regexMatches(_ re: String, _ string: String) -> Bool {
        guard let r = Regex.compile(re) else { return false }
        return r.matches(string)
    }

    /// A compiled regex_t, shared through a cache.
    final class Regex: @unchecked Sendable {
        // Safe to share: the regex_t is written once in init and only read by
        // regexec afterwards, which POSIX allows from several threads at once.
        let storage: UnsafeMutablePointer<regex_t>

        private init?(_ re: String) {
            storage = .allocate(capacity: 1)
            if regcomp(storage, re, REG_EXTENDED | REG_NOSUB) != 0 {
                storage.deallocate()
                return nil
            }
        }

        deinit {
            regfree(storage)
            storage.deallocate()
        }

        func matches(_ s: String) -> Bool { regexec(storage, s, 0, nil, 0) == 0 }

        static let cache = Mutex<[String: Regex]>([:])

        static func compile(_ re: String) -> Regex? {
            if let r = cache.withLock({ $0[re] }) { return r }
            guard let r = Regex(re) else { return nil }
            cache.withLock { if $0.count > 4096 { $0.removeAll() }; $0[re] = r }
            return r
        }
    }
}
