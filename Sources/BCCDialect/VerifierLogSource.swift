/// Shows the user's own C lines in a verifier log: the kernel prints the
/// line text recorded in the object's line info (the rewritten program) as
/// `; TEXT @ FILE:LINE`; the text is replaced with the user's line.
package struct VerifierLogSource: Sendable {
    /// The user's file name as the compiler recorded it.
    package var fileName: String
    /// The user's original source.
    package var original: [UInt8]

    /// The mapping for the user's `original` text, recorded as `fileName`.
    package init(fileName: String, original: [UInt8]) {
        self.fileName = fileName
        self.original = original
    }

    /// The log with each source annotation of the user's file showing the user's text.
    package func mapped(_ log: String) -> String {
        let lines = LineIndex(original)
        let marker = " @ \(fileName):"
        return log.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.hasPrefix(";"), let range = line.ranges(of: marker).last,
                  let number = Int(line[range.upperBound...]),
                  let source = lines.range(ofLine: number) else { return String(line) }
            let text = String(decoding: original[source], as: UTF8.self).trimming(" \t")
            return "; \(text) @ \(fileName):\(number)"
        }.joined(separator: "\n")
    }
}
