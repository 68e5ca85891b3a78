import Foundation
import TestSupport
import Testing

@testable import LunaFleet

@Suite("RemoteCommand")
struct RemoteCommandTests {
    static let awkward = ["a b", "it's", "\"dq\"", "$HOME", "a;b", "*", "", "`id`", "$(id)", "back\\slash", "tab\tx", "-n", "%h"]

    @Test("single-quotes every element")
    func quoting() throws {
        #expect(try RemoteCommand.quote(["ls", "-l"]) == "'ls' '-l'")
        #expect(try RemoteCommand.quote(["echo", "it's"]) == "'echo' 'it'\\''s'")
        #expect(try RemoteCommand.quote(["printf", ""]) == "'printf' ''")
    }

    @Test("a real POSIX shell splits the quoted line back into the argv")
    func roundTripThroughShell() throws {
        let line = try RemoteCommand.quote(["printf", "%s\\n"] + Self.awkward)
        let result = try ProcessRunner.run(["/bin/sh", "-c", line])
        #expect(result.stdoutText == Self.awkward.map { $0 + "\n" }.joined())
    }

    @Test("newline, carriage return, NUL and empty argv are refused", arguments: [["echo", "a\nb"], ["echo", "a\rb"], ["echo", "a\u{0}"], []])
    func refused(argv: [String]) {
        #expect {
            _ = try RemoteCommand.quote(argv)
        } throws: { error in
            (error as? FleetError)?.kind == .invalidArgument
        }
    }
}

@Suite("SSHExecutor command line")
struct SSHCommandLineTests {
    let options = SSHOptions(
        identityFile: "/keys/id", knownHostsFile: "/keys/known_hosts",
        bastion: SSHTarget(host: "bastion", address: "10.0.0.1", port: 2222, user: "jump"),
        controlDirectory: "/run/luna/ssh")

    @Test("ssh is pinned, multiplexed and proxied through the bastion")
    func argvShape() throws {
        let executor = SSHExecutor(target: SSHTarget(host: "web1", address: "10.0.0.5"), options: options)
        let argv = try executor.sshArgv(remoteCommand: "'true'")
        #expect(argv.first == "/usr/bin/ssh")
        #expect(argv.suffix(2) == ["10.0.0.5", "'true'"])
        let joined = argv.joined(separator: " ")
        for piece in [
            "-F /dev/null", "-o BatchMode=yes", "-o StrictHostKeyChecking=yes", "-o UserKnownHostsFile=/keys/known_hosts",
            "-o GlobalKnownHostsFile=/dev/null", "-o IdentitiesOnly=yes", "-i /keys/id", "-o ConnectTimeout=10",
            "-o ControlMaster=auto", "-o ControlPath=/run/luna/ssh/%C", "-o ControlPersist=60", "-p 22", "-l luna",
        ] {
            #expect(joined.contains(piece), "missing \(piece)")
        }
        let proxy = try #require(argv.first { $0.hasPrefix("ProxyCommand=") })
        #expect(proxy.hasPrefix("ProxyCommand='/usr/bin/ssh' '-F' '/dev/null'"))
        #expect(proxy.hasSuffix("'-W' '%h:%p' '10.0.0.1'"))
        #expect(proxy.contains("'-p' '2222' '-l' 'jump'"))
        #expect(proxy.contains("'ControlMaster=no'"))
    }

    @Test(
        "unsafe paths, addresses and users are refused",
        arguments: [
            ("/keys/id with space", "10.0.0.5", "luna"), ("/keys/%d", "10.0.0.5", "luna"), ("keys/id", "10.0.0.5", "luna"),
            ("/keys/id", "-oProxyCommand=x", "luna"), ("/keys/id", "10.0.0.5", "-l"), ("/keys/id", "a b", "luna"),
        ])
    func refusesUnsafe(identity: String, address: String, user: String) {
        var options = options
        options.identityFile = identity
        let executor = SSHExecutor(target: SSHTarget(host: "web1", address: address, user: user), options: options)
        #expect {
            _ = try executor.run(["true"], timeout: .seconds(5))
        } throws: { error in
            let fleet = error as? FleetError
            return fleet?.kind == .invalidArgument && fleet?.host == "web1"
        }
    }

    @Test("only exit 255 with ssh's own complaint is a connection error")
    func classification() {
        func result(_ status: Int32, _ stderr: String) -> CommandResult {
            CommandResult(exitStatus: status, stderr: Data(stderr.utf8))
        }
        #expect(SSHExecutor.classify(result(255, "ssh: connect to host 10.0.0.5 port 22: Connection refused\n"))?.kind == .unreachable)
        #expect(SSHExecutor.classify(result(255, "Host key verification failed.\n"))?.kind == .hostKeyMismatch)
        #expect(SSHExecutor.classify(result(255, "my tool failed\n")) == nil)
        #expect(SSHExecutor.classify(result(1, "Connection refused\n")) == nil)
    }
}

