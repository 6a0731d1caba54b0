import Testing
@testable import BTF

/// A blob with one type of every kind, built by hand.
private func everyKind() throws -> (BTF, [String: UInt32]) {
    var b = BTFBuilder()
    var ids: [String: UInt32] = [:]
    let int = b.int("int", size: 4, signed: true)
    let uint = b.int("unsigned int", size: 4)
    let char = b.int("char", size: 1, signed: true, char: true)
    ids["int"] = int
    ids["ptr"] = b.pointer(to: char)
    ids["array"] = b.array(of: char, index: uint, count: 16)
    ids["struct"] = b.composite(.struct, "point", size: 12, members: [("x", int, 0, 0), ("y", int, 32, 0), ("flags", uint, 64, 3), ("mode", uint, 67, 5)])
    ids["union"] = b.composite(.union, "value", size: 4, members: [("i", int, 0, 0), ("u", uint, 0, 0)])
    ids["enum"] = b.enumeration("color", signed: true, values: [("RED", -1), ("GREEN", 7)])
    ids["fwd"] = b.raw(.forward, name: "opaque", kindFlag: true, sizeOrType: 0)
    ids["typedef"] = b.typedef("u32", uint)
    ids["volatile"] = b.raw(.volatile, sizeOrType: int)
    ids["const"] = b.raw(.const, sizeOrType: char)
    ids["constptr"] = b.pointer(to: ids["const"]!)
    ids["restrict"] = b.raw(.restrict, sizeOrType: ids["ptr"]!)
    ids["proto"] = b.prototype(returning: int, parameters: [("p", ids["ptr"]!), ("", 0)])
    ids["func"] = b.raw(.function, name: "handler", vlen: 1, sizeOrType: ids["proto"]!)
    ids["var"] = b.raw(.variable, name: "counter", sizeOrType: int, payload: [1])
    ids["datasec"] = b.raw(.dataSection, name: ".bss", vlen: 1, sizeOrType: 4, payload: [ids["var"]!, 0, 4])
    ids["float"] = b.raw(.float, name: "double", sizeOrType: 8)
    ids["decltag"] = b.raw(.declarationTag, name: "tagged", sizeOrType: ids["struct"]!, payload: [UInt32(bitPattern: -1)])
    ids["enum64"] = b.enum64("big", values: [("HUGE", 1 << 40), ("SMALL", 1)])
    ids["typetag"] = b.raw(.typeTag, name: "user", sizeOrType: int)
    ids["fnptr"] = b.pointer(to: ids["proto"]!)
    ids["matrix"] = b.array(of: ids["array"]!, index: uint, count: 2)
    return (try b.build(), ids)
}

@Test func decodesEveryKind() throws {
    let (btf, ids) = try everyKind()
    #expect(btf.typeCount == 25)
    let expected: [String: BTFKind] = [
        "int": .int, "ptr": .pointer, "array": .array, "struct": .struct, "union": .union, "enum": .enum,
        "fwd": .forward, "typedef": .typedef, "volatile": .volatile, "const": .const, "restrict": .restrict,
        "proto": .functionPrototype, "func": .function, "var": .variable, "datasec": .dataSection, "float": .float,
        "decltag": .declarationTag, "enum64": .enum64, "typetag": .typeTag,
    ]
    for (key, kind) in expected {
        #expect(btf.type(id: BTFTypeID(ids[key]!))?.kind == kind, "\(key)")
    }
    #expect(btf.type(id: 0)?.kind == .void)
    #expect(btf.type(id: 25) == nil)
    #expect(btf.name(of: BTFTypeID(ids["struct"]!)) == "point")
    #expect(btf.intEncoding(of: BTFTypeID(ids["int"]!)) == BTFIntEncoding(isSigned: true, isChar: false, isBool: false, bitOffset: 0, bits: 32))
    #expect(btf.linkage(of: BTFTypeID(ids["func"]!)) == .global)
    #expect(btf.linkage(of: BTFTypeID(ids["var"]!)) == .global)
    #expect(btf.dataSectionEntries(of: BTFTypeID(ids["datasec"]!)) == [BTFDataSectionEntry(type: BTFTypeID(ids["var"]!), offset: 0, size: 4)])
    #expect(btf.declarationTagComponent(of: BTFTypeID(ids["decltag"]!)) == -1)
    #expect(btf.array(of: BTFTypeID(ids["array"]!))?.count == 16)
    #expect(btf.parameters(of: BTFTypeID(ids["proto"]!)).map(\.name) == ["p", ""])
}

