// execsnoop's BPF program: the execve syscall tracepoints, one ring buffer
// record per argument and one for the return, as bcc's execsnoop sends them.
// Its records are read through execsnoop_data_t (ExecSnoopEvent.swift),
// which `swift-bcc types` writes from this program.
import BCC

/// The BPF side of execsnoop.
public enum ExecSnoopProgram {
    /// Bytes kept of each argument (bcc's ARGSIZE).
    public static let argumentSize = 128

    /// The program; `maxArguments` caps the arguments read (bcc's --max-args),
    /// `uid` keeps only that user's execs, `filterParent` the children of the
    /// process in table `ppid_filter` (bcc's -P), `containers` the tasks of
    /// bcc's --cgroupmap and --mntnsmap.
    public static func source(maxArguments: Int = 20, uid: UInt32? = nil, filterParent: Bool = false,
                              containers: ContainerFilter = ContainerFilter()) -> String {
        var filters = uid.map { "if (uid != \($0)) { return 0; }" } ?? ""
        if filterParent { filters += "\n    if (parent_tgid() != ppid_filter_value()) { return 0; }" }
        if containers.isActive { filters += "\n    " + containers.check }
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/sched.h>

            #define ARGSIZE \(argumentSize)
            #define MAXARG \(maxArguments)

            enum execsnoop_event_type {
                EVENT_ARG,
                EVENT_RET,
            };

            struct execsnoop_data_t {
                u32 pid;
                u32 ppid;
                u32 uid;
                enum execsnoop_event_type type;
                int retval;
                u32 cpu;
                char comm[TASK_COMM_LEN];
                char pcomm[TASK_COMM_LEN];
                char argv[ARGSIZE];
            };

            BPF_RINGBUF_OUTPUT(events, 64);
            \(filterParent ? TableFilters.value("ppid_filter") : "")
            \(containers.declarations)
            static __always_inline u32 parent_tgid(void)
            {
                struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                return task->real_parent->tgid;
            }

            static void read_parent(struct execsnoop_data_t *data)
            {
                struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                struct task_struct *parent = 0;
                data->ppid = 0;
                data->pcomm[0] = 0;
                bpf_probe_read_kernel(&parent, sizeof(parent), &task->real_parent);
                if (parent) {
                    bpf_probe_read_kernel(&data->ppid, sizeof(data->ppid), &parent->tgid);
                    bpf_probe_read_kernel_str(&data->pcomm, sizeof(data->pcomm), &parent->comm);
                }
            }

            static int submit_text(const char *text, u32 pid)
            {
                struct execsnoop_data_t *data = events.ringbuf_reserve(sizeof(struct execsnoop_data_t));
                if (!data)
                    return 0;
                data->pid = pid;
                data->type = EVENT_ARG;
                if (bpf_probe_read_user_str(data->argv, sizeof(data->argv), text) < 0)
                    data->argv[0] = 0;
                events.ringbuf_submit(data, 0);
                return 1;
            }

            TRACEPOINT_PROBE(syscalls, sys_enter_execve)
            {
                u32 uid = bpf_get_current_uid_gid();
                \(filters)
                u32 pid = bpf_get_current_pid_tgid() >> 32;
                submit_text(args->filename, pid);
                // argv[0] is usually the filename again: start at argv[1], as bcc does.
                #pragma unroll
                for (int i = 1; i < MAXARG; i++) {
                    const char *argp = 0;
                    bpf_probe_read_user(&argp, sizeof(argp), &args->argv[i]);
                    if (!argp)
                        return 0;
                    submit_text(argp, pid);
                }
                // The argument list was cut short.
                struct execsnoop_data_t *data = events.ringbuf_reserve(sizeof(struct execsnoop_data_t));
                if (data) {
                    data->pid = pid;
                    data->type = EVENT_ARG;
                    data->argv[0] = '.'; data->argv[1] = '.'; data->argv[2] = '.'; data->argv[3] = 0;
                    events.ringbuf_submit(data, 0);
                }
                return 0;
            }

            TRACEPOINT_PROBE(syscalls, sys_exit_execve)
            {
                u32 uid = bpf_get_current_uid_gid();
                \(filters)
                struct execsnoop_data_t *data = events.ringbuf_reserve(sizeof(struct execsnoop_data_t));
                if (!data)
                    return 0;
                data->pid = bpf_get_current_pid_tgid() >> 32;
                read_parent(data);
                data->uid = uid;
                data->type = EVENT_RET;
                data->retval = args->ret;
                data->cpu = bpf_get_smp_processor_id();
                bpf_get_current_comm(&data->comm, sizeof(data->comm));
                events.ringbuf_submit(data, 0);
                return 0;
            }

            """
    }
}

extension ExecRecord {
    /// What one execsnoop record reports; nil for a record of an unknown type.
    public init?(_ record: execsnoop_data_t) {
        switch record.type {
        case .EVENT_ARG:
            self = .argument(pid: record.pid, text: record.argvString)
        case .EVENT_RET:
            self = .returned(pid: record.pid, ppid: record.ppid, uid: record.uid, comm: record.commString,
                             parentComm: record.pcommString, retval: record.retval, cpu: record.cpu)
        default:
            return nil
        }
    }
}
