// libFuzzer target for BCC's line parsers of kernel text: trace_pipe lines
// (TraceFields, bcc's trace_fields) and /proc/PID/maps (ProcessMapping).
// The first byte picks the parser. Any input must give a value or nil,
// never a trap, a hang or an out-of-bounds read.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTextParsers(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    switch data[0] % 2 {
    case 0:
        for line in text.split(separator: "\n") {
            if let fields = TraceFields(line: line) {
                precondition(fields == .unknown || line.contains(fields.message), "the message is part of the line")
            }
        }
    default:
        for mapping in ProcessMapping.parse(text) {
            _ = mapping.isExecutableFile
            precondition(!mapping.permissions.isEmpty, "a mapping has permissions")
        }
    }
    return 0
}
