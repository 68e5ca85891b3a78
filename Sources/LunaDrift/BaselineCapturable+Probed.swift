import Foundation
import LunaFleet

// Captures whose subjects depend on the host: a probe (unprivileged, read-only)
// decides what to collect, then the collection runs like the check's own.

extension ContainersCheck: BaselineCapturable {
    /// The engines a capture looks for, at the paths the read set names.
    public static let engines = ["docker", "podman"]

    /// With no reference yet, which engines are installed (`ls` prints the paths that exist).
    public func captureProbe(host: String, current: Baseline?) -> [String]? {
        current == nil ? ["ls", "-1d", "--"] + Self.engines.map { "/usr/bin/" + $0 } : nil
    }

    /// The reference's own settings, or `engine NAME` for the one engine installed.
    ///
    /// - Throws: ``CaptureError`` when no engine, or both, are installed: which one the
    ///   operator means is theirs to say.
    public func captureSubjects(probe: CommandResult, current: Baseline?, host: String) throws(CaptureError) -> Baseline? {
        if let current { return current }
        let listed = Set(outputText(probe).split(separator: "\n").map(String.init))
        let found = Self.engines.filter { listed.contains("/usr/bin/" + $0) }
        guard found.count == 1 else {
            throw CaptureError(found.isEmpty
                ? "no container engine on \(host) (neither /usr/bin/docker nor /usr/bin/podman); drop containers from the host's checks in luna.toml"
                : "both docker and podman are installed on \(host); write 'engine docker' or 'engine podman' in configs/containers/\(host), then capture")
        }
        return try? Baseline.parse("engine \(found[0])\n", file: "configs/containers/\(host)")
    }

    public func captureArgv(host: String, current: Baseline?) throws(CaptureError) -> [String] {
        guard let current else { throw CaptureError("no engine to ask") }
        do {
            return Self.argv(engine: (try Self.settings(current)).engine)
        } catch {
            throw CaptureError("bad reference: \(error)")
        }
    }

    /// `engine`, `max_restarts` when the reference sets it, every `expect NAME` the reference
    /// declares (running or not), and `expect NAME` for every other running container.
    public func capture(output: CommandResult, current: Baseline?) throws(CaptureError) -> [String] {
        guard let current, let settings = try? Self.settings(current) else { throw CaptureError("no usable reference") }
        try requireSuccess(output, "\(settings.engine) ps")
        guard !output.stdoutTruncated, let containers = Self.parse(output.stdout) else {
            throw CaptureError("\(settings.engine) ps printed output that is not JSON (or it was cut)")
        }
        let running = containers.filter { $0.state.lowercased() == "running" }.map(\.name)
        // A name a reference line cannot hold as one field is refused, not mangled into another container's.
        if let odd = running.first(where: { !Self.isPlainName($0) }) {
            throw CaptureError("container name '\(odd)' cannot be written as an 'expect' line (letters, digits, '_', '.' and '-' only)")
        }
        let restarts = current.lines.contains { $0.fields.first == "max_restarts" } ? ["max_restarts \(settings.maxRestarts)"] : []
        // A declared container stays declared: the one stopped or gone now is the finding, not a new reference.
        return ["engine " + settings.engine] + restarts
            + (settings.expected + running.filter { !settings.expected.contains($0) }).map { "expect " + $0 }
    }

    /// Docker's and podman's container-name alphabet: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
    static func isPlainName(_ name: String) -> Bool {
        let plain: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber) }
        guard let first = name.first, plain(first) else { return false }
        return name.allSatisfy { plain($0) || $0 == "_" || $0 == "." || $0 == "-" }
    }
}

extension TLSCheck: BaselineCapturable {
    /// The TCP ports a capture probes for a served certificate: where TLS is the norm.
    /// Any other endpoint is listed by hand (a capture keeps it).
    public static let wellKnownPorts: Set<Int> = [443, 465, 636, 853, 993, 995, 5986, 6443, 8006, 8443, 9443]
    /// The days-left threshold of an endpoint a capture discovers.
    public static let defaultDays = 21
    /// How long a capture waits for one endpoint's handshake.
    static let probeSeconds = "10"
    /// The kind of a discovered endpoint in the capture's subjects (never written).
    static let discovered = "discovered"

    /// The listening sockets, to find the well-known TLS ports.
    public func captureProbe(host: String, current: Baseline?) -> [String]? { ["ss", "-H", "-tuln"] }

