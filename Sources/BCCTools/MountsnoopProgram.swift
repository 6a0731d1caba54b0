// mountsnoop's BPF program: each mount(), umount() and call of the mount API
// (fsopen, fsconfig, fsmount, move_mount) with its arguments and result, from
// the syscalls tracepoints of those calls (bcc's mountsnoop uses kprobes and
// kretprobes). The arguments are read at entry, where bcc reads them, into
// one record per call that the exit sends.
import BCC

/// The BPF side of mountsnoop and its lines.
public enum MountsnoopProgram {
    /// The program; `containers` keeps the tasks of bcc's --cgroupmap and --mntnsmap.
    public static func source(containers: ContainerFilter = ContainerFilter(), ringPages: Int = 128) -> String {
        """
        #include <uapi/linux/ptrace.h>
        #include <linux/sched.h>
        #include <linux/nsproxy.h>
        #include <linux/ns_common.h>

        enum mountsnoop_call { CALL_MOUNT = 1, CALL_UMOUNT, CALL_FSOPEN, CALL_FSCONFIG, CALL_FSMOUNT, CALL_MOVE_MOUNT };

        struct mountsnoop_event_t {
            enum mountsnoop_call call;
            u32 pid;        // thread id
            u32 tgid;
            u32 mnt_ns;
            u32 ppid;
            int retval;
            int fd;         // fsconfig's fd, fsmount's fs_fd, move_mount's from_dfd
            int to_fd;      // move_mount's to_dfd
            u32 cmd;        // fsconfig's command
            u32 attr_flags; // fsmount's MOUNT_ATTR_* flags
            int aux;        // fsconfig's aux
            u64 flags;
            char comm[TASK_COMM_LEN];
            char pcomm[TASK_COMM_LEN];
            char source[256];
            char target[256];
            char type[64];
            char data[256];
        };

        // The record under construction (too large for the BPF stack), then by thread until the exit.
        BPF_PERCPU_ARRAY(scratch, struct mountsnoop_event_t, 1);
        BPF_HASH(calls, u32, struct mountsnoop_event_t, 1024);
        BPF_RINGBUF_OUTPUT(events, \(ringPages));
        \(containers.declarations)
        static struct mountsnoop_event_t *begin(u32 call, u64 flags)
        {
            \(containers.check)
            u32 zero = 0;
            struct mountsnoop_event_t *event = scratch.lookup(&zero);
            if (event == 0)
                return 0;
            u64 pid_tgid = bpf_get_current_pid_tgid();
            struct task_struct *task = (struct task_struct *)bpf_get_current_task();
            event->call = call;
            event->pid = (u32)pid_tgid;
            event->tgid = pid_tgid >> 32;
            event->mnt_ns = task->nsproxy->mnt_ns->ns.inum;
            event->ppid = task->real_parent->tgid;
            event->retval = 0;
            event->fd = 0;
            event->to_fd = 0;
            event->cmd = 0;
            event->attr_flags = 0;
            event->aux = 0;
            event->flags = flags;
            bpf_get_current_comm(&event->comm, sizeof(event->comm));
            bpf_probe_read_kernel_str(&event->pcomm, sizeof(event->pcomm), task->real_parent->comm);
            event->source[0] = 0;
            event->target[0] = 0;
            event->type[0] = 0;
            event->data[0] = 0;
            return event;
        }

        static int finish(long ret)
        {
            u32 tid = (u32)bpf_get_current_pid_tgid();
            struct mountsnoop_event_t *event = calls.lookup(&tid);
            if (event == 0)
                return 0;   // missed the entry
            event->retval = ret;
            events.ringbuf_output(event, sizeof(*event), 0);
            calls.delete(&tid);
            return 0;
        }

        TRACEPOINT_PROBE(syscalls, sys_enter_mount)
        {
            struct mountsnoop_event_t *event = begin(CALL_MOUNT, args->flags);
            if (event == 0)
                return 0;
            bpf_probe_read_user_str(&event->source, sizeof(event->source), args->dev_name);
            bpf_probe_read_user_str(&event->target, sizeof(event->target), args->dir_name);
            bpf_probe_read_user_str(&event->type, sizeof(event->type), args->type);
            bpf_probe_read_user_str(&event->data, sizeof(event->data), args->data);
            u32 tid = event->pid;
            calls.update(&tid, event);
            return 0;
        }

        TRACEPOINT_PROBE(syscalls, sys_exit_mount) { return finish(args->ret); }

        TRACEPOINT_PROBE(syscalls, sys_enter_umount)
        {
            struct mountsnoop_event_t *event = begin(CALL_UMOUNT, (u32)args->flags);
            if (event == 0)
                return 0;
            bpf_probe_read_user_str(&event->target, sizeof(event->target), args->name);
            u32 tid = event->pid;
            calls.update(&tid, event);
            return 0;
        }

        TRACEPOINT_PROBE(syscalls, sys_exit_umount) { return finish(args->ret); }

        static int keep(struct mountsnoop_event_t *event)
        {
            u32 tid = event->pid;
            calls.update(&tid, event);
            return 0;
        }

        TRACEPOINT_PROBE(syscalls, sys_enter_fsopen)
        {
            struct mountsnoop_event_t *event = begin(CALL_FSOPEN, args->flags);
            if (event == 0)
                return 0;
            bpf_probe_read_user_str(&event->type, sizeof(event->type), args->_fs_name);
            return keep(event);
        }

        TRACEPOINT_PROBE(syscalls, sys_exit_fsopen) { return finish(args->ret); }

        TRACEPOINT_PROBE(syscalls, sys_enter_fsconfig)
        {
            struct mountsnoop_event_t *event = begin(CALL_FSCONFIG, 0);
            if (event == 0)
                return 0;
            event->fd = args->fd;
            event->cmd = args->cmd;
            event->aux = args->aux;
            bpf_probe_read_user_str(&event->source, sizeof(event->source), args->_key);
            bpf_probe_read_user_str(&event->data, sizeof(event->data), args->_value);
            return keep(event);
        }

        TRACEPOINT_PROBE(syscalls, sys_exit_fsconfig) { return finish(args->ret); }

        TRACEPOINT_PROBE(syscalls, sys_enter_fsmount)
        {
            struct mountsnoop_event_t *event = begin(CALL_FSMOUNT, args->flags);
            if (event == 0)
                return 0;
            event->fd = args->fs_fd;
            event->attr_flags = args->attr_flags;
            return keep(event);
        }

        TRACEPOINT_PROBE(syscalls, sys_exit_fsmount) { return finish(args->ret); }

        TRACEPOINT_PROBE(syscalls, sys_enter_move_mount)
        {
            struct mountsnoop_event_t *event = begin(CALL_MOVE_MOUNT, args->flags);
            if (event == 0)
                return 0;
            event->fd = args->from_dfd;
            event->to_fd = args->to_dfd;
            bpf_probe_read_user_str(&event->source, sizeof(event->source), args->from_pathname);
            bpf_probe_read_user_str(&event->target, sizeof(event->target), args->to_pathname);
            return keep(event);
        }

        TRACEPOINT_PROBE(syscalls, sys_exit_move_mount) { return finish(args->ret); }

        """
    }