@Test func membersBitfieldsAndLayout() throws {
    let (btf, ids) = try everyKind()
    let point = BTFTypeID(ids["struct"]!)
    let members = btf.members(of: point)
    #expect(members.map(\.name) == ["x", "y", "flags", "mode"])
    #expect(members.map(\.bitOffset) == [0, 32, 64, 67])
    #expect(members.map(\.bitfieldSize) == [0, 0, 3, 5])
    #expect(members[1].byteOffset == 4)
    #expect(btf.size(of: point) == 12)
    #expect(btf.alignment(of: point) == 4)
    #expect(btf.size(of: BTFTypeID(ids["array"]!)) == 16)
    #expect(btf.size(of: BTFTypeID(ids["matrix"]!)) == 32)
    #expect(btf.size(of: BTFTypeID(ids["typedef"]!)) == 4)
    #expect(btf.size(of: BTFTypeID(ids["ptr"]!)) == 8)
    #expect(btf.alignment(of: BTFTypeID(ids["ptr"]!)) == 8)
    #expect(btf.size(of: BTFTypeID(ids["fwd"]!)) == nil)
    #expect(btf.size(of: BTFTypeID(ids["func"]!)) == nil)
    #expect(btf.size(of: .void) == nil)
    #expect(btf.size(of: BTFTypeID(ids["var"]!)) == 4)
}

@Test func enumValuesAreSignedOrUnsigned() throws {
    let (btf, ids) = try everyKind()
    let values = btf.enumValues(of: BTFTypeID(ids["enum"]!))
    #expect(values.map(\.name) == ["RED", "GREEN"])
    #expect(values.map(\.signedValue) == [-1, 7])
    let big = btf.enumValues(of: BTFTypeID(ids["enum64"]!))
    #expect(big.map(\.bits) == [1 << 40, 1])
    #expect(big.allSatisfy { !$0.isSigned })
}

@Test func resolvesTypedefsAndModifiers() throws {
    let (btf, ids) = try everyKind()
    let volatileInt = BTFTypeID(ids["volatile"]!)
    #expect(btf.skippingModifiers(volatileInt) == BTFTypeID(ids["int"]!))
    #expect(btf.resolved(BTFTypeID(ids["typedef"]!)) == BTFTypeID(2))
    #expect(btf.skippingModifiers(BTFTypeID(ids["typedef"]!)) == BTFTypeID(ids["typedef"]!))
    #expect(btf.resolved(BTFTypeID(ids["typetag"]!)) == BTFTypeID(ids["int"]!))
}

@Test func spellsTypesInC() throws {
    let (btf, ids) = try everyKind()
    func spell(_ key: String, _ name: String = "") -> String { btf.cSpelling(of: BTFTypeID(ids[key]!), name: name) }
    #expect(btf.cSpelling(of: 2) == "unsigned int")
    #expect(spell("array") == "char[16]")
    #expect(spell("array", "comm") == "char comm[16]")
    #expect(spell("matrix") == "char[2][16]")
    #expect(spell("ptr") == "char *")
    #expect(spell("constptr") == "const char *")
    #expect(spell("restrict") == "char * restrict")
    #expect(spell("struct") == "struct point")
    #expect(spell("union") == "union value")
    #expect(spell("enum") == "enum color")
    #expect(spell("fwd") == "union opaque")
    #expect(spell("typedef") == "u32")
    #expect(spell("volatile") == "volatile int")
    #expect(spell("fnptr") == "int (*)(char *p, ...)")
    #expect(spell("fnptr", "cb") == "int (*cb)(char *p, ...)")
    #expect(spell("func") == "int handler(char *p, ...)")
    #expect(spell("var") == "int counter")
    #expect(spell("typetag") == "int __attribute__((btf_type_tag(\"user\")))")
    #expect(btf.cSpelling(of: .void) == "void")
}

