import BCC
import CBPF
import EBPF
import Foundation
import Testing
import TestSupport

/// Loads a BPF object with `load`, runs `use` on it, closes it, and expects
/// the kernel to have freed each of its programs and maps: an object lives
/// while any descriptor, link or perf event attachment holds it, so a leak of
/// any of those keeps its id alive. Unlike counting /proc/self/fd, this sees
/// only this test's objects while other suites open and close their own.
func expectKernelObjectsFreed(loading load: () throws -> BPF, _ use: (BPF) throws -> Void,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
    let b = try load()
    let maps = try b.object.maps.values.map { try $0.id }
    // Programs load as they are attached (as in bcc): the ids are taken after use.
    var programs: [UInt32] = []
    do {
        defer { b.close() }
        try use(b)
        programs = b.loadedPrograms.map(\.id)
    }
    expectKernelObjectsFreed(programs: programs, maps: maps, sourceLocation: sourceLocation)
}

/// Expects the kernel to have freed programs `programs` and maps `maps` (by
/// id) within ten seconds.
func expectKernelObjectsFreed(programs: [UInt32] = [], maps: [UInt32] = [],
                              sourceLocation: SourceLocation = #_sourceLocation) {
    // The kernel frees a program's maps from a work item after an RCU grace period.
    let deadline = Date().addingTimeInterval(10)
    var alive: [String] = []
    repeat {
        alive = programs.filter { kernelObjectExists(BPF_PROG_GET_FD_BY_ID, id: $0) }.map { "program \($0)" }
            + maps.filter { kernelObjectExists(BPF_MAP_GET_FD_BY_ID, id: $0) }.map { "map \($0)" }
        if !alive.isEmpty { usleep(20_000) }
    } while !alive.isEmpty && Date() < deadline
    #expect(alive.isEmpty, "still held after close: \(alive)", sourceLocation: sourceLocation)
}

/// True while the kernel still has the program or map `id` (a GET_FD_BY_ID
/// succeeds; the descriptor it returns is closed again at once).
private func kernelObjectExists(_ command: bpf_cmd, id: UInt32) -> Bool {
    var attr = bpf_attr()
    attr.prog_id = id  // prog_id and map_id share one union member
    guard let fd = try? Syscall.bpfDescriptor(command, &attr) else { return false }
    fd.close()
    return true
}

/// Expects the kernel to hold no map named `name` (within ten seconds: maps
/// are freed after the programs using them). For objects that failed to load,
/// whose ids are never seen; give the map a name unique to the test.
func expectNoKernelMap(named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let deadline = Date().addingTimeInterval(10)
    var present = kernelMapNames().contains(name)
    while present && Date() < deadline {
        usleep(20_000)
        present = kernelMapNames().contains(name)
    }
    #expect(!present, "map \(name) is still in the kernel", sourceLocation: sourceLocation)
}

/// The names of every map in the kernel (BPF_MAP_GET_NEXT_ID).
private func kernelMapNames() -> Set<String> {
    var names = Set<String>()
    var next = bpf_attr()
    while (try? Syscall.bpf(BPF_MAP_GET_NEXT_ID, &next)) != nil {
        let id = next.next_id
        var open = bpf_attr()
        open.map_id = id
        if let fd = try? Syscall.bpfDescriptor(BPF_MAP_GET_FD_BY_ID, &open) {
            var info = bpf_map_info()
            let filled = try? withUnsafeMutableBytes(of: &info) { try Syscall.objectInfo(fd: fd.rawValue, into: $0, object: "map \(id)") }
            if filled != nil {
                names.insert(withUnsafeBytes(of: info.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) })
            }
            fd.close()
        }
        next = bpf_attr()
        next.start_id = id
    }
    return names
}