    /// The column header; `parent` adds PCOMM and PPID (-P).
    public static func header(parent: Bool) -> String {
        columns(comm: "COMM", pid: "PID", tid: "TID", parentColumns: parent ? ("PCOMM", "PPID") : nil, mountNamespace: "MNT_NS",
                call: "CALL")
    }

    /// The line for `event`, or nil for a record of no known call.
    public static func line(for event: mountsnoop_event_t, parent: Bool) -> String? {
        let result = errnoText(Int64(event.retval))
        let call: String
        switch event.call {
        case .CALL_MOUNT:
            call = "mount(\(quoted(event.sourceString)), \(quoted(event.targetString)), \(quoted(event.typeString)), "
                + "\(mountFlags(event.flags)), \(quoted(event.dataString))) = \(result)"
        case .CALL_UMOUNT:
            call = "umount(\(quoted(event.targetString)), \(umountFlags(event.flags))) = \(result)"
        case .CALL_FSOPEN:
            call = "fsopen(\(quoted(event.typeString)), \(flagNames(event.flags, fsopenFlagNames).joined(separator: "|"))) = \(result)"
        case .CALL_FSCONFIG:
            call = "fsconfig(\(event.fd), \(fsconfigCommand(event.cmd)), \(quoted(event.sourceString)), "
                + "\(quoted(event.dataString)), \(event.aux)) = \(result)"
        case .CALL_FSMOUNT:
            call = "fsmount(\(event.fd), \(flagNames(event.flags, fsmountFlagNames).joined(separator: "|")), "
                + "\(flagNames(UInt64(event.attr_flags), mountAttrFlagNames).joined(separator: "|"))) = \(result)"
        case .CALL_MOVE_MOUNT:
            call = "move_mount(\(directoryFD(event.fd)), \(quoted(event.sourceString)), \(directoryFD(event.to_fd)), "
                + "\(quoted(event.targetString)), \(flagNames(event.flags, moveMountFlagNames).joined(separator: "|"))) = \(result)"
        default:
            return nil
        }
        return columns(comm: event.commString, pid: String(event.tgid), tid: String(event.pid),
                       parentColumns: parent ? (event.pcommString, String(event.ppid)) : nil,
                       mountNamespace: String(event.mnt_ns), call: call)
    }