/// Real sshd on 127.0.0.2 (target) and 127.0.0.3 (bastion).
@Suite(
    "SSHExecutor against a real sshd", .serialized,
    .enabled(if: SSHFarm.available, "needs root, sshd, sudo, visudo and mount namespaces (unshare --mount)"))
struct SSHExecutorSystemTests {
    static let awkward = ["a b", "it's", "\"dq\"", "$HOME", "a;b", "*", "", "`id`", "$(id)", "back\\slash", "%h:%p", "-n"]

    @Test("argv arrives intact through the bastion, and the exit status comes back")
    func throughBastion() throws {
        let lab = try SSHLab()
        defer { lab.shutdown() }
        let target = try lab.startDaemon(address: "127.0.0.2")
        let bastion = try lab.startDaemon(address: "127.0.0.3")
        let knownHosts = try lab.knownHosts("known_hosts", [(target, nil), (bastion, nil)])
        let options = SSHOptions(
            identityFile: lab.clientKey, knownHostsFile: knownHosts,
            bastion: lab.target(bastion, host: "bastion"), controlDirectory: lab.controlDirectory,
            connectTimeout: .seconds(5))
        let executor = SSHExecutor(target: lab.target(target, host: "web1"), options: options)
        defer { executor.disconnect() }

        let printed = try executor.run(["printf", "%s\\n"] + Self.awkward, timeout: .seconds(30))
        #expect(printed.exitStatus == 0, "stderr: \(printed.stderrText)")
        #expect(printed.stdoutText == Self.awkward.map { $0 + "\n" }.joined())

        // The remote side really is the target, and the bastion carries the connection.
        let whereAmI = try executor.run(["/bin/sh", "-c", "echo $SSH_CONNECTION; id -un"], timeout: .seconds(30))
        let fields = whereAmI.stdoutText.split(whereSeparator: \.isWhitespace).map(String.init)
        #expect(fields.count == 5)
        #expect(fields.dropFirst(2).first == "127.0.0.2")
        #expect(fields.dropFirst(3).first == String(target.port))
        #expect(fields.last == SSHLab.user)
        #expect(!bastion.sessionProcesses.isEmpty, "no session on the bastion: the connection bypassed it")

        for code: Int32 in [1, 7, 255] {
            let exited = try executor.run(["/bin/sh", "-c", "echo oops >&2; exit \(code)"], timeout: .seconds(30))
            #expect(exited.exitStatus == code)
            #expect(exited.stderrText == "oops\n")
        }
        // Multiplexed: a master socket exists for the target.
        let sockets = try FileManager.default.contentsOfDirectory(atPath: lab.controlDirectory)
        #expect(sockets.count == 1, "\(sockets)")
    }

