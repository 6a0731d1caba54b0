// The ring buffer and perf buffer half of `ebpf-test-helper buffer-leak`:
// open, use and close every reader kind many times, then compare the
// process's descriptors and its mappings of BPF maps and perf events.
import BPFObject
import Dispatch
import EBPF
import Glibc

/// Mappings of ring buffer maps and perf events in /proc/self/maps.
func bufferMappingCount() -> Int {
    guard let file = fopen("/proc/self/maps", "r") else { return -1 }
    defer { fclose(file) }
    var count = 0
    var line = [CChar](repeating: 0, count: 4096)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.contains("anon_inode:bpf-map") || text.contains("anon_inode:[perf_event]") { count += 1 }
    }
    return count
}

/// A socket filter that writes one 8-byte record to `ring` per run.
func ringBufferProducer(_ ring: Map) throws -> Program {
    let code: [Instruction] = [.store(.double, .r10, -8, 7)] + Instruction.loadMapFD(.r1, ring.fd.rawValue)
        + [.mov(.r2, .r10), .add(.r2, -8), .mov(.r3, 8), .mov(.r4, 0),
           Instruction(opcode: Opcode.call, immediate: 130), .mov(.r0, 0), .exit()]
    return try Program(type: .socketFilter, instructions: code, license: "GPL", name: "leak_producer")
}

/// Opens, uses and closes ring buffers (poller, AsyncSequence) and perf buffers.
func bufferLeakLoop(rounds: Int) throws {
    let pageSize = Int(getpagesize())
    let packet = [UInt8](repeating: 0, count: 64)
    for round in 0..<rounds {
        let map = try Map(type: .ringBuffer, name: "leak_ring", keySize: 0, valueSize: 0, maxEntries: 4 * pageSize)
        let producer = try ringBufferProducer(map)
        _ = try producer.testRun(data: packet, repeat: 3)
        let poller = try RingBufferPoller()
        try poller.add(map: map) { _ in }
        guard try poller.poll(timeout: 1000) == 3 else { throw BPFError.notFound(what: "the 3 records") }
        // The count must see the ring's two mappings, or comparing it proves nothing.
        guard bufferMappingCount() >= 2 else { throw BPFError.notFound(what: "the ring's mappings in /proc/self/maps") }
        if round % 2 == 0 { poller.close() }

        // The AsyncSequence: read one record, then cancel while it waits.
        _ = try producer.testRun(data: packet, repeat: 1)
        let done = DispatchSemaphore(value: 0)
        let reader = Task {
            defer { done.signal() }
            let ring = try RingBuffer(map: map)
            defer { ring.close() }
            for try await _ in ring.records() {}
        }
        usleep(20_000)
        reader.cancel()
        done.wait()

        let perfArray = try Map(type: .perfEventArray, name: "leak_perf", keySize: 4, valueSize: 4,
                                maxEntries: PossibleCPUs.count())
        let perfPoller = try PerfBufferPoller()
        try perfPoller.add(PerfBuffer(map: perfArray, pageCount: 2, onSample: { _, _ in }, onLost: { _, _ in }))
        _ = try perfPoller.poll(timeout: 0)
        if round % 2 == 0 { perfPoller.close() }
    }
    // Failed opens must not leak either.
    let array = try Map(type: .array, name: "leak_array", keySize: 4, valueSize: 8, maxEntries: 1)
    for _ in 0..<10 {
        _ = try? RingBuffer(map: array)
        _ = try? PerfBuffer(map: array, onSample: { _, _ in })
    }
}
