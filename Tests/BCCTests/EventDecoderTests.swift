import BTF
import ELF
import Foundation
import TestSupport
import Testing
@testable import BCC

/// The BTF of Tests/Fixtures/event_structs.bpf.c, compiled once.
enum EventFixture {
    static let btf: Result<BTF, any Error> = Result {
        let object = try ELFFile(bytes: try TestSupport.compileBPFFixture("event_structs.bpf.c"))
        guard let section = object.section(named: ".BTF") else { throw MissingSection(name: ".BTF") }
        return try BTF(bytes: Array(try object.contents(of: section)))
    }

    struct MissingSection: Error { var name: String }

    /// The byte offset of member `name` of `type` (nil: not found).
    static func offset(_ name: String, in type: String, _ btf: BTF) -> Int? {
        guard let id = EventTypes.find(type, in: btf) else { return nil }
        return btf.members(of: btf.resolved(id)).first { $0.name == name }?.byteOffset
    }
}

/// Builds a record by writing little-endian values at offsets.
struct RecordBuilder {
    var bytes: [UInt8]

    init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }

    mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<offset + $0.count, with: $0) }
    }

    mutating func put(_ text: String, at offset: Int) {
        bytes.replaceSubrange(offset..<offset + text.utf8.count, with: Array(text.utf8))
    }

    /// Sets bits `bitOffset..<bitOffset+width` to `value`'s low bits.
    mutating func putBits(_ value: UInt64, bitOffset: Int, width: Int) {
        for bit in 0..<width where value >> UInt64(bit) & 1 == 1 {
            bytes[(bitOffset + bit) / 8] |= 1 << UInt8((bitOffset + bit) % 8)
        }
    }
}

@Test func decodesTheGuidesExampleStruct() throws {
    let btf = try EventFixture.btf.get()
    let decoder = try EventDecoder(btf: btf, typeName: "struct data_t")
    #expect(decoder.typeName == "struct data_t")
    #expect(decoder.size == 32)
    var record = RecordBuilder(size: 32)
    record.put(UInt32(4242), at: 0)
    record.put(UInt64(123_456_789_000), at: 8)
    record.put("bash", at: 16)
    let event = try decoder.decode(record.bytes)
    #expect(event.pid == .unsigned(4242))
    #expect(event.pid?.int == 4242)
    #expect(event["ts"]?.uint == 123_456_789_000)
    #expect(event.comm?.string == "bash")
    #expect(event.missing == nil)
    #expect(event.fields.map(\.name) == ["pid", "ts", "comm"])
    #expect(event.description == "pid=4242 ts=123456789000 comm=bash")
    #expect(event.json(table: "events") == #"{"table":"events","fields":{"pid":4242,"ts":123456789000,"comm":"bash"}}"#)
}

