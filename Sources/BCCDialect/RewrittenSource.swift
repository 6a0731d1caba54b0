// The rewriter's output, with a map from every output byte back to the
// user's original text so that clang's diagnostics name the user's line
// and column, never the rewritten text.

/// Text built from pieces of the original source and generated text,
/// remembering where each output byte came from.
package struct RewrittenSource: Sendable {
    /// A run of output bytes and where it came from.
    private struct Segment: Sendable {
        var outputStart: Int
        var outputEnd: Int
        var originalStart: Int
        /// Verbatim copies map byte for byte; generated text maps to its anchor.
        var verbatim: Bool
    }

    package private(set) var bytes: [UInt8] = []
    private var segments: [Segment] = []

    /// An empty text.
    package init() {}

    /// Appends original bytes `range` (offsets into `original`).
    package mutating func appendVerbatim(_ original: [UInt8], _ range: Range<Int>) {
        guard !range.isEmpty else { return }
        let start = bytes.count
        bytes.append(contentsOf: original[range])
        segments.append(Segment(outputStart: start, outputEnd: bytes.count, originalStart: range.lowerBound, verbatim: true))
    }

    /// Appends generated text that stands for the original text at `anchor`.
    package mutating func appendGenerated(_ text: String, anchor: Int) {
        guard !text.isEmpty else { return }
        let start = bytes.count
        bytes.append(contentsOf: text.utf8)
        segments.append(Segment(outputStart: start, outputEnd: bytes.count, originalStart: anchor, verbatim: false))
    }

    /// The text built so far.
    package var text: String { String(decoding: bytes, as: UTF8.self) }

    /// This text with generated text inserted before output offsets (ascending);
    /// each insertion maps back to the original offset of the byte it precedes.
    package func inserting(_ insertions: [(offset: Int, text: String)]) -> RewrittenSource {
        var result = RewrittenSource()
        var index = 0
        for segment in segments {
            var start = segment.outputStart
            while index < insertions.count, insertions[index].offset < segment.outputEnd {
                let cut = max(insertions[index].offset, start)
                result.appendCopy(of: segment, from: start, to: cut, bytes)
                result.appendGenerated(insertions[index].text, anchor: originalOffset(forOutputOffset: cut))
                start = cut
                index += 1
            }
            result.appendCopy(of: segment, from: start, to: segment.outputEnd, bytes)
        }
        for insertion in insertions[index...] {
            result.appendGenerated(insertion.text, anchor: originalOffset(forOutputOffset: bytes.count))
        }
        return result
    }

    /// Appends output bytes `start..<end` of `segment` (of `source`), keeping where they came from.
    private mutating func appendCopy(of segment: Segment, from start: Int, to end: Int, _ source: [UInt8]) {
        guard end > start else { return }
        let outputStart = bytes.count
        bytes.append(contentsOf: source[start..<end])
        let originalStart = segment.verbatim ? segment.originalStart + (start - segment.outputStart) : segment.originalStart
        segments.append(Segment(outputStart: outputStart, outputEnd: bytes.count, originalStart: originalStart, verbatim: segment.verbatim))
    }

    /// The original offset that output offset `offset` came from.
    package func originalOffset(forOutputOffset offset: Int) -> Int {
        var low = 0, high = segments.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let segment = segments[mid]
            if offset < segment.outputStart {
                high = mid - 1
            } else if offset >= segment.outputEnd {
                low = mid + 1
            } else {
                return segment.verbatim ? segment.originalStart + (offset - segment.outputStart) : segment.originalStart
            }
        }
        guard let last = segments.last else { return 0 }
        return offset >= last.outputEnd && last.verbatim ? last.originalStart + (last.outputEnd - last.outputStart) : last.originalStart
    }

    /// Maps a 1-based (line, column) in the output (whose lines `output`
    /// indexes: built once by the caller, not per diagnostic) to a 1-based
    /// (line, column) in `original`.
    package func originalLocation(line: Int, column: Int, output: LineIndex, original: LineIndex) -> (line: Int, column: Int) {
        original.location(of: originalOffset(forOutputOffset: output.offset(line: line, column: column)))
    }
}

/// Line starts of a text, for converting between offsets and (line, column).
package struct LineIndex: Sendable {
    private let lineStarts: [Int]
    private let count: Int

    package init(_ bytes: [UInt8]) {
        var starts = [0]
        for (index, byte) in bytes.enumerated() where byte == 0x0A { starts.append(index + 1) }
        lineStarts = starts
        count = bytes.count
    }

    /// Number of lines.
    package var lineCount: Int { lineStarts.count }

    /// The byte offset of a 1-based (line, column), clamped to the text.
    package func offset(line: Int, column: Int) -> Int {
        let lineIndex = min(max(line - 1, 0), lineStarts.count - 1)
        return min(lineStarts[lineIndex] + max(column - 1, 0), count)
    }

    /// The 1-based (line, column) of a byte offset.
    package func location(of offset: Int) -> (line: Int, column: Int) {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return (low + 1, offset - lineStarts[low] + 1)
    }

    /// The byte range of a 1-based line, without its newline.
    package func range(ofLine line: Int) -> Range<Int>? {
        guard line >= 1, line <= lineStarts.count else { return nil }
        let start = lineStarts[line - 1]
        let end = line < lineStarts.count ? lineStarts[line] - 1 : count
        return start..<max(start, end)
    }
}
