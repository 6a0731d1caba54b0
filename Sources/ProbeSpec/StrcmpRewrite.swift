/// bcc's `STRCMP("text", expr)` in trace's filters and arguments: each call
/// becomes a generated `streq_N` function that reads as many bytes as the
/// literal holds from the pointer and compares all but its last (bcc's
/// StrcmpRewrite). With bcc's -B the literal's inside is a C initializer
/// (`STRCMP("{0x41,0x42}", arg1)`), for binary values.
public enum StrcmpRewrite {
    /// `expression` with its STRCMP calls renamed, and the functions they call.
    ///
    /// - Parameters:
    ///   - binary: bcc's -B: the literal's text without its quotes initializes the needle.
    ///   - user: read the compared pointer from user memory (user probes, `@user` arguments).
    ///   - nextID: the number of the next generated function, advanced per call.
    public static func rewrite(_ expression: String, binary: Bool, user: Bool,
                               nextID: inout Int) -> (expression: String, functions: String) {
        var text = Substring(expression)
        var result = ""
        var functions = ""
        while let call = text.firstRange(of: "STRCMP(\"") {
            result += text[..<call.lowerBound]
            let literalStart = call.upperBound
            guard let literalEnd = text[literalStart...].firstIndex(of: "\""), literalEnd > literalStart,
                  let comma = text[literalEnd...].firstIndex(of: ","),
                  let close = closingParenthesis(in: text[text.index(after: comma)...]) else {
                result += text[call]
                text = text[call.upperBound...]
                continue
            }
            let inside = text[literalStart ..< literalEnd]
            let argument = text[text.index(after: comma) ..< close].drop { $0 == " " }
            let name = "streq_\(nextID)"
            nextID += 1
            let read = user ? "bpf_probe_read_user" : "bpf_probe_read_kernel"
            functions += """
                static inline bool \(name)(char const *ignored, uintptr_t str) {
                    char needle[] = \(binary ? String(inside) : "\"\(inside)\"");
                    char haystack[sizeof(needle)];
                    \(read)(&haystack, sizeof(haystack), (void *)str);
                    for (int i = 0; i < sizeof(needle) - 1; ++i) {
                        if (needle[i] != haystack[i]) {
                            return false;
                        }
                    }
                    return true;
                }

                """
            // The pointer as an integer: clang refuses the implicit conversion bcc's older clang warned about.
            result += "\(name)(\"\(inside)\", (uintptr_t)(\(argument)))"
            text = text[text.index(after: close)...]
        }
        result += text
        return (result, functions)
    }

    /// The `)` that closes the call whose arguments `text` continues (depth 0), or nil.
    private static func closingParenthesis(in text: Substring) -> Substring.Index? {
        var depth = 0
        var index = text.startIndex
        while index < text.endIndex {
            switch text[index] {
            case "(": depth += 1
            case ")":
                if depth == 0 { return index }
                depth -= 1
            default: break
            }
            index = text.index(after: index)
        }
        return nil
    }
}
