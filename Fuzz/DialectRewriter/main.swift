// libFuzzer target for the bcc dialect rewriter (BCCDialect: CTokenizer,
// DialectRewriter, RewrittenSource): any text must rewrite or throw a
// diagnostic, never trap, hang or read out of bounds; a rewrite keeps the
// line count, every output position maps back inside the input, and every
// function's section parses. The same bytes as a kernel .config
// (KernelConfig) give only CONFIG_ names with values a macro can hold.
import BCCDialect
import BPFObject

/// Results folded into here so the optimizer keeps the work.
nonisolated(unsafe) var resultChecksum = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDialectRewriter(_ start: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    for symbol in KernelConfig(text: text).symbols {
        precondition(symbol.name.hasPrefix("CONFIG_") && !symbol.value.isEmpty && !symbol.value.contains("\n"))
        resultChecksum &+= symbol.value.utf8.count
    }
    let rewriter = DialectRewriter(fileName: "fuzz.c", pageSize: 4096, possibleCPUs: 4)
    guard let result = try? rewriter.rewrite(text) else { return 0 }
    let original = LineIndex(result.original)
    let output = LineIndex(Array(result.body.text.utf8))
    precondition(output.lineCount == original.lineCount, "the rewrite keeps line numbers")
    for line in stride(from: 1, through: output.lineCount, by: max(1, output.lineCount / 8)) {
        let location = result.body.originalLocation(line: line, column: 1, output: output, original: original)
        precondition(location.line >= 1 && location.line <= original.lineCount, "positions map back inside the input")
        resultChecksum &+= location.column
    }
    for function in result.functions {
        precondition(ProgramSection(sectionName: function.section) != nil, "the rewriter writes sections libbpf's conventions name")
    }
    resultChecksum &+= result.tables.count &+ result.functions.count &+ result.eventTypes.count
    return 0
}
