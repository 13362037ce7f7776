/* test_pwgen.c - alphabets, rejection sampling and the generator. libsodium's RNG is replaced by a
 * deterministic one before sodium_init (libsodium's own test approach), so runs are repeatable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/pwgen.h"

#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGITS "0123456789"

/* ---- deterministic RNG: splitmix64 stream, counted ---- */
static uint64_t rng_state;
static unsigned long rng_buf_calls;

static uint64_t splitmix64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static const char *rng_name(void)
{
    return "test-deterministic";
}

static uint32_t rng_random(void)
{
    return (uint32_t)splitmix64();
}

static void rng_buf(void *const buf, const size_t size)
{
    unsigned char *p = buf;
    size_t i;

    rng_buf_calls++;
    for (i = 0; i < size; i++)
        p[i] = (unsigned char)splitmix64();
}

static struct randombytes_implementation test_rng = {
    rng_name, rng_random, NULL, NULL, rng_buf, NULL,
};

static void rng_reset(uint64_t seed)
{
    rng_state = seed;
    rng_buf_calls = 0;
}

/* ---- alphabet ---- */

static void build_ok(const struct mt_pwgen_opts *o, struct mt_pwgen_alpha *a)
{
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(mt_pwgen_alpha_build(o, a, &err), 0);
}

static void build_fails(const struct mt_pwgen_opts *o, const char *flag)
{
    struct mt_pwgen_alpha a;
    struct mt_err err = MT_ERR_INIT;

    assert_int_equal(mt_pwgen_alpha_build(o, &a, &err), -1);
    assert_int_equal(err.code, MT_E_USAGE);
    assert_non_null(strstr(err.msg, flag));
}

static void test_alpha_default(void **state)
{
    struct mt_pwgen_opts o = MT_PWGEN_OPTS_INIT;
    struct mt_pwgen_alpha a;

    (void)state;
    build_ok(&o, &a);
    assert_string_equal(a.chars, UPPER LOWER DIGITS);
    assert_int_equal(a.len, 62);
    assert_int_equal(a.required, MT_PWGEN_UPPER | MT_PWGEN_LOWER | MT_PWGEN_DIGITS);
    assert_int_equal(a.nrequired, 3);
    assert_int_equal(o.length, 32);
}

static void test_alpha_symbols(void **state)
{
    struct mt_pwgen_opts o = MT_PWGEN_OPTS_INIT;
    struct mt_pwgen_alpha a;

    (void)state;
    o.classes |= MT_PWGEN_SYMBOLS;
    build_ok(&o, &a);
    /* the contract's set, verbatim */
    assert_string_equal(a.chars, UPPER LOWER DIGITS "!#$%&()*+,-.;<=>?[]^_{|}~");
    assert_int_equal(a.len, 87);
    assert_int_equal(a.nrequired, 4);
    /* none of the characters the contract keeps out */
    assert_null(strpbrk(a.chars, "\"'\\`/@: "));
}

static void test_alpha_no_ambiguous(void **state)
{
    struct mt_pwgen_opts o = MT_PWGEN_OPTS_INIT;
    struct mt_pwgen_alpha a;

    (void)state;
    o.classes |= MT_PWGEN_SYMBOLS;
    o.no_ambiguous = 1;
    build_ok(&o, &a);
    assert_null(strpbrk(a.chars, "0O1lI|"));
    assert_int_equal(a.len, 87 - 6);
    assert_non_null(strchr(a.chars, '~'));
}

static void test_alpha_class_switches(void **state)
{
    struct mt_pwgen_opts o = MT_PWGEN_OPTS_INIT;
    struct mt_pwgen_alpha a;

    (void)state;
    o.classes = MT_PWGEN_LOWER;
    build_ok(&o, &a);
    assert_string_equal(a.chars, LOWER);
    assert_int_equal(a.required, MT_PWGEN_LOWER);
    o.classes = MT_PWGEN_UPPER | MT_PWGEN_DIGITS;
    build_ok(&o, &a);
    assert_string_equal(a.chars, UPPER DIGITS);
    o.classes = MT_PWGEN_SYMBOLS;
    build_ok(&o, &a);
    assert_string_equal(a.chars, MT_PWGEN_DEFAULT_SYMBOLS);
}

