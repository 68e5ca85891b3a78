// The `luna` command: parsing and wiring only; the rooms do the work.
import Foundation

exit(LunaCommand.main(Array(CommandLine.arguments.dropFirst())))