@Test func decodesEveryKindOfMember() throws {
    let btf = try EventFixture.btf.get()
    let decoder = try EventDecoder(btf: btf, typeName: "mixed")
    func at(_ name: String) throws -> Int { try #require(EventFixture.offset(name, in: "struct mixed", btf)) }
    var record = RecordBuilder(size: decoder.size)
    record.put(Int32(-7), at: try at("pid"))
    record.put(UInt32(0xffff_fffe), at: try at("uid"))
    record.put(UInt32(99), at: try at("count"))
    record.put(UInt8(1), at: try at("flag"))
    record.put(Int8(-3), at: try at("small"))
    record.put(Int32(-1), at: try at("state"))
    record.put(Int16(-2), at: try at("origin"))
    record.put(Int16(5), at: try at("origin") + 2)
    record.put(Float(1.5).bitPattern, at: try at("value"))
    for (index, port) in [UInt16(22), 80, 443].enumerated() { record.put(port, at: try at("ports") + 2 * index) }
    for index in 0..<4 { record.put(Int16(index + 10), at: try at("path") + 2 * index) }
    record.put("cat", at: try at("comm"))
    record.bytes.replaceSubrange(try at("raw")..<(try at("raw") + 4), with: [104, 105, 0, 1])
    record.put(Double(0.25).bitPattern, at: try at("ratio"))
    record.put(UInt64(0xffff_8880_dead_beef), at: try at("address"))
    let members = btf.members(of: try #require(EventTypes.find("struct mixed", in: btf)))
    func bits(_ name: String) throws -> BTFMember { try #require(members.first { $0.name == name }) }
    record.putBits(5, bitOffset: try bits("low").bitOffset, width: 3)
    record.putBits(UInt64(bitPattern: -9), bitOffset: try bits("delta").bitOffset, width: 5)
    record.putBits(0xabcdef, bitOffset: try bits("high").bitOffset, width: 24)
    record.put(Int64.min, at: try at("big"))
    let anonymous = try #require(members.first { $0.name.isEmpty }).byteOffset
    record.put(UInt64(0x0000_0002_0000_0001), at: anonymous)

    let event = try decoder.decode(record.bytes)
    #expect(event.pid == .signed(-7))
    #expect(event.uid == .unsigned(0xffff_fffe))
    #expect(event.count?.uint == 99)
    #expect(event.flag == .bool(true))
    #expect(event.small == .signed(-3))
    #expect(event.state == .enumeration(name: "STATE_DEAD", value: -1))
    #expect(event.state?.string == "STATE_DEAD")
    #expect(event.origin?.x?.int == -2)
    #expect(event.origin?.y?.int == 5)
    #expect(event.value?.as_float?.double == 1.5)
    #expect(event.value?.as_u32?.uint == UInt64(Float(1.5).bitPattern))
    #expect(event.value?.bytes?.array?.count == 4)
    #expect(event.ports == .array([.unsigned(22), .unsigned(80), .unsigned(443)]))
    #expect(event.path?[1]?.y?.int == 13)
    #expect(event.comm?.string == "cat")
    #expect(event.raw == .array([.unsigned(104), .unsigned(105), .unsigned(0), .unsigned(1)]))
    #expect(event.ratio == .float(0.25))
    #expect(event.address == .pointer(0xffff_8880_dead_beef))
    #expect(event.low == .unsigned(5))
    #expect(event.delta == .signed(-9))
    #expect(event.high == .unsigned(0xabcdef))
    #expect(event.big?.int == Int64.min)
    // The anonymous union's members appear in the struct itself.
    #expect(event.whole?.uint == 0x0000_0002_0000_0001)
    #expect(event.halves == .array([.unsigned(1), .unsigned(2)]))

    #expect(event.description.hasPrefix(
        "pid=-7 uid=4294967294 count=99 flag=true small=-3 state=STATE_DEAD origin={x=-2 y=5} "))
    #expect(event.description.contains(" ports=[22,80,443] path=[{x=10 y=11},{x=12 y=13}] comm=cat raw=[104,105,0,1] ratio=0.25 "))
    #expect(event.description.contains(" address=0xffff8880deadbeef low=5 delta=-9 high=11259375 big=-9223372036854775808 "))
    #expect(event.description.hasSuffix(" whole=8589934593 halves=[1,2]"))

    let json = event.json(table: "mixed")
    #expect(json.hasPrefix(#"{"table":"mixed","fields":{"pid":-7,"uid":4294967294,"count":99,"flag":true,"small":-3,"state":"STATE_DEAD","origin":{"x":-2,"y":5},"#))
    #expect(json.contains(#""ports":[22,80,443],"path":[{"x":10,"y":11},{"x":12,"y":13}],"comm":"cat","raw":[104,105,0,1],"ratio":0.25,"#))
    // The JSON parses, and nested values keep their shapes.
    let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let fields = try #require(parsed["fields"] as? [String: Any])
    #expect(fields["comm"] as? String == "cat")
    #expect((fields["origin"] as? [String: Any])?["y"] as? Int == 5)
    #expect((fields["halves"] as? [Int]) == [1, 2])
}

@Test func resolvesTypedefsAndRecordedTables() throws {
    let btf = try EventFixture.btf.get()
    let tagged = try EventDecoder(btf: btf, typeName: "tagged_t")
    var record = RecordBuilder(size: tagged.size)
    record.put(UInt8(7), at: 0)
    record.put(UInt64(1), at: 8)
    #expect(try tagged.decode(record.bytes).description == "kind=7 stamp=1")

    let events = try EventDecoder(btf: btf, table: "events")
    #expect(events.typeName == "struct data_t")
    #expect(try EventDecoder(btf: btf, table: "tagged").typeName == "tagged_t")
    #expect(EventTypes.recordedTables(in: btf).map(\.table) == ["events", "mixed", "samples", "tagged", "words"])
    #expect(throws: EventDecodingError.eventTypeNotRecorded(table: "nope")) { try EventDecoder(btf: btf, table: "nope") }
    #expect(throws: EventDecodingError.typeNotFound(name: "struct nope")) { try EventDecoder(btf: btf, typeName: "struct nope") }
    #expect(throws: EventDecodingError.self) { try EventDecoder(btf: btf, typeName: "enum state") }
}

@Test func flexibleArrayTakesTheRestOfTheRecord() throws {
    let btf = try EventFixture.btf.get()
    let decoder = try EventDecoder(btf: btf, typeName: "struct sample")
    #expect(decoder.size == 4)
    var record = RecordBuilder(size: 4 + 3 * 4 + 2)
    record.put(UInt32(3), at: 0)
    for index in 0..<3 { record.put(UInt32(100 + index), at: 4 + 4 * index) }
    let event = try decoder.decode(record.bytes)
    #expect(event.values == .array([.unsigned(100), .unsigned(101), .unsigned(102)]))
    #expect(try decoder.decode([3, 0, 0, 0]).values == .array([]))
}

@Test func shortRecordIsAnError() throws {
    let btf = try EventFixture.btf.get()
    let decoder = try EventDecoder(btf: btf, typeName: "struct data_t")
    #expect(throws: EventDecodingError.recordTooShort(type: "struct data_t", size: 31, needed: 32)) {
        try decoder.decode([UInt8](repeating: 0, count: 31))
    }
    #expect(throws: EventDecodingError.recordTooShort(type: "struct data_t", size: 0, needed: 32)) {
        try decoder.decode([])
    }
    // A comm without a NUL ends at the array's end; invalid UTF-8 is replaced.
    var record = RecordBuilder(size: 32)
    record.bytes.replaceSubrange(16..<32, with: [0x41, 0xff] + Array("BCDEFGHIJKLMNO".utf8))
    let event = try decoder.decode(record.bytes)
    #expect(event.comm?.string == "A\u{FFFD}BCDEFGHIJKLMNO")
    #expect(event.json(table: "t").contains(#""comm":"A\#u{FFFD}BCDEFGHIJKLMNO""#))
}

