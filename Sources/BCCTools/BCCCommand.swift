// bcc's tools parse their arguments with Python's argparse, which takes a
// short option's value attached to it (`-p181`, `-F99`, `-L80`) as well as
// apart; ArgumentParser takes it apart only. A tool that is a BCCCommand
// takes both.
import ArgumentParser

/// A tool's command: ArgumentParser's, with argparse's attached short-option values.
public protocol BCCCommand: ParsableCommand {}

extension BCCCommand {
    /// Parses the process's arguments (attached values split off) and runs the command.
    public static func main() {
        main(AttachedValues.split(Array(CommandLine.arguments.dropFirst())))
    }
}

/// argparse's `-X123` spelling of `-X 123`.
public enum AttachedValues {
    /// `arguments` with each `-X<digits...>` (one letter, then a digit) made
    /// `-X`, `<digits...>`; nothing after `--` or `--exec` (the command's own
    /// arguments) is touched. Runs of letters (`-stT`, combined flags) stay.
    public static func split(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if argument == "--" || argument == "--exec" { break }
            let characters = Array(argument)
            if characters.count > 2, characters[0] == "-", characters[1].isLetter, characters[1].isASCII,
               characters[2].isNumber {
                result += ["-" + String(characters[1]), String(characters[2...])]
            } else {
                result.append(argument)
            }
            index += 1
        }
        return result + arguments[index...]
    }
}
