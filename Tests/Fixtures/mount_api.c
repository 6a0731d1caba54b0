// Mounts a tmpfs on argv[1] through the mount API (fsopen, fsconfig, fsmount,
// move_mount), then unmounts it: mountsnoop's test target.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    int fs = syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */);
    if (fs < 0) { perror("fsopen"); return 1; }
    if (syscall(SYS_fsconfig, fs, 1 /* FSCONFIG_SET_STRING */, "size", "1m", 0) < 0) { perror("fsconfig"); return 1; }
    if (syscall(SYS_fsconfig, fs, 6 /* FSCONFIG_CMD_CREATE */, NULL, NULL, 0) < 0) { perror("fsconfig"); return 1; }
    int mnt = syscall(SYS_fsmount, fs, 1 /* FSMOUNT_CLOEXEC */, 0x2 /* MOUNT_ATTR_NOSUID */);
    if (mnt < 0) { perror("fsmount"); return 1; }
    if (syscall(SYS_move_mount, mnt, "", AT_FDCWD, argv[1], 0x4 /* MOVE_MOUNT_F_EMPTY_PATH */) < 0) { perror("move_mount"); return 1; }
    // The descriptors hold the mount: close them, or the unmount fails with EBUSY.
    close(mnt);
    close(fs);
    if (umount2(argv[1], 0) != 0) { perror("umount2"); return 1; }
    return 0;
}
