// drsnoop's BPF program: each direct reclaim, with its latency and the
// pages reclaimed, from the vmscan:mm_vmscan_direct_reclaim_begin/_end
// tracepoints as bcc's tools/drsnoop.py; with --memcg also the reclaims a
// task does itself when its memory cgroup is at its limit
// (mm_vmscan_memcg_reclaim_begin/_end).

/// The BPF side of drsnoop and its lines.
public enum DrsnoopProgram {
    /// Which task a -p/-t filter keeps.
    public enum TaskFilter: Sendable {
        /// The process in `pid_filter`.
        case process
        /// The thread in `tid_filter`.
        case thread
    }

    /// The program; `task` keeps a process or thread, `filterUid` the user in
    /// `uid_filter`, `memcg` adds memory cgroup reclaim.
    public static func source(task: TaskFilter? = nil, filterUid: Bool = false, memcg: Bool = false,
                              ringPages: Int = 64) -> String {
        var checks: [String] = []
        var tables: [String] = []
        switch task {
        case .process?:
            checks.append("if (pid != pid_filter_value()) return 0;")
            tables.append(TableFilters.value("pid_filter"))
        case .thread?:
            checks.append("if (tid != tid_filter_value()) return 0;")
            tables.append(TableFilters.value("tid_filter"))
        case nil:
            break
        }
        if filterUid {
            checks.append("if (uid != uid_filter_value()) return 0;")
            tables.append(TableFilters.value("uid_filter"))
        }
        let memcgProbes = memcg ? """

            TRACEPOINT_PROBE(vmscan, mm_vmscan_memcg_reclaim_begin) { return reclaim_begin(); }
            TRACEPOINT_PROBE(vmscan, mm_vmscan_memcg_reclaim_end) { return reclaim_end(args->nr_reclaimed); }
            """ : ""
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/sched.h>
            #include <linux/mmzone.h>

            struct val_t {
                u64 id;
                u64 ts;     // start time
                char name[TASK_COMM_LEN];
            };

            struct drsnoop_event_t {
                u64 id;
                u32 uid;
                u64 nr_reclaimed;
                u64 delta;
                u64 ts;     // end time, in microseconds
                char name[TASK_COMM_LEN];
            };

            BPF_HASH(start, u64, struct val_t);
            BPF_RINGBUF_OUTPUT(events, \(ringPages));
            \(tables.joined(separator: "\n"))

            static int reclaim_begin(void)
            {
                u64 id = bpf_get_current_pid_tgid();
                u32 pid = id >> 32;
                u32 tid = id;
                u32 uid = bpf_get_current_uid_gid();
                \(checks.joined(separator: "\n    "))
                struct val_t val = {};
                if (bpf_get_current_comm(&val.name, sizeof(val.name)) == 0) {
                    val.id = id;
                    val.ts = bpf_ktime_get_ns();
                    start.update(&id, &val);
                }
                return 0;
            }

            static int reclaim_end(u64 nr_reclaimed)
            {
                u64 id = bpf_get_current_pid_tgid();
                u64 ts = bpf_ktime_get_ns();
                struct val_t *valp = start.lookup(&id);
                if (valp == 0)
                    return 0;   // missed the entry
                struct drsnoop_event_t data = {};
                data.delta = ts - valp->ts;
                data.ts = ts / 1000;
                data.id = valp->id;
                data.uid = bpf_get_current_uid_gid();
                __builtin_memcpy(&data.name, valp->name, sizeof(data.name));
                data.nr_reclaimed = nr_reclaimed;
                start.delete(&id);
                events.ringbuf_output(&data, sizeof(data), 0);
                return 0;
            }

            TRACEPOINT_PROBE(vmscan, mm_vmscan_direct_reclaim_begin) { return reclaim_begin(); }
            TRACEPOINT_PROBE(vmscan, mm_vmscan_direct_reclaim_end) { return reclaim_end(args->nr_reclaimed); }\(memcgProbes)

            """
    }

    /// The column header: TIME(s) with -T, UID with -U, TID instead of PID with -t, FREE(KB) with -v.
    public static func header(timestamps: Bool, uid: Bool, thread: Bool, verbose: Bool) -> String {
        (timestamps ? CText.left("TIME(s)", 14) : "") + (uid ? CText.left("UID", 6) : "")
            + "\(CText.left("COMM", 14)) \(CText.left(thread ? "TID" : "PID", 6)) \(CText.right("LAT(ms)", 8)) \(CText.right("PAGES", 5))"
            + (verbose ? CText.right("FREE(KB)", 10) : "")
    }

    /// The line for `event`; `start` is the first event's `ts` (for -T), `freeKB` the free memory (-v).
    public static func line(for event: drsnoop_event_t, start: UInt64, timestamps: Bool, uid: Bool, thread: Bool,
                            freeKB: UInt64?) -> String {
        var text = timestamps ? CText.left(CText.fixed(Double(event.ts &- start) / 1e6, 9), 14) : ""
        if uid { text += CText.left(String(event.uid), 6) }
        let id = thread ? event.id & 0xffff_ffff : event.id >> 32
        text += "\(CText.left(String(event.nameString.prefix(14)), 14)) \(CText.left(String(id), 6)) "
            + "\(CText.right(CText.fixed(Double(event.delta) / 1e6, 2), 8)) \(CText.right(String(event.nr_reclaimed), 5))"
        if let freeKB { text += CText.right(String(freeKB), 10) }
        return text
    }

    /// MemFree from /proc/meminfo's text, in kB.
    public static func freeKB(meminfo: String) -> UInt64? {
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemFree:") {
            return line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }
        }
        return nil
    }
}
