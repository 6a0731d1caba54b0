import Foundation
import Testing
@testable import BTF

/// The running kernel's BTF, decoded once for the tests that read it.
enum KernelBTF {
    static let path = "/sys/kernel/btf/vmlinux"
    static let available = FileManager.default.fileExists(atPath: path)
    static let btf: BTF? = {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? BTF(bytes: Array(data))
    }()
}

@Test(.enabled(if: KernelBTF.available, "kernel has no BTF (CONFIG_DEBUG_INFO_BTF)"))
func decodesTheRunningKernel() throws {
    let data = try #require(FileManager.default.contents(atPath: KernelBTF.path))
    let btf = try BTF(bytes: Array(data))
    #expect(btf.typeCount > 10_000)

    let task = try #require(btf.firstType(named: "task_struct", kind: .struct))
    #expect(btf.size(of: task.id) == Int(task.sizeOrType))
    let members = btf.members(of: task.id)
    let pid = try #require(members.first { $0.name == "pid" })
    #expect(btf.cSpelling(of: pid.type) == "pid_t")
    #expect(btf.size(of: btf.resolved(pid.type)) == 4)
    #expect(btf.cSpelling(of: btf.resolved(pid.type)) == "int")
    let comm = try #require(members.first { $0.name == "comm" })
    #expect(btf.cSpelling(of: comm.type) == "char[16]")
    let parent = try #require(members.first { $0.name == "real_parent" })
    #expect(btf.cSpelling(of: parent.type) == "struct task_struct *")
    // The kernel's structs use kind_flag bitfields (struct sk_buff, ...).
    #expect(btf.types(ofKind: .struct).contains { type in btf.members(of: type.id).contains(where: \.isBitfield) })
    let pidType = try #require(btf.firstType(named: "pid_type", kind: .enum))
    #expect(btf.enumValues(of: pidType.id).first { $0.name == "PIDTYPE_PID" }?.signedValue == 0)
}
