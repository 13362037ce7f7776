#include "common/hash.h"

#include <openssl/evp.h>
#include <sodium.h>

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
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sha1(), NULL) == 1 && n == MT_SHA1_LEN ? 0 : -1;
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
