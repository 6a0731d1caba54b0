// tcpconnect's BPF program: one record per active TCP open (connect()).
// bcc's tcpconnect uses kprobes on tcp_v4_connect/tcp_v6_connect; here the
// sock:inet_sock_set_state tracepoint notes the task at CLOSE -> SYN_SENT
// (inside connect(), before the source port is chosen) and reports when the
// socket leaves SYN_SENT (established or refused), when the port is known.

/// The BPF side of tcpconnect and its output.
public enum TcpconnectProgram {
    /// The program: `filterPid`/`filterUID` keep the process/user in tables
    /// `pid_filter`/`uid_filter`, `family` one address family, `ports` the
    /// destination ports in table `dports`, `containers` the tasks of bcc's
    /// --cgroupmap and --mntnsmap.
    public static func source(filterPid: Bool = false, filterUID: Bool = false, family: TCPFamilyFilter = .any,
                              ports: Bool = false, containers: ContainerFilter = ContainerFilter(),
                              ringPages: Int = 64) -> String {
        let pidSkip = filterPid ? "pid != pid_filter_value()" : "0"
        let uidSkip = filterUID ? "uid != uid_filter_value()" : "0"
        return """
            #include <net/sock.h>

            struct tcpconnect_event_t {
                u64 ts_us;
                u32 pid;
                u32 uid;
                u16 family;
                u16 lport;
                u16 dport;
                u8 saddr[16];
                u8 daddr[16];
                char task[TASK_COMM_LEN];
            };

            // The task that called connect(), by socket, until the handshake ends.
            struct tcpconnect_id_t {
                u64 ts_us;
                u32 pid;
                u32 uid;
                char task[TASK_COMM_LEN];
            };

            BPF_HASH(connecting, u64, struct tcpconnect_id_t, 10240);
            BPF_RINGBUF_OUTPUT(events, \(ringPages));
            \(filterPid ? TableFilters.value("pid_filter") : "")
            \(filterUID ? TableFilters.value("uid_filter") : "")
            \(TCPPortFilter.declaration("dports", used: ports))
            \(containers.declarations)
            TRACEPOINT_PROBE(sock, inet_sock_set_state)
            {
                if (args->protocol != IPPROTO_TCP)
                    return 0;
                u64 skaddr = (u64)args->skaddr;
                if (args->newstate == TCP_SYN_SENT) {
                    u64 id = bpf_get_current_pid_tgid();
                    u32 pid = id >> 32;
                    u32 uid = bpf_get_current_uid_gid();
                    if (\(pidSkip) || \(uidSkip))
                        return 0;
                    \(containers.check)
                    struct tcpconnect_id_t me = {.ts_us = bpf_ktime_get_ns() / 1000, .pid = pid, .uid = uid};
                    bpf_get_current_comm(&me.task, sizeof(me.task));
                    connecting.update(&skaddr, &me);
                    return 0;
                }
                if (args->oldstate != TCP_SYN_SENT)
                    return 0;
                struct tcpconnect_id_t *me = connecting.lookup(&skaddr);
                if (me == 0)
                    return 0;   // connect() before the tool started, or filtered out
                u16 family = args->family;
                u16 dport = args->dport;
                if (\(family.skips("family")) || \(TCPPortFilter.skips("dports", port: "dport", used: ports))) {
                    connecting.delete(&skaddr);
                    return 0;
                }
                struct tcpconnect_event_t event = {};
                event.ts_us = me->ts_us;
                event.pid = me->pid;
                event.uid = me->uid;
                __builtin_memcpy(event.task, me->task, sizeof(event.task));
                connecting.delete(&skaddr);
                event.family = family;
                event.lport = args->sport;
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

    /// Formats tcpconnect's header and lines (bcc's -t, -U, -L); times count from the first record.
    public struct Formatter {
        /// Seconds since the first record (-t).
        public var timestamp = false
        /// The UID column (-U).
        public var printUID = false
        /// The LPORT column (-L).
        public var localPort = false
        private var firstMicros: UInt64?

        /// A formatter with the given columns.
        public init(timestamp: Bool = false, printUID: Bool = false, localPort: Bool = false) {
            self.timestamp = timestamp
            self.printUID = printUID
            self.localPort = localPort
        }

        /// The column header.
        public var header: String {
            var text = timestamp ? CText.left("TIME(s)", 9) : ""
            if printUID { text += CText.left("UID", 6) }
            text += "\(CText.left("PID", 7)) \(CText.left("COMM", 12)) IP \(CText.left("SADDR", 16)) "
            if localPort { text += CText.left("LPORT", 6) + " " }
            return text + "\(CText.left("DADDR", 16)) \(CText.left("DPORT", 6))"
        }

        /// The line for `event`.
        public mutating func line(for event: tcpconnect_event_t) -> String {
            let first = firstMicros ?? event.ts_us
            firstMicros = first
            var text = timestamp ? CText.left(CText.fixed(Double(event.ts_us &- first) / 1_000_000, 3), 9) : ""
            if printUID { text += CText.left(String(event.uid), 6) }
            text += "\(CText.left(String(event.pid), 7)) \(CText.left(String(event.taskString.prefix(12)), 12)) "
                + "\(CText.left(TCPText.version(family: event.family), 2)) "
                + "\(CText.left(TCPText.address(family: event.family, of: event.saddr), 16)) "
            if localPort { text += CText.left(String(event.lport), 6) + " " }
            return text + "\(CText.left(TCPText.address(family: event.family, of: event.daddr), 16)) \(CText.left(String(event.dport), 6))"
        }
    }

    /// Connects counted by source address, destination address and port (bcc's -c).
    public struct Counts {
        private struct Flow: Hashable {
            var source: String
            var destination: String
            var port: UInt16
        }

        private var counts: [Flow: UInt64] = [:]

        /// No connects yet.
        public init() {}

        /// Counts `event`.
        public mutating func add(_ event: tcpconnect_event_t) {
            let flow = Flow(source: TCPText.address(family: event.family, of: event.saddr),
                            destination: TCPText.address(family: event.family, of: event.daddr), port: event.dport)
            counts[flow, default: 0] += 1
        }

        /// bcc's table: a blank line, the header, then flows by count, most first.
        public var report: [String] {
            var lines = ["", "\(CText.left("LADDR", 25)) \(CText.left("RADDR", 25)) \(CText.left("RPORT", 20)) \(CText.left("CONNECTS", 10))"]
            let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.port < $1.key.port }
            for (flow, count) in sorted {
                lines.append("\(CText.left(flow.source, 25)) \(CText.left(flow.destination, 25)) \(CText.left(String(flow.port), 20)) "
                    + CText.left(String(count), 10))
            }
            return lines
        }
    }
}
