#ifndef CLINUX_H
#define CLINUX_H

#include <spawn.h>

/* glibc functions that its headers declare only under _GNU_SOURCE, which Swift's Glibc module
   is built without; CLinux.c is compiled with it and passes the calls on. Each returns what the
   glibc function returns (0 or -1 with errno for system calls, an error number for the
   posix_spawn_* ones). */

/* pipe2(descriptors, O_CLOEXEC): a pipe whose two ends are closed on exec from the start. */
int clinux_pipe_cloexec(int descriptors[2]);

/* posix_spawn_file_actions_addclosefrom_np (glibc 2.34): the child closes every descriptor
   from `lowest` up before exec, whatever flags they carry. */
int clinux_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowest);

/* posix_spawn_file_actions_addchdir_np (glibc 2.29): the child changes directory before exec. */
int clinux_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path);

/* syncfs(descriptor): flushes the file system that holds `descriptor`. */
int clinux_syncfs(int descriptor);

/* renameat2(first_folder, first, second_folder, second, RENAME_EXCHANGE): swaps two names
   atomically (both must exist). Fails with EINVAL or ENOSYS where the file system or kernel
   cannot. */
int clinux_rename_exchange(int first_folder, const char *first, int second_folder, const char *second);

/* Whether `name` in `folder` (not followed if it is a link) is the root of a mount: 1 or 0, or
   -1 with errno. Uses statx's STATX_ATTR_MOUNT_ROOT (Linux 5.8), which also sees a bind mount
   of a folder of the same file system; where the kernel does not report it, compares the
   device with the folder's. */
int clinux_is_mount_root(int folder, const char *name);

#endif
