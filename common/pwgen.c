#include "common/pwgen.h"

#include <sodium.h>
#include <string.h>

#include "common/mem.h"

/* Random bytes per pool refill; one refill serves about 1,500 passwords of 32 characters. */
#define POOL_LEN ((size_t)64 << 10)
/* Whole-password rejections in a row before giving up (see mt_pwgen_next). */
#define MAX_TRIES (1L << 20)

static const char upper_set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char lower_set[] = "abcdefghijklmnopqrstuvwxyz";
static const char digit_set[] = "0123456789";

static int is_alnum_ascii(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Adds the characters of set (class bit) that are not dropped and not already present. */
static void add_class(struct mt_pwgen_alpha *a, const char *set, unsigned bit,
                      const uint8_t drop[256])
{
    const unsigned char *s;

    for (s = (const unsigned char *)set; *s; s++) {
        if (drop[*s] || a->cls[*s])
            continue;
        a->chars[a->len++] = (char)*s;
        a->cls[*s] = (uint8_t)bit;
        a->required |= bit;
    }
}

int mt_pwgen_alpha_build(const struct mt_pwgen_opts *o, struct mt_pwgen_alpha *a,
                         struct mt_err *err)
{
    uint8_t drop[256];
    const unsigned char *s;
    const char *symbols = MT_PWGEN_DEFAULT_SYMBOLS;
    unsigned classes = o->classes;
    unsigned bit;
    size_t limit, i;

    memset(a, 0, sizeof(*a));
    memset(drop, 0, sizeof(drop));
    if (o->length < MT_PWGEN_MIN_LEN || o->length > MT_PWGEN_MAX_LEN)
        return mt_err_set(err, MT_E_USAGE, "--length must be between %d and %d", MT_PWGEN_MIN_LEN,
                          MT_PWGEN_MAX_LEN);
    if (o->symbol_set) {
        if (!*o->symbol_set)
            return mt_err_set(err, MT_E_USAGE, "--symbol-set is empty");
        for (s = (const unsigned char *)o->symbol_set; *s; s++) {
            if (*s <= 0x20 || *s >= 0x7f || is_alnum_ascii(*s))
                return mt_err_set(err, MT_E_USAGE,
                                  "--symbol-set may only contain printable ASCII punctuation "
                                  "(no letters, digits or spaces)");
        }
        symbols = o->symbol_set;
        classes |= MT_PWGEN_SYMBOLS;
    }
    if (o->no_ambiguous) {
        for (s = (const unsigned char *)MT_PWGEN_AMBIGUOUS; *s; s++)
            drop[*s] = 1;
    }
    if (o->exclude) {
        for (s = (const unsigned char *)o->exclude; *s; s++)
            drop[*s] = 1;
    }
    if (classes & MT_PWGEN_UPPER)
        add_class(a, upper_set, MT_PWGEN_UPPER, drop);
    if (classes & MT_PWGEN_LOWER)
        add_class(a, lower_set, MT_PWGEN_LOWER, drop);
    if (classes & MT_PWGEN_DIGITS)
        add_class(a, digit_set, MT_PWGEN_DIGITS, drop);
    if (classes & MT_PWGEN_SYMBOLS)
        add_class(a, symbols, MT_PWGEN_SYMBOLS, drop);
    a->chars[a->len] = '\0';
    if (a->len == 0) {
        memset(a, 0, sizeof(*a));
        return mt_err_set(err, MT_E_USAGE,
                          "no characters left to choose from (see --no-upper, --no-lower, "
                          "--no-digits, --no-ambiguous and --exclude)");
    }
    for (bit = 1; bit < (1u << MT_PWGEN_NCLASSES); bit <<= 1)
        a->nrequired += (a->required & bit) != 0;
    if (o->length < a->nrequired) {
        memset(a, 0, sizeof(*a));
        return mt_err_set(err, MT_E_USAGE, "--length is shorter than the number of classes");
    }
    /* Bytes below limit map without modulo bias: each character gets limit/len of them. */
    limit = 256 - 256 % a->len;
    for (i = 0; i < limit; i++)
        a->map[i] = (uint8_t)a->chars[i % a->len];
    return 0;
}

size_t mt_pwgen_sample(const struct mt_pwgen_alpha *a, const uint8_t *in, size_t inlen,
                       char *out, size_t want, size_t *filled, unsigned *mask)
{
    size_t i = *filled, used = 0;
    unsigned m = *mask;
    uint8_t c;

    /* Branch-free inner loop: a rejected byte writes 0 that the next accepted one overwrites. */
    while (i < want && used < inlen) {
        c = a->map[in[used++]];
        out[i] = (char)c;
        m |= a->cls[c];
        i += c != 0;
    }
    *filled = i;
    *mask = m;
    return used;
}

int mt_pwgen_has_all_classes(const struct mt_pwgen_alpha *a, const char *pw, size_t len)
{
    unsigned m = 0;
    size_t i;

    for (i = 0; i < len; i++)
        m |= a->cls[(unsigned char)pw[i]];
    return (m & a->required) == a->required;
}

static void refill(struct mt_pwgen *g)
{
    unsigned char seed[randombytes_SEEDBYTES];

    randombytes_buf(seed, sizeof(seed));
    randombytes_buf_deterministic(g->pool, g->pool_len, seed);
    sodium_memzero(seed, sizeof(seed));
    g->pos = 0;
}

int mt_pwgen_init(struct mt_pwgen *g, const struct mt_pwgen_opts *o, struct mt_err *err)
{
    memset(g, 0, sizeof(*g));
    if (mt_pwgen_alpha_build(o, &g->alpha, err) < 0)
        return -1;
    g->length = o->length;
    g->pool = sodium_malloc(POOL_LEN);
    if (!g->pool) {
        mt_pwgen_release(g);
        return mt_err_set(err, MT_E_NOMEM, "cannot allocate the random pool");
    }
    g->pool_len = POOL_LEN;
    g->pos = POOL_LEN; /* empty: the first use refills */
    return 0;
}

int mt_pwgen_next(struct mt_pwgen *g, char *out, struct mt_err *err)
{
    long tries;
    size_t filled, used;
    unsigned mask;

    for (tries = 0; tries < MAX_TRIES; tries++) {
        filled = 0;
        mask = 0;
        while (filled < g->length) {
            if (g->pos == g->pool_len)
                refill(g);
            used = mt_pwgen_sample(&g->alpha, g->pool + g->pos, g->pool_len - g->pos, out,
                                   g->length, &filled, &mask);
            /* the used bytes are the password in another shape */
            mt_memzero(g->pool + g->pos, used);
            g->pos += used;
        }
        if ((mask & g->alpha.required) == g->alpha.required)
            return 0;
    }
    mt_memzero(out, g->length);
    return mt_err_set(err, MT_E_CRYPTO, "password generation failed: random source looks broken");
}

void mt_pwgen_release(struct mt_pwgen *g)
{
    if (!g)
        return;
    if (g->pool)
        sodium_free(g->pool); /* sodium_free wipes before unmapping */
    memset(g, 0, sizeof(*g));
}
