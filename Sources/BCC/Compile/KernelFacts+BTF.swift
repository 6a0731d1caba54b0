import BCCDialect
import BTF
import EBPF

extension KernelFacts {
    /// The facts of the kernel whose BTF is `btf`: array sizes from the
    /// structs that hold them, request flags from enum req_flag_bits, and
    /// CONFIG_NET_NS from possible_net_t. What the BTF lacks keeps the
    /// classic value.
    init(btf: BTF, pageSize: Int, architecture: String, version: KernelVersion) {
        self.init(pageSize: pageSize, architecture: architecture, versionCode: version.code)
        func memberSize(_ structName: String, _ memberNames: String...) -> Int? {
            guard let type = btf.firstType(named: structName, kind: .struct) else { return nil }
            let members = btf.members(of: type.id)
            for name in memberNames {
                if let member = members.first(where: { $0.name == name }), let size = btf.size(of: member.type) {
                    return size
                }
            }
            return nil
        }
        taskCommLength = memberSize("task_struct", "comm") ?? taskCommLength
        // 6.14 replaced d_iname by d_shortname, a union of the same DNAME_INLINE_LEN bytes.
        dentryInlineNameLength = memberSize("dentry", "d_shortname", "d_iname") ?? dentryInlineNameLength
        diskNameLength = memberSize("gendisk", "disk_name") ?? diskNameLength
        interfaceNameSize = memberSize("net_device", "name") ?? interfaceNameSize
        if let flagBits = btf.firstType(named: "req_flag_bits", kind: .enum) {
            let values = btf.enumValues(of: flagBits.id)
            // The first flag bit follows the operation bits.
            if let first = values.first(where: { $0.name == "__REQ_FAILFAST_DEV" }) {
                requestOperationBits = Int(first.signedValue)
            }
            requestFlags = values.compactMap { value in
                guard value.name.hasPrefix("__REQ_"), value.name != "__REQ_NR_BITS" else { return nil }
                return RequestFlag(name: String(value.name.dropFirst("__REQ_".count)), bit: Int(value.signedValue))
            }
        }
        if let possibleNet = btf.firstType(named: "possible_net_t", kind: .typedef).map({ btf.resolved($0.id) }) {
            hasNetworkNamespaces = btf.members(of: possibleNet).contains { $0.name == "net" }
        }
    }
}
