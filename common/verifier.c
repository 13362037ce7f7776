#include "common/verifier.h"

#include <sodium.h>
#include <string.h>

#include "common/mem.h"

static const struct {
    enum mt_verifier_kind kind;
    const char *name;
    size_t salt_len;
} kinds[] = {
    {MT_VERIFIER_SCRAM_SHA256, "scram-sha-256", MT_SCRAM_SALT_LEN},
    {MT_VERIFIER_MYSQL_NATIVE, "mysql-native", 0},
    {MT_VERIFIER_CACHING_SHA2, "caching-sha2", MT_CSHA2_SALT_LEN},
};

int mt_verifier_kind_parse(const char *name, enum mt_verifier_kind *out)
{
    size_t i;

    for (i = 0; name && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(name, kinds[i].name) == 0) {
            *out = kinds[i].kind;
            return 0;
        }
    }
    return -1;
}

const char *mt_verifier_kind_name(enum mt_verifier_kind kind)
{
    size_t i;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (kinds[i].kind == kind)
            return kinds[i].name;
    return NULL;
}

size_t mt_verifier_salt_len(enum mt_verifier_kind kind)
{
    size_t i;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (kinds[i].kind == kind)
            return kinds[i].salt_len;
    return 0;
}

/* ---- PostgreSQL SCRAM-SHA-256 ---- */

int mt_scram_sha256_keys(const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
                         unsigned iterations, struct mt_scram_keys *keys, struct mt_err *err)
{
    size_t i;

    memset(keys, 0, sizeof(*keys));
    for (i = 0; i < pwlen; i++) {
        if ((unsigned char)pw[i] >= 0x80)
            return mt_err_set(err, MT_E_USAGE,
                              "scram-sha-256 needs an ASCII password (SASLprep of non-ASCII "
                              "passwords is not implemented)");
    }
    if (iterations < 1 || pwlen > 0x7fffffff || saltlen > 0x7fffffff)
        return mt_err_set(err, MT_E_USAGE, "bad scram-sha-256 parameters");
    if (mt_pbkdf2_hmac_sha256(pw, pwlen, salt, saltlen, iterations, keys->salted_password,
                              MT_SHA256_LEN) < 0) {
        mt_memzero(keys, sizeof(*keys));
        return mt_err_set(err, MT_E_CRYPTO, "PBKDF2-HMAC-SHA-256 failed: %s",
                          mt_crypto_lib_error());
    }
    mt_hmac_sha256(keys->client_key, keys->salted_password, MT_SHA256_LEN, "Client Key", 10);
    mt_sha256(keys->stored_key, keys->client_key, MT_SHA256_LEN);
    mt_hmac_sha256(keys->server_key, keys->salted_password, MT_SHA256_LEN, "Server Key", 10);
    return 0;
}

/* Appends standard base64 (with padding) of in. */
static int add_b64(struct mt_buf *out, const uint8_t *in, size_t n)
{
    char tmp[128];
    size_t need = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    int rc;

    if (need > sizeof(tmp))
        return -1;
    sodium_bin2base64(tmp, sizeof(tmp), in, n, sodium_base64_VARIANT_ORIGINAL);
    rc = mt_buf_adds(out, tmp);
    mt_memzero(tmp, sizeof(tmp));
    return rc;
}

