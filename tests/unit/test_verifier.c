/* test_verifier.c - database password verifiers against the vectors in shared/docs
 * sso-and-hashes.md section 7, and SHA-256-crypt against glibc's documented vectors and against
 * libcrypt (an independent implementation) for 16-byte-or-shorter salts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <crypt.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/verifier.h"

#define REF_PW "correct horse battery staple"

static void hex_of(char *out, const uint8_t *in, size_t n)
{
    mt_hex(out, in, n);
}

static size_t unhex(uint8_t *out, size_t max, const char *hex)
{
    size_t n = 0;
    unsigned v;

    while (hex[0] && hex[1] && n < max) {
        assert_int_equal(sscanf(hex, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

static void test_scram_intermediate_values(void **state)
{
    struct mt_scram_keys k;
    struct mt_err err = MT_ERR_INIT;
    uint8_t salt[16];
    char hex[65];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(salt); i++)
        salt[i] = (uint8_t)i;
    assert_int_equal(mt_scram_sha256_keys(REF_PW, strlen(REF_PW), salt, 16, 4096, &k, &err), 0);
    hex_of(hex, k.salted_password, 32);
    assert_string_equal(hex, "c4120a097ae5a3c78f702c4c8a719bc2fc0ede03832cf915ca8d96da09a68f66");
    hex_of(hex, k.client_key, 32);
    assert_string_equal(hex, "9bce4619be25eb19db70fdbbc33a48009d86a1b122ef3b0fe4231a639771ec70");
    hex_of(hex, k.stored_key, 32);
    assert_string_equal(hex, "38d61b489057b4a97a6cfe8f56ac3ca66f5eec489a729acb9e85103c54bcd07c");
    hex_of(hex, k.server_key, 32);
    assert_string_equal(hex, "20f3ad1ee189d8789f11083be16d975eaa82ac2c901b9e466cf4476ba83a9fdc");
}

static void test_scram_verifier_string(void **state)
{
    struct mt_buf out = MT_BUF_INIT_SECRET;
    struct mt_err err = MT_ERR_INIT;
    uint8_t salt[16];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(salt); i++)
        salt[i] = (uint8_t)i;
    assert_int_equal(mt_verifier_scram_sha256(REF_PW, strlen(REF_PW), salt, 16, 4096, &out, &err),
                     0);
    assert_string_equal(mt_buf_str(&out),
                        "SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$ONYbSJBXtKl6bP6PVqw8pm9e7Ei"
                        "acprLnoUQPFS80Hw=:IPOtHuGJ2HifEQg74W2XXqqCrCyQG55GbPRHa6g6n9w=");
    mt_buf_release(&out);

    /* the dispatcher uses the same defaults */
    assert_int_equal(
        mt_verifier_make(MT_VERIFIER_SCRAM_SHA256, REF_PW, strlen(REF_PW), salt, &out, &err), 0);
    assert_string_equal(mt_buf_str(&out),
                        "SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$ONYbSJBXtKl6bP6PVqw8pm9e7Ei"
                        "acprLnoUQPFS80Hw=:IPOtHuGJ2HifEQg74W2XXqqCrCyQG55GbPRHa6g6n9w=");
    mt_buf_release(&out);
}

static void test_scram_refuses_non_ascii(void **state)
{
    struct mt_buf out = MT_BUF_INIT_SECRET;
    struct mt_err err = MT_ERR_INIT;
    uint8_t salt[16] = {0};

    (void)state;
    assert_int_equal(mt_verifier_scram_sha256("I\xc2\xad"
                                              "X",
                                              4, salt, 16, 4096, &out, &err),
                     -1);
    assert_int_equal(err.code, MT_E_USAGE);
    assert_non_null(strstr(err.msg, "ASCII"));
    assert_int_equal(out.len, 0);
    mt_buf_release(&out);
}

static void test_mysql_native_vector(void **state)
{
    struct mt_buf out = MT_BUF_INIT_SECRET;
    struct mt_err err = MT_ERR_INIT;
    uint8_t h[MT_SHA1_LEN];
    char hex[41];

    (void)state;
    /* the intermediate SHA1(pw) from the doc */
    assert_int_equal(mt_sha1(h, REF_PW, strlen(REF_PW)), 0);
    mt_hex(hex, h, sizeof(h));
    assert_string_equal(hex, "abf7aad6438836dbe526aa231abde2d0eef74d42");
    assert_int_equal(mt_verifier_mysql_native(REF_PW, strlen(REF_PW), &out, &err), 0);
    assert_string_equal(mt_buf_str(&out), "*F4AF2E5D85456A908E0F552F0366375B06267295");
    mt_buf_release(&out);
    assert_int_equal(
        mt_verifier_make(MT_VERIFIER_MYSQL_NATIVE, REF_PW, strlen(REF_PW), NULL, &out, &err), 0);
    assert_string_equal(mt_buf_str(&out), "*F4AF2E5D85456A908E0F552F0366375B06267295");
    mt_buf_release(&out);
}

