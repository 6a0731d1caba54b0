// tcpretrans' BPF program: one record per TCP retransmission, from the
// tcp:tcp_retransmit_skb tracepoint (bcc's tcpretrans uses it where it exists;
// its fallback is a kprobe). Tail loss probes (-l) need a kprobe on
// tcp_send_loss_probe, which has no tracepoint.

/// The BPF side of tcpretrans and its output.
public enum TcpretransProgram {
    /// What a record reports: a retransmission, or a tail loss probe (bcc's 'R' and 'L').
    public enum Kind: UInt8, Sendable {
        /// A retransmitted segment.
        case retransmit = 1
        /// A tail loss probe.
        case lossProbe = 2
    }

    /// The program: `family` keeps one address family; `lossProbe` adds
    /// `trace_tlp`, a kprobe function for tcp_send_loss_probe.
    public static func source(family: TCPFamilyFilter = .any, lossProbe: Bool = false, ringPages: Int = 64) -> String {
        let tlp = lossProbe ? """
            int trace_tlp(struct pt_regs *ctx, struct sock *sk)
            {
                struct tcpretrans_event_t event = {};
                event.type = \(Kind.lossProbe.rawValue);
                event.pid = bpf_get_current_pid_tgid() >> 32;
                event.family = sk->__sk_common.skc_family;
                event.state = sk->__sk_common.skc_state;
                event.lport = sk->__sk_common.skc_num;
                event.dport = ntohs(sk->__sk_common.skc_dport);
                events.ringbuf_output(&event, sizeof(event), 0);
                return 0;
            }
            """ : ""
        return """
            #include <net/sock.h>
            #include <net/tcp.h>

            struct tcpretrans_event_t {
                u32 pid;
                u32 seq;
                int state;
                u16 family;
                u16 lport;
                u16 dport;
                u8 type;
                u8 saddr[16];
                u8 daddr[16];
            };

            BPF_RINGBUF_OUTPUT(events, \(ringPages));

            TRACEPOINT_PROBE(tcp, tcp_retransmit_skb)
            {
                u16 family = args->family;
                if (\(family.skips("family")))
                    return 0;
                struct tcpretrans_event_t event = {};
                event.type = \(Kind.retransmit.rawValue);
                event.pid = bpf_get_current_pid_tgid() >> 32;
                event.state = args->state;
                event.family = family;
                event.lport = args->sport;
                event.dport = args->dport;
                // TCP_SKB_CB(skb)->seq: the control block lives in skb->cb.
                void *skb = (void *)args->skbaddr;
                bpf_probe_read_kernel(&event.seq, sizeof(event.seq),
                    skb + offsetof(struct sk_buff, cb) + offsetof(struct tcp_skb_cb, seq));
                if (family == AF_INET) {
                    __builtin_memcpy(event.saddr, args->saddr, 4);
                    __builtin_memcpy(event.daddr, args->daddr, 4);
                } else {
                    __builtin_memcpy(event.saddr, args->saddr_v6, 16);
                    __builtin_memcpy(event.daddr, args->daddr_v6, 16);
                }
                events.ringbuf_output(&event, sizeof(event), 0);
                return 0;
            }
            \(tlp)

            """
    }

    /// The column header; `sequence` adds SEQ (-s).
    public static func header(sequence: Bool) -> String {
        "\(CText.left("TIME", 8)) \(CText.left("PID", 7)) IP \(CText.left("LADDR:LPORT", 20)) T> \(CText.left("RADDR:RPORT", 20))"
            + (sequence ? " \(CText.left("STATE", 12)) \(CText.left("SEQ", 10))" : " STATE")
    }

    /// The line for `event` at wall-clock `clock` (HH:MM:SS).
    public static func line(for event: tcpretrans_event_t, clock: String, sequence: Bool) -> String {
        let local = "\(TCPText.address(family: event.family, of: event.saddr)):\(event.lport)"
        let remote = "\(TCPText.address(family: event.family, of: event.daddr)):\(event.dport)"
        let type = Kind(rawValue: event.type) == .lossProbe ? "L" : "R"
        let state = TCPText.state(Int(event.state))
        return "\(CText.left(clock, 8)) \(CText.left(String(event.pid), 7)) \(CText.left(TCPText.version(family: event.family), 2)) "
            + "\(CText.left(local, 20)) \(type)> \(CText.left(remote, 20))"
            + (sequence ? " \(CText.left(state, 12)) \(event.seq)" : " \(state)")
    }

    /// Retransmissions counted by flow (bcc's -c).
    public struct Counts {
        private struct Flow: Hashable {
            var local: String
            var remote: String
        }

        private var counts: [Flow: UInt64] = [:]

        /// No retransmissions yet.
        public init() {}

        /// Counts `event`.
        public mutating func add(_ event: tcpretrans_event_t) {
            let flow = Flow(local: "[\(TCPText.address(family: event.family, of: event.saddr))]#\(event.lport)",
                            remote: "[\(TCPText.address(family: event.family, of: event.daddr))]#\(event.dport)")
            counts[flow, default: 0] += 1
        }

        /// bcc's table: a blank line, the header, then flows by count, fewest first.
        public var report: [String] {
            var lines = ["", "\(CText.left("LADDR:LPORT", 25)) \(CText.left("RADDR:RPORT", 25)) \(CText.left("RETRANSMITS", 10))"]
            let sorted = counts.sorted { $0.value != $1.value ? $0.value < $1.value : $0.key.local < $1.key.local }
            for (flow, count) in sorted {
                lines.append("\(CText.left(flow.local, 20)) <-> \(CText.left(flow.remote, 20)) \(CText.right(String(count), 10))")
            }
            return lines
        }
    }
}
