/* The one-shot digest calls (SHA256_Init, SHA1_Init, ...) are deprecated in OpenSSL 3 in favour
 * of EVP, whose first use initialises the providers (4.3 million instructions per process);
 * Checksum calls them directly, so their deprecation attributes are switched off here. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/ecdsa.h>
#include <openssl/bn.h>
