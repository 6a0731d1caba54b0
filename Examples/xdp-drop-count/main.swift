// bcc's examples/networking/xdp/xdp_drop_count.py in Swift: an XDP program
// drops every IPv4 and IPv6 packet arriving at a device and counts them per
// IP protocol in a per-CPU array; the rates are printed every second.
// Run: swift run xdp-drop-count DEVICE [--generic] [--duration SECONDS]   (as root; Ctrl-C to stop)
import ArgumentParser
import BCC
import BCCTools
import EBPF

let program = """
    BPF_PERCPU_ARRAY(dropcnt, u64, 256);

    static int parse_ipv4(void *data, u64 offset, void *data_end) {
        struct iphdr *ip = data + offset;
        if ((void *)(ip + 1) > data_end) return 0;
        return ip->protocol;
    }

    static int parse_ipv6(void *data, u64 offset, void *data_end) {
        struct ipv6hdr *ip6 = data + offset;
        if ((void *)(ip6 + 1) > data_end) return 0;
        return ip6->nexthdr;
    }

    int xdp_prog1(struct xdp_md *ctx) {
        void *data_end = (void *)(long)ctx->data_end;
        void *data = (void *)(long)ctx->data;
        struct ethhdr *eth = data;
        u64 offset = sizeof(*eth);
        if (data + offset > data_end) return XDP_DROP;
        u16 protocol = eth->h_proto;
        // 802.1Q and 802.1AD VLAN tags, up to two.
        #pragma unroll
        for (int i = 0; i < 2; i++) {
            if (protocol != __builtin_bswap16(0x8100) && protocol != __builtin_bswap16(0x88A8)) break;
            struct vlan_hdr *vlan = data + offset;
            offset += sizeof(struct vlan_hdr);
            if (data + offset > data_end) return XDP_DROP;
            protocol = vlan->h_vlan_encapsulated_proto;
        }
        int index;
        if (protocol == __builtin_bswap16(0x0800)) index = parse_ipv4(data, offset, data_end);
        else if (protocol == __builtin_bswap16(0x86DD)) index = parse_ipv6(data, offset, data_end);
        else return XDP_PASS;  // ARP and the rest
        dropcnt.increment(index & 0xFF);
        return XDP_DROP;
    }
    """

struct XDPDropCount: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xdp-drop-count",
        abstract: "Drop IPv4 and IPv6 packets arriving at a device with XDP and print the drop rate per IP protocol.")

    @Argument(help: "The network device to attach to.")
    var device: String

    @Flag(name: [.customShort("S"), .long], help: "Generic XDP (skb mode) instead of the driver's.")
    var generic = false

    @Option(name: [.customShort("d"), .long], help: "Stop after this many seconds.")
    var duration: Double?

    func run() throws {
        let b = try BPF(text: program)
        defer { b.close() }
        try b.attachXdp(dev: device, fnName: "xdp_prog1", flags: generic ? .generic : [])
        let drops = try b["dropcnt"].typed(key: Int32.self, value: UInt64.self)
        StandardOutput.printLine("Printing drops per IP protocol-number, hit CTRL+C to stop")
        let stop = StopSignal(duration: duration)
        var previous: [Int32: UInt64] = [:]
        var last = ContinuousClock.now
        while !stop.isStopped {
            stop.wait(until: .now + .seconds(1))
            let now = ContinuousClock.now
            let elapsed = (now - last) / .seconds(1)
            last = now
            for protocolNumber in Int32(0)..<256 {
                guard let total = try drops.sum(protocolNumber), total > 0 else { continue }
                let delta = total - (previous[protocolNumber] ?? 0)
                previous[protocolNumber] = total
                if delta > 0 { StandardOutput.printLine("\(protocolNumber): \(UInt64(Double(delta) / max(elapsed, 0.001))) pkt/s") }
            }
        }
        try b.removeXdp(dev: device)
    }
}

XDPDropCount.main()
