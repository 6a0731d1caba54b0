import Testing
@testable import BTF

/// `struct event { u32 pid; char comm[4]; union { u64 whole; u32 halves[2]; };
/// struct { u16 x; u16 y; }; unsigned low : 3; int delta : 5; enum state s;
/// struct point origin; unsigned char raw[2]; float ratio; void *at; }`,
/// built by hand so every offset is known.
private func eventBTF() throws -> (BTF, BTFTypeID) {
    var b = BTFBuilder()
    let u32 = b.int("unsigned int", size: 4)
    let int = b.int("int", size: 4, signed: true)
    let u16 = b.int("unsigned short", size: 2)
    let u64 = b.int("unsigned long", size: 8)
    let char = b.int("char", size: 1, signed: true)
    let uchar = b.int("unsigned char", size: 1)
    let float = b.raw(.float, name: "float", sizeOrType: 4)
    let comm = b.array(of: char, index: int, count: 4)
    let halves = b.array(of: u32, index: int, count: 2)
    let raw = b.array(of: uchar, index: int, count: 2)
    let union = b.composite(.union, "", size: 8, members: [("whole", u64, 0, 0), ("halves", halves, 0, 0)])
    let pair = b.composite(.struct, "", size: 4, members: [("x", u16, 0, 0), ("y", u16, 16, 0)])
    let state = b.enumeration("state", values: [("IDLE", 0), ("RUN", 3), ("ALSO_RUN", 3)])
    let point = b.composite(.struct, "point", size: 4, members: [("x", u16, 0, 0), ("y", u16, 16, 0)])
    let pointer = b.pointer(to: 0)
    let event = b.composite(.struct, "event", size: 48, members: [
        ("pid", u32, 0, 0), ("comm", comm, 32, 0), ("", union, 64, 0), ("", pair, 128, 0),
        ("low", u32, 160, 3), ("delta", int, 163, 5), ("s", state, 192, 0), ("origin", point, 224, 0),
        ("raw", raw, 256, 0), ("ratio", float, 288, 0), ("at", pointer, 320, 0),
    ])
    return (try b.build(), BTFTypeID(event))
}

@Test func layoutListsMembersAsDeclaredAndAsCNamesThem() throws {
    let (btf, id) = try eventBTF()
    guard case let .composite(event) = try btf.valueLayout(of: id) else { Issue.record("not a composite"); return }
    #expect(event.size == 48 && !event.isUnion)
    #expect(event.members.map(\.name) == ["pid", "comm", "", "", "low", "delta", "s", "origin", "raw", "ratio", "at"])
    // Anonymous members' members take their place, offsets from the outer struct.
    #expect(event.fields.map(\.name) == ["pid", "comm", "whole", "halves", "x", "y", "low", "delta", "s", "origin", "raw", "ratio", "at"])
    #expect(event.fields.map(\.offset) == [0, 4, 8, 8, 16, 18, 20, 20, 24, 28, 32, 36, 40])

    let delta = try #require(event.member(path: "delta"))
    #expect(delta.isBitfield && delta.bitOffset == 163 && delta.bitfieldWidth == 5 && delta.size == 1)
    #expect(delta.value.integerRepresentation?.isSigned == true)
    let y = try #require(event.member(path: "origin.y"))
    #expect(y.offset == 30 && y.size == 2)
    #expect(event.member(path: "y")?.offset == 18)
    #expect(event.member(path: "origin.z") == nil)
    #expect(event.member(path: "pid.x") == nil)

    // Scalar kinds: char arrays are text, unsigned char arrays numbers.
    #expect(event.member(path: "comm")?.value.isText == true)
    #expect(event.member(path: "raw")?.value.isText == false)
    #expect(event.member(path: "at")?.value.integerRepresentation?.size == 8)
    #expect(event.member(path: "ratio")?.value.integerRepresentation == nil)
    guard case let .enumeration(state)? = event.member(path: "s")?.value else { Issue.record("s is not an enum"); return }
    #expect(state.name(of: 3) == "RUN")
    #expect(state.enumerators.count == 3)
    // One value per scalar, char array, array element and struct.
    #expect(event.valueCount == 1 + 1 + 1 + (1 + 1 + 2) + (1 + 1 + 1) + 1 + 1 + 1 + (1 + 1 + 1) + 2 + 1 + 1)
}

@Test func oldStyleBitfieldsAreBitfields() throws {
    var b = BTFBuilder()
    // An int whose encoding holds 4 bits at bit offset 2 of its 4 bytes.
    let narrow = b.raw(.int, name: "int", sizeOrType: 4, payload: [1 << 24 | 2 << 16 | 4])
    let s = b.composite(.struct, "s", size: 4, members: [("f", narrow, 8, 0)])
    let btf = try b.build()
    guard case let .composite(layout) = try btf.valueLayout(of: BTFTypeID(s)) else { Issue.record("not a composite"); return }
    let f = try #require(layout.member(path: "f"))
    #expect(f.bitOffset == 10 && f.bitfieldWidth == 4 && f.offset == 1)
}

@Test func layoutProblemsNameTheTypeAndMember() throws {
    func expectProblem(
        _ type: String, _ member: String, _ problem: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ build: (inout BTFBuilder) -> UInt32
    ) throws {
        var b = BTFBuilder()
        let id = build(&b)
        let btf = try b.build()
        #expect(throws: BTFError.unsupportedLayout(type: type, member: member, problem: problem), sourceLocation: sourceLocation) {
            try btf.valueLayout(of: BTFTypeID(id))
        }
    }
    try expectProblem("struct s", "a", "4 bytes at offset 1 end past the 4-byte struct s") { b in
        let int = b.int("int", size: 4)
        return b.composite(.struct, "s", size: 4, members: [("a", int, 8, 0)])
    }
    try expectProblem("struct s", "a", "starts at bit 3, not on a byte") { b in
        let int = b.int("int", size: 4)
        return b.composite(.struct, "s", size: 8, members: [("a", int, 3, 0)])
    }
    try expectProblem("struct s", "f", "a bitfield of float") { b in
        let float = b.raw(.float, name: "float", sizeOrType: 4)
        return b.composite(.struct, "s", size: 4, members: [("f", float, 0, 3)])
    }
    try expectProblem("struct s", "wide", "a 70-bit bitfield is wider than 64 bits") { b in
        let int = b.int("int", size: 4)
        return b.composite(.struct, "s", size: 4, members: [("wide", int, 0, 70)])
    }
    try expectProblem("struct s", "(anonymous)", "its type struct later has no size") { b in
        let forward = b.raw(.forward, name: "later", sizeOrType: 0)
        return b.composite(.struct, "s", size: 4, members: [("", forward, 0, 0)])
    }
    try expectProblem("int(void)", "", "a \(BTFKind.functionPrototype) has no value") { b in
        let int = b.int("int", size: 4)
        return b.prototype(returning: int, parameters: [])
    }
    #expect(BTFError.unsupportedLayout(type: "struct s", member: "", problem: "p").description == "struct s: p")
    #expect(BTFError.unsupportedLayout(type: "struct s", member: "m", problem: "p").description == "struct s, member 'm': p")
}
