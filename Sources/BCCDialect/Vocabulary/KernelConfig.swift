// The kernel's build configuration (.config) as the C symbols kernel
// headers give a bcc program through <generated/autoconf.h>: CONFIG_X 1
// for `=y`, CONFIG_X_MODULE 1 for `=m`, numbers and strings as written,
// and kconfig.h's IS_ENABLED, IS_BUILTIN and IS_MODULE over them.

/// A kernel configuration: its `CONFIG_*` symbols and their values.
package struct KernelConfig: Sendable, Equatable {
    /// One symbol that is set: name (with CONFIG_) and value as written
    /// ("y", "m", "250", "0x1000", "\"bpf\"").
    package struct Symbol: Sendable, Equatable {
        package var name: String
        package var value: String
    }

    /// The symbols that are set, in file order ("# CONFIG_X is not set" lines are not).
    package var symbols: [Symbol]

    /// Parses .config text: `CONFIG_NAME=value` lines; comments, blank
    /// lines and lines that are not assignments of a CONFIG_ name are
    /// skipped, and so is a value a C macro could not hold (a newline
    /// cannot occur, an unterminated string can).
    package init(text: String) {
        symbols = []
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            guard line.hasPrefix("CONFIG_"), let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals], value = line[line.index(after: equals)...]
            guard name.count > "CONFIG_".count, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
                  Self.isMacroValue(value) else { continue }
            symbols.append(Symbol(name: String(name), value: String(value)))
        }
    }

    /// `y`, `m`, a decimal or hexadecimal number, or a double-quoted string
    /// with its escapes closed.
    private static func isMacroValue(_ value: Substring) -> Bool {
        if value == "y" || value == "m" { return true }
        if value.hasPrefix("\"") {
            guard value.count >= 2, value.hasSuffix("\"") else { return false }
            var escaped = false
            for character in value.dropFirst().dropLast() {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { return false }
            }
            return !escaped
        }
        let digits = value.hasPrefix("-") ? value.dropFirst() : value
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            return digits.count > 2 && digits.dropFirst(2).allSatisfy(\.isHexDigit)
        }
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// autoconf.h's definitions: (name defined, line).
    var definitions: [(name: String, text: String)] {
        symbols.map { symbol in
            switch symbol.value {
            case "y": return (symbol.name, "#define \(symbol.name) 1")
            case "m": return (symbol.name + "_MODULE", "#define \(symbol.name)_MODULE 1")
            default: return (symbol.name, "#define \(symbol.name) \(symbol.value)")
            }
        }
    }

    /// kconfig.h's tests of a symbol, with or without a configuration: an
    /// option defined as 1 turns the placeholder into `0,`, which shifts the
    /// second argument of the list to 1; anything else leaves it 0.
    static var testMacros: [(name: String, text: String)] {
        [
            ("__ARG_PLACEHOLDER_1", "#define __ARG_PLACEHOLDER_1 0,"),
            ("__take_second_arg", "#define __take_second_arg(__ignored, val, ...) val"),
            ("__is_defined", "#define __is_defined(x) ___is_defined(x)"),
            ("___is_defined", "#define ___is_defined(val) ____is_defined(__ARG_PLACEHOLDER_##val)"),
            ("____is_defined", "#define ____is_defined(arg1_or_junk) __take_second_arg(arg1_or_junk 1, 0)"),
            ("IS_BUILTIN", "#define IS_BUILTIN(option) __is_defined(option)"),
            ("IS_MODULE", "#define IS_MODULE(option) __is_defined(option##_MODULE)"),
            ("IS_ENABLED", "#define IS_ENABLED(option) (IS_BUILTIN(option) || IS_MODULE(option))"),
        ]
    }
}
