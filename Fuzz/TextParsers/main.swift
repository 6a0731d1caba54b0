// libFuzzer target for BCC's parsers of kernel text: trace_pipe lines
// (TraceFields, bcc's trace_fields), /proc/PID/maps (ProcessMapping) and
// /proc/kallsyms (KernelSymbols). The first byte picks the parser. Any input must give a value or nil,
// never a trap, a hang or an out-of-bounds read.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTextParsers(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    switch data[0] % 3 {
    case 0:
        for line in text.split(separator: "\n") {
            if let fields = TraceFields(line: line) {
                precondition(fields == .unknown || line.contains(fields.message), "the message is part of the line")
            }
        }
    case 1:
        for mapping in ProcessMapping.parse(text) {
            _ = mapping.isExecutableFile
            precondition(!mapping.permissions.isEmpty, "a mapping has permissions")
        }
    default:
        let table = KernelSymbols(kallsyms: Array(UnsafeBufferPointer(start: data + 1, count: size - 1)))
        for (earlier, later) in zip(table.symbols, table.symbols.dropFirst()) {
            precondition(earlier.address <= later.address, "symbols are sorted by address")
        }
        for symbol in table.symbols.prefix(64) {
            precondition(symbol.address >= KernelSymbols.kernelAddressSpaceStart, "only kernel addresses are kept")
            guard let match = table.resolve(symbol.address &+ 1) else { preconditionFailure("a symbol's own address resolves") }
            precondition(match.symbol.address <= symbol.address &+ 1, "the match is at or below the address")
            precondition(table.address(of: symbol.name) != nil, "every name is found")
        }
        precondition(table.resolve(KernelSymbols.kernelAddressSpaceStart &- 1) == nil, "nothing below the first symbol")
    }
    return 0
}