/* glibc's own SHA-256-crypt vectors (also listed in the doc) */
static void test_sha256_crypt_glibc_vectors(void **state)
{
    struct mt_err err = MT_ERR_INIT;
    char out[MT_SHA256_CRYPT_LEN + 1];

    (void)state;
    assert_int_equal(mt_sha256_crypt("Hello world!", 12, "saltstring", 10, 5000, out, &err), 0);
    assert_string_equal(out, "5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5");
    assert_int_equal(
        mt_sha256_crypt("Hello world!", 12, "saltstringsaltst", 16, 10000, out, &err), 0);
    assert_string_equal(out, "3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA");
    assert_int_equal(mt_sha256_crypt("x", 1, "s", 1, 999, out, &err), -1);
    assert_int_equal(err.code, MT_E_USAGE);
}

/* Cross-check against libcrypt (libxcrypt/glibc, an independent implementation) for password
 * lengths around the 32-byte block boundaries and every salt length up to 16. */
static void test_sha256_crypt_matches_libcrypt(void **state)
{
    static const char b64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    static const size_t pwlens[] = {0, 1, 2, 3, 7, 31, 32, 33, 63, 64, 65, 100, 200};
    struct crypt_data cd;
    struct mt_err err = MT_ERR_INIT;
    char pw[256], salt[17], setting[64], out[MT_SHA256_CRYPT_LEN + 1];
    const char *ref, *hash;
    size_t i, j, saltlen;
    unsigned long rounds;

    (void)state;
    for (i = 0; i < sizeof(pwlens) / sizeof(pwlens[0]); i++) {
        for (j = 0; j < pwlens[i]; j++)
            pw[j] = (char)(' ' + (j * 7 + i) % 95);
        pw[pwlens[i]] = '\0';
        saltlen = 1 + i % 16;
        for (j = 0; j < saltlen; j++)
            salt[j] = b64[(j * 13 + i * 5) % 64];
        salt[saltlen] = '\0';
        rounds = i % 2 ? 1000 : 5000 + i;
        snprintf(setting, sizeof(setting), "$5$rounds=%lu$%s$", rounds, salt);
        memset(&cd, 0, sizeof(cd));
        /* crypt_rn, not crypt_r: ASan intercepts crypt_r, and with --as-needed the interceptor
         * would satisfy the symbol, drop libcrypt and then find no real crypt_r to call */
        ref = crypt_rn(pw, setting, &cd, (int)sizeof(cd));
        assert_non_null(ref);
        assert_int_equal(ref[0], '$');
        hash = strrchr(ref, '$') + 1;
        assert_int_equal(strlen(hash), MT_SHA256_CRYPT_LEN);
        assert_int_equal(mt_sha256_crypt(pw, pwlens[i], salt, saltlen, rounds, out, &err), 0);
        assert_string_equal(out, hash);
    }
}

/* Recomputes a MySQL-generated "0x..." caching_sha2 literal from its own salt. */
static void check_caching_sha2_literal(const char *pw, const char *literal)
{
    struct mt_buf out = MT_BUF_INIT_SECRET;
    struct mt_err err = MT_ERR_INIT;
    uint8_t raw[128];
    size_t n;

    assert_memory_equal(literal, "0x", 2);
    n = unhex(raw, sizeof(raw), literal + 2);
    assert_int_equal(n, 70);
    assert_memory_equal(raw, "$A$005$", 7);
    assert_int_equal(mt_verifier_caching_sha2(pw, strlen(pw), raw + 7, 5000, &out, &err), 0);
    assert_string_equal(mt_buf_str(&out), literal);
    mt_buf_release(&out);
    assert_int_equal(
        mt_verifier_make(MT_VERIFIER_CACHING_SHA2, pw, strlen(pw), raw + 7, &out, &err), 0);
    assert_string_equal(mt_buf_str(&out), literal);
    mt_buf_release(&out);
}

static void test_caching_sha2_mysql_vectors(void **state)
{
    (void)state;
    check_caching_sha2_literal(
        "foobar", "0x24412430303524031A69251C34295C4B35167C7F1E5A7B63091349503974624D34504B5A42"
                  "4679354856336868686F52485A736E4A733368786E427575516C73446469496537");
    check_caching_sha2_literal(
        "secret", "0x244124303035240C7745603626313D613C4C10633E0A104B1E14135A544A7871567245614F"
                  "4872344643546336546F624F6C7861326932752F45622F4F473273597557627139");
}