    static func columns(comm: String, pid: String, tid: String, parentColumns: (String, String)?, mountNamespace: String,
                        call: String) -> String {
        var text = "\(CText.left(comm, 16)) \(CText.left(pid, 7)) \(CText.left(tid, 7)) "
        if let (parentComm, parentPid) = parentColumns { text += "\(CText.left(parentComm, 16)) \(CText.left(parentPid, 7)) " }
        return text + "\(CText.left(mountNamespace, 11)) \(call)"
    }

    // MARK: - Decoding, as bcc's mountsnoop prints arguments

    /// mount(2)'s MS_* flags by bit, from linux/mount.h.
    static let mountFlagNames: [(String, UInt64)] = [
        ("MS_RDONLY", 1), ("MS_NOSUID", 2), ("MS_NODEV", 4), ("MS_NOEXEC", 8), ("MS_SYNCHRONOUS", 16),
        ("MS_REMOUNT", 32), ("MS_MANDLOCK", 64), ("MS_DIRSYNC", 128), ("MS_NOSYMFOLLOW", 256), ("MS_NOATIME", 1024),
        ("MS_NODIRATIME", 2048), ("MS_BIND", 4096), ("MS_MOVE", 8192), ("MS_REC", 16384), ("MS_SILENT", 32768),
        ("MS_POSIXACL", 1 << 16), ("MS_UNBINDABLE", 1 << 17), ("MS_PRIVATE", 1 << 18), ("MS_SLAVE", 1 << 19),
        ("MS_SHARED", 1 << 20), ("MS_RELATIME", 1 << 21), ("MS_KERNMOUNT", 1 << 22), ("MS_I_VERSION", 1 << 23),
        ("MS_STRICTATIME", 1 << 24), ("MS_LAZYTIME", 1 << 25), ("MS_SUBMOUNT", 1 << 26), ("MS_NOREMOTELOCK", 1 << 27),
        ("MS_NOSEC", 1 << 28), ("MS_BORN", 1 << 29), ("MS_ACTIVE", 1 << 30), ("MS_NOUSER", 1 << 31),
    ]

    /// umount2(2)'s flags.
    static let umountFlagNames: [(String, UInt64)] = [("MNT_FORCE", 1), ("MNT_DETACH", 2), ("MNT_EXPIRE", 4), ("UMOUNT_NOFOLLOW", 8)]

    /// fsopen(2)'s flags (bcc decodes them as mount flags; FSOPEN_CLOEXEC is their only one).
    static let fsopenFlagNames: [(String, UInt64)] = [("FSOPEN_CLOEXEC", 1)]

    /// fsmount(2)'s flags.
    static let fsmountFlagNames: [(String, UInt64)] = [("FSMOUNT_CLOEXEC", 1)]

