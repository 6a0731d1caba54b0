/* Host program for the USDT tests. Its probes are written with inline
 * assembly (include/usdt_note.h), with arguments in registers, on the stack,
 * as immediates and rip-relative; one probe has two sites with different
 * specs, one is guarded by a semaphore.
 *
 * Protocol: reads a line from stdin (the test attaches meanwhile), fires
 * every probe argv[1] times, prints "fired", reads another line (the test
 * detaches and checks the semaphore meanwhile), exits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "include/usdt_note.h"

int usdt_global_int = -42;
uint64_t usdt_global_pair[2] = {1, 0xdeadbeefcafeULL};
static const char usdt_message[] = "hello from usdt";
USDT_SEMAPHORE(swiftbcc_guarded_semaphore);

__attribute__((noinline)) void fire_registers(void) {
    USDT_NOTE("swiftbcc", "registers", "0", "-4@%[a] 8@%[b] 1@%[c] -2@%[d]",
              [a] "r"(-7), [b] "r"(0x1122334455667788ULL), [c] "r"((unsigned char)200), [d] "r"((short)-300));
}

__attribute__((noinline)) void fire_memory(void) {
    volatile int local = -1234;
    volatile uint64_t wide = 0x0102030405060708ULL;
    int array[4] = {10, 20, 30, 40};
    long index = 2;
    /* 4(base,index,4) is array[index + 1] = 40. */
    USDT_NOTE("swiftbcc", "memory", "0", "-4@%[a] 8@%[b] -4@4(%[base],%[index],4)",
              [a] "m"(local), [b] "m"(wide), [base] "r"(array), [index] "r"(index));
}

__attribute__((noinline)) void fire_constants(void) {
    USDT_NOTE("swiftbcc", "constants", "0", "-4@%[a] 8@%[b]", [a] "i"(-5), [b] "i"(123456));
}

__attribute__((noinline)) void fire_globals(void) {
    USDT_NOTE("swiftbcc", "globals", "0", "-4@%[a] 8@%[b]", [a] "m"(usdt_global_int), [b] "m"(usdt_global_pair[1]));
}

/* Two sites of one probe, each with its own specs. */
__attribute__((noinline)) void fire_site_a(void) {
    USDT_NOTE("swiftbcc", "sites", "0", "-4@%[a] 8@%[b]", [a] "r"(11), [b] "i"(22));
}

__attribute__((noinline)) void fire_site_b(void) {
    volatile uint64_t value = 44;
    USDT_NOTE("swiftbcc", "sites", "0", "-4@%[a] 8@%[b]", [a] "i"(33), [b] "m"(value));
}

/* Fires only while a tracer holds the semaphore above zero. */
__attribute__((noinline)) void fire_guarded(void) {
    if (swiftbcc_guarded_semaphore)
        USDT_NOTE("swiftbcc", "guarded", "swiftbcc_guarded_semaphore", "8@%[a]", [a] "r"(99L));
}

__attribute__((noinline)) void fire_string(void) {
    USDT_NOTE("swiftbcc", "string", "0", "8@%[a] -4@%[b]", [a] "r"(usdt_message), [b] "r"((int)sizeof(usdt_message)));
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 1;
    char line[8];
    if (!fgets(line, sizeof(line), stdin)) return 2;
    for (int i = 0; i < rounds; i++) {
        fire_registers();
        fire_memory();
        fire_constants();
        fire_globals();
        fire_site_a();
        fire_site_b();
        fire_guarded();
        fire_string();
    }
    printf("fired\n");
    fflush(stdout);
    if (!fgets(line, sizeof(line), stdin)) return 0;
    return 0;
}
