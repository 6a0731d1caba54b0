import Testing
@testable import BCC

// Expected text is what bcc's table.py prints for the same slot counts.
@Suite struct HistogramFormatTests {
    @Test func log2WithGapsAndValType() throws {
        let text = try Histogram.log2([1: 1, 2: 3, 3: 10, 5: 7, 10: 2], valType: "usecs")
        #expect(text ==
        """
             usecs               : count     distribution
                 0 -> 1          : 1        |****                                    |
                 2 -> 3          : 3        |************                            |
                 4 -> 7          : 10       |****************************************|
                 8 -> 15         : 0        |                                        |
                16 -> 31         : 7        |****************************            |
                32 -> 63         : 0        |                                        |
                64 -> 127        : 0        |                                        |
               128 -> 255        : 0        |                                        |
               256 -> 511        : 0        |                                        |
               512 -> 1023       : 2        |********                                |

        """)
    }

    @Test func log2StripLeadingZero() throws {
        let text = try Histogram.log2([4: 5, 6: 1, 7: 0, 8: 3], valType: "value", stripLeadingZero: true)
        #expect(text ==
        """
             value               : count     distribution
                 8 -> 15         : 5        |****************************************|
                16 -> 31         : 0        |                                        |
                32 -> 63         : 1        |********                                |
                64 -> 127        : 0        |                                        |
               128 -> 255        : 3        |************************                |

        """)
    }

    @Test func log2WideWhenSlotsPass32() throws {
        let text = try Histogram.log2([3: 2, 40: 9, 33: 1], valType: "nsecs")
        #expect(text ==
        """
                       nsecs                         : count     distribution
                           0 -> 1                    : 0        |                    |
                           2 -> 3                    : 0        |                    |
                           4 -> 7                    : 2        |****                |
                           8 -> 15                   : 0        |                    |
                          16 -> 31                   : 0        |                    |
                          32 -> 63                   : 0        |                    |
                          64 -> 127                  : 0        |                    |
                         128 -> 255                  : 0        |                    |
                         256 -> 511                  : 0        |                    |
                         512 -> 1023                 : 0        |                    |
                        1024 -> 2047                 : 0        |                    |
                        2048 -> 4095                 : 0        |                    |
                        4096 -> 8191                 : 0        |                    |
                        8192 -> 16383                : 0        |                    |
                       16384 -> 32767                : 0        |                    |
                       32768 -> 65535                : 0        |                    |
                       65536 -> 131071               : 0        |                    |
                      131072 -> 262143               : 0        |                    |
                      262144 -> 524287               : 0        |                    |
                      524288 -> 1048575              : 0        |                    |
                     1048576 -> 2097151              : 0        |                    |
                     2097152 -> 4194303              : 0        |                    |
                     4194304 -> 8388607              : 0        |                    |
                     8388608 -> 16777215             : 0        |                    |
                    16777216 -> 33554431             : 0        |                    |
                    33554432 -> 67108863             : 0        |                    |
                    67108864 -> 134217727            : 0        |                    |
                   134217728 -> 268435455            : 0        |                    |
                   268435456 -> 536870911            : 0        |                    |
                   536870912 -> 1073741823           : 0        |                    |
                  1073741824 -> 2147483647           : 0        |                    |
                  2147483648 -> 4294967295           : 0        |                    |
                  4294967296 -> 8589934591           : 1        |**                  |
                  8589934592 -> 17179869183          : 0        |                    |
                 17179869184 -> 34359738367          : 0        |                    |
                 34359738368 -> 68719476735          : 0        |                    |
                 68719476736 -> 137438953471         : 0        |                    |
                137438953472 -> 274877906943         : 0        |                    |
                274877906944 -> 549755813887         : 0        |                    |
                549755813888 -> 1099511627775        : 9        |********************|

        """)
    }

    @Test func log2SlotZeroCountsTowardTheBarScale() throws {
        let text = try Histogram.log2([0: 80, 2: 20, 3: 3], valType: "kbytes")
        #expect(text ==
        """
             kbytes              : count     distribution
                 0 -> 1          : 0        |                                        |
                 2 -> 3          : 20       |**********                              |
                 4 -> 7          : 3        |*                                       |

        """)
    }

    @Test func log2BarsTruncateThirds() throws {
        let text = try Histogram.log2([1: 1, 2: 2, 3: 3], valType: "value")
        #expect(text ==
        """
             value               : count     distribution
                 0 -> 1          : 1        |*************                           |
                 2 -> 3          : 2        |**************************              |
                 4 -> 7          : 3        |****************************************|

        """)
    }

    @Test func log2BarsFollowPythonRoundingForHugeCounts() throws {
        let text = try Histogram.log2([1: 1152921504606846976, 2: 1152921504606846975, 3: 576460752303423489], valType: "value")
        #expect(text ==
        """
             value               : count     distribution
                 0 -> 1          : 1152921504606846976 |****************************************|
                 2 -> 3          : 1152921504606846975 |****************************************|
                 4 -> 7          : 576460752303423489 |********************                    |

        """)
    }

    @Test func log2TopSlotsReachUInt64Max() throws {
        let text = try Histogram.log2([64: 7, 63: 3], valType: "value", stripLeadingZero: true)
        #expect(text ==
        """
                       value                         : count     distribution
         4611686018427387904 -> 9223372036854775807  : 3        |********            |
         9223372036854775808 -> 18446744073709551615 : 7        |********************|

        """)
    }

    @Test func linearWithGaps() throws {
        let text = try Histogram.linear([0: 2, 3: 17, 5: 1], valType: "msecs")
        #expect(text ==
        """
             msecs         : count     distribution
                0          : 2        |****                                    |
                1          : 0        |                                        |
                2          : 0        |                                        |
                3          : 17       |****************************************|
                4          : 0        |                                        |
                5          : 1        |**                                      |

        """)
    }

    @Test func linearStripLeadingZero() throws {
        let text = try Histogram.linear([3: 17, 5: 1], valType: "value", stripLeadingZero: true)
        #expect(text ==
        """
             value         : count     distribution
                3          : 17       |****************************************|
                4          : 0        |                                        |
                5          : 1        |**                                      |

        """)
    }

    @Test func log2Sections() throws {
        let sections = [Histogram.Section(key: 8, slots: [1: 4, 3: 2]), Histogram.Section(key: 16, slots: [2: 9])]
        var text = ""
        try Histogram.write(.log2, sections: sections, valType: "usecs", sectionHeader: "disk", to: &text)
        #expect(text ==
        """

        disk = 8
             usecs               : count     distribution
                 0 -> 1          : 4        |****************************************|
                 2 -> 3          : 0        |                                        |
                 4 -> 7          : 2        |********************                    |

        disk = 16
             usecs               : count     distribution
                 0 -> 1          : 0        |                                        |
                 2 -> 3          : 9        |****************************************|

        """)
    }

    @Test func linearSectionsWithPrintFunction() throws {
        let sections = [Histogram.Section(key: 3, slots: [1: 2]), Histogram.Section(key: 7, slots: [0: 1, 2: 1])]
        var text = ""
        try Histogram.write(.linear, sections: sections, sectionHeader: "cpu", sectionPrintFn: { "CPU \($0)" }, to: &text)
        #expect(text ==
        """

        cpu = CPU 3
             value         : count     distribution
                0          : 0        |                                        |
                1          : 2        |****************************************|

        cpu = CPU 7
             value         : count     distribution
                0          : 1        |****************************************|
                1          : 0        |                                        |
                2          : 1        |****************************************|

        """)
    }

    @Test func sectionsGroupByBucketFunctionInFirstSeenOrder() {
        let entries: [(section: Int, slot: Int, count: UInt64)] = [
            (section: 21, slot: 1, count: 5), (section: 10, slot: 2, count: 1),
            (section: 11, slot: 1, count: 3), (section: 20, slot: 1, count: 9),
        ]
        let sections = Histogram.sections(entries, bucketFn: { $0 / 10 })
        #expect(sections.map(\.key) == [2, 1])
        #expect(sections[0].slots == [1: 9])
        #expect(sections[1].slots == [1: 3, 2: 1])
        let sorted = Histogram.sections(entries, bucketFn: { $0 / 10 }, bucketSortFn: { $0.sorted() })
        #expect(sorted.map(\.key) == [1, 2])
    }

    @Test func slotsOutsideTheKindAreRejected() {
        #expect(throws: BCCError.histogramSlotOutOfRange(table: nil, kind: .log2, slot: 65, limit: 64)) {
            try Histogram.log2([65: 1])
        }
        #expect(throws: BCCError.histogramSlotOutOfRange(table: nil, kind: .linear, slot: -1, limit: 1024)) {
            try Histogram.linear([-1: 1])
        }
    }

    @Test func emptyHistogramsPrintNothing() throws {
        #expect(try Histogram.log2([:]) == "")
        #expect(try Histogram.log2([0: 4]) == "")
        #expect(try Histogram.linear([:]) == "")
    }
}