static void test_alpha_exclude(void **state)
{
    struct mt_pwgen_opts o = MT_PWGEN_OPTS_INIT;
    struct mt_pwgen_alpha a;

    (void)state;
    o.exclude = "aeiouAEIOU\xff";
    build_ok(&o, &a);
    assert_null(strpbrk(a.chars, "aeiouAEIOU"));
    assert_int_equal(a.len, 52);
    /* a class emptied by --exclude is no longer required */
    o.exclude = DIGITS;
    build_ok(&o, &a);
    assert_string_equal(a.chars, UPPER LOWER);
    assert_int_equal(a.required, MT_PWGEN_UPPER | MT_PWGEN_LOWER);
    assert_int_equal(a.nrequired, 2);
}

static void test_alpha_symbol_set(void **state)
{
    struct mt_pwgen_opts o = MT_PWGEN_OPTS_INIT;
    struct mt_pwgen_alpha a;

    (void)state;
    /* replaces the default set and implies symbols; duplicates collapse (they would bias) */
    o.symbol_set = "@:@/";
    build_ok(&o, &a);
    assert_string_equal(a.chars, UPPER LOWER DIGITS "@:/");
    assert_int_equal(a.required & MT_PWGEN_SYMBOLS, MT_PWGEN_SYMBOLS);
    o.symbol_set = "-_";
    o.exclude = "_";
    build_ok(&o, &a);
    assert_string_equal(a.chars, UPPER LOWER DIGITS "-");
    o.exclude = NULL;
    o.symbol_set = "ab!";
    build_fails(&o, "--symbol-set");
    o.symbol_set = "! ";
    build_fails(&o, "--symbol-set");
    o.symbol_set = "!\xc3\xa9";
    build_fails(&o, "--symbol-set");
    o.symbol_set = "!\t";
    build_fails(&o, "--symbol-set");
    o.symbol_set = "";
    build_fails(&o, "--symbol-set");
}

static void test_alpha_errors(void **state)
{
    struct mt_pwgen_opts o = MT_PWGEN_OPTS_INIT;

    (void)state;
    o.length = 7;
    build_fails(&o, "--length");
    o.length = 4097;
    build_fails(&o, "--length");
    o.length = 0;
    build_fails(&o, "--length");
    o.length = 8;
    o.classes = 0;
    build_fails(&o, "no characters");
    o.classes = MT_PWGEN_DIGITS;
    o.exclude = DIGITS;
    build_fails(&o, "--exclude");
    o.classes = MT_PWGEN_DIGITS | MT_PWGEN_LOWER;
    o.exclude = DIGITS LOWER;
    build_fails(&o, "no characters");
}

/* Every character gets the same number of byte values; the rest are rejected. */
static void test_alpha_map_has_no_modulo_bias(void **state)
{
    static const char *const excludes[] = {"", "a", "ab", "abcdefghij", "0123456789ABCDEFGHIJ"};
    struct mt_pwgen_opts o = MT_PWGEN_OPTS_INIT;
    struct mt_pwgen_alpha a;
    unsigned count[256];
    size_t e, i, rejected;

    (void)state;
    for (e = 0; e < 2 * sizeof(excludes) / sizeof(excludes[0]); e++) {
        o.classes = MT_PWGEN_UPPER | MT_PWGEN_LOWER | MT_PWGEN_DIGITS;
        if (e & 1)
            o.classes |= MT_PWGEN_SYMBOLS;
        o.exclude = excludes[e / 2];
        build_ok(&o, &a);
        memset(count, 0, sizeof(count));
        rejected = 0;
        for (i = 0; i < 256; i++) {
            if (a.map[i])
                count[a.map[i]]++;
            else
                rejected++;
        }
        assert_int_equal(rejected, 256 % a.len);
        for (i = 0; i < a.len; i++)
            assert_int_equal(count[(unsigned char)a.chars[i]], 256 / a.len);
    }
}

/* ---- pure sampling ---- */

