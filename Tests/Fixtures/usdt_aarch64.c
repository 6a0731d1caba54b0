/* AArch64 USDT notes for the parser tests: built with
 * --target=aarch64-linux-gnu -nostdlib -static (never run). The compiler
 * prints the registers, memory and immediate operands; the stack form with
 * an offset is written out as gcc prints it. */
#include "include/usdt_note.h"

long usdt_aarch64_global = 5;

void _start(void) {
    volatile int local = -3;
    USDT_NOTE("swiftbcc", "aarch64", "0", "-4@%w[a] 8@%x[b] -4@%[c] 8@%[d] -4@[sp, 8] 8@[x29,-16]",
              [a] "r"(-7), [b] "r"(8L), [c] "m"(local), [d] "i"(42));
    for (;;) {
    }
}