int mt_verifier_scram_sha256(const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
                             unsigned iterations, struct mt_buf *out, struct mt_err *err)
{
    struct mt_scram_keys keys;
    size_t mark = out->len;
    int rc = -1;

    if (saltlen > 64)
        return mt_err_set(err, MT_E_USAGE, "scram-sha-256 salt too long");
    if (mt_scram_sha256_keys(pw, pwlen, salt, saltlen, iterations, &keys, err) < 0)
        return -1;
    if (mt_buf_addf(out, "SCRAM-SHA-256$%u:", iterations) < 0 || add_b64(out, salt, saltlen) < 0 ||
        mt_buf_addc(out, '$') < 0 || add_b64(out, keys.stored_key, MT_SHA256_LEN) < 0 ||
        mt_buf_addc(out, ':') < 0 || add_b64(out, keys.server_key, MT_SHA256_LEN) < 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    rc = 0;
out:
    if (rc < 0 && out->p) {
        mt_memzero(out->p + mark, out->len - mark);
        out->len = mark;
        out->p[mark] = '\0';
    }
    mt_memzero(&keys, sizeof(keys));
    return rc;
}

/* ---- MySQL / MariaDB mysql_native_password ---- */

int mt_verifier_mysql_native(const char *pw, size_t pwlen, struct mt_buf *out,
                             struct mt_err *err)
{
    uint8_t h1[MT_SHA1_LEN], h2[MT_SHA1_LEN];
    char hex[2 * MT_SHA1_LEN + 2];
    int rc = -1;

    if (mt_sha1(h1, pw, pwlen) < 0 || mt_sha1(h2, h1, sizeof(h1)) < 0) {
        mt_err_set(err, MT_E_CRYPTO, "SHA-1 failed");
        goto out;
    }
    hex[0] = '*';
    mt_hex_upper(hex + 1, h2, sizeof(h2));
    if (mt_buf_adds(out, hex) < 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    rc = 0;
out:
    mt_memzero(h1, sizeof(h1));
    mt_memzero(h2, sizeof(h2));
    mt_memzero(hex, sizeof(hex));
    return rc;
}

/* ---- SHA-256-crypt (Ulrich Drepper, "Unix crypt using SHA-256 and SHA-512", steps 1-22) ---- */

static const char crypt_b64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static char *b64_24(char *p, uint8_t b2, uint8_t b1, uint8_t b0, int n)
{
    unsigned long w = ((unsigned long)b2 << 16) | ((unsigned long)b1 << 8) | b0;

    while (n-- > 0) {
        *p++ = crypt_b64[w & 0x3f];
        w >>= 6;
    }
    return p;
}

/* Adds n bytes made of repeated copies of the 32-byte block src. */
static void add_repeated(crypto_hash_sha256_state *st, const uint8_t *src, size_t n)
{
    for (; n > MT_SHA256_LEN; n -= MT_SHA256_LEN)
        crypto_hash_sha256_update(st, src, MT_SHA256_LEN);
    crypto_hash_sha256_update(st, src, n);
}

int mt_sha256_crypt(const void *pw, size_t pwlen, const void *salt, size_t saltlen,
                    unsigned long rounds, char out[MT_SHA256_CRYPT_LEN + 1], struct mt_err *err)
{
    crypto_hash_sha256_state st;
    uint8_t a[MT_SHA256_LEN], b[MT_SHA256_LEN], dp[MT_SHA256_LEN], ds[MT_SHA256_LEN];
    uint8_t *p_seq = NULL, *s_seq = NULL;
    size_t cnt;
    unsigned long r;
    char *o;
    int rc = -1;

    out[0] = '\0';
    if (rounds < 1000 || rounds > 999999999UL)
        return mt_err_set(err, MT_E_USAGE, "sha256-crypt rounds out of range");
    p_seq = sodium_malloc(pwlen ? pwlen : 1);
    s_seq = sodium_malloc(saltlen ? saltlen : 1);
    if (!p_seq || !s_seq) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    /* B = SHA256(P S P) */
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, pw, pwlen);
    crypto_hash_sha256_update(&st, salt, saltlen);
    crypto_hash_sha256_update(&st, pw, pwlen);
    crypto_hash_sha256_final(&st, b);
    /* A = SHA256(P S B-repeated-to-|P| then, for each bit of |P|, B or P) */
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, pw, pwlen);
    crypto_hash_sha256_update(&st, salt, saltlen);
    add_repeated(&st, b, pwlen);
    for (cnt = pwlen; cnt > 0; cnt >>= 1) {
        if (cnt & 1)
            crypto_hash_sha256_update(&st, b, sizeof(b));
        else
            crypto_hash_sha256_update(&st, pw, pwlen);
    }
    crypto_hash_sha256_final(&st, a);
    /* DP = SHA256(P repeated |P| times); P-seq = DP repeated to |P| bytes */
    crypto_hash_sha256_init(&st);
    for (cnt = 0; cnt < pwlen; cnt++)
        crypto_hash_sha256_update(&st, pw, pwlen);
    crypto_hash_sha256_final(&st, dp);
    for (cnt = 0; cnt < pwlen; cnt++)
        p_seq[cnt] = dp[cnt % MT_SHA256_LEN];
    /* DS = SHA256(S repeated 16 + A[0] times); S-seq = DS repeated to |S| bytes */
    crypto_hash_sha256_init(&st);
    for (cnt = 0; cnt < 16u + a[0]; cnt++)
        crypto_hash_sha256_update(&st, salt, saltlen);
    crypto_hash_sha256_final(&st, ds);
    for (cnt = 0; cnt < saltlen; cnt++)
        s_seq[cnt] = ds[cnt % MT_SHA256_LEN];
    /* the rounds */
    for (r = 0; r < rounds; r++) {
        crypto_hash_sha256_init(&st);
        if (r & 1)
            crypto_hash_sha256_update(&st, p_seq, pwlen);
        else
            crypto_hash_sha256_update(&st, a, sizeof(a));
        if (r % 3)
            crypto_hash_sha256_update(&st, s_seq, saltlen);
        if (r % 7)
            crypto_hash_sha256_update(&st, p_seq, pwlen);
        if (r & 1)
            crypto_hash_sha256_update(&st, a, sizeof(a));
        else
            crypto_hash_sha256_update(&st, p_seq, pwlen);
        crypto_hash_sha256_final(&st, a);
    }
    o = out;
    o = b64_24(o, a[0], a[10], a[20], 4);
    o = b64_24(o, a[21], a[1], a[11], 4);
    o = b64_24(o, a[12], a[22], a[2], 4);
    o = b64_24(o, a[3], a[13], a[23], 4);
    o = b64_24(o, a[24], a[4], a[14], 4);
    o = b64_24(o, a[15], a[25], a[5], 4);
    o = b64_24(o, a[6], a[16], a[26], 4);
    o = b64_24(o, a[27], a[7], a[17], 4);
    o = b64_24(o, a[18], a[28], a[8], 4);
    o = b64_24(o, a[9], a[19], a[29], 4);
    o = b64_24(o, 0, a[31], a[30], 3);
    *o = '\0';
    rc = 0;
out:
    sodium_free(p_seq); /* wipes */
    sodium_free(s_seq);
    mt_memzero(&st, sizeof(st));
    mt_memzero(a, sizeof(a));
    mt_memzero(b, sizeof(b));
    mt_memzero(dp, sizeof(dp));
    mt_memzero(ds, sizeof(ds));
    return rc;
}

