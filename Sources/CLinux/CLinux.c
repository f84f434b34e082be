#define _GNU_SOURCE
#include "CLinux.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#if defined(__linux__)

int clinux_pipe_cloexec(int descriptors[2]) { return pipe2(descriptors, O_CLOEXEC); }

int clinux_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

int clinux_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int clinux_syncfs(int descriptor) { return syncfs(descriptor); }

int clinux_rename_exchange(const char *first, const char *second) {
    return renameat2(AT_FDCWD, first, AT_FDCWD, second, RENAME_EXCHANGE);
}

#else  /* not Linux: the project builds there, these report that they cannot */

int clinux_pipe_cloexec(int descriptors[2]) { errno = ENOSYS; return -1; }
int clinux_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowest) { return ENOSYS; }
int clinux_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path) { return ENOSYS; }
int clinux_syncfs(int descriptor) { return 0; }
int clinux_rename_exchange(const char *first, const char *second) { errno = ENOSYS; return -1; }

#endif
