import BPFObject
import CBPF
import Glibc
import Testing
@testable import EBPF

/// Ring buffer, perf event array and stack trace maps: the ones user space
/// cannot simply update.
@Suite struct SpecialMapTests {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))

    @Test func ringBufferSizeRuleIsCheckedFirst() throws {
        for size in [page * 3, page / 2, 0] {
            let error = expectBPFError(.invalidArgument) {
                try Map(type: .ringBuffer, name: "events", keySize: 0, valueSize: 0, maxEntries: size)
            }
            let message = error?.description ?? ""
            #expect(message.contains("ring buffer map 'events'"))
            #expect(message.contains("must be a power of two and a multiple of the page size"))
        }
    }

    /// A program writes a record with bpf_ringbuf_output; the test reads it
    /// back from the mapped ring and consumes it.
    @Test(.enabled(if: kernelHas(.ringBuffer), "needs the BPF ring buffer (Linux 5.8+)"))
    func ringBufferFilledReadAndEmptied() throws {
        let size = page * 4
        let ring = try Map(type: .ringBuffer, name: "test_ring", keySize: 0, valueSize: 0, maxEntries: size)
        let code: [Instruction] = [.store(.double, .r10, -8, 0x1122_3344)]
            + Instruction.loadMapFD(.r1, ring.fd.rawValue)
            + [.mov(.r2, .r10), .add(.r2, -8), .mov(.r3, 8), .mov(.r4, 0), .call(.ringBufferOutput), .exit()]
        let program = try Program(type: .socketFilter, instructions: code, license: "GPL", name: "ring_out")
        #expect(try program.testRun(data: TestPrograms.packet).retval == 0)

        let consumer = mmap(nil, page, PROT_READ | PROT_WRITE, MAP_SHARED, ring.fd.rawValue, 0)
        let producer = mmap(nil, page + 2 * size, PROT_READ, MAP_SHARED, ring.fd.rawValue, off_t(page))
        try #require(consumer != MAP_FAILED && producer != MAP_FAILED)
        defer {
            munmap(consumer, page)
            munmap(producer, page + 2 * size)
        }
        let producerPosition = cbpf_load_acquire_u64(producer!)
        #expect(producerPosition == 16)  // an 8-byte header and 8 bytes of data
        let header = producer!.advanced(by: page)
        #expect(cbpf_load_acquire_u32(header) == 8)  // length, neither busy nor discarded
        #expect(header.advanced(by: 8).loadUnaligned(as: UInt64.self) == 0x1122_3344)
        #expect(cbpf_load_acquire_u64(consumer!) == 0)
        cbpf_store_release_u64(consumer!, producerPosition)
        #expect(cbpf_load_acquire_u64(consumer!) == cbpf_load_acquire_u64(producer!))

        // A ring buffer has no keys.
        expectBPFError(.notSupported) { try ring.keys() }
    }

    /// A perf event array filled with one BPF_OUTPUT perf event per CPU.
    @Test func perfEventArrayFilledIteratedEmptied() throws {
        let cpus = try PossibleCPUs.count()
        let map = try Map(type: .perfEventArray, name: "test_perf", keySize: 4, valueSize: 4, maxEntries: cpus)
        var events: [OwnedFD] = []
        defer { events.forEach { $0.close() } }
        for cpu in 0..<cpus {
            var attr = perf_event_attr()
            attr.type = PERF_TYPE_SOFTWARE.rawValue
            attr.size = UInt32(MemoryLayout<perf_event_attr>.size)
            attr.config = UInt64(PERF_COUNT_SW_BPF_OUTPUT.rawValue)
            attr.sample_type = UInt64(PERF_SAMPLE_RAW.rawValue)
            let fd = cbpf_perf_event_open(&attr, -1, Int32(cpu), -1, UInt(PERF_FLAG_FD_CLOEXEC))
            if fd < 0 && errno == ENODEV { continue }  // a possible CPU that is not online
            try #require(fd >= 0, "perf_event_open on CPU \(cpu): errno \(errno)")
            events.append(OwnedFD(rawValue: fd))
            try map.update(UInt32(cpu), UInt32(bitPattern: fd))
        }
        #expect(try map.keys(as: UInt32.self) == (0..<UInt32(cpus)).map { $0 })
        // The kernel never hands perf event descriptors back to user space.
        expectBPFError(.notSupported) { try map.lookup(UInt32(0), as: UInt32.self) }
        for cpu in 0..<UInt32(cpus) { try? map.delete(cpu) }
        expectBPFError(.notFound) { try map.delete(UInt32(0)) }
    }

    /// A raw tracepoint program records its own kernel stack with
    /// bpf_get_stackid; the test reads the stack back and removes it.
    @Test(.enabled(if: kernelHas(.rawTracepoints), "needs raw tracepoints (Linux 4.17+)"))
    func stackTraceMapFilledReadEmptied() throws {
        let depth = 127
        let stacks = try Map(type: .stackTrace, name: "test_stacks", keySize: 4, valueSize: 8 * depth, maxEntries: 16)
        #expect(try stacks.lookup(key: [0, 0, 0, 0]) == nil)
        #expect(try stacks.keys().isEmpty)
        expectBPFError(.system) { try stacks.delete(UInt32(12345)) }

        let code: [Instruction] = Instruction.loadMapFD(.r2, stacks.fd.rawValue)
            + [.mov(.r3, 0), .call(.getStackID), .exit()]
        let program = try Program(type: .rawTracepoint, instructions: code, license: "GPL", name: "stack_id")
        let id = Int32(bitPattern: try program.testRun().retval)
        try #require(id >= 0, "bpf_get_stackid failed: \(id)")

        let frames = try #require(try stacks.lookup(key: Map.encode(UInt32(id), size: 4)))
        #expect(frames.count == 8 * depth)
        let firstFrame = frames.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(firstFrame >= 0xffff_8000_0000_0000)  // a kernel address
        #expect(try stacks.keys(as: UInt32.self) == [UInt32(id)])
        try stacks.clear()
        #expect(try stacks.keys().isEmpty)
        #expect(try stacks.lookup(key: Map.encode(UInt32(id), size: 4)) == nil)
    }
}
