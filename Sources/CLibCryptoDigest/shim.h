/* SHA256_Init/Update/Final: OpenSSL 3 deprecates them for EVP, but EVP fetches its digests
   through the provider machinery, which adds 3.8 MB to a static link; these are the digest
   code alone. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
