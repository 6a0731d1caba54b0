/* Host program for the glibc USDT test: waits for a line on stdin, calls
 * setjmp (glibc's libc:setjmp probe fires where glibc has probes), prints
 * "fired", waits for another line and exits. */
#include <setjmp.h>
#include <stdio.h>

int main(void) {
    char line[8];
    jmp_buf buffer;
    if (!fgets(line, sizeof(line), stdin)) return 2;
    for (int i = 0; i < 3; i++) {
        if (setjmp(buffer) == 0) continue;
    }
    printf("fired\n");
    fflush(stdout);
    if (!fgets(line, sizeof(line), stdin)) return 0;
    return 0;
}
