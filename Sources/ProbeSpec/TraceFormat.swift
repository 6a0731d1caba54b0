/// A value captured for a trace format conversion.
public enum TraceValue: Equatable, Sendable {
    case signed(Int64)
    case unsigned(UInt64)
    case text(String)
}

/// Renders a trace format string with its captured values the way bcc's
/// trace does (it converts the C format to Python's `%`): integers in
/// decimal, `%x` family in lower-case hex, `%c` as a character, `%s`, `%K`
/// and `%U` as text (symbols already resolved), `%%` as a percent sign, and
/// C escapes (`\n`, `\t`, `\\`, `\"`) as the characters they stand for.
public enum TraceFormat {
    /// `format` with each conversion replaced by the next value.
    public static func render(_ format: String, conversions: [FormatConversion], values: [TraceValue]) -> String {
        var output = ""
        var characters = Array(format)[...]
        var next = 0
        while let character = characters.popFirst() {
            if character == "\\", let escaped = characters.popFirst() {
                switch escaped {
                case "n": output.append("\n")
                case "t": output.append("\t")
                default: output.append(escaped)
                }
                continue
            }
            guard character == "%" else {
                output.append(character)
                continue
            }
            if characters.first == "%" {
                characters.removeFirst()
                output.append("%")
                continue
            }
            guard next < conversions.count else {
                output.append(character)
                continue
            }
            let conversion = conversions[next]
            characters.removeFirst(min(conversion.rawValue.count, characters.count))
            let value = next < values.count ? values[next] : .text("")
            next += 1
            output += render(value, as: conversion)
        }
        return output
    }

    private static func render(_ value: TraceValue, as conversion: FormatConversion) -> String {
        switch (conversion, value) {
        case (.hex, .signed(let number)), (.hexLong, .signed(let number)), (.hexLongLong, .signed(let number)):
            return number < 0 ? "-" + String(number.magnitude, radix: 16) : String(number, radix: 16)
        case (.hex, .unsigned(let number)), (.hexLong, .unsigned(let number)), (.hexLongLong, .unsigned(let number)):
            return String(number, radix: 16)
        case (.character, .signed(let number)):
            return Unicode.Scalar(UInt32(UInt8(truncatingIfNeeded: number))).map { String(Character($0)) } ?? "?"
        case (.character, .unsigned(let number)):
            return Unicode.Scalar(UInt32(UInt8(truncatingIfNeeded: number))).map { String(Character($0)) } ?? "?"
        case (_, .signed(let number)): return String(number)
        case (_, .unsigned(let number)): return String(number)
        case (_, .text(let text)): return text
        }
    }
}
