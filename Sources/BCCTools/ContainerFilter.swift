// bcc's --cgroupmap and --mntnsmap (bcc's containers.py): trace only the
// tasks whose cgroup v2 id, or mount namespace, is a key of a hash map the
// user pinned (bpftool map create ... type hash key 8 value 8 ... pinned PATH).
import ArgumentParser
import Glibc

/// Which containers a tool's program keeps: the maps pinned at the given paths.
public struct ContainerFilter: Sendable, Equatable {
    /// Where the hash of cgroup v2 ids (u64 keys, u64 values) is pinned.
    public var cgroupMap: String?
    /// Where the hash of mount namespace inode numbers (u64 keys, u32 values) is pinned.
    public var mountNamespaceMap: String?

    /// A filter on the given pinned maps (none: every task passes).
    public init(cgroupMap: String? = nil, mountNamespaceMap: String? = nil) {
        self.cgroupMap = cgroupMap
        self.mountNamespaceMap = mountNamespaceMap
    }

    /// True when either map was given.
    public var isActive: Bool { cgroupMap != nil || mountNamespaceMap != nil }

    /// C: the pinned tables and `container_should_be_filtered()`, true for a
    /// task the maps leave out (bcc's name). Empty when neither map was given.
    public var declarations: String {
        guard isActive else { return "" }
        var text = ""
        var tests: [String] = []
        if let cgroupMap {
            text += """
                BPF_TABLE_PINNED("hash", u64, u64, cgroupset, 1024, "\(cgroupMap)");
                static __always_inline int _cgroup_filter(void)
                {
                    u64 cgroupid = bpf_get_current_cgroup_id();
                    return cgroupset.lookup(&cgroupid) == NULL;
                }

                """
            tests.append("_cgroup_filter()")
        }
        if let mountNamespaceMap {
            text += """
                BPF_TABLE_PINNED("hash", u64, u32, mount_ns_set, 1024, "\(mountNamespaceMap)");
                static __always_inline int _mntns_filter(void)
                {
                    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                    u64 ns_id = task->nsproxy->mnt_ns->ns.inum;
                    return mount_ns_set.lookup(&ns_id) == NULL;
                }

                """
            tests.append("_mntns_filter()")
        }
        return text + """
            static __always_inline int container_should_be_filtered(void)
            {
                return \(tests.joined(separator: " || "));
            }

            """
    }

    /// The statement a probe starts with to leave filtered tasks out: empty when inactive.
    public var check: String {
        isActive ? "if (container_should_be_filtered()) { return 0; }" : ""
    }
}

/// `--cgroupmap PATH` and `--mntnsmap PATH`, as bcc's container-aware tools take them.
public struct ContainerFilterOptions: ParsableArguments {
    @Option(name: .customLong("cgroupmap"), help: "trace cgroups in this BPF map only")
    public var cgroupMap: String?

    @Option(name: .customLong("mntnsmap"), help: "trace mount namespaces in this BPF map only")
    public var mountNamespaceMap: String?

    public init() {}

    public func validate() throws {
        // bcc would pin a new, empty map at a mistyped path and trace nothing.
        for (option, path) in [("--cgroupmap", cgroupMap), ("--mntnsmap", mountNamespaceMap)] {
            guard let path else { continue }
            if path.contains("\"") || path.contains("\\") || path.contains("\n") {
                throw ValidationError("\(option): the path must not contain quotes, backslashes or newlines, got '\(path)'")
            }
            if access(path, F_OK) != 0 {
                throw ValidationError("\(option): no BPF map is pinned at '\(path)' (pin a hash map there first, e.g. with bpftool map create)")
            }
        }
    }

    /// The filter these options ask for.
    public var filter: ContainerFilter { ContainerFilter(cgroupMap: cgroupMap, mountNamespaceMap: mountNamespaceMap) }
}
