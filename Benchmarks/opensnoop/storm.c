// The opensnoop storm: waits for a byte on stdin (the tool is ready), then
// opens and closes /dev/null N times as fast as it can (default 200,000).
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long count = argc > 1 ? atol(argv[1]) : 200000;
    char go;
    if (read(0, &go, 1) != 1)
        return 1;
    for (long i = 0; i < count; i++) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd >= 0)
            close(fd);
    }
    return 0;
}
