// libFuzzer target for the BTF decoder and the C writers: any input must
// decode or throw BTFError, and whatever decodes must answer every query
// and emit a header (or throw) without crashing, hanging or reading out of
// bounds.

/// Results are folded into here so the optimizer keeps the work.
nonisolated(unsafe) var checksum = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBTF(_ start: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    guard let btf = try? BTF(bytes: bytes) else { return 0 }
    for raw in 0..<UInt32(btf.typeCount) {
        let id = BTFTypeID(raw)
        checksum &+= btf.name(of: id).utf8.count
        checksum &+= btf.size(of: id) ?? 0
        checksum &+= btf.alignment(of: id) ?? 0
        checksum &+= btf.members(of: id).count + btf.enumValues(of: id).count + btf.parameters(of: id).count
        checksum &+= btf.dataSectionEntries(of: id).count + (btf.array(of: id)?.count ?? 0)
        checksum &+= Int(btf.resolved(id).rawValue) &+ Int(btf.skippingModifiers(id).rawValue)
        checksum &+= btf.cSpelling(of: id).utf8.count
        checksum &+= Array(btf.rawPayload(of: id)).count
    }
    checksum &+= btf.types(named: "a").count
    if let header = try? btf.cHeader() { checksum &+= header.count }
    // The same bytes as split BTF on top of themselves.
    if let split = try? BTF(bytes: bytes, base: btf) {
        for raw in split.ownTypeIDs { checksum &+= split.cSpelling(of: BTFTypeID(raw)).utf8.count }
    }
    return 0
}