static void test_sample_rejects_high_bytes(void **state)
{
    struct mt_pwgen_opts o = MT_PWGEN_OPTS_INIT;
    struct mt_pwgen_alpha a;
    const uint8_t in[] = {248, 0, 255, 61, 62, 250, 123, 26, 52, 1};
    char out[8];
    size_t filled = 0, used;
    unsigned mask = 0;

    (void)state;
    build_ok(&o, &a); /* 62 characters: bytes 248..255 are rejected */
    used = mt_pwgen_sample(&a, in, 5, out, 4, &filled, &mask);
    assert_int_equal(used, 5);
    assert_int_equal(filled, 3);
    assert_memory_equal(out, "A9A", 3);
    assert_int_equal(mask, MT_PWGEN_UPPER | MT_PWGEN_DIGITS);
    /* continue where it stopped; stop as soon as want is reached */
    used = mt_pwgen_sample(&a, in + 5, sizeof(in) - 5, out, 6, &filled, &mask);
    assert_int_equal(used, 4); /* 250 rejected, 123 -> '9' (123 % 62 = 61), 26 -> 'a', 52 -> '0' */
    assert_int_equal(filled, 6);
    assert_memory_equal(out, "A9A9a0", 6);
    assert_int_equal(mask, MT_PWGEN_UPPER | MT_PWGEN_LOWER | MT_PWGEN_DIGITS);
    assert_true(mt_pwgen_has_all_classes(&a, out, 6));
    assert_false(mt_pwgen_has_all_classes(&a, out, 4));
    assert_false(mt_pwgen_has_all_classes(&a, "AAAAaaaa", 8));
}

/* ---- the generator ---- */

static void test_next_every_class_present(void **state)
{
    struct mt_pwgen_opts o = MT_PWGEN_OPTS_INIT;
    struct mt_pwgen g = MT_PWGEN_INIT;
    struct mt_err err = MT_ERR_INIT;
    char pw[MT_PWGEN_MAX_LEN + 1];
    size_t i, j;

    (void)state;
    rng_reset(1);
    o.length = 8; /* short: about a quarter of uniform candidates miss the digits */
    o.classes |= MT_PWGEN_SYMBOLS;
    assert_int_equal(mt_pwgen_init(&g, &o, &err), 0);
    for (i = 0; i < 20000; i++) {
        memset(pw, 0, sizeof(pw));
        assert_int_equal(mt_pwgen_next(&g, pw, &err), 0);
        assert_int_equal(strlen(pw), 8);
        assert_true(mt_pwgen_has_all_classes(&g.alpha, pw, 8));
        assert_non_null(strpbrk(pw, UPPER));
        assert_non_null(strpbrk(pw, LOWER));
        assert_non_null(strpbrk(pw, DIGITS));
        assert_non_null(strpbrk(pw, MT_PWGEN_DEFAULT_SYMBOLS));
        for (j = 0; j < 8; j++)
            assert_non_null(strchr(g.alpha.chars, pw[j]));
    }
    /* bulk: one getrandom-style call per 64 KiB pool, not one per character */
    assert_true(rng_buf_calls < 20000 * 8 / 1000);
    assert_true(rng_buf_calls > 0);
    mt_pwgen_release(&g);
    mt_pwgen_release(&g); /* idempotent */
}

static void test_next_exclusions_and_lengths(void **state)
{
    struct mt_pwgen_opts o = MT_PWGEN_OPTS_INIT;
    struct mt_pwgen g = MT_PWGEN_INIT;
    struct mt_err err = MT_ERR_INIT;
    static char pw[MT_PWGEN_MAX_LEN + 1];
    static const size_t lens[] = {8, 9, 31, 32, 33, 1000, 4096};
    size_t i, k;

    (void)state;
    rng_reset(2);
    o.classes |= MT_PWGEN_SYMBOLS;
    o.no_ambiguous = 1;
    o.exclude = "xyz#";
    for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        o.length = lens[k];
        assert_int_equal(mt_pwgen_init(&g, &o, &err), 0);
        for (i = 0; i < 50; i++) {
            memset(pw, 0, sizeof(pw));
            assert_int_equal(mt_pwgen_next(&g, pw, &err), 0);
            assert_int_equal(strlen(pw), lens[k]);
            assert_null(strpbrk(pw, "0O1lI|xyz#"));
            assert_true(mt_pwgen_has_all_classes(&g.alpha, pw, lens[k]));
        }
        mt_pwgen_release(&g);
    }
}

/* A one-character class must still appear in every password, and it must not sit at a fixed
 * position: with whole-password rejection every position holds it equally often. */
