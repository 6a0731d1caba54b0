/// One probe of bcc's `trace` tool:
/// `[p|r]:[library]:function[+offset][(signature)] [(filter)] ["format"[, argument...]]`,
/// `t:category:event [(filter)] ["format", args->field...]`, `u:library:probe ...`.
public struct TraceProbe: Equatable, Sendable {
    /// Where it attaches.
    public var point: ProbePoint
    /// The signature's parameters, when one was given.
    public var parameters: [Parameter]?
    /// The filter expression, without its parentheses (nil: every call).
    public var filter: String?
    /// The printf-style format, without quotes (nil: print the function name only).
    public var format: String?
    /// The conversions of `format`, one per argument.
    public var conversions: [FormatConversion]
    /// The argument expressions, in bcc's vocabulary (arg1..arg6, retval, $pid, ...).
    public var arguments: [String]

    /// Parses a trace probe.
    public init(parsing specifier: String) throws(ProbeSpecError) {
        let text = SpecText(specifier)
        let all = text.trimmed(0..<text.characters.count)
        var end = all.lowerBound
        while end < all.upperBound, !text.characters[end].isWhitespace, text.characters[end] != "(" { end += 1 }
        point = try ProbePoint.parse(text, all.lowerBound..<end, allowsOffset: true)
        var cursor = end
        parameters = nil
        if cursor < all.upperBound, text.characters[cursor] == "(" {
            let close = try text.matchingParenthesis(cursor, limit: all.upperBound)
            if point.kind == .tracepoint || point.kind == .usdt {
                throw text.error(at: cursor, "USDT and tracepoint probes can't have a function signature; use arg1, arg2, ... or args->field instead")
            }
            parameters = try Parameter.parseList(text, (cursor + 1)..<close)
            cursor = close + 1
        }
        cursor = text.trimmed(cursor..<all.upperBound).lowerBound
        filter = nil
        if cursor < all.upperBound, text.characters[cursor] == "(" {
            let close = try text.matchingParenthesis(cursor, limit: all.upperBound)
            let inner = text.trimmed((cursor + 1)..<close)
            guard !inner.isEmpty else { throw text.error(at: cursor, "empty filter") }
            filter = text[inner]
            cursor = text.trimmed((close + 1)..<all.upperBound).lowerBound
        }
        format = nil
        conversions = []
        arguments = []
        guard cursor < all.upperBound else { return }
        guard text.characters[cursor] == "\"" else {
            throw text.error(at: cursor, "expected a format string in double quotes")
        }
        let closeQuote = try text.endOfLiteral(startingAt: cursor, limit: all.upperBound)
        let formatText = text[(cursor + 1)..<closeQuote]
        conversions = try FormatConversion.parse(formatText, in: text, at: cursor + 1)
        format = formatText
        let rest = text.trimmed((closeQuote + 1)..<all.upperBound)
        if !rest.isEmpty {
            guard text.characters[rest.lowerBound] == "," else {
                throw text.error(at: rest.lowerBound, "expected ',' and arguments after the format string")
            }
            for piece in try text.split((rest.lowerBound + 1)..<rest.upperBound, at: ",") {
                let argument = text.trimmed(piece)
                guard !argument.isEmpty else { throw text.error(at: piece.lowerBound, "empty argument") }
                arguments.append(text[argument])
            }
        }
        guard arguments.count == conversions.count else {
            throw text.error(at: cursor, "the format has \(conversions.count) conversion\(conversions.count == 1 ? "" : "s") but \(arguments.count) argument\(arguments.count == 1 ? " was" : "s were") given")
        }
    }
}

/// A conversion of a trace format string and the C type its argument is
/// stored as: bcc's `%s %d %u %ld %lu %lld %llu %hd %hu %x %lx %llx %c %K %U`.
public enum FormatConversion: String, Equatable, Sendable, CaseIterable {
    case string = "s"
    case int = "d", unsignedInt = "u"
    case long = "ld", unsignedLong = "lu"
    case longLong = "lld", unsignedLongLong = "llu"
    case short = "hd", unsignedShort = "hu"
    case hex = "x", hexLong = "lx", hexLongLong = "llx"
    case character = "c"
    /// A kernel address printed as a symbol.
    case kernelSymbol = "K"
    /// A user address printed as a symbol of the traced process.
    case userSymbol = "U"

    /// The C type the value is captured as.
    public var cType: String {
        switch self {
        case .string: return "char"
        case .int: return "int"
        case .unsignedInt, .hex: return "unsigned int"
        case .long: return "long"
        case .unsignedLong, .hexLong: return "unsigned long"
        case .longLong: return "long long"
        case .unsignedLongLong, .hexLongLong, .kernelSymbol, .userSymbol: return "unsigned long long"
        case .short: return "short"
        case .unsignedShort: return "unsigned short"
        case .character: return "char"
        }
    }

    /// The conversions of `format` in order; `%%` is a literal percent.
    static func parse(_ format: String, in text: SpecText, at offset: Int) throws(ProbeSpecError) -> [FormatConversion] {
        let characters = Array(format)
        var result: [FormatConversion] = []
        var index = 0
        while index < characters.count {
            defer { index += 1 }
            guard characters[index] == "%" else {
                if characters[index] == "\\" { index += 1 }
                continue
            }
            if index + 1 < characters.count, characters[index + 1] == "%" {
                index += 1
                continue
            }
            // Longest match first: llu before lu before u.
            let candidates = FormatConversion.allCases.sorted { $0.rawValue.count > $1.rawValue.count }
            guard let match = candidates.first(where: { conversion in
                let raw = Array(conversion.rawValue)
                return index + raw.count < characters.count + 1 && Array(characters[(index + 1)..<min(characters.count, index + 1 + raw.count)]) == raw
            }) else {
                throw text.error(at: offset + index, "unsupported conversion in format (supported: %s %d %u %ld %lu %lld %llu %hd %hu %x %lx %llx %c %K %U)")
            }
            result.append(match)
            index += match.rawValue.count
        }
        return result
    }
}
