// libFuzzer target for the one-liner probe specifier parsers (ProbeSpec):
// any text must parse or throw an error whose column lies inside the text
// (or just past it), never trap, hang or read out of bounds; STRCMP calls
// rewrite without trapping. The first byte picks the parser.
import ProbeSpec

/// Results folded into here so the optimizer keeps the work.
nonisolated(unsafe) var resultChecksum = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProbeSpec(_ start: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    guard count > 0 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: start + 1, count: count - 1), as: UTF8.self)
    do {
        switch start[0] % 5 {
        case 0:
            let probe = try TraceProbe(parsing: text)
            resultChecksum &+= probe.arguments.count &+ probe.conversions.count &+ (probe.parameters?.count ?? 0)
        case 1:
            let probe = try ArgdistProbe(parsing: text, mode: .histogram)
            resultChecksum &+= probe.expressions.count &+ probe.parameters.count
        case 2:
            let probe = try ArgdistProbe(parsing: text, mode: .frequency)
            resultChecksum &+= probe.types.count
        case 3:
            let pattern = try FunctionPattern(parsing: text, regularExpression: text.count % 2 == 0)
            resultChecksum &+= pattern.matcher().matches(text) ? 1 : 0
        default:
            var nextID = 0
            let rewritten = StrcmpRewrite.rewrite(text, binary: text.count % 2 == 0, user: true, nextID: &nextID)
            resultChecksum &+= rewritten.expression.count &+ rewritten.functions.count &+ nextID
        }
    } catch {
        precondition(error.column >= 1 && error.column <= text.count + 1, "the column lies inside the specifier")
        resultChecksum &+= error.description.count
    }
    return 0
}
