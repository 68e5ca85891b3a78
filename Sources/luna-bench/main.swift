// luna-bench: small benchmarks that print figures.
//
//   luna-bench gate [--rules N] [--seconds S]
//   luna-bench memory [--queries Q] [--sizes 1000,10000,100000]
//   luna-bench scan [--hosts N] [--parallel P] [--idle-seconds S] [--peer] [--init]   (root: starts sshd instances)
//   luna-bench toml [--repeats R]
//   luna-bench killloop [--rounds N] [--seed S]   (needs the luna binary beside it)
//
// Add a subcommand by adding a case to `commands`.
import Foundation
import LunaPolicy

struct BenchError: Error, CustomStringConvertible {
    var description: String
}

func option(_ name: String, in args: [String], default value: Double) throws -> Double {
    guard let i = args.firstIndex(of: name) else { return value }
    guard i + 1 < args.count, let v = Double(args[i + 1]), v > 0 else {
        throw BenchError(description: "\(name) needs a positive number")
    }
    return v
}

/// A reference of `count` user specifications with aliases, wildcards, negations and regexes.
func referenceSudoers(rules count: Int) -> String {
    var lines = [
        "Defaults env_reset",
        "User_Alias OPS = luna, %ops, %wheel",
        "Host_Alias WEB = web*, edge?.example.com",
        "Runas_Alias SVC = www-data, postgres, redis",
        "Cmnd_Alias READ = /usr/bin/systemctl status *, /usr/bin/journalctl -u *, /usr/bin/cat /var/log/*",
        "Cmnd_Alias DANGER = /usr/bin/rm, /usr/sbin/mkfs*, /usr/bin/dd",
    ]
    let programs = ["systemctl", "journalctl", "cat", "ls", "ss", "ip", "df", "du", "find", "docker", "zfs", "apt-get"]
    for i in 0..<count {
        let p = programs[i % programs.count]
        switch i % 5 {
        case 0: lines.append("OPS WEB = (root) NOPASSWD: /usr/bin/\(p) status unit\(i)-*, READ")
        case 1: lines.append("luna host\(i), WEB = (SVC) /usr/bin/\(p) ^(show|list) item\(i)$")
        case 2: lines.append("%ops ALL, !db\(i) = (root) /usr/sbin/\(p)* --flag\(i) *, !DANGER")
        case 3: lines.append("luna ALL = (root) NOEXEC: /usr/bin/\(p) \"\", /usr/local/bin/tool\(i) -x *")
        default: lines.append("root, luna web\(i) = (ALL, !root) /usr/bin/\(p) --id=\(i)")
        }
    }
    return lines.joined(separator: "\n") + "\n"
}

func gateBench(_ args: [String]) throws {
    let rules = Int(try option("--rules", in: args, default: 200))
    let seconds = try option("--seconds", in: args, default: 2)
    let sudoers = try Sudoers.parse(referenceSudoers(rules: rules), file: "bench-reference")
    let requests: [SudoRequest] = [
        SudoRequest(groups: ["luna", "ops"], host: "web1", argv: ["/usr/bin/systemctl", "status", "nginx"]),
        SudoRequest(groups: ["luna"], host: "web1", argv: ["/usr/bin/cat", "/var/log/syslog"]),
        SudoRequest(groups: ["luna"], host: "db7", argv: ["/usr/bin/rm", "-rf", "/"]),
        SudoRequest(groups: ["luna"], host: "host1", runasUser: "postgres", argv: ["/usr/bin/journalctl", "show", "item1"]),
        SudoRequest(groups: ["luna", "ops"], host: "web3", argv: ["/bin/ls"]),
        SudoRequest(groups: ["luna"], host: "edge1.example.com", argv: ["/usr/local/bin/tool3", "-x", "a b"]),
    ]
    var allowed = 0
    var decisions = 0
    let clock = ContinuousClock()
    let start = clock.now
    let limit = Duration.milliseconds(Int(seconds * 1000))
    while clock.now - start < limit {
        for r in requests {
            if sudoers.decide(r).allowed { allowed += 1 }
        }
        decisions += requests.count
    }
    let elapsed = clock.now - start
    let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let rate = Double(decisions) / secs
    print("gate: \(rules) rules, \(decisions) decisions in \(String(format: "%.2f", secs)) s")
    print("gate: \(Int(rate)) decisions/second (allowed \(allowed), canonical paths, usrmerge)")
    print("gate: \(String(format: "%.2f", 1e6 / rate)) µs per decision (warm: the entries for a user/host/runas are memoized)")

    // Cold: every decision in a context never seen before (new host name each time).
    var cold = 0
    let coldStart = clock.now
    while clock.now - coldStart < limit / 4 {
        _ = sudoers.decide(SudoRequest(groups: ["luna", "ops"], host: "web\(100_000 + cold)", argv: ["/usr/bin/systemctl", "status", "nginx"]))
        cold += 1
    }
    let coldElapsed = clock.now - coldStart
    let coldSecs = Double(coldElapsed.components.seconds) + Double(coldElapsed.components.attoseconds) / 1e18
    print("gate: \(Int(Double(cold) / coldSecs)) decisions/second cold (a new host context every decision)")
}

let commands: [String: ([String]) throws -> Void] = ["gate": gateBench, "memory": memoryBench, "scan": scanBench, "toml": tomlBench,
                                                      "killloop": killLoopBench]
let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let command = commands[name] else {
    print("usage: luna-bench <\(commands.keys.sorted().joined(separator: "|"))> [options]")
    print("  gate [--rules N] [--seconds S]   sudoers decisions per second")
    print("  memory [--queries Q] [--sizes 1000,10000,100000]   recall latency p50/p99")
    print("  toml [--repeats R]   parse time of a 5 MB file, 50,000/400,000-element arrays, 80,000 [[hosts]]")
    print("  scan [--hosts N] [--parallel P] [--idle-seconds S]   N sshd hosts via a bastion: wall vs slowest host; daemon idle RSS/CPU")
    print("  killloop [--rounds N] [--seed S]   random kill -9 of luna (alone, whole tree, after update-ref): double executions, lost outcomes, half commits, integrity")
    exit(arguments.isEmpty ? 0 : 2)
}
do {
    try command(Array(arguments.dropFirst()))
} catch {
    print("luna-bench: \(error)")
    exit(1)
}
