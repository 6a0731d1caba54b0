// The one whitespace trim of the package's text parsers (kernel files, tool arguments).

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs, newlines and
    /// carriage returns (what Foundation's `.whitespacesAndNewlines` trims in
    /// the kernel's ASCII files, without Foundation).
    package func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
