// profile's BPF program: stack traces sampled by a perf event on every CPU,
// counted in the kernel by process, name and stacks, as bcc's profile does.
import BCC

/// The BPF side of profile.
public enum ProfileProgram {
    /// Which threads are sampled.
    public enum Threads: Sendable, Equatable {
        /// Every thread.
        case all
        /// Threads of these processes (-p).
        case processes([Int32])
        /// These threads (-L).
        case threads([Int32])
    }

    /// The program: `threads` picks the threads (the ids go into
    /// `tgid_filter` or `tid_filter`, see ``fill(_:threads:)``), `includeIdle` keeps the
    /// idle tasks (-I), `userStacks`/`kernelStacks` pick the stacks taken,
    /// `hashStorage` and `stackStorage` size the count and stack tables,
    /// `containers` keeps the tasks of bcc's --cgroupmap and --mntnsmap.
    public static func source(threads: Threads = .all, includeIdle: Bool = false, userStacks: Bool = true,
                              kernelStacks: Bool = true, hashStorage: Int = 40960, stackStorage: Int = 16384,
                              containers: ContainerFilter = ContainerFilter()) -> String {
        let threadFilter: String
        var tables = ""
        switch threads {
        case .all: threadFilter = "1"
        case .processes:
            threadFilter = "tgid_filter_has(tgid)"
            tables = TableFilters.idSet("tgid_filter")
        case .threads:
            threadFilter = "tid_filter_has(pid)"
            tables = TableFilters.idSet("tid_filter")
        }
        return """
            #include <uapi/linux/ptrace.h>
            #include <uapi/linux/bpf_perf_event.h>
            #include <linux/sched.h>

            struct profile_key_t {
                u32 pid;
                int user_stack_id;
                int kernel_stack_id;
                char name[TASK_COMM_LEN];
            };
            BPF_HASH(counts, struct profile_key_t, u64, \(hashStorage));
            BPF_STACK_TRACE(stack_traces, \(stackStorage));
            \(tables)
            \(containers.declarations)
            int do_perf_event(struct bpf_perf_event_data *ctx)
            {
                u64 id = bpf_get_current_pid_tgid();
                u32 tgid = id >> 32;
                u32 pid = id;
                if (\(includeIdle ? "0" : "pid == 0"))
                    return 0;
                if (!(\(threadFilter)))
                    return 0;
                \(containers.check)

                struct profile_key_t key = {.pid = tgid};
                bpf_get_current_comm(&key.name, sizeof(key.name));
                // The kernel's callchain starts at the sampled instruction, so
                // bcc's extra kernel_ip frame is not needed.
                key.user_stack_id = \(userStacks ? "stack_traces.get_stackid(&ctx->regs, BPF_F_USER_STACK)" : "-1");
                key.kernel_stack_id = \(kernelStacks ? "stack_traces.get_stackid(&ctx->regs, 0)" : "-1");
                counts.atomic_increment(key);
                return 0;
            }

            """
    }

    /// Fills the id table of a program made by ``source(threads:includeIdle:userStacks:kernelStacks:hashStorage:stackStorage:)``.
    public static func fill(_ b: BPF, threads: Threads) throws(BCCError) {
        if case .processes(let ids) = threads { try TableFilters.fill(b, idSet: "tgid_filter", with: ids) }
        if case .threads(let ids) = threads { try TableFilters.fill(b, idSet: "tid_filter", with: ids) }
    }

    /// `struct profile_key_t`, the key of `counts`.
    public struct Key: BitwiseCopyable, Sendable {
        /// The process.
        public var pid: UInt32
        /// get_stackid's user stack id (negative: none).
        public var userStackID: Int32
        /// get_stackid's kernel stack id (negative: none).
        public var kernelStackID: Int32
        /// `char name[16]`.
        public var name: (UInt32, UInt32, UInt32, UInt32)

        /// The task's name.
        public var comm: String { withUnsafeBytes(of: name) { CText.string($0) } }
    }
}