    /// The reference's endpoints and files, then each listener on a well-known TLS port it
    /// does not list yet (a wildcard address is asked on loopback).
    ///
    /// - Throws: ``CaptureError`` for a bad reference, a failed `ss`, or nothing to watch.
    public func captureSubjects(probe: CommandResult, current: Baseline?, host: String) throws(CaptureError) -> Baseline? {
        var declared: [Target] = []
        if let current {
            do { declared = try Self.targets(current) } catch { throw CaptureError("bad reference: \(error)") }
        }
        try requireSuccess(probe, "ss")
        var lines = declared.map { "\($0.kind) \($0.location) \($0.days)" }
        var seen = Set(declared.filter { $0.kind == "endpoint" }.map(\.location))
        var portsOnIPv4 = Set<Int>()
        let listeners = PortsCheck.parse(outputText(probe)).filter { $0.proto == "tcp" }
            .compactMap(Self.connectAddress).sorted { ($0.ipv6 ? 1 : 0, $0.port, $0.location) < ($1.ipv6 ? 1 : 0, $1.port, $1.location) }
        for listener in listeners where Self.wellKnownPorts.contains(listener.port) && !seen.contains(listener.location) {
            // A dual-stack server listens on 0.0.0.0 and [::]: one endpoint is enough.
            if listener.ipv6 && listener.wildcard && portsOnIPv4.contains(listener.port) { continue }
            if !listener.ipv6 && listener.wildcard { portsOnIPv4.insert(listener.port) }
            // The host printed this address: it is watched only if it is an endpoint the reference could hold.
            guard (try? Self.targets(Baseline.parse("endpoint \(listener.location) \(Self.defaultDays)\n", file: "ss"))) != nil,
                  !listener.location.hasPrefix("-"), !listener.location.contains("#") else { continue }
            seen.insert(listener.location)
            lines.append("\(Self.discovered) \(listener.location) \(Self.defaultDays)")
        }
        guard !lines.isEmpty else {
            throw CaptureError("nothing to watch: no TCP listener on a well-known TLS port (\(Self.wellKnownPorts.sorted().map(String.init).joined(separator: ", "))) "
                + "and configs/tls/\(host) lists no endpoint or file; list them there ('endpoint HOST:PORT DAYS', 'file PATH DAYS'), or drop tls from the host's checks")
        }
        return try? Baseline.parse(lines.joined(separator: "\n") + "\n", file: current?.file ?? "configs/tls/\(host)")
    }

    /// A listener's local address as the host itself connects to it.
    static func connectAddress(_ listener: Listener) -> (location: String, port: Int, ipv6: Bool, wildcard: Bool)? {
        guard let colon = listener.local.lastIndex(of: ":"), let port = Int(listener.local[listener.local.index(after: colon)...]) else { return nil }
        var address = String(listener.local[..<colon])
        if address.hasPrefix("["), address.hasSuffix("]") { address = String(address.dropFirst().dropLast()) }
        if let percent = address.firstIndex(of: "%") {
            // A scoped address is reachable only with its interface; loopback's scope is the host.
            guard address.hasPrefix("127.") || address.hasPrefix("::1") else { return nil }
            address = String(address[..<percent])
        }
        switch address {
        case "0.0.0.0", "*": return ("127.0.0.1:\(port)", port, false, true)
        case "::": return ("[::1]:\(port)", port, true, true)
        default:
            let ipv6 = address.contains(":")
            return (ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)", port, ipv6, false)
        }
    }

    /// The capture's subjects: the reference's targets, and discovered endpoints.
    static func captureTargets(_ subjects: Baseline?) throws(CaptureError) -> [(target: Target, declared: Bool)] {
        guard let subjects else { throw CaptureError("nothing to watch") }
        var out: [(target: Target, declared: Bool)] = []
        var declaredLines: [Baseline.Line] = []
        for line in subjects.lines {
            let f = line.fields
            if f.count == 3, f[0] == Self.discovered, let days = Int(f[2]) {
                out.append((Target(kind: "endpoint", location: f[1], days: days), false))
            } else {
                declaredLines.append(line)
            }
        }
        do {
            let declared = try Self.targets(Baseline(file: subjects.file, lines: declaredLines))
            return declared.map { ($0, true) } + out
        } catch {
            throw CaptureError("bad reference: \(error)")
        }
    }

    public func captureArgv(host: String, current: Baseline?) throws(CaptureError) -> [String] {
        let steps = Self.steps(try Self.captureTargets(current).map(\.target)).map { step in
            CommandSequence.Step(label: step.label, argv: ["timeout", Self.probeSeconds] + step.argv)
        }
        guard let argv = CommandSequence.argv(steps) else {
            throw CaptureError("bad reference: a value cannot be passed safely")
        }
        return argv
    }

