import Foundation
import Testing
@testable import BCC

/// A function with a plain C symbol in the test binary, for `sym` to find.
@_cdecl("swift_bcc_symbol_probe")
@inline(never)
func swiftBCCSymbolProbe() -> Int32 { 42 }

@Suite struct UserSymbolsTests {
    @Test func parsesMapsLines() throws {
        let text = """
            55d0c8a00000-55d0c8a21000 r-xp 00001000 fd:01 1835023                    /usr/bin/cat
            7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0
            7ffd6b3e1000-7ffd6b3e3000 r-xp 00000000 00:00 0                          [vdso]
            7f1c2b000000-7f1c2b100000 r-xp 00028000 fd:01 42   /tmp/my lib.so
            """
        let maps = ProcessMapping.parse(text)
        #expect(maps.count == 4)
        #expect(maps[0] == ProcessMapping(start: 0x55d0_c8a0_0000, end: 0x55d0_c8a2_1000, permissions: "r-xp",
                                          fileOffset: 0x1000, device: "fd:01", inode: 1_835_023, path: "/usr/bin/cat"))
        #expect(maps[1].path == "")
        #expect(maps.map(\.isExecutableFile) == [true, false, false, true])
        #expect(maps[3].path == "/tmp/my lib.so")
    }

    @Test func symNamesAFunctionInTheTestBinary() throws {
        let probe: @convention(c) () -> Int32 = swiftBCCSymbolProbe
        let address = UInt64(UInt(bitPattern: unsafeBitCast(probe, to: UnsafeRawPointer.self)))
        let pid = getpid()
        #expect(UserSymbols.sym(address, pid: pid) == "swift_bcc_symbol_probe")
        let binary = URL(fileURLWithPath: try ProcFile.text("/proc/self/cmdline")
            .split(separator: "\0").first.map(String.init) ?? "").lastPathComponent
        let withModule = UserSymbols.sym(address + 1, pid: pid, showModule: true, showOffset: true)
        #expect(withModule == "swift_bcc_symbol_probe+0x1 [\(binary)]")
    }

    @Test func symNamesALibcFunction() throws {
        let handle = try #require(dlopen(nil, RTLD_NOW))
        defer { dlclose(handle) }
        let address = UInt64(UInt(bitPattern: dlsym(handle, "getpid")))
        try #require(address != 0)
        let name = UserSymbols.sym(address, pid: getpid())
        #expect(["getpid", "__getpid"].contains(name))
    }

    @Test func swiftSymbolsAreDemangled() throws {
        // Int's + operator, as its symbol appears in libswiftCore.
        #expect(SymbolDemangler.demangle("$sSi1poiyS2i_SitFZ") == "static Swift.Int.+ infix(Swift.Int, Swift.Int) -> Swift.Int")
        #expect(SymbolDemangler.demangle("swift_bcc_symbol_probe") == "swift_bcc_symbol_probe")
        #expect(SymbolDemangler.demangle("$snot-a-symbol") == "$snot-a-symbol")
    }

    @Test func unmappedAddressesAreUnknown() {
        #expect(UserSymbols.sym(0x10, pid: getpid(), showModule: true, showOffset: true) == "[unknown]")
    }
}
