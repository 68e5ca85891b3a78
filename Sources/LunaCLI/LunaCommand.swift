import Foundation
import LunaAgent
import LunaConfig
import LunaDrift
import LunaModel
import LunaStore
import LunaSystem
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

    /// The model providers of this build (LunaModel's registry), which `[llm] provider` must name.
    public static let knownProviders = ModelProviders.all.map { KnownLLMProvider(name: $0.name, defaultAPIBase: $0.defaultAPIBase) }
}

/// Exit statuses, as `luna --help` documents them.
enum Exit {
    static let ok: Int32 = 0
    static let negative: Int32 = 1
    static let error: Int32 = 2
    /// `scan`: nothing was checked.
    static let nothingChecked: Int32 = 3
}

/// Global options and the command dispatch.
enum LunaCommand {
    /// Every command, in the order `luna --help` lists them; dispatch and help both come from here.
    static let definitions: [CommandDefinition] = [
        .run, .scan, .proposals, .show, .approve, .deny, .allowed, .memory, .skills, .plan, .status, .baseline, .initialize, .check, .audit, .secrets, .waive, .unwaive, .waivers, .demo, .mcp, .context, .help,
    ]

    /// The command called `name`, or nil.
    static func definition(named name: String) -> CommandDefinition? {
        definitions.first { $0.name == name }
    }

    static func main(_ argv: [String]) -> Int32 {
        var args = Arguments(argv, command: "")
        do {
            if argv.isEmpty || argv == ["-h"] || argv == ["--help"] {
                emit(Help.main)
                return argv.isEmpty ? Exit.error : Exit.ok
            }
            let configPath = try args.value("--config") ?? "/etc/luna/luna.toml"
            let stateDir = try args.value("--state-dir")
            // Before a command: `luna [--config X] --version` and `luna [--config X] --help`.
            let noCommand = !args.words.contains { !$0.hasPrefix("-") }
            if noCommand, args.words.contains("--version") || args.words.contains("-V") {
                emit(Version.text)
                return Exit.ok
            }
            if noCommand, args.words.contains("--help") || args.words.contains("-h") {
                emit(Help.main)
                return Exit.ok
            }
            let name = try args.positional("a command")
            guard let command = definition(named: name) else { throw UsageError(message: "unknown command '\(name)'", command: nil) }
            var rest = Arguments(args.wordsAndDashes, command: name)
            if rest.flag("--help") || rest.flag("-h") {
                emit(command.helpText)
                return Exit.ok
            }
            return try command.run(&rest, Context(configPath: configPath, stateDirectory: stateDir))
        } catch let error as UsageError {
            printError("luna: \(error.message)")
            // A global-option error belongs to no command: point at the main help, not at "luna  --help".
            let command = error.command.flatMap { $0.isEmpty ? nil : $0 }
            printError(command.map { "Run 'luna \($0) --help' for usage." } ?? "Run 'luna --help' for usage.")
            return Exit.error
        } catch {
            printError("luna: \(error)")
            return Exit.error
        }
    }
}

/// What every command may need: the configuration and the state, loaded on demand.
struct Context: Sendable {
    var configPath: String
    var stateDirectory: String?

    /// Loads and validates the configuration; a bad one is an error naming file:line:column.
    func configuration() throws -> LunaConfiguration {
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw UsageError(message: "no configuration at \(configPath); pass --config PATH (an example: configs/luna.example.toml)", command: nil)
        }
        return try LunaConfiguration.load(path: configPath, stateDirectory: stateDirectory, knownChecks: CheckCatalog.names,
                                           channelKinds: ChannelRegistry.settingsKinds, knownProviders: LunaCLI.knownProviders)
    }

    /// The Agent over the configured state directory.
    func agent() throws -> Agent {
        let config = try configuration()
        return try Agent(config: config, environment: Self.environment(logLevel: config.operations.logLevel))
    }

    /// The Agent's side effects as by default, its log written to this run's stderr.
    ///
    /// The streams are taken now: the Agent logs from its scan and execution
    /// threads too, where the run's task-local binding is not visible.
    ///
    /// - Parameter logLevel: The least severe line written (`[log] level`).
    static func environment(logLevel: LogLevel = .info) -> AgentEnvironment {
        let streams = CLIStreams.current
        var environment = AgentEnvironment()
        // One line each, inert; with sd-daemon priority prefixes when stderr is the journal.
        environment.log = AgentLog.stream(threshold: logLevel, journal: streams.errorIsJournal, streams.writeError)
        return environment
    }
}

extension Arguments {
    /// The remaining words plus `--` and what follows, for a subcommand to parse.
    var wordsAndDashes: [String] {
        words + (afterDashes.map { ["--"] + $0 } ?? [])
    }
}
