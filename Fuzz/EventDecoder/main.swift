// libFuzzer target for BTF's layout model, the event decoder and the Swift
// declaration writer: the input is a 4-byte little-endian BTF length, that
// many bytes of BTF, then a record. Every type is laid out and the record
// decoded as a value of it (as table keys and values are); every struct and
// union is also decoded as an event and rendered, its members found by
// path, and its Swift declarations written. Each must succeed or throw,
// never trap or read out of bounds (the record is copied into an exactly
// sized, AddressSanitizer-guarded buffer).

import BCCEvents
import BTF

/// Every rendered byte is summed into here, so the optimizer keeps the work.
nonisolated(unsafe) var checksum: UInt8 = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventDecoder(_ start: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let input = UnsafeBufferPointer(start: start, count: count)
    guard input.count >= 4 else { return 0 }
    let declared = Int(input[0]) | Int(input[1]) << 8 | Int(input[2]) << 16 | Int(input[3]) << 24
    let btfLength = min(declared, input.count - 4)
    guard let btf = try? BTF(bytes: Array(input[4..<4 + btfLength])) else { return 0 }
    let record = UnsafeMutableRawBufferPointer.allocate(byteCount: input.count - 4 - btfLength, alignment: 1)
    defer { record.deallocate() }
    record.copyBytes(from: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[(4 + btfLength)...])))

    let bytes = UnsafeRawBufferPointer(record)
    for raw in btf.ownTypeIDs.prefix(256) {
        let id = BTFTypeID(raw)
        guard let layout = try? btf.valueLayout(of: id), layout.valueCount <= EventDecoder.valueLimit else { continue }
        let value = BTFMemberLayout(name: "value", type: id, bitOffset: 0, value: layout)
        if let decoded = EventDecoder.value(of: value, in: bytes) {
            for byte in decoded.description.utf8 { checksum &+= byte }
        }
        if case let .composite(composite) = layout {
            for field in composite.fields.prefix(64) where !field.name.isEmpty && !field.name.contains(".") {
                guard composite.member(path: field.name) != nil else { fatalError("member(path: \(field.name)) is missing") }
            }
        }
    }
    let composites = btf.ownTypeIDs.lazy.map { BTFTypeID($0) }.filter { btf.kind(of: $0).isComposite }.prefix(64)
    for id in composites {
        if let decoder = try? EventDecoder(btf: btf, typeID: id),
            let event = try? decoder.decode(bytes)
        {
            for byte in event.description.utf8 { checksum &+= byte }
            for byte in event.json(table: "fuzz").utf8 { checksum &+= byte }
        }
        if let source = try? SwiftEventDeclarations(btf: btf, roots: [id]).source() {
            for byte in source.utf8 { checksum &+= byte }
        }
    }
    return 0
}
