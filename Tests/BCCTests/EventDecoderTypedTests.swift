import BTF
import EBPF
import Foundation
import TestSupport
import Testing
@testable import BCC

// MARK: - Layout checks of hand-written Swift types

/// Mirrors `struct data_t { u32 pid; u64 ts; char comm[16]; }`.
struct GuideEvent: BPFEvent {
    var pid: UInt32
    var ts: UInt64
    var comm: (CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar)
    static var cTypeName: String { "struct data_t" }
    static var cFields: [BPFEventField] {
        [BPFEventField("pid", \GuideEvent.pid), BPFEventField("ts", \GuideEvent.ts), BPFEventField("comm", \GuideEvent.comm)]
    }
}

/// The same size as `struct data_t`, with `ts` and `comm` swapped.
struct SwappedEvent: BPFEvent {
    var pid: UInt32
    var comm: (UInt64, UInt64)
    var ts: UInt64
    static var cTypeName: String { "struct data_t" }
    static var cFields: [BPFEventField] {
        [BPFEventField("pid", \SwappedEvent.pid), BPFEventField("ts", \SwappedEvent.ts), BPFEventField("comm", \SwappedEvent.comm)]
    }
}

/// Lists a member the C struct does not have.
struct MisnamedEvent: BPFEvent {
    var pid: UInt32
    var timestamp: UInt64
    var comm: (UInt64, UInt64)
    static var cTypeName: String { "struct data_t" }
    static var cFields: [BPFEventField] { [BPFEventField("timestamp", \MisnamedEvent.timestamp)] }
}

/// Not a BPFEvent: only its size can be checked.
struct PlainEvent: BitwiseCopyable {
    var pid: UInt32
    var ts: UInt64
    var comm: (UInt64, UInt64)
}

@Test func layoutCheckAcceptsAMatchingTypeAndLoadsRecords() throws {
    let btf = try EventFixture.btf.get()
    let decoder = try TypedEventDecoder(GuideEvent.self, btf: btf, table: "events")
    var record = RecordBuilder(size: 32)
    record.put(UInt32(77), at: 0)
    record.put(UInt64(5), at: 8)
    record.put("swift", at: 16)
    let event = try record.bytes.withUnsafeBytes { bytes in try decoder.decode(bytes) }
    #expect(event.pid == 77)
    #expect(event.ts == 5)
    #expect(BPFEventStorage.text(of: event.comm) == "swift")
    #expect(throws: EventDecodingError.recordTooShort(type: "struct data_t", size: 8, needed: 32)) {
        try record.bytes.prefix(8).withUnsafeBytes { bytes in try decoder.decode(bytes) }
    }
    try EventLayout.check(PlainEvent.self, against: btf, typeName: "struct data_t")
}

@Test func layoutMismatchNamesTheField() throws {
    let btf = try EventFixture.btf.get()
    #expect(throws: EventDecodingError.layoutMismatch(
        swiftType: "SwappedEvent", cType: "struct data_t", detail: "field 'ts' is at offset 24, in C at 8")
    ) { try EventLayout.check(SwappedEvent.self, against: btf, typeName: "data_t") }
    #expect(throws: EventDecodingError.layoutMismatch(
        swiftType: "MisnamedEvent", cType: "struct data_t", detail: "field 'timestamp': struct data_t has no such member")
    ) { try EventLayout.check(MisnamedEvent.self, against: btf, typeName: "data_t") }
    #expect(throws: EventDecodingError.layoutMismatch(
        swiftType: "UInt64", cType: "struct data_t", detail: "size is 8 bytes (stride 8), the C struct has 32")
    ) { try TypedEventDecoder(UInt64.self, btf: btf, table: "events") }
    #expect(throws: EventDecodingError.eventTypeNotRecorded(table: "other")) {
        try TypedEventDecoder(GuideEvent.self, btf: btf, table: "other")
    }
    // Nested and anonymous members resolve by path, as C reaches them.
    let mixed = try #require(EventTypes.find("struct mixed", in: btf))
    guard case let .composite(layout) = try btf.valueLayout(of: mixed) else { Issue.record("struct mixed is not a struct"); return }
    let y = try #require(layout.member(path: "origin.y"))
    #expect(y.size == 2 && y.offset == (EventFixture.offset("origin", in: "struct mixed", btf) ?? -1) + 2)
    #expect(layout.member(path: "halves")?.size == 8)
    #expect(layout.member(path: "origin.z") == nil)
    #expect(layout.member(path: "pid.x") == nil)
}

// MARK: - Generated declarations