    /// `endpoint`/`file` lines for every target that presented a certificate: a discovered
    /// endpoint that did not is not TLS and is left out; a listed one is refused.
    public func capture(output: CommandResult, current: Baseline?) throws(CaptureError) -> [String] {
        let targets = try Self.captureTargets(current)
        let text = outputText(output)
        if output.stderrText.contains("'openssl'") && output.stderrText.contains("No such file or directory") {
            throw CaptureError("openssl is not installed on the host")
        }
        let steps = CommandSequence.split(text)
        guard !output.stdoutTruncated, steps.count == targets.count else {
            throw CaptureError("the certificate collection did not finish (\(steps.count) of \(targets.count) endpoints): \(stderrExcerpt(output))")
        }
        var lines: [String] = []
        var unread: [String] = []
        for (target, declared) in targets {
            let read = steps.first { $0.label == target.label }.flatMap { Self.notAfter($0.output) } != nil
            if read {
                lines.append("\(target.kind) \(target.location) \(target.days)")
            } else if declared {
                unread.append(target.label)
            }
        }
        guard unread.isEmpty else {
            throw CaptureError("no certificate read from \(unread.joined(separator: ", ")), which the reference lists; fix it or remove its line, then capture")
        }
        guard !lines.isEmpty else {
            throw CaptureError("nothing to watch: no listener on a well-known TLS port presented a certificate; list endpoints and files in the reference by hand, or drop tls from the host's checks")
        }
        return lines
    }
}

extension AuthFailuresCheck: BaselineCapturable {
    /// Where a capture looks for a log: the journal's folders (volatile, persistent), then rsyslog's file.
    static let journalFolders = ["/run/log/journal", "/var/log/journal"]
    static let authLog = "/var/log/auth.log"

    /// With no `source` in the reference, which log the host keeps: the first journal file
    /// (a folder alone is not a journal: Debian's systemd package creates /var/log/journal
    /// where journald may never write), else rsyslog's file (the last start point, so printed
    /// only when no journal file was).
    public func captureProbe(host: String, current: Baseline?) -> [String]? {
        if let current, current.lines.contains(where: { $0.fields.first == "source" }) { return nil }
        return ["find"] + Self.journalFolders + [Self.authLog, "-maxdepth", "2", "(", "-name", "*.journal", "-o", "-path", Self.authLog, ")", "-print", "-quit"]
    }

    /// The reference's settings, with the source the host has: the journal when it keeps one, else `/var/log/auth.log`.
    ///
    /// - Throws: ``CaptureError`` for a bad reference, or a host with neither.
    public func captureSubjects(probe: CommandResult, current: Baseline?, host: String) throws(CaptureError) -> Baseline? {
        let file = current?.file ?? "configs/auth/\(host)"
        let settings: Settings
        do { settings = try Self.settings(current ?? Baseline(file: file, lines: [])) } catch { throw CaptureError("bad reference: \(error)") }
        var source = settings.logFile ?? "journal"
        if current?.lines.contains(where: { $0.fields.first == "source" }) != true {
            let listed = outputText(probe).split(separator: "\n").map(String.init)
            if listed.contains(where: { path in path.hasSuffix(".journal") && Self.journalFolders.contains { path.hasPrefix($0 + "/") } }) {
                source = "journal"
            } else if listed.contains(Self.authLog) {
                source = Self.authLog
            } else {
                throw CaptureError("no journal file (under \(Self.journalFolders.joined(separator: ", "))) and no \(Self.authLog) on \(host); "
                    + "name the log with 'source /ABSOLUTE/PATH' in configs/auth/\(host), or drop auth from the host's checks")
            }
        }
        return try? Baseline.parse("source \(source)\nsudo \(settings.sudo)\nssh \(settings.ssh)\n", file: file)
    }

    /// The check's own first collection (the last 24 hours, or the whole file), so a capture proves the read set works.
    public func captureArgv(host: String, current: Baseline?) throws(CaptureError) -> [String] {
        guard let current else { throw CaptureError("no source to read") }
        do {
            let settings = try Self.settings(current)
            return settings.logFile.map { Self.logArgv(file: $0, from: LogPosition(lines: 0)) } ?? Self.journalArgv(after: nil)
        } catch {
            throw CaptureError("bad reference: \(error)")
        }
    }

    /// `source`, `sudo N` and `ssh N` (the thresholds the check uses), once the log could be read as the scan reads it.
    public func capture(output: CommandResult, current: Baseline?) throws(CaptureError) -> [String] {
        guard let current else { throw CaptureError("no usable reference") }
        let judged = evaluate(host: "", output: output, reference: current, previous: nil)
        guard judged.status == .ok || judged.status == .drift else {
            throw CaptureError("the log cannot be read as the scan reads it: \(judged.detail)")
        }
        return current.lines.map(\.text)
    }
}
