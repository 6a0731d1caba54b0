import BCC
import EBPF
import Foundation
import Netlink
import Testing
import TestSupport

/// After close(), nothing of a bcc program stays on any interface: no XDP
/// program (netlink's view of every link), no tcx program, no clsact qdisc
/// the library added, no socket, and the kernel frees every program (those
/// loaded by the attaches too) and map.
@Suite struct NetworkLeakTests {
    @Test func closeDetachesEveryNetworkAttachment() throws {
        let pair = try TestVethPair()
        let other = try TestVethPair(isolatePeer: false)
        defer { pair.close(); other.close() }
        let b = try BPF(text: NetworkPrograms.headerMacros + """
            BPF_ARRAY(seen, u64, 4);
            BPF_SOCKHASH(socks, u32, 4);
            int xdp_pass(struct xdp_md *ctx) { seen.increment(0); return XDP_PASS; }
            int tc_pass(struct __sk_buff *skb) { seen.increment(1); return TC_ACT_OK; }
            int keep_all(struct __sk_buff *skb) { return -1; }
            int msg_pass(struct sk_msg_md *msg) { return SK_PASS; }
            """)
        try b.attachXdp(dev: pair.host, fnName: "xdp_pass")
        try b.attachXdp(dev: other.peer, fnName: "xdp_pass", flags: .generic, mechanism: .netlink)
        if Features.isSupported(.tcxLinks) {
            try b.attachTc(dev: pair.host, fnName: "tc_pass", direction: .ingress, mechanism: .tcx)
        }
        try b.attachTc(dev: pair.host, fnName: "tc_pass", direction: .egress, mechanism: .netlink)
        try b.attachTc(dev: other.host, fnName: "tc_pass", direction: .ingress, mechanism: .netlink)
        let socket = try b.attachRawSocket(fnName: "keep_all", dev: other.host)
        try b.attachFunc(fnName: "msg_pass", table: "socks", attachType: .skMsgVerdict)
        #expect(try pair.ping(count: 1) == 1)

        let programs = b.loadedPrograms.map(\.id)
        let maps = try b.object.maps.values.map { try $0.id }
        #expect(Set(programs).count == 4, "xdp_pass, msg_pass, tc_pass and keep_all, each loaded by its attach")
        let interfaces = [pair.host, other.host, other.peer]
        #expect(try Self.xdpProgramIDs(on: interfaces).count == 2)
        #expect(try interfaces.contains { try NetworkInterface(name: $0).qdiscs().contains { $0.kind == "clsact" } })

        b.close()
        #expect(b.attachedProbes.isEmpty)
        // Every interface of the namespace, as netlink reports them: none runs one of our programs.
        let attached = try NetworkInterface.all().flatMap { $0.xdp?.programIDs ?? [] }
        #expect(Set(attached).isDisjoint(with: programs), "an XDP program of ours is still attached")
        for name in interfaces {
            let interface = try NetworkInterface(name: name)
            #expect(try interface.qdiscs().allSatisfy { $0.kind != "clsact" }, "clsact left on \(name)")
            #expect(try interface.tcxProgramIDs(.ingress).isEmpty && interface.tcxProgramIDs(.egress).isEmpty)
        }
        #expect(fcntl(socket, F_GETFD) == -1 || !Self.isPacketSocket(socket), "the raw socket is closed")
        expectKernelObjectsFreed(programs: programs, maps: maps)
    }

    /// The XDP programs attached to `names`.
    static func xdpProgramIDs(on names: [String]) throws -> [UInt32] {
        try names.flatMap { try NetworkInterface(name: $0).xdpState().programIDs }
    }

    /// True when descriptor `fd` is a packet socket (a number reused by a parallel test is another file).
    static func isPacketSocket(_ fd: Int32) -> Bool {
        let info = (try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8)) ?? ""
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) ?? ""
        return target.hasPrefix("socket:") && !info.isEmpty && (try? String(contentsOfFile: "/proc/net/packet", encoding: .utf8))?
            .contains(target.dropFirst("socket:[".count).dropLast()) == true
    }
}
