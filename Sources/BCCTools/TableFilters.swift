// Filters (-p PID, -d DISK, -c COMM, thresholds) that a tool's program reads
// from tables the tool fills before attaching, instead of values written into
// its text: the text then depends only on which options were given, so a run
// for another pid or disk hits the compile cache (bcc recompiles every time).
import BCC

/// C declarations for filter tables, and the calls that fill them.
public enum TableFilters {
    /// `BPF_HASH(name, u32, u8, 1024)` of allowed ids (pids, tids), with
    /// `static int name_has(u32 id)`.
    public static func idSet(_ name: String) -> String {
        """
        BPF_HASH(\(name), u32, u8, 1024);
        static __always_inline int \(name)_has(u32 id) { return \(name).lookup(&id) != 0; }
        """
    }

    /// `BPF_ARRAY(name, u64, 1)` holding one value, with `static u64 name_value(void)`
    /// (0 until the tool sets it).
    public static func value(_ name: String) -> String {
        """
        BPF_ARRAY(\(name), u64, 1);
        static __always_inline u64 \(name)_value(void) { u32 zero = 0; u64 *value = \(name).lookup(&zero); return value ? *value : 0; }
        """
    }

    /// `struct name_t { char name[TASK_COMM_LEN]; }` in `BPF_ARRAY(name, ...)`,
    /// with `static int name_matches(const char *comm)`: the task name equals the one the tool set.
    public static func comm(_ name: String) -> String {
        """
        struct \(name)_t { char name[TASK_COMM_LEN]; };
        BPF_ARRAY(\(name), struct \(name)_t, 1);
        static __always_inline int \(name)_matches(const char *comm)
        {
            u32 zero = 0;
            struct \(name)_t *want = \(name).lookup(&zero);
            if (want == 0)
                return 0;
            #pragma unroll
            for (int i = 0; i < TASK_COMM_LEN; i++) {
                if (want->name[i] != comm[i])
                    return 0;
                if (want->name[i] == 0)
                    break;
            }
            return 1;
        }
        """
    }

    /// Adds `ids` to id set `name` of `b`.
    public static func fill(_ b: BPF, idSet name: String, with ids: [Int32]) throws(BCCError) {
        let table = try b[name].typed(key: UInt32.self, value: UInt8.self)
        for id in ids { try table.set(UInt32(bitPattern: id), 1) }
    }

    /// Sets the value of `name` in `b`.
    public static func fill(_ b: BPF, value name: String, with value: UInt64) throws(BCCError) {
        try b[name].typed(key: UInt32.self, value: UInt64.self).set(0, value)
    }

    /// Sets the task name of `name` in `b` (the first 15 bytes, as the kernel keeps them).
    public static func fill(_ b: BPF, comm name: String, with comm: String) throws(BCCError) {
        var bytes = [UInt8](repeating: 0, count: 16)
        for (index, byte) in comm.utf8.prefix(15).enumerated() { bytes[index] = byte }
        try b[name].set(withUnsafeBytes(of: UInt32(0)) { Array($0) }, bytes)
    }
}
