import BCC
import EBPF
import Foundation
import Glibc
import Netlink
import Testing
import TestSupport

/// XDP from a bcc program on a veth pair of the test's own: counting and
/// dropping by protocol, an LPM trie lookup, a tail call, and redirect_map
/// through a DEVMAP to a second pair.
@Suite struct NetworkXDPTests {
    @Test func countsByProtocolAndDropsICMP() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let b = try BPF(text: NetworkPrograms.xdpCountAndDrop)
        defer { b.close() }
        try b.attachXdp(dev: pair.host, fnName: "count_and_drop")
        #expect(b.attachedProbes == ["xdp \(pair.host) -> count_and_drop"])
        let id = try b.function(named: "count_and_drop").id
        #expect(try NetworkInterface(name: pair.host).xdpState().programIDs == [id])

        #expect(try pair.ping(count: 3, timeout: 300) == 0, "ICMP is dropped")
        let (udp, port) = try Self.udpSocket(on: pair.hostAddress)
        defer { close(udp) }
        try pair.sendUDP(Array("passes".utf8), port: port, count: 2)
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(recv(udp, &buffer, buffer.count, 0) == 6, "UDP passes")

        let packets = try b["packets"].typed(key: Int32.self, value: UInt64.self)
        let icmp = try packets[Int32(IPPROTO_ICMP)] ?? 0
        #expect(icmp >= 3)
        #expect(try packets[Int32(IPPROTO_UDP)] ?? 0 >= 2)