/* ---- MySQL 8 caching_sha2_password ---- */

void mt_verifier_mysql_salt_fixup(uint8_t *salt, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        salt[i] &= 0x7f;
        if (salt[i] == '\0' || salt[i] == '$')
            salt[i]++;
    }
}

int mt_verifier_caching_sha2(const char *pw, size_t pwlen, const uint8_t *salt,
                             unsigned long rounds, struct mt_buf *out, struct mt_err *err)
{
    static const char hexd[] = "0123456789ABCDEF";
    char digest[MT_SHA256_CRYPT_LEN + 1];
    char raw[3 + 3 + 1 + MT_CSHA2_SALT_LEN + MT_SHA256_CRYPT_LEN + 1];
    char hex[2 + 2 * sizeof(raw)];
    unsigned long count = rounds / 1000;
    size_t i, n;
    int rc = -1;

    digest[0] = '\0';
    if (rounds % 1000 || count < 5 || count > 0xfff)
        return mt_err_set(err, MT_E_USAGE,
                          "caching-sha2 rounds must be a multiple of 1000 from 5000 to 4095000");
    for (i = 0; i < MT_CSHA2_SALT_LEN; i++)
        if (salt[i] == '\0' || salt[i] == '$')
            return mt_err_set(err, MT_E_USAGE, "caching-sha2 salt holds a NUL or '$' byte");
    if (mt_sha256_crypt(pw, pwlen, salt, MT_CSHA2_SALT_LEN, rounds, digest, err) < 0)
        goto out;
    /* the count as 3 upper-case hex digits, as MySQL parses it ("005" for 5000) */
    raw[0] = '$';
    raw[1] = 'A';
    raw[2] = '$';
    raw[3] = hexd[(count >> 8) & 15];
    raw[4] = hexd[(count >> 4) & 15];
    raw[5] = hexd[count & 15];
    raw[6] = '$';
    memcpy(raw + 7, salt, MT_CSHA2_SALT_LEN);
    memcpy(raw + 7 + MT_CSHA2_SALT_LEN, digest, MT_SHA256_CRYPT_LEN);
    n = 7 + MT_CSHA2_SALT_LEN + MT_SHA256_CRYPT_LEN;
    hex[0] = '0';
    hex[1] = 'x';
    mt_hex_upper(hex + 2, (const uint8_t *)raw, n);
    if (mt_buf_adds(out, hex) < 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    rc = 0;
out:
    mt_memzero(digest, sizeof(digest));
    mt_memzero(raw, sizeof(raw));
    mt_memzero(hex, sizeof(hex));
    return rc;
}

int mt_verifier_make(enum mt_verifier_kind kind, const char *pw, size_t pwlen,
                     const uint8_t *salt, struct mt_buf *out, struct mt_err *err)
{
    switch (kind) {
    case MT_VERIFIER_SCRAM_SHA256:
        return mt_verifier_scram_sha256(pw, pwlen, salt, MT_SCRAM_SALT_LEN, MT_SCRAM_ITERATIONS,
                                        out, err);
    case MT_VERIFIER_MYSQL_NATIVE:
        return mt_verifier_mysql_native(pw, pwlen, out, err);
    case MT_VERIFIER_CACHING_SHA2:
        return mt_verifier_caching_sha2(pw, pwlen, salt, MT_CSHA2_ROUNDS, out, err);
    }
    return mt_err_set(err, MT_E_INTERNAL, "unknown verifier kind %d", (int)kind);
}
