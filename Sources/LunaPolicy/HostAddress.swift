#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A three-valued answer: whether a fact Luna may not know makes an entry match.
enum Tri: Sendable {
    case yes, no, maybe
}

/// IPv4/IPv6 address entries of a host list, matched as sudo matches them
/// against the host's interfaces.
enum HostAddress {
    /// The bytes of an IPv4 or IPv6 address, nil when it is neither.
    static func parse(_ s: String) -> [UInt8]? {
        var v6 = in6_addr()
        if inet_pton(AF_INET6, s, &v6) == 1 { return withUnsafeBytes(of: v6) { Array($0) } }
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 { return withUnsafeBytes(of: v4) { Array($0) } }
        return nil
    }

    /// The text form of address bytes.
    static func format(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func mask(bits: Int, count: Int) -> [UInt8] {
        (0..<count).map { i in
            if bits <= i * 8 { return 0 }
            if bits >= i * 8 + 8 { return 0xFF }
            return UInt8(truncatingIfNeeded: 0xFF00 >> (bits - i * 8))
        }
    }

    static func and(_ a: [UInt8], _ m: [UInt8]) -> [UInt8] { zip(a, m).map { $0 & $1 } }

    /// An interface of the host: its address and netmask (nil when the inventory gave no prefix).
    struct Interface {
        var address: [UInt8]
        var netmask: [UInt8]?
    }

    static func interfaces(_ list: [String]) -> [Interface] {
        list.compactMap { entry in
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let a = parse(parts[0]) else { return nil }
            guard parts.count == 2 else { return Interface(address: a, netmask: nil) }
            guard let bits = Int(parts[1]), bits >= 0, bits <= a.count * 8 else { return nil }
            return Interface(address: a, netmask: mask(bits: bits, count: a.count))
        }
    }

    /// Whether a host-list address entry (`10.0.0.1`, `10.0.0.0/8`,
    /// `10.0.0.0/255.0.0.0`, `fd00::/64`) matches one of the host's addresses.
    ///
    /// Without a mask, sudo matches an interface's own address or its network
    /// address; with one, any interface inside the network. Unknown addresses
    /// (or an unknown netmask that decides it) answer `maybe`.
    static func matches(_ entry: String, addresses: [String]?) -> Tri {
        let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
        guard let addr = parse(parts[0]) else { return .no }
        var netmask: [UInt8]? = nil
        if parts.count == 2 {
            if addr.count == 4 && parts[1].contains(".") {
                guard let m = parse(parts[1]), m.count == 4 else { return .no }
                netmask = m
            } else if addr.count == 16, let m = parse(parts[1]), m.count == 16 {
                netmask = m
            } else {
                guard let bits = Int(parts[1]), bits >= 1, bits <= addr.count * 8 else { return .no }
                netmask = mask(bits: bits, count: addr.count)
            }
        }
        guard let addresses else { return .maybe }
        var result = Tri.no
        for ifc in interfaces(addresses) where ifc.address.count == addr.count {
            if let netmask {
                // An IPv6 mask written as an address is applied to the interface only, as sudo does.
                let target = addr.count == 16 && parts[1].contains(":") ? addr : and(addr, netmask)
                if and(ifc.address, netmask) == target { return .yes }
                continue
            }
            if ifc.address == addr { return .yes }
            if let m = ifc.netmask {
                if and(ifc.address, m) == addr { return .yes }
            } else {
                // Some netmask could make addr this interface's network address.
                for bits in 0...(addr.count * 8) where and(ifc.address, mask(bits: bits, count: addr.count)) == addr {
                    result = .maybe
                    break
                }
            }
        }
        return result
    }
}
