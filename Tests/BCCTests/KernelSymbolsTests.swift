import Foundation
import Testing
@testable import BCC

@Suite struct KernelSymbolsTests {
    @Test func parsesKallsymsTextLikeBcc() {
        let text = """
            0000000000000000 A fixed_percpu_data
            ffffffff81000000 T _text
            ffffffff81000100 t helper_a
            ffffffff81000200 D some_data
            ffffffff81000300 r some_rodata
            ffffffff81000400 W weak_func
            ffffffffc0000000 t ext4_thing\t[ext4]
            ffffffff81000100 T helper_b

            """
        let table = KernelSymbols(kallsyms: text)
        #expect(table.symbols.map(\.name) == ["_text", "helper_a", "helper_b", "weak_func", "ext4_thing"])
        #expect(table.symbols.last?.module == "ext4")
        #expect(table.symbols.first?.module == "kernel")
        // The later of two symbols at one address wins, as in bcc's upper_bound walk.
        #expect(table.resolve(0xffff_ffff_8100_0150)?.symbol.name == "helper_b")
        #expect(table.resolve(0xffff_ffff_8100_0150)?.offset == 0x50)
        #expect(table.resolve(0xffff_ffff_8000_0000) == nil)
        #expect(table.address(of: "weak_func") == 0xffff_ffff_8100_0400)
        #expect(table.address(of: "some_data") == nil)
    }

    @Test func formatsLikeBccSym() {
        #expect(SymbolFormat.format(name: "vfs_read", offset: 0x1a, module: "kernel", showModule: true, showOffset: true)
            == "vfs_read+0x1a [kernel]")
        #expect(SymbolFormat.format(name: "vfs_read", offset: 0x1a, module: "kernel", showModule: false, showOffset: false)
            == "vfs_read")
        #expect(SymbolFormat.format(name: nil, offset: 0x1a, module: "/usr/lib/libc.so.6", showModule: true, showOffset: true)
            == "[unknown] [libc.so.6]")
    }

    @Test func ksymNamesAKernelAddressFromKallsyms() throws {
        // Take a text symbol's address straight from the file, then look it up.
        let text = try ProcFile.text("/proc/kallsyms")
        let line = try #require(text.split(separator: "\n").first { $0.hasSuffix(" T vfs_read") })
        let address = try #require(UInt64(line.prefix(while: { $0 != " " }), radix: 16))
        #expect(address != 0, "kallsyms shows zero addresses: run as root")
        #expect(KernelSymbols.ksym(address) == "vfs_read")
        #expect(KernelSymbols.ksym(address + 4, showModule: true, showOffset: true) == "vfs_read+0x4 [kernel]")
        #expect(KernelSymbols.ksymname("vfs_read") == address)
        #expect(KernelSymbols.ksymname("no_such_kernel_function_xyz") == nil)
        #expect(KernelSymbols.ksym(1) == "[unknown]")
    }
}