static void test_next_single_char_class_not_positional(void **state)
{
    struct mt_pwgen_opts o = MT_PWGEN_OPTS_INIT;
    struct mt_pwgen g = MT_PWGEN_INIT;
    struct mt_err err = MT_ERR_INIT;
    char pw[9];
    unsigned pos_count[8] = {0};
    size_t i, j;
    const size_t n = 20000;

    (void)state;
    rng_reset(3);
    o.length = 8;
    o.classes = MT_PWGEN_LOWER;
    o.symbol_set = "!";
    assert_int_equal(mt_pwgen_init(&g, &o, &err), 0);
    for (i = 0; i < n; i++) {
        pw[8] = 0;
        assert_int_equal(mt_pwgen_next(&g, pw, &err), 0);
        assert_non_null(strchr(pw, '!'));
        for (j = 0; j < 8; j++)
            pos_count[j] += pw[j] == '!';
    }
    /* P('!' at a position | at least one '!') = (1/27) / (1 - (26/27)^8) = 0.14212, so a count
     * is 2842.4 on average with standard deviation 49.4: allow 5 sigma either way. Planting the
     * '!' at a random position instead would give 1/8 + 7/8 * 1/27 = 0.1574 (3148). */
    for (j = 0; j < 8; j++) {
        assert_true(pos_count[j] > 2842 - 247);
        assert_true(pos_count[j] < 2842 + 247);
    }
    mt_pwgen_release(&g);
}

static void test_next_is_determined_by_the_rng(void **state)
{
    struct mt_pwgen_opts o = MT_PWGEN_OPTS_INIT;
    struct mt_pwgen g1 = MT_PWGEN_INIT, g2 = MT_PWGEN_INIT;
    struct mt_err err = MT_ERR_INIT;
    char a[33], b[33];
    int i, differ = 0;

    (void)state;
    rng_reset(42);
    assert_int_equal(mt_pwgen_init(&g1, &o, &err), 0);
    assert_int_equal(mt_pwgen_next(&g1, a, &err), 0);
    rng_reset(42);
    assert_int_equal(mt_pwgen_init(&g2, &o, &err), 0);
    assert_int_equal(mt_pwgen_next(&g2, b, &err), 0);
    assert_memory_equal(a, b, 32);
    for (i = 0; i < 10; i++) {
        assert_int_equal(mt_pwgen_next(&g1, a, &err), 0);
        assert_int_equal(mt_pwgen_next(&g2, b, &err), 0);
        assert_memory_equal(a, b, 32);
    }
    rng_reset(43);
    mt_pwgen_release(&g2);
    assert_int_equal(mt_pwgen_init(&g2, &o, &err), 0);
    assert_int_equal(mt_pwgen_next(&g2, b, &err), 0);
    differ = memcmp(a, b, 32) != 0;
    assert_true(differ);
    mt_pwgen_release(&g1);
    mt_pwgen_release(&g2);
}

static void test_init_usage_errors(void **state)
{
    struct mt_pwgen_opts o = MT_PWGEN_OPTS_INIT;
    struct mt_pwgen g = MT_PWGEN_INIT;
    struct mt_err err = MT_ERR_INIT;

    (void)state;
    o.length = 5000;
    assert_int_equal(mt_pwgen_init(&g, &o, &err), -1);
    assert_int_equal(err.code, MT_E_USAGE);
    assert_null(g.pool);
    o.length = 16;
    o.classes = 0;
    assert_int_equal(mt_pwgen_init(&g, &o, &err), -1);
    assert_int_equal(err.code, MT_E_USAGE);
    mt_pwgen_release(&g);
    mt_pwgen_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alpha_default),
        cmocka_unit_test(test_alpha_symbols),
        cmocka_unit_test(test_alpha_no_ambiguous),
        cmocka_unit_test(test_alpha_class_switches),
        cmocka_unit_test(test_alpha_exclude),
        cmocka_unit_test(test_alpha_symbol_set),
        cmocka_unit_test(test_alpha_errors),
        cmocka_unit_test(test_alpha_map_has_no_modulo_bias),
        cmocka_unit_test(test_sample_rejects_high_bytes),
        cmocka_unit_test(test_next_every_class_present),
        cmocka_unit_test(test_next_exclusions_and_lengths),
        cmocka_unit_test(test_next_single_char_class_not_positional),
        cmocka_unit_test(test_next_is_determined_by_the_rng),
        cmocka_unit_test(test_init_usage_errors),
    };

    /* must precede sodium_init (libsodium test/default/cmptest.h does the same) */
    if (randombytes_set_implementation(&test_rng) != 0 || sodium_init() < 0)
        return 1;
    if (strcmp(randombytes_implementation_name(), "test-deterministic") != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
