// The `luna` command: the commands live in LunaCLI; this only runs them and exits.
import Foundation
import LunaCLI

exit(LunaCLI.main(arguments: Array(CommandLine.arguments.dropFirst())))
