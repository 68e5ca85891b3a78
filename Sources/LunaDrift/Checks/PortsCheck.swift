import Foundation
import LunaFleet
#if canImport(Glibc)
import Glibc
#endif

/// A listening socket as `ss -H -tulpn` reports it.
public struct Listener: Sendable, Equatable {
    /// `tcp` or `udp`.
    public var proto: String
    /// The local address and port as printed, e.g. `0.0.0.0:22`, `[::]:22`, `127.0.0.53%lo:53`.
    public var local: String
    /// The process names, when ss could see them.
    public var processes: [String]

    public init(proto: String, local: String, processes: [String]) {
        self.proto = proto
        self.local = local
        self.processes = processes
    }

    /// The baseline item: protocol and local address.
    public var item: String { proto + " " + local }

    /// Whether only this machine can reach it: 127.0.0.0/8, `::1` or `::ffff:127.x`.
    public var isLoopback: Bool { PortsCheck.isLoopback(address: local) }
}

/// Listening ports vs `configs/ports/<host>` (lines `proto address:port [process…]`).
///
/// Loopback-aware: listeners on 127.0.0.0/8 and `::1` are reported apart from
/// public ones (`*`, `0.0.0.0`, `[::]` and every other address), and each
/// finding carries its `scope` so a report can rank a new public port first.
/// A reference line `ignore loopback` compares public listeners only (a machine
/// whose loopback listeners come and go: a workstation, a test runner).
public struct PortsCheck: DriftCheck {
    public let name = "ports"
    public let referenceKind = "ports"

