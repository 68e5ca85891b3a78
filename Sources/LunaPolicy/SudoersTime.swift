#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `NOTBEFORE=`/`NOTAFTER=` time of a rule, in sudo's Generalized Time form
/// (`yyyymmddHH[MM[SS]][.f][Z|±hh[mm]]`).
struct RuleTime: Sendable, Hashable {
    /// Seconds since the epoch, reading the fields as UTC and applying the zone offset.
    let utcSeconds: Int
    /// Whether no zone was given: sudo then reads the time in the host's local time zone.
    let local: Bool
    /// The broken-down fields (for `mktime` on this machine when `local`).
    let fields: [Int32]

    /// The instant on a host whose time zone is this machine's (for local resolution).
    func instantHere() -> Int {
        guard local else { return utcSeconds }
        var t = tm()
        t.tm_year = fields[0] - 1900; t.tm_mon = fields[1] - 1; t.tm_mday = fields[2]
        t.tm_hour = fields[3]; t.tm_min = fields[4]; t.tm_sec = fields[5]; t.tm_isdst = -1
        return Int(mktime(&t))
    }

    /// The earliest and latest instant this time can be on a host whose time
    /// zone is unknown (UTC−12 to UTC+14), or the exact instant with a zone.
    var range: ClosedRange<Int> {
        local ? (utcSeconds - 14 * 3600)...(utcSeconds + 12 * 3600) : utcSeconds...utcSeconds
    }
}

/// sudo's parsers for the time values of rules and `Defaults`.
enum SudoersTime {
    /// `parse_timeout`: `[N d][N h][N m][N[s]]` in that order; seconds, nil when invalid or too large.
    static func timeout(_ s: String) -> Int? {
        let suffixes: [Character] = ["d", "h", "m", "s"]
        var rest = Substring(s)
        var total = 0
        var idx = 0
        repeat {
            guard let n = DefaultSetting.cLong(String(rest), radix: 10) else { return nil }
            guard n.value >= 0, n.value <= Int(Int32.max) else { return nil }
            var l = n.value
            rest = n.rest
            if let c = rest.first {
                let ch = Character(c.lowercased())
                rest = rest.dropFirst()
                while idx < suffixes.count && suffixes[idx] != ch { idx += 1 }
                guard idx < suffixes.count else { return nil }
                let unit = ["d": 86_400, "h": 3600, "m": 60, "s": 1][ch]!
                guard l <= Int(Int32.max) / unit else { return nil }
                l *= unit
                guard l <= Int(Int32.max) - total else { return nil }
            }
            total += l
        } while !rest.isEmpty
        return total
    }

    /// `parse_gentime`: a Generalized Time value, nil when sudo rejects it.
    static func generalized(_ s: String) -> RuleTime? {
        let u = Array(s.utf8)
        var len = 0
        while len < u.count, u[len] >= 0x30, u[len] <= 0x39 { len += 1 }
        guard len < 15, len >= 10, len % 2 == 0 else { return nil }
        func num(_ a: Int, _ n: Int) -> Int32 { Int32(String(decoding: u[a..<a + n], as: UTF8.self))! }
        var f: [Int32] = [num(0, 4), num(4, 2), num(6, 2), num(8, 2), 0, 0]
        let items = 4 + (len - 10) / 2
        if items >= 5 { f[4] = num(10, 2) }
        if items >= 6 { f[5] = num(12, 2) }
        var k = len
        if k + 1 < u.count, u[k] == 0x2E || u[k] == 0x2C, u[k + 1] >= 0x30, u[k + 1] <= 0x39 {
            let frac = Int32(u[k + 1] - 0x30)
            if items == 4 { f[4] += 6 * frac } else if items == 5 { f[5] += 6 * frac }
            k += 2
        }
        var offset = 0
        var local = false
        if k == u.count {
            local = true
        } else if u[k] == 0x5A {
            k += 1
        } else if u[k] == 0x2B || u[k] == 0x2D {
            var n = 0
            while k + 1 + n < u.count, u[k + 1 + n] >= 0x30, u[k + 1 + n] <= 0x39 { n += 1 }
            guard n == 2 || n == 4 else { return nil }
            let hh = Int(num(k + 1, 2)), mm = n == 4 ? Int(num(k + 3, 2)) : 0
            offset = (hh * 60 + mm) * 60 * (u[k] == 0x2D ? -1 : 1)
            k += 1 + n
        } else {
            return nil
        }
        guard k == u.count else { return nil }
        var t = tm()
        t.tm_year = f[0] - 1900; t.tm_mon = f[1] - 1; t.tm_mday = f[2]; t.tm_hour = f[3]; t.tm_min = f[4]; t.tm_sec = f[5]
        let utc = Int(timegm(&t))
        return RuleTime(utcSeconds: utc - offset, local: local, fields: f)
    }
}
