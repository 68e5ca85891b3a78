import Foundation
import LunaAgent
import LunaConfig
import LunaDrift
import LunaStore
import LunaText

/// The `luna` command as a library: the executable is a thin `main` over it, and tests run it in process.
public enum LunaCLI {
    /// Runs `luna ARGUMENTS` (without the program name) and returns its exit status.
    ///
    /// Everything the command prints goes to `streams`, and a body read from
    /// standard input comes from it; the status is the one the process exits with.
    public static func main(arguments: [String], streams: CLIStreams = .standard) -> Int32 {
        CLIStreams.$current.withValue(streams) { LunaCommand.main(arguments) }
    }
}

/// Exit statuses, as `luna --help` documents them.
enum Exit {
    static let ok: Int32 = 0
    static let negative: Int32 = 1
    static let error: Int32 = 2
}

/// Global options and the command dispatch.
enum LunaCommand {
    static func main(_ argv: [String]) -> Int32 {
        var args = Arguments(argv, command: "")
        do {
            if argv.isEmpty || argv == ["-h"] || argv == ["--help"] {
                emit(Help.main)
                return argv.isEmpty ? Exit.error : Exit.ok
            }
            let configPath = try args.value("--config") ?? "/etc/luna/luna.toml"
            let stateDir = try args.value("--state-dir")
            let command = try args.positional("a command")
            var rest = Arguments(args.wordsAndDashes, command: command)
            if rest.flag("--help") || rest.flag("-h") {
                guard let text = Help.text(for: command) else { throw UsageError(message: "unknown command '\(command)'", command: nil) }
                emit(text)
                return Exit.ok
            }
            let context = Context(configPath: configPath, stateDirectory: stateDir)
            switch command {
            case "help":
                let topic = try? rest.positional("a command")
                emit(topic.flatMap(Help.text(for:)) ?? Help.main)
                return Exit.ok
            case "run": return try RunCommand.run(&rest, context)
            case "scan": return try ScanCommand.run(&rest, context)
            case "proposals": return try ProposalsCommand.list(&rest, context)
            case "show": return try ProposalsCommand.show(&rest, context)
            case "approve": return try DecideCommand.run(&rest, context, .approve)
            case "deny": return try DecideCommand.run(&rest, context, .deny)
            case "allowed": return try AllowedCommand.run(&rest, context)
            case "memory": return try MemoryCommand.run(&rest, context)
            case "skills": return try SkillsCommand.run(&rest, context)
            case "plan": return try PlanCommand.run(&rest, context)
            case "status": return try StatusCommand.run(&rest, context)
            case "baseline": return try BaselineCommand.run(&rest, context)
            case "mcp": return try MCPCommand.run(&rest, context)
            case "context": return try MCPCommand.contextCommand(&rest, context)
            default:
                throw UsageError(message: "unknown command '\(command)'", command: nil)
            }
        } catch let error as UsageError {
            printError("luna: \(error.message)")
            printError(error.command.map { "Run 'luna \($0) --help' for usage." } ?? "Run 'luna --help' for usage.")
            return Exit.error
        } catch {
            printError("luna: \(error)")
            return Exit.error
        }
    }
}

/// What every command may need: the configuration and the state, loaded on demand.
struct Context {
    var configPath: String
    var stateDirectory: String?

    /// Loads and validates the configuration; a bad one is an error naming file:line:column.
    func configuration() throws -> LunaConfiguration {
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw UsageError(message: "no configuration at \(configPath); pass --config PATH (an example: configs/luna.example.toml)", command: nil)
        }
        return try LunaConfiguration.load(path: configPath, stateDirectory: stateDirectory, knownChecks: CheckCatalog.names,
                                           channelKinds: ChannelRegistry.settingsKinds)
    }

    /// The Agent over the configured state directory.
    func agent() throws -> Agent {
        try Agent(config: configuration(), environment: Self.environment())
    }

    /// The Agent's side effects as by default, its log written to this run's stderr.
    ///
    /// The streams are taken now: the Agent logs from its scan and execution
    /// threads too, where the run's task-local binding is not visible.
    static func environment() -> AgentEnvironment {
        let streams = CLIStreams.current
        // One line each, inert, exactly as the Agent's default log writes it.
        return AgentEnvironment(log: { line in streams.writeError("luna: " + InertText.render(line) + "\n") })
    }
}

extension Arguments {
    /// The remaining words plus `--` and what follows, for a subcommand to parse.
    var wordsAndDashes: [String] {
        words + (afterDashes.map { ["--"] + $0 } ?? [])
    }
}
