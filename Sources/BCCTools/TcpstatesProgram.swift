// tcpstates' BPF program: one record per TCP state change, with the time
// spent in the previous state, from the sock:inet_sock_set_state tracepoint
// (bcc's tcpstates uses it too where it exists; its fallback is a kprobe).

/// The BPF side of tcpstates and its output.
public enum TcpstatesProgram {
    /// The program: `family` keeps one address family, `localPorts` and
    /// `remotePorts` keep the ports in tables `lports` and `dports` (filled by the tool).
    public static func source(family: TCPFamilyFilter = .any, localPorts: Bool = false, remotePorts: Bool = false,
                              ringPages: Int = 64) -> String {
        """
        #include <net/sock.h>

        struct tcpstates_event_t {
            u64 skaddr;
            u64 ts_us;
            u64 span_us;
            u32 pid;
            int oldstate;
            int newstate;
            u16 family;
            u16 lport;
            u16 dport;
            u8 saddr[16];
            u8 daddr[16];
            char task[TASK_COMM_LEN];
        };

        // When each socket last changed state.
        BPF_HASH(last, u64, u64, 10240);
        BPF_RINGBUF_OUTPUT(events, \(ringPages));
        \(TCPPortFilter.declaration("lports", used: localPorts))
        \(TCPPortFilter.declaration("dports", used: remotePorts))

        TRACEPOINT_PROBE(sock, inet_sock_set_state)
        {
            if (args->protocol != IPPROTO_TCP)
                return 0;
            u16 lport = args->sport;
            u16 dport = args->dport;
            u16 family = args->family;
            if (\(TCPPortFilter.skips("lports", port: "lport", used: localPorts))
                || \(TCPPortFilter.skips("dports", port: "dport", used: remotePorts))
                || \(family.skips("family")))
                return 0;

            u64 skaddr = (u64)args->skaddr;
            u64 now = bpf_ktime_get_ns();
            u64 *tsp = last.lookup(&skaddr);
            struct tcpstates_event_t event = {};
            event.skaddr = skaddr;
            event.ts_us = now / 1000;
            event.span_us = tsp == 0 ? 0 : (now - *tsp) / 1000;
            event.pid = bpf_get_current_pid_tgid() >> 32;
            event.oldstate = args->oldstate;
            event.newstate = args->newstate;
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
            bpf_get_current_comm(&event.task, sizeof(event.task));
            events.ringbuf_output(&event, sizeof(event), 0);

            if (args->newstate == TCP_CLOSE)
                last.delete(&skaddr);
            else
                last.update(&skaddr, &now);
            return 0;
        }

        """
    }

    /// Formats tcpstates' header and lines; times count from the first record.
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
            let columns = ["SKADDR", "C-PID", "C-COMM", "IP", "LADDR", "LPORT", "RADDR", "RPORT", "OLDSTATE", "NEWSTATE", "MS"]
            if style.csv { return style.headerPrefix + columns.joined(separator: ",") }
            return style.headerPrefix + row(columns, wide: style.wide)
        }

        /// The line for `event` at wall-clock `clock` (HH:MM:SS, read only for -T).
        public mutating func line(for event: tcpstates_event_t, clock: @autoclosure () -> String) -> String {
            let first = firstMicros ?? event.ts_us
            firstMicros = first
            let seconds = Double(event.ts_us &- first) / 1_000_000
            let values = [String(event.skaddr, radix: 16), String(event.pid), event.taskString,
                          TCPText.version(family: event.family),
                          TCPText.address(family: event.family, of: event.saddr), String(event.lport),
                          TCPText.address(family: event.family, of: event.daddr), String(event.dport),
                          TCPText.state(Int(event.oldstate)), TCPText.state(Int(event.newstate)),
                          CText.fixed(Double(event.span_us) / 1000, 3)]
            let prefix = style.prefix(clock: clock(), seconds: seconds)
            if style.csv { return prefix + values.joined(separator: ",") }
            return prefix + row(values, wide: style.wide)
        }

        /// bcc's "%-16s %-5s %-10.10s %s%-15s %-5s %-15s %-5s %-11s -> %-11s %s" (wide: 16-wide COMM, IP, 39-wide addresses).
        private func row(_ c: [String], wide: Bool) -> String {
            let comm = String(c[2].prefix(wide ? 16 : 10))
            let ip = wide ? CText.left(c[3], 2) + " " : ""
            let address = wide ? 39 : 15
            return "\(CText.left(c[0], 16)) \(CText.left(c[1], 5)) \(CText.left(comm, wide ? 16 : 10)) \(ip)"
                + "\(CText.left(c[4], address)) \(CText.left(c[5], 5)) \(CText.left(c[6], address)) \(CText.left(c[7], 5)) "
                + "\(CText.left(c[8], 11)) -> \(CText.left(c[9], 11)) \(c[10])"
        }
    }

    /// The journal entry bcc's tcpstates -Y logs for `event`, `now` being
    /// microseconds since the epoch (OBJECT_COMM is journald's own when it
    /// runs as root: `includeComm` false).
    public static func journalFields(for event: tcpstates_event_t, now: UInt64, includeComm: Bool) -> [(String, String)] {
        let prefix = event.family == 10 ? "IPV6" : "IPV4"
        let source = TCPText.address(family: event.family, of: event.saddr)
        let destination = TCPText.address(family: event.family, of: event.daddr)
        let oldState = TCPText.state(Int(event.oldstate)), newState = TCPText.state(Int(event.newstate))
        var fields: [(String, String)] = [
            ("SYSLOG_IDENTIFIER", "tcpstates"), ("PRIORITY", "5"), ("_SOURCE_REALTIME_TIMESTAMP", String(now)),
            ("OBJECT_PID", String(event.pid)),
        ]
        if includeComm { fields.append(("OBJECT_COMM", event.taskString)) }
        fields += [
            ("OBJECT_\(prefix)_SOURCE_ADDRESS", source), ("OBJECT_TCP_SOURCE_PORT", String(event.lport)),
            ("OBJECT_\(prefix)_DESTINATION_ADDRESS", destination), ("OBJECT_TCP_DESTINATION_PORT", String(event.dport)),
            ("OBJECT_TCP_OLD_STATE", oldState), ("OBJECT_TCP_NEW_STATE", newState),
            ("OBJECT_TCP_SPAN_TIME", String(event.span_us)),
            ("MESSAGE", "\(event.taskString) \(source) \(event.lport) → \(destination) \(event.dport) \(oldState) → \(newState)"),
        ]
        return fields
    }
}