    @Test("hosts behind the bastion share one bastion login once openBastion ran")
    func sharedBastion() throws {
        let lab = try SSHLab()
        defer { lab.shutdown() }
        let one = try lab.startDaemon(address: "127.0.0.2")
        let two = try lab.startDaemon(address: "127.0.0.4")
        let bastion = try lab.startDaemon(address: "127.0.0.3")
        let knownHosts = try lab.knownHosts("known_hosts", [(one, nil), (two, nil), (bastion, nil)])
        func options(_ directory: String) throws -> SSHOptions {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return SSHOptions(identityFile: lab.clientKey, knownHostsFile: knownHosts, bastion: lab.target(bastion, host: "bastion"),
                              controlDirectory: directory, connectTimeout: .seconds(5))
        }
        func reachBoth(_ options: SSHOptions) throws {
            for (daemon, name) in [(one, "one"), (two, "two")] {
                let executor = SSHExecutor(target: lab.target(daemon, host: name), options: options)
                let result = try executor.run(["/bin/sh", "-c", "echo $SSH_CONNECTION"], timeout: .seconds(30))
                #expect(result.stdoutText.split(separator: " ").dropFirst(2).first.map(String.init) == daemon.address,
                        "stderr: \(result.stderrText)")
                executor.disconnect()
            }
        }
        // Alone: each host logs in to the bastion itself.
        try reachBoth(try options(lab.directory + "/a"))
        // Shared: one login on the bastion carries both hosts.
        let shared = try options(lab.directory + "/b")
        #expect(try SSHExecutor.openBastion(shared, timeout: .seconds(20)))
        let again = ContinuousClock.now
        #expect(try SSHExecutor.openBastion(shared, timeout: .seconds(20)))   // already up: no new login
        #expect(ContinuousClock.now - again < .seconds(2))
        try reachBoth(shared)
        SSHExecutor.closeBastion(shared)
        bastion.stop()
        let logins = bastion.log.components(separatedBy: "Accepted publickey").count - 1
        #expect(logins == 3, "bastion logins: \(logins) (2 alone + 1 shared expected)\n\(bastion.log)")
        // The bastion down: openBastion says so, it never pretends.
        #expect {
            try SSHExecutor.openBastion(try options(lab.directory + "/d"), timeout: .seconds(20))
        } throws: { error in
            (error as? FleetError)?.kind == .unreachable
        }
    }

    @Test("argv arrives intact on a direct connection")
    func direct() throws {
        let lab = try SSHLab()
        defer { lab.shutdown() }
        let target = try lab.startDaemon(address: "127.0.0.2")
        let options = SSHOptions(
            identityFile: lab.clientKey, knownHostsFile: try lab.knownHosts("known_hosts", [(target, nil)]),
            controlDirectory: lab.controlDirectory, connectTimeout: .seconds(5))
        let executor = SSHExecutor(target: lab.target(target, host: "web1"), options: options)
        defer { executor.disconnect() }
        let printed = try executor.run(["printf", "%s\\n"] + Self.awkward, timeout: .seconds(30))
        #expect(printed.stdoutText == Self.awkward.map { $0 + "\n" }.joined(), "stderr: \(printed.stderrText)")
        let exited = try executor.run(["sh", "-c", "exit 42"], timeout: .seconds(30))
        #expect(exited.exitStatus == 42)
    }

    @Test("a newline in argv is refused before ssh runs")
    func newlineRefused() throws {
        let lab = try SSHLab()
        defer { lab.shutdown() }
        let options = SSHOptions(
            identityFile: lab.clientKey, knownHostsFile: lab.directory + "/none", controlDirectory: lab.controlDirectory)
        let executor = SSHExecutor(target: SSHTarget(host: "web1", address: "127.0.0.2", user: SSHLab.user), options: options)
        #expect {
            _ = try executor.run(["echo", "a\nrm -rf /"], timeout: .seconds(5))
        } throws: { error in
            (error as? FleetError)?.kind == .invalidArgument
        }
    }

    @Test("a stopped sshd is unreachable, directly and behind the bastion")
    func stoppedDaemon() throws {
        let lab = try SSHLab()
        defer { lab.shutdown() }
        let target = try lab.startDaemon(address: "127.0.0.2")
        let bastion = try lab.startDaemon(address: "127.0.0.3")
        let knownHosts = try lab.knownHosts("known_hosts", [(target, nil), (bastion, nil)])
        target.stop()
        let direct = SSHExecutor(
            target: lab.target(target, host: "web1"),
            options: SSHOptions(
                identityFile: lab.clientKey, knownHostsFile: knownHosts, controlDirectory: lab.controlDirectory,
                connectTimeout: .seconds(5)))
        let proxied = SSHExecutor(
            target: lab.target(target, host: "web1"),
            options: SSHOptions(
                identityFile: lab.clientKey, knownHostsFile: knownHosts, bastion: lab.target(bastion, host: "bastion"),
                controlDirectory: lab.controlDirectory, connectTimeout: .seconds(5)))
        for executor in [direct, proxied] {
            let start = ContinuousClock.now
            #expect {
                _ = try executor.run(["true"], timeout: .seconds(30))
            } throws: { error in
                let fleet = error as? FleetError
                return fleet?.kind == .unreachable && fleet?.host == "web1" && fleet?.argv == ["true"]
            }
            #expect(ContinuousClock.now - start < .seconds(15))
        }
        // The bastion itself down: unreachable too.
        bastion.stop()
        #expect {
            _ = try proxied.run(["true"], timeout: .seconds(30))
        } throws: { error in
            (error as? FleetError)?.kind == .unreachable
        }
    }

    @Test("a wrong known_hosts entry is a host key mismatch, for the target and for the bastion")
    func hostKeyMismatch() throws {
        let lab = try SSHLab()
        defer { lab.shutdown() }
        let target = try lab.startDaemon(address: "127.0.0.2")
        let bastion = try lab.startDaemon(address: "127.0.0.3")
        let stray = try lab.strayPublicKey()
        for (name, entries) in [
            ("wrong_target", [(target, stray), (bastion, nil)]),
            ("wrong_bastion", [(target, nil), (bastion, stray)]),
        ] as [(String, [(SSHDaemon, String?)])] {
            let executor = SSHExecutor(
                target: lab.target(target, host: "web1"),
                options: SSHOptions(
                    identityFile: lab.clientKey, knownHostsFile: try lab.knownHosts(name, entries),
                    bastion: lab.target(bastion, host: "bastion"), controlDirectory: lab.controlDirectory,
                    connectTimeout: .seconds(5)))
            defer { executor.disconnect() }
            #expect {
                _ = try executor.run(["true"], timeout: .seconds(30))
            } throws: { error in
                (error as? FleetError)?.kind == .hostKeyMismatch
            }
        }
    }
}
