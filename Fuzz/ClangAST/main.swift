// libFuzzer target for the implicit reads (BCCDialect/ImplicitReads): clang's
// JSON AST dump decoded, analysed and planned against a unit. The input is
// `UNIT\n//--JSON--\nJSON` (or JSON alone, then also the unit). Any input
// must decode or throw, never trap, hang or read out of bounds; a plan's
// insertions lie inside the unit, in order, and applying them only adds text.

/// Results folded into here so the optimizer keeps the work.
nonisolated(unsafe) var resultChecksum = 0

private let separator = Array("\n//--JSON--\n".utf8)
private let probes: [(name: String, section: String)] = [
    ("probe", "kprobe"), ("kprobe__f", "kprobe/f"),
    ("tracepoint__syscalls__sys_enter_openat", "tracepoint/syscalls/sys_enter_openat"),
    ("raw_tracepoint__sched_switch", "raw_tracepoint/sched_switch"),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImplicitReads(_ start: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let input = Array(UnsafeBufferPointer(start: start, count: count))
    var unit = input, json = input
    if let split = input.indices.first(where: { input[$0...].starts(with: separator) }) {
        unit = Array(input[..<split])
        json = Array(input[(split + separator.count)...])
    }
    let plan: ImplicitReadPlan
    do {
        plan = try ImplicitReads.plan(astDump: json, unit: unit, mainFile: "fuzz.c", editable: [0..<unit.count], probes: probes,
                                      helpers: .init(kernel: "bpf_probe_read_kernel", user: "bpf_probe_read_user"))
    } catch {
        resultChecksum &+= 1
        return 0
    }
    var previous = 0
    for insertion in plan.insertions {
        precondition(insertion.offset >= previous && insertion.offset <= unit.count, "insertions are in order and inside the unit")
        previous = insertion.offset
    }
    let applied = plan.apply(to: unit)
    precondition(applied.count == unit.count + plan.insertions.reduce(0) { $0 + $1.text.utf8.count }, "applying only adds text")
    resultChecksum &+= applied.count &+ plan.unwritable.count
    return 0
}
