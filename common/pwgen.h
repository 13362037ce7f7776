/* pwgen.h - password alphabets and uniform, bulk password generation (mkpassword).
 *
 * Alphabet building and sampling from given random bytes are pure; only mt_pwgen_next() draws
 * randomness (libsodium). The generator keeps a pool of random bytes in sodium_malloc memory:
 * each refill takes a 32-byte seed from randombytes_buf() and expands it with
 * randombytes_buf_deterministic() (ChaCha20), so a million passwords cost a few hundred
 * getrandom calls instead of one per character (contract section 5, mkpassword).
 *
 * Uniformity argument:
 * - Characters: a random byte b is accepted iff b < 256 - (256 % n) (n = alphabet size) and then
 *   maps to alphabet[b % n]. Every character has exactly (256 - 256 % n) / n accepted bytes, so an
 *   accepted byte is uniform over the alphabet (no modulo bias); rejected bytes are discarded.
 * - Required classes: a candidate password is L independent uniform characters, i.e. uniform over
 *   all n^L strings. A candidate that misses a required class is discarded whole and a fresh one
 *   is drawn. Conditioning a uniform distribution on the event "every class present" gives the
 *   uniform distribution over the valid passwords: every valid password stays exactly as likely
 *   as every other one. Nothing is placed at chosen positions, so no position is special.
 *   (Per-character frequencies are then those of a uniformly chosen *valid* password, which for a
 *   short password favour the smaller classes slightly; tests compare against that exact
 *   distribution, computed by inclusion-exclusion.)
 */
#ifndef MT_COMMON_PWGEN_H
#define MT_COMMON_PWGEN_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define MT_PWGEN_UPPER 0x01u
#define MT_PWGEN_LOWER 0x02u
#define MT_PWGEN_DIGITS 0x04u
#define MT_PWGEN_SYMBOLS 0x08u
#define MT_PWGEN_NCLASSES 4

/* The contract's symbol set: no quote, backslash, backtick, slash, '@', ':' or space. */
#define MT_PWGEN_DEFAULT_SYMBOLS "!#$%&()*+,-.;<=>?[]^_{|}~"
/* Removed by --no-ambiguous. */
#define MT_PWGEN_AMBIGUOUS "0O1lI|"

#define MT_PWGEN_MIN_LEN 8
#define MT_PWGEN_MAX_LEN 4096
#define MT_PWGEN_DEFAULT_LEN 32

/* What to generate. Borrowed strings. */
struct mt_pwgen_opts {
    size_t length;          /* MT_PWGEN_MIN_LEN..MT_PWGEN_MAX_LEN */
    unsigned classes;       /* MT_PWGEN_UPPER|LOWER|DIGITS|SYMBOLS */
    int no_ambiguous;       /* drop MT_PWGEN_AMBIGUOUS */
    const char *exclude;    /* characters to drop from every class; NULL = none */
    const char *symbol_set; /* replaces the default symbols and implies MT_PWGEN_SYMBOLS; printable
                             * ASCII that is neither a letter, a digit nor a space; duplicates are
                             * ignored. NULL = default. */
};
#define MT_PWGEN_OPTS_INIT \
    {MT_PWGEN_DEFAULT_LEN, MT_PWGEN_UPPER | MT_PWGEN_LOWER | MT_PWGEN_DIGITS, 0, NULL, NULL}

/* A built alphabet: plain data, no allocation. */
struct mt_pwgen_alpha {
    char chars[128];   /* the alphabet in class order (upper, lower, digits, symbols), NUL-ended */
    size_t len;        /* 1..94 */
    unsigned required; /* classes that are enabled and non-empty: each must appear */
    unsigned nrequired;
    uint8_t map[256];  /* random byte -> character; 0 = reject the byte */
    uint8_t cls[256];  /* character -> its class bit; 0 for characters not in the alphabet */
};

/* Builds the alphabet for o (pure). A class emptied by --exclude/--no-ambiguous is no longer
 * required. Fails with MT_E_USAGE (message names the flag) for a length out of range, an invalid
 * symbol set, an empty alphabet, or a length shorter than the number of required classes. */
int mt_pwgen_alpha_build(const struct mt_pwgen_opts *o, struct mt_pwgen_alpha *a,
                         struct mt_err *err) MT_WUR;

/* Pure sampling core: appends accepted characters from the random bytes in[0..inlen) to
 * out[*filled..want), stopping when *filled == want or the input is used up; ORs the class bits of
 * the appended characters into *mask. Returns the number of bytes consumed. */
size_t mt_pwgen_sample(const struct mt_pwgen_alpha *a, const uint8_t *in, size_t inlen,
                       char *out, size_t want, size_t *filled, unsigned *mask);

/* 1 if pw[0..len) contains a character of every required class, else 0 (pure). */
int mt_pwgen_has_all_classes(const struct mt_pwgen_alpha *a, const char *pw, size_t len);

/* The generator. Initialise with mt_pwgen_init, release with mt_pwgen_release. */
struct mt_pwgen {
    struct mt_pwgen_alpha alpha;
    size_t length;
    uint8_t *pool; /* sodium_malloc: random bytes not yet used are pool[pos..pool_len) */
    size_t pool_len;
    size_t pos;
};
#define MT_PWGEN_INIT {0}

/* Builds the alphabet and allocates the random pool (libsodium must be initialised).
 * MT_E_USAGE as mt_pwgen_alpha_build; MT_E_NOMEM. On failure g is released. */
int mt_pwgen_init(struct mt_pwgen *g, const struct mt_pwgen_opts *o, struct mt_err *err) MT_WUR;

/* Writes one password of g->length characters to out (no NUL is added); out should be secret
 * memory. Uniform over all strings of that length over the alphabet that contain every required
 * class. Fails (MT_E_CRYPTO) only if about a million candidates in a row missed a class, which
 * for any alphabet this module can build has negligible probability unless the RNG is broken. */
int mt_pwgen_next(struct mt_pwgen *g, char *out, struct mt_err *err) MT_WUR;

/* Wipes and frees the pool and the alphabet; idempotent, NULL-safe. */
void mt_pwgen_release(struct mt_pwgen *g);

#endif
