#define _GNU_SOURCE
#include "CLinux.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__)

#include <sys/sysmacros.h>

int clinux_pipe_cloexec(int descriptors[2]) { return pipe2(descriptors, O_CLOEXEC); }

int clinux_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

int clinux_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int clinux_syncfs(int descriptor) { return syncfs(descriptor); }

int clinux_rename_exchange(int first_folder, const char *first, int second_folder, const char *second) {
    return renameat2(first_folder, first, second_folder, second, RENAME_EXCHANGE);
}

int clinux_is_mount_root(int folder, const char *name) {
    struct statx own;
    if (statx(folder, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &own) != 0) return -1;
    if (own.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
        return (own.stx_attributes & STATX_ATTR_MOUNT_ROOT) ? 1 : 0;
    struct stat parent;
    if (fstat(folder, &parent) != 0) return -1;
    return makedev(own.stx_dev_major, own.stx_dev_minor) != parent.st_dev;
}

#else  /* not Linux: the project builds there, these report that they cannot */

int clinux_pipe_cloexec(int descriptors[2]) { errno = ENOSYS; return -1; }
int clinux_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowest) { return ENOSYS; }
int clinux_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path) { return ENOSYS; }
int clinux_syncfs(int descriptor) { return 0; }
int clinux_rename_exchange(int first_folder, const char *first, int second_folder, const char *second) {
    errno = ENOSYS;
    return -1;
}
int clinux_is_mount_root(int folder, const char *name) {
    struct stat own, parent;
    if (fstatat(folder, name, &own, AT_SYMLINK_NOFOLLOW) != 0 || fstat(folder, &parent) != 0) return -1;
    return own.st_dev != parent.st_dev;
}

#endif