@Test func findsTypesByNameAndKind() throws {
    let (btf, ids) = try everyKind()
    #expect(btf.types(named: "point").map(\.id) == [BTFTypeID(ids["struct"]!)])
    #expect(btf.firstType(named: "u32", kind: .typedef)?.id == BTFTypeID(ids["typedef"]!))
    #expect(btf.firstType(named: "u32", kind: .struct) == nil)
    #expect(btf.types(named: "nothing").isEmpty)
    #expect(btf.types(ofKind: .pointer).count == 3)
}

@Test func exposesRawRecordsForRewriting() throws {
    let (btf, ids) = try everyKind()
    let datasec = BTFTypeID(ids["datasec"]!)
    let record = try #require(btf.rawRecord(of: datasec))
    #expect(record.kind == .dataSection)
    #expect(record.byteLength == 24)
    #expect(Array(btf.rawPayload(of: datasec)) == [UInt32(ids["var"]!), 0, 4])
    // The record's bytes sit at byteOffset in the original blob.
    let bytes = btf.bytes
    let sizeWord = UInt32(bytes[record.byteOffset + 8]) | UInt32(bytes[record.byteOffset + 9]) << 8
    #expect(sizeWord == 4)
}

@Test func decodesSplitBTFOnTopOfItsBase() throws {
    var b = BTFBuilder()
    let int = b.int("int", size: 4, signed: true)
    let task = b.composite(.struct, "task", size: 8, members: [("pid", int, 0, 0), ("tgid", int, 32, 0)])
    let base = try b.build()

    var split = BTFBuilder(base: base)
    _ = split.string("")  // split string sections start with their own NUL in the kernel
    let pointer = split.pointer(to: task)
    let module = split.composite(.struct, "module_state", size: 16, members: [("owner", pointer, 0, 0), ("count", int, 64, 0)])
    let btf = try split.build(base: base)
    #expect(btf.ownTypeIDs == 3..<5)
    #expect(btf.typeCount == 5)
    #expect(btf.name(of: BTFTypeID(module)) == "module_state")
    #expect(btf.name(of: BTFTypeID(task)) == "task")
    #expect(btf.members(of: BTFTypeID(module)).map(\.name) == ["owner", "count"])
    #expect(btf.cSpelling(of: BTFTypeID(pointer)) == "struct task *")
    #expect(btf.size(of: BTFTypeID(module)) == 16)
    #expect(btf.types(named: "task").map(\.id) == [BTFTypeID(task)])
    #expect(btf.firstType(named: "module_state", kind: .struct)?.id == BTFTypeID(module))
    // Without its base, the split blob's references are out of range.
    #expect(throws: BTFError.badStrings("does not start with the empty name (a NUL byte)")) { try BTF(bytes: split.bytes()) }
}

@Test func decodesByteSwappedBlobs() throws {
    var b = BTFBuilder()
    let int = b.int("int", size: 4, signed: true)
    _ = b.composite(.struct, "pair", size: 8, members: [("a", int, 0, 0), ("b", int, 32, 0)])
    var bytes = b.bytes()
    // Swap every 32-bit word of the header (after magic/version/flags) and
    // the type section; strings stay as they are.
    bytes.swapAt(0, 1)
    let typesEnd = 24 + b.typeWords.count * 4
    for start in stride(from: 4, to: typesEnd, by: 4) {
        bytes.swapAt(start, start + 3)
        bytes.swapAt(start + 1, start + 2)
    }
    let btf = try BTF(bytes: bytes)
    #expect(btf.header.isByteSwapped)
    #expect(btf.members(of: 2).map(\.bitOffset) == [0, 32])
}
