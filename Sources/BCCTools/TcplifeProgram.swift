// tcplife's BPF program: one record per TCP session when it closes, with its
// lifespan and bytes sent and received, from the sock:inet_sock_set_state
// tracepoint (as bcc's tcplife where it exists; its fallback is a kprobe).

/// The BPF side of tcplife and its output.
public enum TcplifeProgram {
    /// The program: `filterPid` keeps the process in table `pid_filter`,
    /// `family` one address family, `localPorts`/`remotePorts` the ports in
    /// tables `lports`/`dports`.
    public static func source(filterPid: Bool = false, family: TCPFamilyFilter = .any, localPorts: Bool = false,
                              remotePorts: Bool = false, ringPages: Int = 64) -> String {
        let pidSkip = filterPid ? "pid != pid_filter_value()" : "0"
        return """
            #include <net/sock.h>
            #include <net/tcp.h>

            struct tcplife_event_t {
                u64 ts_us;
                u64 span_us;
                u64 rx_b;
                u64 tx_b;
                u32 pid;
                u16 family;
                u16 lport;
                u16 dport;
                u8 saddr[16];
                u8 daddr[16];
                char task[TASK_COMM_LEN];
            };

            // Who opened or closed each socket: the task at SYN_SENT (client) or
            // LAST_ACK (closed by the peer), since CLOSE may run in softirq context.
            struct tcplife_id_t {
                u32 pid;
                char task[TASK_COMM_LEN];
            };

            BPF_HASH(birth, u64, u64, 10240);
            BPF_HASH(whoami, u64, struct tcplife_id_t, 10240);
            BPF_RINGBUF_OUTPUT(events, \(ringPages));
            \(filterPid ? TableFilters.value("pid_filter") : "")
            \(TCPPortFilter.declaration("lports", used: localPorts))
            \(TCPPortFilter.declaration("dports", used: remotePorts))

            TRACEPOINT_PROBE(sock, inet_sock_set_state)
            {
                if (args->protocol != IPPROTO_TCP)
                    return 0;
                u32 pid = bpf_get_current_pid_tgid() >> 32;
                u64 skaddr = (u64)args->skaddr;
                u16 lport = args->sport;
                u16 dport = args->dport;
                if (\(TCPPortFilter.skips("lports", port: "lport", used: localPorts))
                    || \(TCPPortFilter.skips("dports", port: "dport", used: remotePorts))) {
                    birth.delete(&skaddr);
                    return 0;
                }

                // Birth on any state before FIN_WAIT1; the pid filter waits, as
                // the task is not known yet.
                if (args->newstate < TCP_FIN_WAIT1) {
                    u64 ts = bpf_ktime_get_ns();
                    birth.update(&skaddr, &ts);
                }
                if (args->newstate == TCP_SYN_SENT || args->newstate == TCP_LAST_ACK) {
                    if (\(pidSkip))
                        return 0;
                    struct tcplife_id_t me = {.pid = pid};
                    bpf_get_current_comm(&me.task, sizeof(me.task));
                    whoami.update(&skaddr, &me);
                }
                if (args->newstate != TCP_CLOSE)
                    return 0;

                u64 *tsp = birth.lookup(&skaddr);
                if (tsp == 0) {
                    whoami.delete(&skaddr);
                    return 0;   // missed the start
                }
                u64 now = bpf_ktime_get_ns();
                struct tcplife_event_t event = {};
                event.span_us = (now - *tsp) / 1000;
                birth.delete(&skaddr);

                struct tcplife_id_t *mep = whoami.lookup(&skaddr);
                if (mep != 0) {
                    pid = mep->pid;
                    __builtin_memcpy(event.task, mep->task, sizeof(event.task));
                } else {
                    bpf_get_current_comm(&event.task, sizeof(event.task));
                }
                whoami.delete(&skaddr);
                u16 family = args->family;
                if (\(pidSkip) || \(family.skips("family")))
                    return 0;

                // The counters tcp_get_info() reports.
                struct tcp_sock *tp = (struct tcp_sock *)args->skaddr;
                event.rx_b = tp->bytes_received;
                event.tx_b = tp->bytes_acked;
                event.ts_us = now / 1000;
                event.pid = pid;
                event.family = family;
                event.lport = lport;
                event.dport = dport;
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

            """
    }

    /// Formats tcplife's header and lines; times count from the first record.
    public struct Formatter {
        /// The layout.
        public let style: TCPLineStyle
        private var firstMicros: UInt64?

        /// A formatter in `style`.
        public init(style: TCPLineStyle) {
            self.style = style
        }

        /// The column header.
        public var header: String {
            let columns = ["PID", "COMM", "IP", "LADDR", "LPORT", "RADDR", "RPORT", "TX_KB", "RX_KB", "MS"]
            if style.csv { return style.headerPrefix + columns.joined(separator: ",") }
            return style.headerPrefix + row(columns)
        }

        /// The line for `event` at wall-clock `clock` (HH:MM:SS, read only for -T).
        public mutating func line(for event: tcplife_event_t, clock: @autoclosure () -> String) -> String {
            let first = firstMicros ?? event.ts_us
            firstMicros = first
            let values = [String(event.pid), event.taskString, TCPText.version(family: event.family),
                          TCPText.address(family: event.family, of: event.saddr), String(event.lport),
                          TCPText.address(family: event.family, of: event.daddr), String(event.dport),
                          String(event.tx_b / 1024), String(event.rx_b / 1024),
                          CText.fixed(Double(event.span_us) / 1000, 2)]
            let prefix = style.prefix(clock: clock(), seconds: Double(event.ts_us &- first) / 1_000_000)
            if style.csv { return prefix + values.joined(separator: ",") }
            return prefix + row(values)
        }

        /// bcc's "%-5s %-10.10s %s%-15s %-5s %-15s %-5s %5s %5s %s" (wide: 16-wide COMM, IP, 39-wide addresses, 6-wide KB).
        private func row(_ c: [String]) -> String {
            let wide = style.wide
            let comm = String(c[1].prefix(wide ? 16 : 10))
            let ip = wide ? CText.left(c[2], 2) + " " : ""
            let address = wide ? 39 : 15
            return "\(CText.left(c[0], 5)) \(CText.left(comm, wide ? 16 : 10)) \(ip)"
                + "\(CText.left(c[3], address)) \(CText.left(c[4], 5)) \(CText.left(c[5], address)) \(CText.left(c[6], 5)) "
                + "\(CText.right(c[7], wide ? 6 : 5)) \(CText.right(c[8], wide ? 6 : 5)) \(c[9])"
        }
    }
}
