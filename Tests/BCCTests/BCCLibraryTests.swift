import BPFObject
import ELF
import EBPF
import Foundation
import Testing
@testable import BCC
import TestSupport

// bcc's own C library: <bcc/proto.h> packet access (reads and stores of
// packet header members, checksum updates) run on packets the test builds,
// tables shared between programs and pinned in a BPF filesystem, and
// build-id stack traces.

private func key32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
private func u64(_ bytes: [UInt8]?) -> UInt64? { bytes.map { $0.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } } }
private func bigEndian16(_ bytes: [UInt8], _ offset: Int) -> UInt16 { UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]) }
private func bigEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(bigEndian16(bytes, offset)) << 16 | UInt32(bigEndian16(bytes, offset + 2))
}

/// One's-complement sum of 16-bit big-endian words, folded (RFC 1071).
private func onesComplementSum(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt16 {
    var sum = initial
    var index = 0
    while index + 1 < bytes.count {
        sum += UInt32(bigEndian16(bytes, index))
        index += 2
    }
    if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
    while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
    return UInt16(sum)
}

/// An Ethernet + IPv4 + UDP packet from 10.0.0.1:5353 to 10.0.0.2:53 with valid checksums.
private func udpPacket() -> [UInt8] {
    let payload: [UInt8] = [0xde, 0xad, 0xbe, 0xef]
    var ethernet: [UInt8] = [0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00]
    var ip: [UInt8] = [0x45, 0, 0, 32, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
    let ipChecksum = ~onesComplementSum(ip)
    ip[10] = UInt8(ipChecksum >> 8); ip[11] = UInt8(ipChecksum & 0xff)
    var udp: [UInt8] = [0x14, 0xe9, 0x00, 0x35, 0, 12, 0, 0] + payload
    let udpChecksum = ~onesComplementSum(udp, initial: UInt32(onesComplementSum(pseudoHeader(ip: ip, udpLength: 12))))
    udp[6] = UInt8(udpChecksum >> 8); udp[7] = UInt8(udpChecksum & 0xff)
    ethernet += ip
    return ethernet + udp
}

private func pseudoHeader(ip: [UInt8], udpLength: UInt16) -> [UInt8] {
    Array(ip[12..<20]) + [0, 17, UInt8(udpLength >> 8), UInt8(udpLength & 0xff)]
}

/// Compiles a bcc program and loads it with its function `name` as a
/// socket filter or a tc classifier (the context parameter alone cannot say which).
private func loadPacketProgram(_ source: String, function name: String, type: ProgramType) throws -> LoadedObject {
    let compiled = try BPFCompiler(environment: KernelCompileEnvironment.current())
        .compile(source: source, fileName: "packet.c", cflags: [], includeDirectory: nil)
    var spec = try ObjectSpec(bytes: compiled.object)
    let index = try #require(spec.programs.firstIndex { $0.name == name })
    var section = try #require(ProgramSection(sectionName: "socket"))
    section.programType = type
    spec.programs[index].section = section
    return try BPFObjectLoader(spec: spec).load()
}

extension BPFKernelTests {
    /// A program walks the packet with cursor_advance; each member read is the
    /// field's value in host order, bitfields included. (Loaded as a tc
    /// classifier: a socket filter's test run starts the packet after the
    /// Ethernet header, a raw socket's filter sees it whole.)
    @Test func protoHeadersReadThePacketsFields() throws {
        let object = try loadPacketProgram("""
            #include <bcc/proto.h>
            BPF_ARRAY(fields, u64, 16);
            static void put(int index, u64 value) { fields.update(&index, &value); }
            int parse(struct __sk_buff *skb) {
                u8 *cursor = 0;
                struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
                put(0, ethernet->dst);
                put(1, ethernet->src);
                put(2, ethernet->type);
                if (ethernet->type != ETH_P_IP)
                    return 0;
                struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
                put(3, ip->ver);
                put(4, ip->hlen);
                put(5, ip->tlen);
                put(6, ip->df);
                put(7, ip->ttl);
                put(8, ip->nextp);
                put(9, ip->src);
                put(10, ip->dst);
                struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));
                put(11, udp->sport);
                put(12, udp->dport);
                put(13, udp->length);
                put(14, sizeof(struct ethernet_t) * 100 + sizeof(struct ip_t));
                return -1;
            }
            """, function: "parse", type: .schedCLS)
        defer { object.close() }
        let run = try #require(object.programs["parse"]).testRun(data: udpPacket())
        #expect(run.retval == UInt32.max)
        let fields = try #require(object.maps["fields"])
        let expected: [UInt64] = [0x0200_0000_0001, 0x0200_0000_0002, 0x0800, 4, 5, 32, 1, 64, 17, 0x0a00_0001, 0x0a00_0002, 5353, 53, 12, 1420]
        for (index, value) in expected.enumerated() {
            #expect(u64(try fields.lookup(key: key32(UInt32(index)))) == value, "field \(index)")
        }
    }

    /// A tc program stores into packet members (bpf_dins_pkt) and keeps the
    /// checksums right with incr_cksum_l3/l4: the packet it returns checks out.
    @Test func protoHeadersStoreFieldsAndUpdateChecksums() throws {
        let object = try loadPacketProgram("""
            #include <bcc/proto.h>
            int rewrite(struct __sk_buff *skb) {
                u8 *cursor = 0;
                struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
                struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
                struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));
                u32 old_destination = ip->dst, new_destination = 0x0a000063;
                incr_cksum_l3(&ip->hchecksum, old_destination, new_destination);
                incr_cksum_l4(&udp->crc, old_destination, new_destination, 1);
                ip->dst = new_destination;
                u16 old_port = udp->dport;
                incr_cksum_l4(&udp->crc, old_port, 8053, 0);
                udp->dport = 8053;
                ethernet->src = 0x0200000000aa;
                return TC_ACT_OK;
            }
            """, function: "rewrite", type: .schedCLS)
        defer { object.close() }
        let run = try #require(object.programs["rewrite"]).testRun(data: udpPacket())
        #expect(run.retval == 0)
        let packet = run.dataOut
        try #require(packet.count == 14 + 20 + 12)
        #expect(Array(packet[6..<12]) == [0x02, 0, 0, 0, 0, 0xaa])
        let ip = Array(packet[14..<34]), udp = Array(packet[34...])
        #expect(bigEndian32(ip, 16) == 0x0a00_0063)
        #expect(onesComplementSum(ip) == 0xffff, "the IP header checksum is valid")
        #expect(bigEndian16(udp, 2) == 8053)
        #expect(onesComplementSum(udp, initial: UInt32(onesComplementSum(pseudoHeader(ip: ip, udpLength: 12)))) == 0xffff,
                "the UDP checksum is valid over the new address and port")
    }

    /// A header struct of the program's own, marked BPF_PACKET_HEADER (as
    /// bcc's dns_matching example declares its DNS header), is read and
    /// written through the packet like proto.h's, bitfields in network order.
    @Test func programsOwnPacketHeadersReadAndWriteThePacket() throws {
        let b = try BPF(text: """
            #include <bcc/proto.h>
            struct payload_t {
                u16 first;
                u8 high:4;
                u8 low:4;
                unsigned char last;
            } BPF_PACKET_HEADER;
            BPF_ARRAY(fields, u64, 4);
            static void put(int index, u64 value) { fields.update(&index, &value); }
            int payload(struct __sk_buff *skb) {
                u8 *cursor = 0;
                cursor_advance(cursor, sizeof(struct ethernet_t) + sizeof(struct ip_t) + sizeof(struct udp_t));
                struct payload_t *payload = cursor_advance(cursor, sizeof(*payload));
                put(0, payload->first);
                put(1, payload->high);
                put(2, payload->low);
                put(3, payload->last);
                payload->last = 0x42;
                return TC_ACT_OK;
            }
            """)
        defer { b.close() }
        let run = try b.loadFunc("payload", .schedCLS).testRun(data: udpPacket())
        let fields = try b.map(named: "fields")
        #expect([0, 1, 2, 3].map { u64(try? fields.lookup(key: key32($0))) } == [0xdead, 0xb, 0xe, 0xef])
        #expect(run.dataOut.last == 0x42)
        #expect(throws: BCCError.self) {
            try BPF(text: "#include <bcc/proto.h>\nstruct odd_t { float f; } BPF_PACKET_HEADER;\n")
        }
    }

    /// BPF_TABLE_PUBLIC and BPF_TABLE_SHARED export a table; a program loaded
    /// later names it BPF_TABLE("extern", ...) and uses the same map.
    @Test(arguments: ["BPF_TABLE_PUBLIC", "BPF_TABLE_SHARED"])
    func exportedTablesAreSharedWithLaterPrograms(macro: String) throws {
        let name = "shared\(UInt32.random(in: 0...UInt32.max))"
        let exporter = try BPF(text: """
            \(macro)("hash", u32, u64, \(name), 16);
            int bump(struct bpf_raw_tracepoint_args *ctx) {
                u32 key = 1;
                \(name).increment(key);
                return 0;
            }
            """)
        let importerSource = """
            BPF_TABLE("extern", u32, u64, \(name), 16);
            BPF_ARRAY(seen, u64, 1);
            int read_shared(struct bpf_raw_tracepoint_args *ctx) {
                u32 key = 1;
                u64 *count = \(name).lookup(&key);
                if (count)
                    seen.update(&(int){0}, count);
                return 0;
            }
            """
        do {
            defer { exporter.close() }
            let importer = try BPF(text: importerSource)
            defer { importer.close() }
            #expect(try importer.declaration(named: name).sharing == .imported)
            #expect(try importer.map(named: name).id == exporter.map(named: name).id)
            for _ in 0..<2 { _ = try exporter.function(named: "bump").testRun(context: [UInt8](repeating: 0, count: 8)) }
            _ = try importer.function(named: "read_shared").testRun(context: [UInt8](repeating: 0, count: 8))
            #expect(u64(try importer.map(named: "seen").lookup(key: key32(0))) == 2)
        }
        // Once the exporter is closed, nothing exports the table.
        let error = #expect(throws: BCCError.self) { try BPF(text: importerSource) }
        #expect(String(describing: error).contains("extern table '\(name)' is not exported"))
    }

    /// BPF_TABLE_PINNED creates the map and pins it at its path; a later
    /// program (or run) with the same declaration uses the pinned map.
    @Test func pinnedTablesOutliveTheirProgram() throws {
        let directory = try TestSupport.temporaryDirectory("bpffs")
        try #require(mount("bpf", directory.path, "bpf", 0, nil) == 0, "mount a BPF filesystem: \(String(cString: strerror(errno)))")
        defer {
            umount(directory.path)
            try? FileManager.default.removeItem(at: directory)
        }
        let path = directory.appendingPathComponent("tools/counts").path
        func program(value: String) -> String {
            """
            BPF_TABLE_PINNED("hash", u32, \(value), counts, 8, "\(path)");
            int bump(struct bpf_raw_tracepoint_args *ctx) {
                u32 key = 3;
                counts.increment(key);
                return 0;
            }
            """
        }
        let first = try BPF(text: program(value: "u64"))
        #expect(FileManager.default.fileExists(atPath: path))
        _ = try first.function(named: "bump").testRun(context: [UInt8](repeating: 0, count: 8))
        let firstID = try first.map(named: "counts").id
        first.close()

        let pinned = try Map(pinnedAt: path)
        defer { pinned.close() }
        #expect(try pinned.id == firstID)
        #expect(u64(try pinned.lookup(key: key32(3))) == 1)

        let second = try BPF(text: program(value: "u64"))
        #expect(try second.map(named: "counts").id == firstID)
        _ = try second.function(named: "bump").testRun(context: [UInt8](repeating: 0, count: 8))
        #expect(u64(try pinned.lookup(key: key32(3))) == 2)
        second.close()

        // A declaration that does not match the pinned map is an error naming both.
        let error = #expect(throws: BCCError.self) { try BPF(text: program(value: "u32")) }
        #expect(String(describing: error).contains("value 8 B"))
        #expect(String(describing: error).contains("value 4 B"))
        unlink(path)
    }

    /// BPF_STACK_TRACE_BUILDID stores a user stack as build ids and offsets;
    /// the frame in libc carries libc's build id.
    @Test func buildIDStacksNameTheFileTheyRanIn() throws {
        // The libc the uprobe below attaches to ("c"), found as the attach finds it: from the
        // loader's cache, not /proc/self/maps, which skips lines while other tests map and unmap.
        let libc = try BinaryPath.resolve("libc.so.6")
        let elf = try ELFFile(contentsOf: libc)
        let note = Array(try elf.contents(of: try #require(elf.section(named: ".note.gnu.build-id"))))
        try #require(note.count >= 36)
        let libcBuildID = note[16..<36].map { String(format: "%02x", $0) }.joined()
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                BPF_STACK_TRACE_BUILDID(stacks, 16);
                BPF_ARRAY(ids, s64, 1);
                int on_getpid(struct pt_regs *ctx) {
                    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
                        return 0;
                    s64 id = stacks.get_stackid(ctx, BPF_F_USER_STACK);
                    ids.update(&(int){0}, &id);
                    return 0;
                }
                """, cflags: ["-DTARGET_PID=\(getpid())"])
        }) { b in
            try b.attachUprobe(name: "c", sym: "getpid", fnName: "on_getpid", pid: getpid())
            _ = getpid()
            let id = Int64(bitPattern: try #require(u64(try b.map(named: "ids").lookup(key: key32(0)))))
            try #require(id >= 0, "get_stackid failed: \(id)")
            #expect(throws: BCCError.self) { try b["stacks"].walk(id) }
            let frames = try b["stacks"].walkBuildIDs(id)
            let first = try #require(frames.first)
            if first.status == .valid {
                #expect(first.buildIDHex == libcBuildID)
                #expect(first.offset > 0 && first.offset < UInt64(elf.bytes.count))
            } else {
                // No build id could be read in the probe's context: the raw address is kept.
                #expect(first.offset != 0)
            }
        }
    }
}