    public init() {}

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.expected) {
        case .failure(let box): return .done(box.result)
        case .success(let (baseline, _)): return .run(argv: ["ss", "-H", "-tulpn"], reference: baseline)
        }
    }

    /// The expected items (`proto address:port`) of a reference, every line checked.
    ///
    /// A line is `PROTO ADDRESS:PORT [PROCESS,…]` (an inline ` # comment` is
    /// allowed): `tcp` or `udp`, then the local address exactly as `ss -H -tulpn`
    /// prints it (`0.0.0.0:22`, `[::]:22`, `*:80`, `127.0.0.53%lo:53`), since
    /// items are compared as text. Anything else is an error naming the line:
    /// a line that cannot match would otherwise be reported as a listener that
    /// is "gone", and a dropped line would silently expect less.
    static func expected(_ b: Baseline) throws(BaselineError) -> Set<String> {
        var items = Set<String>()
        for line in b.lines {
            let f = fields(line.withoutComment.text)
            if f == ["ignore", "loopback"] { continue }
            let form = "expected 'PROTO ADDRESS:PORT [PROCESS]', e.g. 'tcp 0.0.0.0:22 sshd'"
            guard (2...3).contains(f.count) else {
                throw b.error(line, "\(form), found \(f.count) field\(f.count == 1 ? "" : "s")")
            }
            guard f[0] == "tcp" || f[0] == "udp" else {
                throw b.error(line, "protocol must be 'tcp' or 'udp', found '\(f[0])' (\(form))")
            }
            if let problem = addressProblem(f[1]) {
                throw b.error(line, "'\(f[1])' is not a local address as ss prints it: \(problem) (\(form))")
            }
            items.insert(f[0] + " " + f[1])
        }
        return items
    }

    /// Whether the reference says `ignore loopback`.
    static func ignoresLoopback(_ b: Baseline?) -> Bool {
        b?.lines.contains { fields($0.withoutComment.text) == ["ignore", "loopback"] } ?? false
    }

    /// Why `address` is not one `ss -n` could print, or nil when it is.
    ///
    /// Accepted: `HOST:PORT` where PORT is `*` or 0…65535 without leading
    /// zeros, and HOST is `*`, an IPv4 address or a bracketed IPv6 address, in
    /// the canonical form `inet_ntop` writes, optionally followed by `%IFACE`.
    static func addressProblem(_ address: String) -> String? {
        guard let colon = address.lastIndex(of: ":") else { return "no ':PORT'" }
        let port = String(address[address.index(after: colon)...])
        var host = String(address[..<colon])
        guard port == "*" || UInt16(port).map({ String($0) == port }) == true else {
            return "port '\(port)' is not '*' or a number 0…65535"
        }
        if let percent = host.lastIndex(of: "%"), !host[percent...].contains("]") {
            let interface = host[host.index(after: percent)...]
            guard !interface.isEmpty, interface.allSatisfy({ $0.isLetter || $0.isNumber || "._-@".contains($0) }) else {
                return "interface after '%' is empty or not a name"
            }
            host = String(host[..<percent])
        }
        if host == "*" { return nil }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return "unbalanced '[' ']'" }
            let inner = String(host.dropFirst().dropLast())
            guard let canonical = canonical(inner, family: AF_INET6) else { return "'\(inner)' is not an IPv6 address" }
            return canonical == inner ? nil : "write the IPv6 address as ss does: [\(canonical)]"
        }
        guard let canonical = canonical(host, family: AF_INET) else {
            return "'\(host)' is not '*', an IPv4 address or a bracketed IPv6 address"
        }
        return canonical == host ? nil : "write the address as ss does: \(canonical)"
    }

    /// `text` parsed and printed back by `inet_pton`/`inet_ntop`, or nil when it does not parse.
    private static func canonical(_ text: String, family: Int32) -> String? {
        var storage = [UInt8](repeating: 0, count: 16)
        guard inet_pton(family, text, &storage) == 1 else { return nil }
        var out = [CChar](repeating: 0, count: 64)
        guard inet_ntop(family, storage, &out, socklen_t(out.count)) != nil else { return nil }
        return String(cString: out)
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard output.exitStatus == 0 else {
            return failed(host, "ss exited \(output.exitStatus): \(stderrExcerpt(output))")
        }
        let referenced: Set<String>
        do {
            referenced = try reference.map(Self.expected) ?? []
        } catch {
            return failed(host, "bad reference: \(error)")
        }
        let ignoring = Self.ignoresLoopback(reference)
        let live = Self.parse(outputText(output)).filter { !ignoring || !$0.isLoopback }
        let expected = ignoring ? referenced.filter { !Self.isLoopback(address: String($0.split(separator: " ").last ?? "")) } : referenced
        var items: [DriftItem] = []
        var seen = Set<String>()
        for listener in live where !seen.contains(listener.item) {
            seen.insert(listener.item)
            if !expected.contains(listener.item) {
                let who = listener.processes.isEmpty ? "" : " (" + listener.processes.joined(separator: ", ") + ")"
                let scope = listener.isLoopback ? "loopback" : "public"
                items.append(DriftItem(
                    subject: "+" + listener.item,
                    summary: "new \(scope) listener \(listener.item)\(who)",
                    params: ["proto": listener.proto, "change": "added", "scope": scope],
                    observed: listener.processes.joined(separator: ",")))
            }
        }
        for item in expected.sorted() where !seen.contains(item) {
            let scope = Self.isLoopback(address: String(item.split(separator: " ").last ?? "")) ? "loopback" : "public"
            items.append(DriftItem(subject: "-" + item, summary: "expected \(scope) listener \(item) is gone",
                                   params: ["change": "removed", "scope": scope]))
        }
        let loopback = live.filter(\.isLoopback).map(\.item)
        let counts = "\(seen.count - Set(loopback).count) public, " + (ignoring ? "loopback not compared" : "\(Set(loopback).count) loopback")
        var result = CheckResult.compared(host: host, check: name, items: items,
                                          okDetail: "\(seen.count) listeners match the reference (\(counts))")
        if result.status == .drift {
            // Public changes first, loopback ones apart: a new public port is the one to read.
            let publicItems = items.filter { $0.params["scope"] == "public" }.map { "  " + $0.summary }
            let loopbackItems = items.filter { $0.params["scope"] == "loopback" }.map { "  " + $0.summary }
            let sections = (publicItems.isEmpty ? [] : ["public:"] + publicItems)
                + (loopbackItems.isEmpty ? [] : ["loopback only:"] + loopbackItems)
            result.detail = sections.joined(separator: "\n")
        }
        return result
    }

    /// Whether a local address as `ss` prints it (`127.0.0.53%lo:53`, `[::1]:631`, `*:80`) is loopback.
    public static func isLoopback(address: String) -> Bool {
        var host = address
        if let colon = host.lastIndex(of: ":") { host = String(host[..<colon]) }
        if let percent = host.firstIndex(of: "%") { host = String(host[..<percent]) }
        host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        if host.hasPrefix("::ffff:") { host = String(host.dropFirst(7)) }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Parses `ss -H -tulpn` output; lines that don't look like sockets are skipped.
    public static func parse(_ text: String) -> [Listener] {
        var out: [Listener] = []
        for raw in text.split(separator: "\n") {
            let fields = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 5, ["tcp", "udp"].contains(fields[0]) else { continue }
            let rest = fields.count > 6 ? fields[6...].joined(separator: " ") : ""
            out.append(Listener(proto: fields[0], local: fields[4], processes: processNames(rest)))
        }
        return out
    }

    /// Extracts process names from `users:(("name",pid=1,fd=3),("other name",…))`.
    static func processNames(_ text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "((\"") ?? rest.range(of: "(\"") {
            rest = rest[open.upperBound...]
            guard let close = rest.range(of: "\",") else { break }
            let name = String(rest[..<close.lowerBound])
            if !names.contains(name) { names.append(name) }
            rest = rest[close.upperBound...]
        }
        return names
    }
}
