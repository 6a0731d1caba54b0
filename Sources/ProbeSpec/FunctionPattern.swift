/// A pattern of funccount, funclatency and stackcount: `[p:][library:]function`,
/// `t:category:event`, `u:library:probe`, with `*` and `?` wildcards, or a
/// regular expression with the tools' `-r`.
public struct FunctionPattern: Equatable, Sendable {
    /// Where the matching probes attach (the target holds the pattern).
    public var point: ProbePoint
    /// True when the target is a regular expression.
    public var isRegularExpression: Bool

    /// Parses a pattern. Return probes (`r:`) are not patterns of these tools.
    public init(parsing specifier: String, regularExpression: Bool = false) throws(ProbeSpecError) {
        let text = SpecText(specifier)
        let all = text.trimmed(0..<text.characters.count)
        if let space = all.first(where: { text.characters[$0].isWhitespace }) {
            throw text.error(at: space, "a pattern has no spaces")
        }
        point = try ProbePoint.parse(text, all, allowsOffset: false, checksNames: !regularExpression)
        guard !point.kind.isReturn else {
            throw text.error(at: all.lowerBound, "return probes (r:) are not accepted here; give the function")
        }
        isRegularExpression = regularExpression
        if regularExpression {
            do {
                _ = try Regex(Self.anchored(point.target))
            } catch {
                throw text.error(at: all.upperBound - point.target.count, "invalid regular expression '\(point.target)': \(error)")
            }
        }
    }

    /// The part of the target that names are matched against: the tracepoint's
    /// `category:event`, the USDT probe's name, or the function.
    public var namePattern: String {
        point.kind == .usdt ? (point.usdtProbe?.name ?? point.target) : point.target
    }

    /// A matcher for candidate names (compile once, match many).
    public func matcher() -> NameMatcher {
        if isRegularExpression, let regex = try? Regex(Self.anchored(namePattern)) {
            return NameMatcher(regex: regex, glob: nil)
        }
        return NameMatcher(regex: nil, glob: Glob(namePattern))
    }

    private static func anchored(_ pattern: String) -> String { "^(?:" + pattern + ")$" }
}

/// Matches names against a pattern's glob or regular expression.
public struct NameMatcher {
    fileprivate let regex: Regex<AnyRegexOutput>?
    fileprivate let glob: Glob?

    /// True when all of `name` matches.
    public func matches(_ name: String) -> Bool {
        if let regex { return (try? regex.wholeMatch(in: name)) != nil }
        return glob?.matches(name) ?? false
    }
}
