// tcpdrop's BPF program: one record per TCP packet the kernel drops with a
// reason, with the packet's addresses, ports and flags, the socket's state
// and the kernel stack, from the skb:kfree_skb tracepoint (bcc's tcpdrop
// uses it where tcp_drop() cannot be kprobed).
import BCC

/// The BPF side of tcpdrop and its output.
public enum TcpdropProgram {
    /// The program: `family` keeps one address family; `receivingSocket`
    /// (kernels since 6.10, whose tracepoint has `rx_sk`) takes the socket a
    /// received packet was dropped at when the packet itself holds none;
    /// `filterNetns` keeps the sockets of the network namespace (its inode
    /// number) in table `netns_filter` (bcc's --netns-id).
    public static func source(family: TCPFamilyFilter = .any, receivingSocket: Bool = true, filterNetns: Bool = false,
                              ringPages: Int = 64, stackEntries: Int = 1024) -> String {
        """
        #include <net/sock.h>
        #include <linux/ip.h>
        #include <linux/ipv6.h>
        #include <linux/tcp.h>

        struct tcpdrop_event_t {
            u32 pid;
            u32 reason;
            s64 stack_id;
            u16 family;
            u16 sport;
            u16 dport;
            u8 state;
            u8 tcpflags;
            u8 saddr[16];
            u8 daddr[16];
        };

        BPF_RINGBUF_OUTPUT(events, \(ringPages));
        BPF_STACK_TRACE(stack_traces, \(stackEntries));
        \(filterNetns ? TableFilters.value("netns_filter") : "")

        TRACEPOINT_PROBE(skb, kfree_skb)
        {
            // SKB_NOT_DROPPED_YET and SKB_DROP_REASON_NOT_SPECIFIED say nothing.
            u32 reason = args->reason;
            if (reason <= SKB_DROP_REASON_NOT_SPECIFIED)
                return 0;
            struct sk_buff *skb = (struct sk_buff *)args->skbaddr;
            struct sock *sk = skb->sk;
            \(receivingSocket ? "if (sk == 0)\n        sk = (struct sock *)args->rx_sk;" : "")
            if (sk == 0 || sk->sk_protocol != IPPROTO_TCP)
                return 0;
            \(filterNetns ? "if (sk->__sk_common.skc_net.net->ns.inum != netns_filter_value())\n        return 0;" : "")

            // The packet's family, from its protocol (host order here; a v6 socket also takes v4 packets).
            u16 protocol = args->protocol;
            u16 family = protocol == ETH_P_IP ? AF_INET : protocol == ETH_P_IPV6 ? AF_INET6 : 0;
            if (family == 0 || \(family.skips("family")))
                return 0;
            unsigned char *head = skb->head;
            u16 network = skb->network_header;
            u16 transport = skb->transport_header;
            struct tcphdr tcp = {};
            bpf_probe_read_kernel(&tcp, sizeof(tcp), head + transport);

            struct tcpdrop_event_t event = {};
            event.pid = bpf_get_current_pid_tgid() >> 32;
            event.reason = reason;
            event.family = family;
            event.state = sk->__sk_common.skc_state;
            event.sport = ntohs(tcp.source);
            event.dport = ntohs(tcp.dest);
            event.tcpflags = ((u8 *)&tcp)[13];
            if (family == AF_INET) {
                struct iphdr ip = {};
                bpf_probe_read_kernel(&ip, sizeof(ip), head + network);
                __builtin_memcpy(event.saddr, &ip.saddr, 4);
                __builtin_memcpy(event.daddr, &ip.daddr, 4);
            } else {
                struct ipv6hdr ip6 = {};
                bpf_probe_read_kernel(&ip6, sizeof(ip6), head + network);
                __builtin_memcpy(event.saddr, &ip6.saddr, 16);
                __builtin_memcpy(event.daddr, &ip6.daddr, 16);
            }
            event.stack_id = stack_traces.get_stackid(args, 0);
            events.ringbuf_output(&event, sizeof(event), 0);
            return 0;
        }

        """
    }

    /// The kernel's drop reason names by code (`enum skb_drop_reason`
    /// without its SKB_DROP_REASON_ prefix, as bcc prints them).
    public static func reasonNames() throws(BCCError) -> [UInt32: String] {
        var names: [UInt32: String] = [:]
        for (name, value) in try BPF.kernelEnumerators("skb_drop_reason") where name.hasPrefix("SKB_DROP_REASON_") {
            guard let code = UInt32(exactly: value), name != "SKB_DROP_REASON_MAX" else { continue }
            names[code] = String(name.dropFirst("SKB_DROP_REASON_".count))
        }
        return names
    }

    /// The column header.
    public static let header = "\(CText.left("TIME", 8)) \(CText.left("PID", 7)) IP \(CText.left("SADDR:SPORT", 20)) > "
        + "\(CText.left("DADDR:DPORT", 20)) \(CText.left("STATE (FLAGS)", 20)) REASON (CODE)"

    /// The line for `event` at wall-clock `clock` (HH:MM:SS), naming its reason from `reasons`.
    public static func line(for event: tcpdrop_event_t, clock: String, reasons: [UInt32: String]) -> String {
        let source = "\(TCPText.address(family: event.family, of: event.saddr)):\(event.sport)"
        let destination = "\(TCPText.address(family: event.family, of: event.daddr)):\(event.dport)"
        let state = "\(TCPText.state(Int(event.state))) (\(TCPText.flags(event.tcpflags)))"
        return "\(CText.left(clock, 8)) \(CText.left(String(event.pid), 7)) \(CText.left(TCPText.version(family: event.family), 2)) "
            + "\(CText.left(source, 20)) > \(CText.left(destination, 20)) \(CText.left(state, 20)) "
            + "\(reasons[event.reason] ?? "UNKNOWN") (\(event.reason))"
    }
}
