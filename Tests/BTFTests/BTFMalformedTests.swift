import Testing
@testable import BTF

private func expectError(_ bytes: [UInt8], base: BTF? = nil, contains text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try BTF(bytes: bytes, base: base)
        Issue.record("decoded malformed BTF without an error", sourceLocation: sourceLocation)
    } catch {
        #expect(error.description.contains(text), "\(error.description)", sourceLocation: sourceLocation)
    }
}

private func sample() -> BTFBuilder {
    var b = BTFBuilder()
    let int = b.int("int", size: 4, signed: true)
    let char = b.int("char", size: 1, char: true)
    let name = b.array(of: char, index: int, count: 16)
    let node = b.composite(.struct, "node", size: 32, members: [("value", int, 0, 0), ("name", name, 32, 0)])
    let pointer = b.pointer(to: node)
    _ = b.prototype(returning: int, parameters: [("n", pointer)])
    _ = b.enumeration("state", values: [("ON", 1), ("OFF", 0)])
    return b
}

@Test func everyTruncationIsAnError() throws {
    let bytes = sample().bytes()
    _ = try BTF(bytes: bytes)
    for length in 0..<bytes.count {
        #expect(throws: BTFError.self) { try BTF(bytes: Array(bytes[..<length])) }
    }
}

@Test func rejectsBadHeaders() {
    var bytes = sample().bytes()
    bytes[0] = 0x7f
    expectError(bytes, contains: "magic")
    bytes = sample().bytes()
    bytes[2] = 2
    expectError(bytes, contains: "version 2")
    bytes = sample().bytes()
    bytes[4] = 8  // hdr_len 8
    expectError(bytes, contains: "hdr_len")
    bytes = sample().bytes()
    bytes[12] = 0xff; bytes[13] = 0xff; bytes[14] = 0xff; bytes[15] = 0x7f  // type_len absurd
    expectError(bytes, contains: "type section")
    bytes = sample().bytes()
    bytes[20] = 0xff; bytes[21] = 0xff; bytes[22] = 0xff; bytes[23] = 0xff  // str_len absurd
    expectError(bytes, contains: "string section")
}

@Test func rejectsUnterminatedStrings() {
    var bytes = sample().bytes()
    bytes[bytes.count - 1] = UInt8(ascii: "x")
    expectError(bytes, contains: "NUL-terminated")
}

@Test func rejectsOutOfRangeTypeIDs() throws {
    var b = BTFBuilder()
    _ = b.int("int", size: 4)
    _ = b.pointer(to: 99)
    expectError(b.bytes(), contains: "type [99]")
    b = BTFBuilder()
    let int = b.int("int", size: 4)
    _ = b.composite(.struct, "s", size: 4, members: [("a", 1000, 0, 0)])
    _ = int
    expectError(b.bytes(), contains: "member 0 refers to type [1000]")
}

@Test func rejectsOutOfRangeStringOffsets() {
    var b = BTFBuilder()
    b.typeWords += [5000, BTFBuilder.info(.int), 4, 32]
    expectError(b.bytes(), contains: "offset 5000")
}

@Test func rejectsUnknownKindsAndAbsurdCounts() {
    var b = BTFBuilder()
    b.typeWords += [0, 25 << 24, 4]
    expectError(b.bytes(), contains: "unknown kind 25")
    b = BTFBuilder()
    b.typeWords += [0, BTFBuilder.info(.struct, vlen: 0xffff), 4]
    expectError(b.bytes(), contains: "vlen 65535")
}

@Test func rejectsAStructContainingItself() {
    var b = BTFBuilder()
    let int = b.int("int", size: 4)
    _ = b.composite(.struct, "loop", size: 8, members: [("a", int, 0, 0), ("self", 2, 32, 0)])
    expectError(b.bytes(), contains: "contains itself")
    b = BTFBuilder()
    _ = b.typedef("a", 2)
    _ = b.typedef("b", 1)
    expectError(b.bytes(), contains: "contains itself")
    b = BTFBuilder()
    _ = b.int("int", size: 4)
    _ = b.array(of: 3, index: 1, count: 2)
    _ = b.raw(.const, sizeOrType: 2)
    expectError(b.bytes(), contains: "contains itself")
}

@Test func rejectsLoopsWithoutANamedStruct() throws {
    var b = BTFBuilder()
    _ = b.pointer(to: 2)
    _ = b.pointer(to: 1)
    expectError(b.bytes(), contains: "without a named struct")
    b = BTFBuilder()
    let int = b.int("int", size: 4)
    _ = b.composite(.struct, "", size: 8, members: [("next", 3, 0, 0), ("v", int, 0, 0)])
    _ = b.pointer(to: 2)
    expectError(b.bytes(), contains: "without a named struct")
    // A named struct pointing to itself is ordinary C.
    b = BTFBuilder()
    _ = b.composite(.struct, "list", size: 8, members: [("next", 2, 0, 0)])
    _ = b.pointer(to: 1)
    let list = try b.build()
    #expect(list.cSpelling(of: 2) == "struct list *")
}

@Test func rejectsOversizedArraysAndDeepNesting() {
    var b = BTFBuilder()
    let int = b.int("int", size: 4)
    let big = b.array(of: int, index: int, count: .max)
    _ = b.array(of: big, index: int, count: .max)
    expectError(b.bytes(), contains: "too large")
    b = BTFBuilder()
    var type = b.int("int", size: 4)
    for _ in 0..<5000 { type = b.pointer(to: type) }
    expectError(b.bytes(), contains: "nests deeper")
}

@Test func rejectsFunctionsWithoutPrototypes() {
    var b = BTFBuilder()
    let int = b.int("int", size: 4)
    _ = b.raw(.function, name: "f", sizeOrType: int)
    expectError(b.bytes(), contains: "not a FUNC_PROTO")
}
