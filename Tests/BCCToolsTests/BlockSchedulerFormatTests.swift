import BCC
import Testing
@testable import BCCTools

@Suite struct BlockDevicesTests {
    static let diskstats = """
         254       0 vda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17
         254       1 vda1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17
           7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
         259  1048575 nvme0n1p9 0
        garbage
        """

    @Test func namesByKernelDevice() {
        let devices = BlockDevices(diskstats: Self.diskstats)
        #expect(devices.name(ofKernelDevice: 254 << 20) == "vda")
        #expect(devices.name(ofKernelDevice: 254 << 20 | 1) == "vda1")
        #expect(devices.name(ofKernelDevice: 7 << 20) == "loop0")
        #expect(devices.name(ofKernelDevice: 259 << 20 | 1_048_575) == "nvme0n1p9")
        #expect(devices.name(ofKernelDevice: 8 << 20) == nil)
        #expect(BlockDevices.kernelDevice(major: 8, minor: 16) == 0x0080_0010)
    }

    @Test func diskOptionNamesABlockDevice() {
        #expect(throws: BlockDeviceError.noSuchDisk("no-such-disk-xyz")) { try BlockDevices.kernelDevice(ofDisk: "no-such-disk-xyz") }
        #expect(throws: BlockDeviceError.notABlockDevice("null")) { try BlockDevices.kernelDevice(ofDisk: "null") }
        #expect(BlockDeviceError.noSuchDisk("sdz").description == "no such disk 'sdz'")
    }
}

@Suite struct BlockToolFormatTests {
    @Test func biolatencyFlagNamesFollowBcc() {
        #expect(BiolatencyProgram.describe(flags: 0) == "Read")
        #expect(BiolatencyProgram.describe(flags: 1 | 1 << 11) == "Sync-Write")
        #expect(BiolatencyProgram.describe(flags: 1 | 1 << 11 | 1 << 15) == "Idle-Sync-Write")
        #expect(BiolatencyProgram.describe(flags: 0 | 1 << 19) == "ReadAhead-Read")
        #expect(BiolatencyProgram.describe(flags: 4) == "Unknown")
        #expect(BiolatencyProgram.describe(flags: 2 | 1 << 17 | 1 << 21) == "NoWait-ForcedUnitAccess-Flush")
    }

    @Test func biosnoopColumns() {
        var formatter = BiosnoopFormatter(showPattern: true, showQueued: true,
                                          devices: BlockDevices(diskstats: "254 0 vda 0"))
        #expect(formatter.header == "TIME(s)     COMM           PID     DISK      T SECTOR     BYTES  P QUE(ms) LAT(ms)")
        var event = ToolEventMirrorTests.record(biosnoop_event_t.self) { event in
            event.pid = 4242
            event.dev = 254 << 20
            event.rwflag = 1
            event.delta = 1_234_567
            event.qdelta = 20_000
            event.sector = 13_092_560
            event.len = 4096
            event.pattern = BiosnoopProgram.Pattern.sequential.rawValue
            event.ts = 5_000_000
            ToolEventMirrorTests.setText("a-very-long-command-name", in: &event.name)
        }
        #expect(formatter.line(for: event) == "0.000000    a-very-long-co 4242    vda       W 13092560   4096   S    0.02    1.23")
        event.ts = 6_500_001
        event.rwflag = 0
        event.dev = 8 << 20
        event.pattern = 0
        #expect(formatter.line(for: event) == "1.500001    a-very-long-co 4242    <unknown> R 13092560   4096   ?    0.02    1.23")
        #expect(BiosnoopFormatter().header == "TIME(s)     COMM           PID     DISK      T SECTOR     BYTES  LAT(ms)")
    }

    @Test func biopatternRoundsAsPython() {
        #expect(BiopatternProgram.header == "TIME      DISK     %RND  %SEQ    COUNT     KBYTES")
        let counter = BiopatternProgram.Counter(bytes: 3_260_416, sequential: 787, random: 1)
        #expect(BiopatternProgram.line(time: "22:03:51", disk: "vdb", counter: counter)
            == "22:03:51  vdb         0   100      788       3184")
        // 1/8 = 12.5% rounds to even.
        #expect(BiopatternProgram.line(time: "t", disk: "d", counter: .init(bytes: 0, sequential: 7, random: 1))?.contains("   12    88") == true)
        #expect(BiopatternProgram.line(time: "t", disk: "d", counter: .init(bytes: 10, sequential: 0, random: 0)) == nil)
    }

    @Test func histogramSummaryPieces() {
        #expect(HistogramSummary.header(timestamp: false) == "\n")
        #expect(HistogramSummary.header(timestamp: true).count == 10)
        #expect(HistogramSummary.averageLine(total: 1000, count: 3, unit: "usecs") == "\navg = 333 usecs, total: 1000 usecs, count: 3\n")
        #expect(HistogramSummary.averageLine(total: 0, count: 0, unit: "usecs") == nil)
    }
}

@Suite struct SchedulerToolFormatTests {
    @Test func runqslowerColumns() {
        #expect(RunqslowerProgram.header(previous: false) == "TIME     COMM             TID           LAT(us)")
        let event = ToolEventMirrorTests.record(runqslower_event_t.self) { event in
            event.pid = 12924
            event.prev_pid = 0
            event.delta_us = 12739
            ToolEventMirrorTests.setText("cc1", in: &event.task)
            ToolEventMirrorTests.setText("swapper/1", in: &event.prev_task)
        }
        #expect(RunqslowerProgram.line(for: event, time: "04:16:32", previous: false) == "04:16:32 cc1              12924           12739")
        #expect(RunqslowerProgram.line(for: event, time: "04:16:32", previous: true)
            == "04:16:32 cc1              12924           12739 swapper/1        0     ")
    }

    @Test func runqlenOccupancy() {
        #expect(RunqlenProgram.occupancy([(length: 0, count: 3), (length: 1, count: 1)]) == 25)
        #expect(RunqlenProgram.occupancy([(length: UInt32, count: UInt64)]()) == 0)
    }

    @Test func irqTotalsLargestFirst() {
        let text = IrqMeasure.totals(title: "HARDIRQ", width: 26, unit: "usecs", factor: 1000,
                                     rows: [(name: "timer0", value: 1_558_999), (name: "eth0", value: 11_441_000)])
        #expect(text == """
            HARDIRQ                    TOTAL_usecs
            eth0                             11441
            timer0                            1558

            """)
        #expect(SoftirqsProgram.name(ofVector: 3) == "net_rx")
        #expect(SoftirqsProgram.name(ofVector: 12) == "12")
    }

    @Test func lostStacksAreCountedAsBccDoes() {
        #expect(!StackReport.isLost(5))
        #expect(!StackReport.isLost(-14))  // -EFAULT: no stack of that kind
        #expect(StackReport.isLost(-12))
        #expect(StackReport.isLost(-17))
    }
}
