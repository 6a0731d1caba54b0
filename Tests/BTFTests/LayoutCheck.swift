import Foundation
import TestSupport
@testable import BTF

/// Generates `_Static_assert`s from BTF: the size of every uniquely named
/// struct and union (and typedef of an anonymous one) and the offset of
/// each of its named, non-bitfield members. Compiled against a header, they
/// prove the header lays types out exactly as BTF says.
struct LayoutCheck {
    var source = ""
    var assertionCount = 0

    init(_ btf: BTF) {
        var composites: [String: [BTFType]] = [:]
        for id in btf.ownTypeIDs {
            // Struct, union and enum tags share one namespace in C.
            guard let type = btf.type(id: BTFTypeID(id)),
                  type.kind.isComposite || (type.kind.isEnum && type.vlen > 0)
            else { continue }
            let name = btf.name(of: type.id)
            if !name.isEmpty { composites[name, default: []].append(type) }
        }
        var subjects: [(spelling: String, type: BTFType)] = []
        for (name, types) in composites.sorted(by: { $0.key < $1.key }) where types.count == 1 && types[0].kind.isComposite {
            subjects.append(("\(types[0].kind == .struct ? "struct" : "union") \(name)", types[0]))
        }
        for type in btf.types(ofKind: .typedef) {
            let target = btf.skippingModifiers(BTFTypeID(type.sizeOrType))
            guard let resolved = btf.type(id: target), resolved.kind.isComposite, btf.name(of: target).isEmpty,
                  btf.types(named: btf.name(of: type.id), kind: .typedef).count == 1
            else { continue }
            subjects.append((btf.name(of: type.id), resolved))
        }
        for (spelling, type) in subjects {
            add("sizeof(\(spelling)) == \(type.sizeOrType)", spelling)
            for member in btf.members(of: type.id) where !member.name.isEmpty && !member.isBitfield {
                add("__builtin_offsetof(\(spelling), \(member.name)) == \(member.byteOffset)", "\(spelling).\(member.name)")
            }
        }
    }

    private mutating func add(_ condition: String, _ what: String) {
        source += "_Static_assert(\(condition), \"\(what)\");\n"
        assertionCount += 1
    }
}

/// Compiles C for the BPF target; returns clang's diagnostics on failure.
func compileForBPF(_ files: [String: String], main: String, extraFlags: [String] = []) throws -> String? {
    let directory = try TestSupport.temporaryDirectory("btf-header")
    defer { try? FileManager.default.removeItem(at: directory) }
    for (name, contents) in files {
        try contents.write(to: directory.appendingPathComponent(name), atomically: false, encoding: .utf8)
    }
    let result = try TestSupport.run(
        TestSupport.clang,
        ["-target", "bpf", "-O2", "-g", "-fsyntax-only", "-ferror-limit=20", "-I", directory.path]
            + extraFlags + [directory.appendingPathComponent(main).path])
    return result.status == 0 ? nil : result.stderr
}
