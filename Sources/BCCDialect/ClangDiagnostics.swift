/// Turns clang's `file:line:col: severity: message` lines into diagnostics
/// about the user's text: locations in the rewritten program are mapped back
/// through the rewriter's source map and shown with the user's own line.
package enum ClangDiagnostics {
    package static func parse(_ output: String, userFile: String, rewritten: RewriteResult) -> [CompileDiagnostic] {
        let originalLines = LineIndex(rewritten.original)
        let outputLines = LineIndex(rewritten.body.bytes)
        var diagnostics: [CompileDiagnostic] = []
        for line in output.split(separator: "\n") {
            guard let parsed = parseLine(Substring(line)) else { continue }
            if parsed.file == userFile {
                let location = rewritten.body.originalLocation(line: parsed.line, column: parsed.column,
                                                                output: outputLines, original: originalLines)
                let sourceLine = originalLines.range(ofLine: location.line).map {
                    String(decoding: rewritten.original[$0], as: UTF8.self)
                } ?? ""
                diagnostics.append(CompileDiagnostic(
                    file: userFile, line: location.line, column: location.column,
                    severity: parsed.severity, message: parsed.message, sourceLine: sourceLine))
            } else if parsed.severity == .error {
                // An error inside the prelude or the BTF header: name it, there is no user line to show.
                diagnostics.append(CompileDiagnostic(
                    file: parsed.file, line: parsed.line, column: parsed.column,
                    severity: .error, message: parsed.message, sourceLine: ""))
            }
        }
        return diagnostics
    }

    private struct Line {
        var file: String
        var line: Int
        var column: Int
        var severity: CompileDiagnostic.Severity
        var message: String
    }

    /// Parses `file:line:col: severity: message`; the file name may itself contain colons.
    private static func parseLine(_ text: Substring) -> Line? {
        let severities: [(String, CompileDiagnostic.Severity)] = [
            (": fatal error: ", .error), (": error: ", .error), (": warning: ", .warning), (": note: ", .note),
        ]
        for (marker, severity) in severities {
            guard let range = text.firstRange(of: marker) else { continue }
            let location = text[..<range.lowerBound]
            let parts = location.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 3, let column = Int(parts[parts.count - 1]), let line = Int(parts[parts.count - 2]) else { continue }
            let file = parts[0..<(parts.count - 2)].joined(separator: ":")
            return Line(file: file, line: line, column: column, severity: severity, message: String(text[range.upperBound...]))
        }
        return nil
    }
}
