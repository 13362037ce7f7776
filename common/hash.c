/* hash.c - SHA-256 and HMAC-SHA-256 from libsodium; SHA-1 and PBKDF2 (which libsodium lacks) from
 * OpenSSL's libcrypto.
 *
 * Startup cost decides how: relocating libcrypto.so.3 costs ~3.4 M instructions (about 1 ms here),
 * more than the whole `db token` warm path, which needs only one SHA-1 (the AWS CLI cache file
 * name). So SHA-1 comes from OpenSSL's static archive (only its SHA-1 objects are linked, ~30 KB),
 * through the low-level SHA1_* API (deprecated in 3.0, supported through 3.x; the EVP route would
 * fetch a provider and read openssl.cnf, ~5 M instructions). PBKDF2, needed only by
 * `mkpassword --hash scram-sha-256`, comes from libcrypto.so.3 loaded with dlopen on first use,
 * like libcurl (contract.md, design note on startup cost). */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "common/hash.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "common/mem.h"

#ifndef MT_LIBCRYPTO_SONAME
#define MT_LIBCRYPTO_SONAME "libcrypto.so.3"
#endif

static struct {
    int tried;
    void *h;
    char error[160];
    int (*pbkdf2)(const char *, int, const unsigned char *, int, int, const EVP_MD *, int,
                  unsigned char *);
    const EVP_MD *(*sha256)(void);
    const char *(*version)(int);
} ossl;

static int load(void)
{
    if (ossl.tried)
        return ossl.h ? 0 : -1;
    ossl.tried = 1;
    ossl.h = dlopen(MT_LIBCRYPTO_SONAME, RTLD_LAZY | RTLD_LOCAL);
    if (!ossl.h) {
        snprintf(ossl.error, sizeof(ossl.error), "cannot load %s: %s", MT_LIBCRYPTO_SONAME,
                 dlerror());
        return -1;
    }
#define SYM(field, name)                                                                          \
    do {                                                                                          \
        *(void **)&ossl.field = dlsym(ossl.h, name);                                              \
        if (!ossl.field) {                                                                        \
            snprintf(ossl.error, sizeof(ossl.error), "%s lacks %s", MT_LIBCRYPTO_SONAME, name);   \
            dlclose(ossl.h);                                                                      \
            ossl.h = NULL;                                                                        \
            return -1;                                                                            \
        }                                                                                         \
    } while (0)
    SYM(pbkdf2, "PKCS5_PBKDF2_HMAC");
    SYM(sha256, "EVP_sha256");
    SYM(version, "OpenSSL_version");
#undef SYM
    return 0;
}

void mt_sha256(uint8_t out[MT_SHA256_LEN], const void *data, size_t len)
{
    crypto_hash_sha256(out, data, len);
}

void mt_hmac_sha256(uint8_t out[MT_SHA256_LEN], const void *key, size_t keylen, const void *data,
                    size_t len)
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, data, len);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof(st));
}

int mt_sha1(uint8_t out[MT_SHA1_LEN], const void *data, size_t len)
{
    SHA_CTX c;
    int ok = SHA1_Init(&c) == 1 && SHA1_Update(&c, data, len) == 1 && SHA1_Final(out, &c) == 1;
    sodium_memzero(&c, sizeof(c));
    return ok ? 0 : -1;
}

int mt_pbkdf2_hmac_sha256(const void *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
                          unsigned iterations, uint8_t *out, size_t outlen)
{
    if (load() < 0 || pwlen > 0x7fffffff || saltlen > 0x7fffffff || outlen > 0x7fffffff ||
        iterations < 1 || iterations > 0x7fffffff)
        return -1;
    return ossl.pbkdf2(pw, (int)pwlen, salt, (int)saltlen, (int)iterations, ossl.sha256(),
                       (int)outlen, out) == 1
               ? 0
               : -1;
}

const char *mt_crypto_lib_version(void)
{
    return load() == 0 ? ossl.version(OPENSSL_VERSION) : ossl.error;
}

const char *mt_crypto_lib_error(void)
{
    return ossl.error[0] ? ossl.error : "libcrypto failed";
}

static void hex(char *out, const uint8_t *in, size_t n, const char *digits)
{
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void mt_hex(char *out, const uint8_t *in, size_t n)
{
    hex(out, in, n, "0123456789abcdef");
}

void mt_hex_upper(char *out, const uint8_t *in, size_t n)
{
    hex(out, in, n, "0123456789ABCDEF");
}