@Test func generatedDeclarationsCompileAndMatchTheCLayout() throws {
    let btf = try EventFixture.btf.get()
    let roots = EventTypes.recordedTables(in: btf).map(\.type)
    var generator = SwiftEventDeclarations(btf: btf, roots: roots)
    generator.importsBCC = false
    let source = try generator.source()
    #expect(source.contains("public struct data_t: BPFEvent, Sendable {"))
    #expect(source.contains("public var comm: (CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar)"))
    #expect(source.contains("public var _pad0: (UInt8, UInt8, UInt8, UInt8)"))
    #expect(source.contains("public var commString: String"))
    #expect(source.contains("public struct tagged_t: BPFEvent, Sendable {"))
    #expect(source.contains("public struct state: RawRepresentable"))
    #expect(source.contains("public var `in`: UInt32"))
    #expect(source.contains("public var Type_: UInt32"))
    #expect(source.contains(#"BPFEventField("Type", \swift_words.Type_)"#))

    // A record of struct mixed, crafted as in the decoder test.
    let mixedID = try #require(EventTypes.find("struct mixed", in: btf))
    let size = try #require(btf.size(of: mixedID))
    func at(_ name: String) throws -> Int { try #require(EventFixture.offset(name, in: "struct mixed", btf)) }
    let members = btf.members(of: mixedID)
    func member(_ name: String) throws -> BTFMember { try #require(members.first { $0.name == name }) }
    var record = RecordBuilder(size: size)
    record.put(Int32(-7), at: try at("pid"))
    record.put(UInt8(2), at: try at("flag"))
    record.put(Int32(3), at: try at("state"))
    record.put(Int16(-2), at: try at("origin"))
    record.put(Float(1.5).bitPattern, at: try at("value"))
    record.put(UInt16(443), at: try at("ports") + 4)
    record.put("cat", at: try at("comm"))
    record.putBits(5, bitOffset: try member("low").bitOffset, width: 3)
    record.putBits(UInt64(bitPattern: -9), bitOffset: try member("delta").bitOffset, width: 5)
    record.putBits(0xabcdef, bitOffset: try member("high").bitOffset, width: 24)
    record.put(UInt64(0x0000_0002_0000_0001), at: try #require(members.first { $0.name.isEmpty }).byteOffset)

    let directory = try TestSupport.temporaryDirectory("types")
    defer { try? FileManager.default.removeItem(at: directory) }
    let main = """
        func report<T: BPFEvent>(_ type: T.Type) {
            print("type|\\(T.cTypeName)|\\(MemoryLayout<T>.size)")
            for field in T.cFields { print("field|\\(T.cTypeName)|\\(field.name)|\\(field.offset ?? -1)|\\(field.size)") }
        }
        report(data_t.self); report(mixed.self); report(tagged_t.self); report(sample.self)
        report(point.self); report(number.self); report(swift_words.self); report(mixed_anon\(try #require(members.first { $0.name.isEmpty }).byteOffset).self)
        let bytes: [UInt8] = \(record.bytes)
        let m = bytes.withUnsafeBytes { $0.loadUnaligned(as: mixed.self) }
        print("value|\\(m.pid)|\\(m.flag)|\\(m.state)|\\(m.origin.x)|\\(m.value.as_float)|\\(m.ports.2)|\\(m.commString)|\\(m.low)|\\(m.delta)|\\(m.high)|\\(m.whole)|\\(m.halves.1)")
        """
    let files = ["events.swift": source, "main.swift": main]
    for (name, text) in files {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    let protocolFile = TestSupport.repositoryRoot.appendingPathComponent("Sources/BCCEvents/BPFEvent.swift").path
    let executable = directory.appendingPathComponent("types-check").path
    let swiftc = URL(fileURLWithPath: TestSupport.clang).deletingLastPathComponent().appendingPathComponent("swiftc").path
    let compile = try TestSupport.run(swiftc, [
        "-swift-version", "6", "-warnings-as-errors", "-module-name", "Generated", protocolFile,
        directory.appendingPathComponent("events.swift").path, directory.appendingPathComponent("main.swift").path,
        "-o", executable,
    ])
    try #require(compile.status == 0, "swiftc failed:\n\(compile.stderr)\n\(source)")
    let run = try TestSupport.run(executable, [])
    try #require(run.status == 0, "\(run.stderr)")

    var typesSeen = 0
    for line in run.stdout.split(separator: "\n") {
        let parts = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        switch parts[0] {
        case "type":
            // The anonymous union has no name to find it by.
            let anonymous = try #require(members.first { $0.name.isEmpty }).type
            let id = parts[1] == "union {...}" ? anonymous : try #require(EventTypes.find(parts[1], in: btf), "\(parts[1])")
            #expect(Int(parts[2]) == btf.size(of: id), "size of \(parts[1])")
            typesSeen += 1
        case "field":
            let id = try #require(EventTypes.find(parts[1], in: btf))
            guard case let .composite(layout) = try btf.valueLayout(of: id) else { Issue.record("\(parts[1]) is not a struct"); continue }
            let member = try #require(layout.member(path: parts[2]), "\(parts[1]).\(parts[2])")
            #expect(Int(parts[3]) == member.offset, "offset of \(parts[1]).\(parts[2])")
            #expect(Int(parts[4]) == member.size, "size of \(parts[1]).\(parts[2])")
        default:
            #expect(parts == ["value", "-7", "true", "STATE_RUNNING", "-2", "1.5", "443", "cat", "5", "-9", "11259375", "8589934593", "2"])
        }
    }
    #expect(typesSeen == 8)
}

// MARK: - Tables

@Test func tableEventDecodesWithTheRecordedStruct() throws {
    let btf = try EventFixture.btf.get()
    do {
        let map = try Map(type: .ringBuffer, name: "events", keySize: 0, valueSize: 0, maxEntries: 4096)
        let table = Table(name: "events", map: map, btf: btf)
        var record = RecordBuilder(size: 32)
        record.put(UInt32(getpid()), at: 0)
        record.put("swift-bcc", at: 16)
        let event = try record.bytes.withUnsafeBytes { bytes in try table.event(bytes) }
        #expect(event.pid?.int == Int64(getpid()))
        #expect(event.comm?.string == "swift-bcc")
        #expect(try table.eventDecoder().typeName == "struct data_t")
        let typed = try table.typedEventDecoder(GuideEvent.self)
        #expect(try record.bytes.withUnsafeBytes { bytes in try typed.decode(bytes) }.pid == UInt32(getpid()))
        #expect(throws: BCCError.self) { try table.typedEventDecoder(SwappedEvent.self) }
        #expect(throws: BCCError.self) { try table.event([1, 2, 3]) }

        let unrecorded = Table(name: "other", map: map, btf: btf)
        do {
            _ = try unrecorded.event(record.bytes)
            Issue.record("a table without an event struct decoded a record")
        } catch {
            guard case .event("other", .eventTypeNotRecorded("other")) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
        }
        #expect(throws: BCCError.self) { try Table(name: "events", map: map).event(record.bytes) }
    }
}

// MARK: - swift-bcc types

@Test func typesCommandDeclaresTheProgramsEventStructs() throws {
    let directory = try TestSupport.temporaryDirectory("types-cli")
    defer { try? FileManager.default.removeItem(at: directory) }
    let program = directory.appendingPathComponent("guide.c")
    try guideRingBufferProgram.write(to: program, atomically: true, encoding: .utf8)

    let source = try SwiftEventDeclarations.forProgram(srcFile: program.path).source()
    #expect(source.contains("// Generated by `swift-bcc types` from guide.c; do not edit."))
    #expect(source.contains("import BCC\n"))
    #expect(source.contains("public struct data_t: BPFEvent, Sendable {"))
    #expect(source.contains(#"BPFEventField("comm", \data_t.comm)"#))

    // The command prints the same declarations (it is built with the tests).
    let executable = TestSupport.builtProduct("swift-bcc")
    try #require(FileManager.default.isExecutableFile(atPath: executable), "swift-bcc is not built beside the tests")
    let run = try TestSupport.run(executable, ["types", program.path])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout == source)
    let unknown = try TestSupport.run(executable, ["types", program.path, "--type", "struct nope"])
    #expect(unknown.status != 0)
    #expect(unknown.stderr.contains("no struct, union or typedef named 'struct nope'"))

    // An object without recorded event types needs --type.
    let object = try TestSupport.compileBPFFixture("elf_sections.bpf.c")
    #expect(throws: BCCError.self) { try SwiftEventDeclarations.forObject(object, path: "elf_sections.o") }
}

@Test func oversizedTypesAreErrorsNotAllocations() throws {
    let btf = try EventFixture.btf.get()
    #expect(throws: EventDecodingError.tooManyValues(type: "struct oversized", limit: EventDecoder.valueLimit)) {
        try EventDecoder(btf: btf, typeName: "struct oversized")
    }
    let id = try #require(EventTypes.find("struct oversized", in: btf))
    #expect(throws: EventDecodingError.unsupportedMember(
        type: "oversized_bytes", member: "__u8[2097152]", detail: "too large for a Swift tuple")
    ) { try SwiftEventDeclarations(btf: btf, roots: [id]).source() }
}