    /// fsmount(2)'s MOUNT_ATTR_* flags.
    static let mountAttrFlagNames: [(String, UInt64)] = [
        ("MOUNT_ATTR_RDONLY", 0x1), ("MOUNT_ATTR_NOSUID", 0x2), ("MOUNT_ATTR_NODEV", 0x4), ("MOUNT_ATTR_NOEXEC", 0x8),
        ("MOUNT_ATTR_NOATIME", 0x10), ("MOUNT_ATTR_STRICTATIME", 0x20), ("MOUNT_ATTR_NODIRATIME", 0x80),
        ("MOUNT_ATTR_IDMAP", 0x100000), ("MOUNT_ATTR_NOSYMFOLLOW", 0x200000),
    ]

    /// move_mount(2)'s flags.
    static let moveMountFlagNames: [(String, UInt64)] = [
        ("MOVE_MOUNT_F_SYMLINKS", 0x1), ("MOVE_MOUNT_F_AUTOMOUNTS", 0x2), ("MOVE_MOUNT_F_EMPTY_PATH", 0x4),
        ("MOVE_MOUNT_T_SYMLINKS", 0x10), ("MOVE_MOUNT_T_AUTOMOUNTS", 0x20), ("MOVE_MOUNT_T_EMPTY_PATH", 0x40),
        ("MOVE_MOUNT_SET_GROUP", 0x100), ("MOVE_MOUNT_BENEATH", 0x200),
    ]

    /// fsconfig(2)'s commands, by number.
    static let fsconfigCommands = ["FSCONFIG_SET_FLAG", "FSCONFIG_SET_STRING", "FSCONFIG_SET_BINARY", "FSCONFIG_SET_PATH",
                                   "FSCONFIG_SET_PATH_EMPTY", "FSCONFIG_SET_FD", "FSCONFIG_CMD_CREATE",
                                   "FSCONFIG_CMD_RECONFIGURE", "FSCONFIG_CMD_CREATE_EXCL"]

    /// fsconfig's command by name, or the number in hex.
    public static func fsconfigCommand(_ command: UInt32) -> String {
        Int(command) < fsconfigCommands.count ? fsconfigCommands[Int(command)] : "0x" + String(command, radix: 16)
    }

    /// A directory descriptor: AT_FDCWD by name, else the number.
    public static func directoryFD(_ fd: Int32) -> String {
        fd == -100 ? "AT_FDCWD" : String(fd)
    }

    /// Set flags joined by "|", with what no name covers (or 0 when nothing is set) in hex.
    static func flagNames(_ flags: UInt64, _ names: [(String, UInt64)]) -> [String] {
        var rest = flags
        var parts: [String] = []
        for (name, bit) in names where rest & bit != 0 {
            parts.append(name)
            rest &= ~bit
        }
        if rest != 0 || parts.isEmpty { parts.append("0x" + String(rest, radix: 16)) }
        return parts
    }

    /// mount's flags; the old magic number in the top half reads MS_MGC_VAL.
    public static func mountFlags(_ flags: UInt64) -> String {
        var flags = flags
        var parts: [String] = []
        if flags & 0xffff_0000 == 0xc0ed_0000 {
            flags &= ~0xffff_0000
            parts.append("MS_MGC_VAL")
        }
        return (parts + flagNames(flags, mountFlagNames)).joined(separator: "|")
    }

    /// umount's flags.
    public static func umountFlags(_ flags: UInt64) -> String {
        flagNames(flags, umountFlagNames).joined(separator: "|")
    }

    /// A result: "-ENOENT" for an error, else the number.
    public static func errnoText(_ value: Int64) -> String {
        if value < 0, let name = ErrnoNames.name(of: UInt64(-value)) { return "-" + name }
        return String(value)
    }

    /// `text` in double quotes with C escapes, non-printable bytes as \\xNN.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for byte in text.utf8 {
            switch byte {
            case 0x07: out += "\\a"
            case 0x08: out += "\\b"
            case 0x09: out += "\\t"
            case 0x0a: out += "\\n"
            case 0x0b: out += "\\v"
            case 0x0c: out += "\\f"
            case 0x0d: out += "\\r"
            case 0x22: out += "\\\""
            case 0x5c: out += "\\\\"
            case 0x20...0x7e: out.unicodeScalars.append(Unicode.Scalar(byte))
            default: out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return out + "\""
    }
}