static void test_caching_sha2_ascii_salt_example(void **state)
{
    struct mt_buf out = MT_BUF_INIT_SECRET;
    struct mt_err err = MT_ERR_INIT;
    char digest[MT_SHA256_CRYPT_LEN + 1];

    (void)state;
    assert_int_equal(mt_sha256_crypt(REF_PW, strlen(REF_PW), "abcdefghijklmnopqrst", 20, 5000,
                                     digest, &err),
                     0);
    assert_string_equal(digest, "f2BF0UVKLV3UEwFcObkTc0YARvSEnpqMN4mXcL6gBTB");
    assert_int_equal(mt_verifier_caching_sha2(REF_PW, strlen(REF_PW),
                                              (const uint8_t *)"abcdefghijklmnopqrst", 5000, &out,
                                              &err),
                     0);
    assert_string_equal(mt_buf_str(&out),
                        "0x244124303035246162636465666768696A6B6C6D6E6F7071727374663242463055564B"
                        "4C563355457746634F626B5463305941527653456E70714D4E346D58634C3667425442");
    mt_buf_release(&out);
}

static void test_caching_sha2_rejects_bad_input(void **state)
{
    struct mt_buf out = MT_BUF_INIT_SECRET;
    struct mt_err err = MT_ERR_INIT;
    uint8_t salt[20];

    (void)state;
    memcpy(salt, "abcdefghijklmnopqrst", 20);
    assert_int_equal(mt_verifier_caching_sha2("pw", 2, salt, 5500, &out, &err), -1);
    assert_int_equal(err.code, MT_E_USAGE);
    assert_int_equal(mt_verifier_caching_sha2("pw", 2, salt, 4000, &out, &err), -1);
    salt[3] = '$';
    assert_int_equal(mt_verifier_caching_sha2("pw", 2, salt, 5000, &out, &err), -1);
    salt[3] = 0;
    assert_int_equal(mt_verifier_caching_sha2("pw", 2, salt, 5000, &out, &err), -1);
    assert_int_equal(out.len, 0);
    mt_buf_release(&out);
}

static void test_mysql_salt_fixup(void **state)
{
    uint8_t s[8] = {0x00, '$', 0x80, 0xa4, 0xff, 0x41, 0x7f, 0x25};
    const uint8_t want[8] = {0x01, '%', 0x01, '%', 0x7f, 0x41, 0x7f, 0x25};

    (void)state;
    mt_verifier_mysql_salt_fixup(s, sizeof(s));
    assert_memory_equal(s, want, sizeof(want));
}

static void test_kind_names(void **state)
{
    enum mt_verifier_kind k;

    (void)state;
    assert_int_equal(mt_verifier_kind_parse("scram-sha-256", &k), 0);
    assert_int_equal(k, MT_VERIFIER_SCRAM_SHA256);
    assert_int_equal(mt_verifier_kind_parse("mysql-native", &k), 0);
    assert_int_equal(k, MT_VERIFIER_MYSQL_NATIVE);
    assert_int_equal(mt_verifier_kind_parse("caching-sha2", &k), 0);
    assert_int_equal(k, MT_VERIFIER_CACHING_SHA2);
    assert_int_equal(mt_verifier_kind_parse("md5", &k), -1);
    assert_int_equal(mt_verifier_kind_parse("SCRAM-SHA-256", &k), -1);
    assert_int_equal(mt_verifier_kind_parse(NULL, &k), -1);
    assert_string_equal(mt_verifier_kind_name(MT_VERIFIER_CACHING_SHA2), "caching-sha2");
    assert_int_equal(mt_verifier_salt_len(MT_VERIFIER_SCRAM_SHA256), 16);
    assert_int_equal(mt_verifier_salt_len(MT_VERIFIER_MYSQL_NATIVE), 0);
    assert_int_equal(mt_verifier_salt_len(MT_VERIFIER_CACHING_SHA2), 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scram_intermediate_values),
        cmocka_unit_test(test_scram_verifier_string),
        cmocka_unit_test(test_scram_refuses_non_ascii),
        cmocka_unit_test(test_mysql_native_vector),
        cmocka_unit_test(test_sha256_crypt_glibc_vectors),
        cmocka_unit_test(test_sha256_crypt_matches_libcrypt),
        cmocka_unit_test(test_caching_sha2_mysql_vectors),
        cmocka_unit_test(test_caching_sha2_ascii_salt_example),
        cmocka_unit_test(test_caching_sha2_rejects_bad_input),
        cmocka_unit_test(test_mysql_salt_fixup),
        cmocka_unit_test(test_kind_names),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
