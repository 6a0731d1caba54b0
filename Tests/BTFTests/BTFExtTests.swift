@testable import BTF
import Testing

/// `.BTF.ext` decoding, from hand-built sections.
@Suite struct BTFExtTests {
    static func words(_ values: [UInt32]) -> [UInt8] {
        values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    }

    /// A 32-byte header followed by func_info, line_info and core_relo parts.
    static func ext(functions: [UInt32], lines: [UInt32], core: [UInt32]) -> [UInt8] {
        let header: [UInt8] = [0x9f, 0xeb, 1, 0] + words([32,
            0, UInt32(functions.count * 4),
            UInt32(functions.count * 4), UInt32(lines.count * 4),
            UInt32((functions.count + lines.count) * 4), UInt32(core.count * 4)])
        return header + words(functions) + words(lines) + words(core)
    }

    @Test func decodesAllThreeParts() throws {
        let bytes = Self.ext(
            functions: [8, /* section */ 1, 2, /* records */ 0, 10, 16, 11],
            lines: [16, /* section */ 1, 1, /* record */ 8, 20, 30, 5 << 10 | 3],
            core: [16, /* section */ 1, 1, /* record */ 24, 7, 40, 0])
        let ext = try BTFExt(bytes: bytes)
        #expect(ext.functionInfo == [.init(nameOffset: 1, records: [
            .init(instructionOffset: 0, typeID: 10), .init(instructionOffset: 16, typeID: 11)])])
        #expect(ext.lineInfo.first?.records == [.init(instructionOffset: 8, fileNameOffset: 20, lineOffset: 30, lineColumn: 5 << 10 | 3)])
        #expect(ext.coreRelocations.first?.records == [.init(instructionOffset: 24, typeID: 7, accessStringOffset: 40, kind: 0)])
    }

    @Test func rejectsMalformedSections() {
        #expect(throws: BTFError.badMagic(found: 0)) { try BTFExt(bytes: [UInt8](repeating: 0, count: 32)) }
        #expect(throws: BTFError.truncated(what: "BTF.ext header", offset: 4, needed: 4, available: 4)) { try BTFExt(bytes: [0x9f, 0xeb, 1, 0]) }
        // A record count that runs past the part.
        #expect(throws: BTFError.truncated(what: "func_info records (1000 of 8 bytes)", offset: 44, needed: 8000, available: 52)) { try BTFExt(bytes: Self.ext(functions: [8, 1, 1000, 0, 10], lines: [], core: [])) }
        // A record count and size whose product passes Int.max (Fuzz/fuzz-object.sh found the trap).
        #expect(throws: BTFError.truncated(what: "func_info records (4294967295 of 4294967295 bytes)", offset: 44,
                                           needed: .max, available: 52)) {
            try BTFExt(bytes: Self.ext(functions: [0xffff_ffff, 1, 0xffff_ffff, 0, 0], lines: [], core: []))
        }
        // A record smaller than the kernel's.
        #expect(throws: BTFError.badHeader("func_info record size 4 is smaller than 8")) {
            try BTFExt(bytes: Self.ext(functions: [4, 1, 1, 0], lines: [], core: []))
        }
        // A part that lies outside the section.
        var bytes = Self.ext(functions: [8, 1, 1, 0, 10], lines: [], core: [])
        bytes[8] = 0xff
        #expect(throws: BTFError.truncated(what: "func_info", offset: 287, needed: 20, available: bytes.count)) { try BTFExt(bytes: bytes) }
    }
}
