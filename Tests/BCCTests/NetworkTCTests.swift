import BCC
import EBPF
import Foundation
import Glibc
import Netlink
import Testing
import TestSupport

/// tc programs from a bcc program on veth pairs of the test's own: counting
/// on ingress and egress (tcx links and clsact filters), redirecting to
/// another device, and perf_submit_skb delivering packet bytes.
@Suite struct NetworkTCTests {
    static let counters = NetworkPrograms.headerMacros + """
        BPF_ARRAY(directions, u64, 2);

        int count_ingress(struct __sk_buff *skb) {
            if (skb->protocol == bpf_htons(ETH_P_IP)) directions.increment(0);
            return TC_ACT_OK;
        }

        int count_egress(struct __sk_buff *skb) {
            if (skb->protocol == bpf_htons(ETH_P_IP)) directions.increment(1);
            return TC_ACT_OK;
        }
        """

    @Test(arguments: [TCLink.Mechanism.automatic, .netlink])
    func countsIngressAndEgress(mechanism: TCLink.Mechanism) throws {
        if mechanism == .automatic { try #require(Features.isSupported(.tcxLinks), "tcx needs Linux 6.6+") }
        let pair = try TestVethPair()
        defer { pair.close() }
        let b = try BPF(text: Self.counters)
        defer { b.close() }
        try b.attachTc(dev: pair.host, fnName: "count_ingress", direction: .ingress, mechanism: mechanism)
        try b.attachTc(dev: pair.host, fnName: "count_egress", direction: .egress, mechanism: mechanism)
        let interface = try NetworkInterface(name: pair.host)
        let ingressID = try b.function(named: "count_ingress").id
        if mechanism == .netlink {
            let filters = try interface.filters(parent: TrafficControlHandle.ingress).compactMap { try $0.bpfFilterOptions() }
            #expect(filters.contains { $0.programID == ingressID })
        } else {
            #expect(try interface.tcxProgramIDs(.ingress) == [ingressID])
        }

        #expect(try pair.ping(count: 3) == 3, "TC_ACT_OK lets the packets through")
        let directions = try b["directions"].typed(key: Int32.self, value: UInt64.self)
        let (ingress, egress) = (try directions[0] ?? 0, try directions[1] ?? 0)
        #expect(ingress >= 3, "echo requests in")
        #expect(egress >= 3, "echo replies out")

        try b.detachTc(dev: pair.host, fnName: "count_ingress", direction: .ingress)
        try b.detachTc(dev: pair.host, fnName: "count_egress", direction: .egress)
        #expect(try interface.tcxProgramIDs(.ingress).isEmpty)
        #expect(try interface.qdiscs().allSatisfy { $0.kind != "clsact" }, "the clsact qdisc the attach added is gone")
        #expect(try pair.ping(count: 2) == 2)
        #expect(try directions[0] == ingress)
    }

    @Test func redirectsIngressToAnotherDevice() throws {
        let source = try TestVethPair()
        let target = try TestVethPair(isolatePeer: false)
        defer { source.close(); target.close() }
        let index = try NetworkInterface(name: target.host).index
        let b = try BPF(text: NetworkPrograms.headerMacros + """
            BPF_ARRAY(redirected, u64, 1);

            int redirect_ingress(struct __sk_buff *skb) {
                if (skb->protocol != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
                redirected.increment(0);
                return bpf_redirect(REDIRECT_IFINDEX, 0);
            }

            int capture_all(struct __sk_buff *skb) { return -1; }
            """, cflags: ["-DREDIRECT_IFINDEX=\(index)"])
        defer { b.close() }
        // What leaves target.host arrives at target.peer, where a raw socket catches it.
        let socket = try b.attachRawSocket(fnName: "capture_all", dev: target.peer)
        try b.attachTc(dev: source.host, fnName: "redirect_ingress", direction: .ingress)
        #expect(try source.ping(count: 2, timeout: 300) == 0, "the echo requests went elsewhere")
        let frames = NetworkPrograms.frames(from: socket) { $0.contains { $0.contains(text: "swift-bcc ping") } }
        #expect(frames.contains { $0.contains(text: "swift-bcc ping") }, "the redirected echo requests reached the other pair")
        #expect(try b["redirected"].typed(key: Int32.self, value: UInt64.self)[0] ?? 0 >= 2)
        // One program, two types: the tc classifier and the socket filter were loaded by their attaches.
        #expect(try b.function(named: "redirect_ingress").type == .schedCLS)
        #expect(try b.function(named: "capture_all").type == .socketFilter)
    }

    @Test func perfSubmitSkbDeliversPacketBytes() throws {
        let pair = try TestVethPair()
        defer { pair.close() }
        let b = try BPF(text: NetworkPrograms.headerMacros + """
            struct packet_meta { u32 length; u32 ifindex; };
            BPF_PERF_OUTPUT(packets);

            int capture_ingress(struct __sk_buff *skb) {
                struct packet_meta meta = {};
                meta.length = skb->len;
                meta.ifindex = skb->ifindex;
                packets.perf_submit_skb(skb, skb->len, &meta, sizeof(meta));
                return TC_ACT_OK;
            }
            """)
        defer { b.close() }
        #expect(b.eventTypes["packets"] == "struct packet_meta")
        nonisolated(unsafe) var samples: [(length: UInt32, ifindex: UInt32, packet: [UInt8])] = []
        try b["packets"].openPerfBuffer { _, data in
            let length = data.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
            let ifindex = data.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            samples.append((length, ifindex, Array(data[8...])))
        }
        try b.attachTc(dev: pair.host, fnName: "capture_ingress", direction: .ingress)
        #expect(try pair.ping(count: 2) == 2)
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline && !samples.contains(where: { $0.packet.contains(text: "swift-bcc ping") }) {
            _ = try b.perfBufferPoll(timeout: 100)
        }
        let echo = try #require(samples.first { $0.packet.contains(text: "swift-bcc ping") })
        #expect(echo.ifindex == UInt32(try NetworkInterface(name: pair.host).index))
        // The record holds the whole packet: its length as the program saw it (padding may follow).
        #expect(echo.packet.count >= Int(echo.length))
        #expect(Array(echo.packet[12..<14]) == [0x08, 0x00], "an Ethernet frame carrying IPv4")
    }
}
