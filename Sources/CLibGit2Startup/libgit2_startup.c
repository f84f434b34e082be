/*
 * libgit2's initialisation without the CA-bundle parse.
 *
 * Why: Debian builds libgit2 1.5 with mbedTLS, and git_libgit2_init() then parses the whole
 * system CA bundle (/etc/ssl/certs/ca-certificates.crt, ~140 certificates through mbedTLS's
 * constant-time base64 decoder: 52 million instructions) whatever the process will do. modelgate never uses libgit2's network
 * transports (remotes go through the `git` command), so every command paid ~5 ms for a trust
 * store nothing reads. libgit2 offers no option to skip it: GIT_OPT_SET_SSL_CERT_LOCATIONS only
 * exists after initialisation.
 *
 * Mechanism: this file defines mbedtls_x509_crt_parse_file, the mbedTLS call libgit2 makes for
 * the bundle. The linker exports a definition in the executable that a linked shared library
 * references, and the dynamic linker binds libgit2's call to it (ELF symbol interposition:
 * the executable comes first in the lookup order). While clibgit2_init_without_ca_bundle runs
 * git_libgit2_init on the calling thread, the call returns 0 and leaves the chain empty; at any
 * other time, on any thread, it passes the call to mbedTLS's own function (dlsym RTLD_NEXT).
 *
 * Guarantee: nothing is trusted that was not before. libgit2's TLS configuration starts with
 * an empty trust store, so an HTTPS connection made through libgit2 would fail certificate
 * verification (fail closed) until a bundle is loaded with clibgit2_set_ssl_cert_file, which
 * goes through the real parser. With a libgit2 built on OpenSSL (or without TLS) the function
 * here is never called and initialisation is plain git_libgit2_init.
 */
#define _GNU_SOURCE
#include "CLibGit2Startup.h"

#include <dlfcn.h>
#include <git2.h>
#include <stdatomic.h>

/* Set only on the thread inside git_libgit2_init, only for its duration. */
static _Thread_local int skipping_ca_bundle;
static atomic_int skipped_loads;

/* mbedTLS's MBEDTLS_ERR_X509_FILE_IO_ERROR, returned if the real function cannot be found. */
#define CLIBGIT2_X509_FILE_IO_ERROR (-0x2900)

typedef int (*parse_file_function)(void *chain, const char *path);

/* The chain is an mbedtls_x509_crt owned by libgit2; this file never touches it. */
int mbedtls_x509_crt_parse_file(void *chain, const char *path) {
    if (skipping_ca_bundle) {
        atomic_fetch_add(&skipped_loads, 1);
        return 0;
    }
    parse_file_function real = (parse_file_function)dlsym(RTLD_NEXT, "mbedtls_x509_crt_parse_file");
    if (real == NULL) return CLIBGIT2_X509_FILE_IO_ERROR;
    return real(chain, path);
}

int clibgit2_init_without_ca_bundle(void) {
    skipping_ca_bundle = 1;
    int result = git_libgit2_init();
    skipping_ca_bundle = 0;
    return result;
}

int clibgit2_skipped_ca_bundle_loads(void) { return atomic_load(&skipped_loads); }

int clibgit2_set_ssl_cert_file(const char *file) {
    return git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, (const char *)NULL) < 0 ? -1 : 0;
}
