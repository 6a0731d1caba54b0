// tcpaccept's BPF program: one record per passive TCP open (accept()).
// bcc's tcpaccept uses a kretprobe on inet_csk_accept; here the
// syscalls:sys_exit_accept and sys_exit_accept4 tracepoints see accept()
// return in the accepting task, and the returned descriptor leads through the
// task's file table to the new socket (the sock:inet_sock_set_state change to
// ESTABLISHED of an accepted socket runs in softirq context, where the task
// is whoever was interrupted).

/// The BPF side of tcpaccept and its output.
public enum TcpacceptProgram {
    /// The program: `filterPid` keeps the process in table `pid_filter`,
    /// `family` one address family, `ports` the local ports in table `lports`,
    /// `containers` the tasks of bcc's --cgroupmap and --mntnsmap.
    public static func source(filterPid: Bool = false, family: TCPFamilyFilter = .any, ports: Bool = false,
                              containers: ContainerFilter = ContainerFilter(), ringPages: Int = 64) -> String {
        let pidSkip = filterPid ? "pid != pid_filter_value()" : "0"
        return """
            #include <net/sock.h>
            #include <linux/fdtable.h>

            struct tcpaccept_event_t {
                u64 ts_us;
                u32 pid;
                u16 family;
                u16 lport;
                u16 dport;
                u8 saddr[16];
                u8 daddr[16];
                char task[TASK_COMM_LEN];
            };

            BPF_RINGBUF_OUTPUT(events, \(ringPages));
            \(filterPid ? TableFilters.value("pid_filter") : "")
            \(TCPPortFilter.declaration("lports", used: ports))
            \(containers.declarations)
            static int trace_accept(long ret)
            {
                if (ret < 0)
                    return 0;
                u32 pid = bpf_get_current_pid_tgid() >> 32;
                if (\(pidSkip))
                    return 0;
                \(containers.check)
                struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                struct fdtable *fdt = task->files->fdt;
                if (ret >= fdt->max_fds)
                    return 0;
                struct file **fds = fdt->fd;
                struct file *file = 0;
                bpf_probe_read_kernel(&file, sizeof(file), &fds[ret]);
                if (file == 0)
                    return 0;
                struct socket *sock = file->private_data;
                struct sock *sk = sock->sk;
                if (sk == 0 || sk->sk_protocol != IPPROTO_TCP)
                    return 0;
                u16 family = sk->__sk_common.skc_family;
                u16 lport = sk->__sk_common.skc_num;
                if ((family != AF_INET && family != AF_INET6) || \(family.skips("family"))
                    || \(TCPPortFilter.skips("lports", port: "lport", used: ports)))
                    return 0;

                struct tcpaccept_event_t event = {};
                event.ts_us = bpf_ktime_get_ns() / 1000;
                event.pid = pid;
                event.family = family;
                event.lport = lport;
                event.dport = ntohs(sk->__sk_common.skc_dport);
                if (family == AF_INET) {
                    u32 saddr = sk->__sk_common.skc_rcv_saddr;
                    u32 daddr = sk->__sk_common.skc_daddr;
                    __builtin_memcpy(event.saddr, &saddr, 4);
                    __builtin_memcpy(event.daddr, &daddr, 4);
                } else {
                    bpf_probe_read_kernel(&event.saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
                    bpf_probe_read_kernel(&event.daddr, 16, &sk->__sk_common.skc_v6_daddr);
                }
                bpf_get_current_comm(&event.task, sizeof(event.task));
                events.ringbuf_output(&event, sizeof(event), 0);
                return 0;
            }

            TRACEPOINT_PROBE(syscalls, sys_exit_accept4)
            {
                return trace_accept(args->ret);
            }

            TRACEPOINT_PROBE(syscalls, sys_exit_accept)
            {
                return trace_accept(args->ret);
            }

            """
    }

    /// Formats tcpaccept's header and lines (bcc's -T, -t); times count from the first record.
    public struct Formatter {
        /// HH:MM:SS first (-T).
        public var time = false
        /// Seconds since the first record (-t).
        public var timestamp = false
        private var firstMicros: UInt64?

        /// A formatter with the given columns.
        public init(time: Bool = false, timestamp: Bool = false) {
            self.time = time
            self.timestamp = timestamp
        }

        /// The column header.
        public var header: String {
            var text = time ? CText.left("TIME", 9) : ""
            if timestamp { text += CText.left("TIME(s)", 9) }
            return text + "\(CText.left("PID", 7)) \(CText.left("COMM", 12)) IP \(CText.left("RADDR", 16)) "
                + "\(CText.left("RPORT", 5)) \(CText.left("LADDR", 16)) LPORT"
        }

        /// The line for `event` at wall-clock `clock` (HH:MM:SS, read only for -T).
        public mutating func line(for event: tcpaccept_event_t, clock: @autoclosure () -> String) -> String {
            let first = firstMicros ?? event.ts_us
            firstMicros = first
            var text = time ? CText.left(clock(), 9) : ""
            if timestamp { text += CText.left(CText.fixed(Double(event.ts_us &- first) / 1_000_000, 3), 9) }
            return text + "\(CText.left(String(event.pid), 7)) \(CText.left(String(event.taskString.prefix(12)), 12)) "
                + "\(CText.left(TCPText.version(family: event.family), 2)) "
                + "\(CText.left(TCPText.address(family: event.family, of: event.daddr), 16)) \(CText.left(String(event.dport), 5)) "
                + "\(CText.left(TCPText.address(family: event.family, of: event.saddr), 16)) \(CText.left(String(event.lport), 5))"
        }
    }
}
