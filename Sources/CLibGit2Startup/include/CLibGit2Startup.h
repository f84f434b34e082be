#ifndef CLIBGIT2_STARTUP_H
#define CLIBGIT2_STARTUP_H

/* libgit2's initialisation without its CA-bundle parse; see libgit2_startup.c for why and how. */

/* git_libgit2_init(), during which this thread skips the system CA bundle that Debian's
   mbedTLS-backed libgit2 parses unconditionally (about 5 ms, 85 % of the instructions of a
   process that opens a repository and reads one note). Returns what git_libgit2_init returns. */
int clibgit2_init_without_ca_bundle(void);

/* How many CA-bundle loads clibgit2_init_without_ca_bundle skipped in this process: 1 with an
   mbedTLS-backed libgit2, 0 with one that loads no bundle at initialisation. */
int clibgit2_skipped_ca_bundle_loads(void);

/* git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, NULL): loads a CA bundle for libgit2's
   own TLS, through the real parser. 0 on success, -1 with libgit2's error set otherwise. */
int clibgit2_set_ssl_cert_file(const char *file);

#endif