@Test func textIsQuotedWhenItWouldBeAmbiguous() {
    let event = DecodedEvent(typeName: "struct t", fields: [
        EventField(name: "a", value: .text("two words")),
        EventField(name: "b", value: .text("")),
        EventField(name: "c", value: .text("quote\"\n")),
        EventField(name: "d", value: .float(.nan)),
        EventField(name: "e", value: .bytes([0x01, 0xff])),
    ])
    #expect(event.description == #"a="two words" b="" c="quote\"\n" d=nan e=0xff01"#)
    #expect(event.jsonFields == #"{"a":"two words","b":"","c":"quote\"\n","d":null,"e":"0xff01"}"#)
}

@Test func randomRecordsNeverCrash() throws {
    let btf = try EventFixture.btf.get()
    var generator = SystemRandomNumberGenerator()
    for name in ["struct data_t", "struct mixed", "tagged_t", "struct sample", "union number", "struct point"] {
        let decoder = try EventDecoder(btf: btf, typeName: name)
        for _ in 0..<500 {
            let count = Int.random(in: 0...(decoder.size + 16), using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            do {
                let event = try decoder.decode(bytes)
                #expect(count >= decoder.size)
                #expect(event.fields.count == btf.members(of: decoder.typeID).count || name == "struct mixed")
                _ = event.description
                _ = event.json(table: "t")
            } catch {
                #expect(error == .recordTooShort(type: decoder.typeName, size: count, needed: decoder.size))
            }
        }
    }
}