        try b.removeXdp(dev: pair.host)
        #expect(try NetworkInterface(name: pair.host).xdpState().programIDs.isEmpty)
        #expect(try pair.ping(count: 2) == 2)
        #expect(try packets[Int32(IPPROTO_ICMP)] == icmp, "nothing counted after removeXdp")
    }

    @Test func lpmTrieLookupDropsABlockedPrefix() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let b = try BPF(text: NetworkPrograms.headerMacros + """
            struct lpm_key { u32 prefixlen; u32 address; };
            BPF_LPM_TRIE(blocked, struct lpm_key, u32, 16);
            BPF_ARRAY(matched, u64, 1);

            int drop_blocked_sources(struct xdp_md *ctx) {
                void *data = (void *)(long)ctx->data;
                void *data_end = (void *)(long)ctx->data_end;
                struct ethhdr *eth = data;
                if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
                struct iphdr *ip = (void *)(eth + 1);
                if ((void *)(ip + 1) > data_end) return XDP_PASS;
                struct lpm_key key = { .prefixlen = 32, .address = ip->saddr };
                u32 *rule = blocked.lookup(&key);
                if (!rule) return XDP_PASS;
                matched.increment(0, *rule);
                return XDP_DROP;
            }
            """)
        defer { b.close() }
        try b.attachXdp(dev: pair.host, fnName: "drop_blocked_sources")
        #expect(try pair.ping(count: 1) == 1)

        typealias IPv4 = (UInt8, UInt8, UInt8, UInt8)
        let trie = try b["blocked"].lpmTrie(data: IPv4.self, value: UInt32.self)
        let peer = pair.peerAddress.split(separator: ".").map { UInt8($0)! }
        try trie.set((peer[0], peer[1], peer[2], 0), prefixLength: 24, 5)
        try trie.set((peer[0], 0, 0, 0), prefixLength: 8, 1)
        #expect(try trie.longestMatch((peer[0], peer[1], peer[2], peer[3])) == 5, "the /24 is longer than the /8")
        #expect(try trie.longestMatch((peer[0], 1, 2, 3)) == 1)
        #expect(try trie.longestMatch((192, 0, 2, 1)) == nil)
        #expect(try trie.items().map(\.key.prefixLength).sorted() == [8, 24])

        #expect(try pair.ping(count: 2, timeout: 300) == 0)
        let matched = try b["matched"].typed(key: Int32.self, value: UInt64.self)
        #expect(try matched[0] ?? 0 >= 2 * 5, "each dropped echo request added its /24 rule's value")

        try trie.delete((peer[0], peer[1], peer[2], 0), prefixLength: 24)
        try trie.delete((peer[0], 0, 0, 0), prefixLength: 8)
        #expect(try pair.ping(count: 2) == 2)
        #expect(throws: BCCError.self) { try b["blocked"].lpmTrie(data: UInt64.self, value: UInt32.self) }
        #expect(throws: BCCError.self) { try trie.set((0, 0, 0, 0), prefixLength: 33, 1) }
    }

    @Test func tailCallThroughAProgramArray() throws {
        let b = try BPF(text: """
            BPF_PROG_ARRAY(jump, 4);
            BPF_ARRAY(tail_runs, u64, 1);

            int xdp_entry(struct xdp_md *ctx) {
                jump.call(ctx, 2);
                return XDP_PASS;
            }

            int xdp_tail(struct xdp_md *ctx) {
                tail_runs.increment(0);
                return XDP_DROP;
            }
            """)
        defer { b.close() }
        let frame = [UInt8](repeating: 0, count: 64)
        let entry = try b.function(named: "xdp_entry")
        #expect(try entry.testRun(data: frame).retval == 2, "an empty slot falls through: XDP_PASS")
        try b.setTailCall(table: "jump", index: 2, fnName: "xdp_tail")
        #expect(try entry.testRun(data: frame).retval == 1, "the tail call's XDP_DROP")
        #expect(try b["tail_runs"].typed(key: Int32.self, value: UInt64.self)[0] == 1)
        try b["jump"].removeProgram(at: 2)
        #expect(try entry.testRun(data: frame).retval == 2)
        let error = #expect(throws: BCCError.self) { try b["tail_runs"].setProgram(entry, at: 0) }
        #expect(error?.description.contains("setProgram needs a prog array table") == true, "\(String(describing: error))")
    }

    @Test func redirectMapThroughADevmapToAnotherVeth() throws {
        let source = try TestVethPair()
        let target = try TestVethPair(isolatePeer: false)
        defer { source.close(); target.close() }
        let b = try BPF(text: NetworkPrograms.headerMacros + """
            BPF_DEVMAP(devices, 1);
            BPF_ARRAY(arrivals, u64, 1);

            static int is_ipv4(struct xdp_md *ctx) {
                struct ethhdr *eth = (void *)(long)ctx->data;
                if ((void *)(eth + 1) > (void *)(long)ctx->data_end) return 0;
                return eth->h_proto == bpf_htons(ETH_P_IP);
            }

            int redirect_ipv4(struct xdp_md *ctx) {
                return is_ipv4(ctx) ? devices.redirect_map(0, 0) : XDP_PASS;
            }

            int count_arrivals(struct xdp_md *ctx) {
                if (is_ipv4(ctx)) arrivals.increment(0);
                return XDP_PASS;
            }
            """)
        defer { b.close() }
        try b["devices"].setDevice(target.host, at: 0)
        #expect(try b["devices"].typed(key: UInt32.self, value: UInt32.self)[0]
                == UInt32(try NetworkInterface(name: target.host).index))
        // Frames sent out of target.host arrive at target.peer, whose XDP program counts them
        // (a veth takes XDP frames only when its peer runs an XDP program).
        try b.attachXdp(dev: target.peer, fnName: "count_arrivals")
        try b.attachXdp(dev: source.host, fnName: "redirect_ipv4")
        #expect(try source.ping(count: 3, timeout: 300) == 0, "echo requests leave through the other pair")
        let arrivals = try b["arrivals"].typed(key: Int32.self, value: UInt64.self)
        #expect(try arrivals[0] ?? 0 >= 3)
    }

    @Test func attachErrorsNameTheDeviceAndFunction() throws {
        let b = try BPF(text: NetworkPrograms.xdpCountAndDrop + """

            int not_xdp(struct pt_regs *ctx) { return 0; }
            """)
        defer { b.close() }
        let missing = #expect(throws: BCCError.self) { try b.attachXdp(dev: "sbmissing0", fnName: "count_and_drop") }
        #expect(missing?.description.contains("network interface 'sbmissing0' not found") == true, "\(String(describing: missing))")
        let wrongType = #expect(throws: BCCError.self) { try b.attachXdp(dev: "lo", fnName: "not_xdp") }
        #expect(wrongType?.description.contains("is a kprobe program") == true, "\(String(describing: wrongType))")
        #expect(throws: BCCError.self) { try b.attachXdp(dev: "lo", fnName: "no_such_function") }
        #expect(b.attachedProbes.isEmpty)
    }

    /// A UDP socket bound to `address` on a port the kernel picks.
    static func udpSocket(on address: String) throws -> (Int32, UInt16) {
        let fd = try TestNetwork.openSocket(namespace: nil, domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue), protocol: 0)
        TestNetwork.setReceiveTimeout(fd, milliseconds: 2000)
        var bound = TestNetwork.socketAddress(address, port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return (fd, UInt16(bigEndian: bound.sin_port))
    }
}
