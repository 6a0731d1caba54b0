// execsnoop's BPF program: the execve syscall tracepoints, one ring buffer
// record per argument and one for the return, as bcc's execsnoop sends them.
import BCC

/// The BPF side of execsnoop and the layout of its records.
public enum ExecSnoopProgram {
    /// Bytes kept of each argument (bcc's ARGSIZE).
    public static let argumentSize = 128

    /// The program; `maxArguments` caps the arguments read (bcc's --max-args),
    /// `uid` keeps only that user's execs.
    public static func source(maxArguments: Int = 20, uid: UInt32? = nil) -> String {
        let uidFilter = uid.map { "if (uid != \($0)) { return 0; }" } ?? ""
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/sched.h>

            #define ARGSIZE \(argumentSize)
            #define MAXARG \(maxArguments)

            enum event_type {
                EVENT_ARG,
                EVENT_RET,
            };

            struct data_t {
                u32 pid;
                u32 ppid;
                u32 uid;
                u32 type;
                int retval;
                char comm[TASK_COMM_LEN];
                char pcomm[TASK_COMM_LEN];
                char argv[ARGSIZE];
            };

            BPF_RINGBUF_OUTPUT(events, 64);

            static void read_parent(struct data_t *data)
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
                struct data_t *data = events.ringbuf_reserve(sizeof(struct data_t));
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
                \(uidFilter)
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
                struct data_t *data = events.ringbuf_reserve(sizeof(struct data_t));
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
                \(uidFilter)
                struct data_t *data = events.ringbuf_reserve(sizeof(struct data_t));
                if (!data)
                    return 0;
                data->pid = bpf_get_current_pid_tgid() >> 32;
                read_parent(data);
                data->uid = uid;
                data->type = EVENT_RET;
                data->retval = args->ret;
                bpf_get_current_comm(&data->comm, sizeof(data->comm));
                events.ringbuf_submit(data, 0);
                return 0;
            }

            """
    }

    // MARK: - Record layout (struct data_t)

    static let pidOffset = 0, ppidOffset = 4, uidOffset = 8, typeOffset = 12, retvalOffset = 16, commOffset = 20
    static let pcommOffset = commOffset + 16
    static let argvOffset = pcommOffset + 16
    /// Checks that the program's `events` records are the `struct data_t`
    /// this layout reads, as the program's BTF describes it.
    public static func checkLayout(of events: Table) throws {
        let size = try events.eventDecoder().size
        guard size == recordSize else {
            throw BCCError.invalidUse(object: "table '\(events.name)'",
                                      detail: "records are \(size) bytes, \(Self.self) reads \(recordSize)")
        }
    }

    /// sizeof(struct data_t).
    public static let recordSize = (argvOffset + argumentSize + 3) & ~3

    /// Decodes one record, or nil if it is not a `struct data_t`.
    public static func record(from bytes: UnsafeRawBufferPointer) -> ExecRecord? {
        guard bytes.count == recordSize else { return nil }
        let pid = bytes.loadUnaligned(fromByteOffset: pidOffset, as: UInt32.self)
        switch bytes.loadUnaligned(fromByteOffset: typeOffset, as: UInt32.self) {
        case 0:
            return .argument(pid: pid, text: CText.string(bytes[argvOffset ..< argvOffset + argumentSize]))
        case 1:
            return .returned(
                pid: pid, ppid: bytes.loadUnaligned(fromByteOffset: ppidOffset, as: UInt32.self),
                uid: bytes.loadUnaligned(fromByteOffset: uidOffset, as: UInt32.self),
                comm: CText.string(bytes[commOffset ..< commOffset + 16]),
                parentComm: CText.string(bytes[pcommOffset ..< pcommOffset + 16]),
                retval: bytes.loadUnaligned(fromByteOffset: retvalOffset, as: Int32.self))
        default:
            return nil
        }
    }
}
