/* aws_ini.c - ~/.aws/config and ~/.aws/credentials (pure: text in, struct out).
 *
 * Parsing rules. Where the AWS SDKs disagree (aws-wire.md 3.5, 8.7) the choice is marked.
 *  - Lines end at LF; a trailing CR is dropped. A NUL byte anywhere is an error.
 *  - Whole-line comments: the first non-blank character is `#` or `;` (everywhere, also inside
 *    nested blocks). Blank lines are skipped and do not end a nested block.
 *  - Inline comments: `#` or `;` preceded by a space or tab starts a comment, in values and after
 *    a section header; `http://x/#frag` and `a;b` survive. [js3; botocore keeps the comment in the
 *    value, go cuts at the first `#`/`;` anywhere, which breaks URLs.]
 *  - Section header: `[` ... `]`, optionally followed by a comment; anything else after `]` is
 *    an error. The text inside is trimmed.
 *    config file: `[default]` is the profile "default"; otherwise the text is split like Python's
 *    shlex (quotes, backslash escapes) and only exactly two words count: `[profile NAME]`,
 *    `[sso-session NAME]`, `[services NAME]`, or `[TYPE NAME]` for any other type (reachable with
 *    mt_ini_section()). `[profile "quoted name"]` is the profile `quoted name`. A bare `[name]`
 *    (one word, not "default") is a section of type "" and NOT a profile. Three or more words,
 *    an empty name or an unbalanced quote (`[profile   a   b]`, `[profile ""]`) make the section
 *    ignored: its lines are still checked, its keys are unreachable. [botocore]
 *    `[profilefoo]` is one word: a bare section, not a profile.
 *    credentials file: `[NAME]` is the profile NAME, the whole trimmed text, no shlex and no
 *    prefix (so `[profile x]` there is a profile called "profile x", as botocore reads it).
 *  - `[default]` and `[profile default]` both present: `[profile default]` wins entirely; the
 *    keys of `[default]` are not merged in. [go, js3; botocore: whichever comes last]
 *  - The same section twice: the two are merged, as if written once. A key set in both is a
 *    duplicate key (below).
 *  - `key = value` or `key: value` (the first `=` or `:` separates; botocore and go accept both).
 *    Whitespace around key and value is trimmed. Keys are case-insensitive (stored lower-case;
 *    [botocore, go; js3 is case-sensitive]). Values are kept verbatim: no quote stripping, no
 *    escapes [botocore; go strips quotes].
 *  - Duplicate key in one section: error naming file:line. [botocore fails the whole file;
 *    go and js3 take the last.] The same holds inside a nested block.
 *  - Nested blocks: a key with an empty value followed by indented `k = v` lines
 *    (`s3 =` / `  addressing_style = path`, `[services x]` with `kms =` / `  endpoint_url = ...`).
 *    mt_ini_get() returns "" for such a key, mt_ini_get_sub() the nested values.
 *    An indented line after a key with a non-empty value is a continuation: it is appended to the
 *    value after a newline (botocore/configparser multi-line values).
 *  - An indented line with no key before it in the section is read as an ordinary line.
 *  - Errors ("FILE:LINE: ..."): a line that is neither comment, header nor `key = value`; a key
 *    before the first section; a nested line that is not `k = v`; an empty key; a duplicate key.
 */
#include "config/aws_ini.h"

#include <ctype.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"

struct ini_sub {
    char *key, *value;
    int line;
};

struct ini_entry {
    char *key, *value;
    int line;
    uint32_t hash; /* key_hash()'s low bits. An entry opened with an empty value is nested
                    * (indented lines are its sub-keys); it keeps "" for good. */
    struct ini_subs { /* malloc'ed when the first sub-key comes (rare): keeps entries small */
        struct ini_sub *v;
        size_t n, cap;
    } *subs;
};

struct mt_ini_section {
    const struct mt_ini *ini; /* owner: its key table */
    uint64_t hash;            /* sec_hash(type, name, bare_default) */
    const char *type; /* "profile", "sso-session", "services", other, or "" (bare) */
    char *name;
    char *header; /* trimmed text between the brackets of the first header, for messages */
    int line;
    int bare_default; /* config file [default] */
    int ignored;
    int indexed; /* more than SMALL_SECTION keys: they are in the key table (else a scan) */
    struct ini_entry *e;
    size_t n, cap;
};

struct mt_ini {
    enum mt_ini_kind kind;
    char *file;
    struct mt_ini_section **secs;
    size_t nsecs, secs_cap;
    const char **profiles; /* borrowed from secs, unique, file order */
    size_t nprofiles, profiles_cap;
    /* Look-ups are hash tables (open addressing, linear probing, at most half full), so a
     * generated config of 100,000 profiles parses in linear time: sections by (type, name,
     * bare_default), keys by (section, lower-case key) as an index into the section's entries --
     * for sections of more than SMALL_SECTION keys; a smaller one is scanned (its entries are
     * side by side, and the scan compares a stored hash first). */
    struct mt_ini_section **stab;
    size_t stab_cap, stab_n;
    struct kslot {
        const struct mt_ini_section *s;
        uint32_t i; /* entry index in s */
        uint32_t h; /* the key hash's low 32 bits: slot index and quick check */
    } *ktab;
    size_t ktab_cap, ktab_n;
    /* every string, section and entry array lives in these chunks: two allocations per line
     * would cost more than the parse itself. Values (which may be secret keys) go to `arena`,
     * wiped on free; keys, names, headers and structs to `plain`, which is only freed (wiping
     * 100,000 sections' worth of names costs more than the rest of the free). */
    struct chunk {
        struct chunk *next;
        size_t used, cap;
        _Alignas(16) char data[];
    } *arena, *plain;
};

#define SMALL_SECTION 8

/* ---- small helpers ---- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static char *dupn(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = '\0';
    }
    return r;
}

static void *a_new_chunk(struct chunk **arena, size_t n)
{
    size_t cap = n + 16 > ((size_t)256 << 10) ? n + 16 : ((size_t)256 << 10);
    struct chunk *c = malloc(sizeof(*c) + cap);

    if (!c)
        return NULL;
    c->next = *arena;
    c->used = n;
    c->cap = cap;
    *arena = c;
    return c->data;
}

/* n bytes from an arena (ini->arena for values, ini->plain for the rest), aligned for any
 * struct when align */
static inline void *a_alloc(struct chunk **arena, size_t n, int align)
{
    struct chunk *c = *arena;
    size_t at;

    if (!c)
        return a_new_chunk(arena, n);
    at = align ? (c->used + 15) & ~(size_t)15 : c->used;
    if (at > c->cap || c->cap - at < n)
        return a_new_chunk(arena, n);
    c->used = at + n;
    return c->data + at;
}

static inline char *a_dupn(struct chunk **arena, const char *s, size_t n)
{
    char *r = a_alloc(arena, n + 1, 0);
    if (r) {
        memcpy(r, s, n);
        r[n] = '\0';
    }
    return r;
}

static uint64_t ld64u(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* ASCII upper case to lower case in place, eight bytes at a time (bytes >= 0x80 unchanged; the
 * last word may overlap the one before: lowering twice is harmless) */
static void lower_ascii(char *s, size_t n)
{
    size_t i;

    if (n < 8) {
        for (i = 0; i < n; i++)
            if (s[i] >= 'A' && s[i] <= 'Z')
                s[i] = (char)(s[i] - 'A' + 'a');
        return;
    }
    for (i = 0;; i += 8) {
        uint64_t x, h, up;
        if (i + 8 > n)
            i = n - 8;
        x = ld64u(s + i);
        h = x & ~HIGHS;
        up = (h + 0x3f * ONES) & ~(h + 0x25 * ONES) & ~x & HIGHS; /* 'A'..'Z' */
        if (up) {
            x |= up >> 2;
            memcpy(s + i, &x, 8);
        }
        if (i + 8 >= n)
            return;
    }
}

static inline void trim(const char **s, size_t *n)
{
    while (*n && is_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && (is_blank((*s)[*n - 1]) || (*s)[*n - 1] == '\r'))
        (*n)--;
}

/* Length of s up to an inline comment (`#`/`;` after a blank). */
static size_t strip_comment(const char *s, size_t n)
{
    size_t i;

    for (i = 1; i < n; i++) {
        /* skip to the next '#' or ';' (most values have neither) */
        const char *h = memchr(s + i, '#', n - i), *c = memchr(s + i, ';', n - i);
        const char *q = h && (!c || h < c) ? h : c;
        if (!q)
            return n;
        i = (size_t)(q - s);
        if (is_blank(s[i - 1]))
            return i - 1;
    }
    return n;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t ncap;
    void *np;

    if (need <= *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 4;
    while (ncap < need)
        ncap *= 2;
    np = realloc(*p, ncap * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

/* Python shlex.split (posix) of s, up to 3 words. Returns the word count, or -1 on an unbalanced
 * quote / trailing backslash. words[i] are malloc'ed (caller frees) -- on -1 none are left. */
static int shlex3(const char *s, size_t n, char *words[3])
{
    size_t i = 0;
    int count = 0;
    char *buf = malloc(n + 1);

    if (!buf)
        return -2;
    words[0] = words[1] = words[2] = NULL;
    for (;;) {
        size_t len = 0;
        while (i < n && is_blank(s[i]))
            i++;
        if (i >= n)
            break;
        while (i < n && !is_blank(s[i])) {
            char c = s[i++];
            if (c == '\'') {
                while (i < n && s[i] != '\'')
                    buf[len++] = s[i++];
                if (i++ >= n)
                    goto bad;
            } else if (c == '"') {
                while (i < n && s[i] != '"') {
                    if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\'))
                        i++;
                    buf[len++] = s[i++];
                }
                if (i++ >= n)
                    goto bad;
            } else if (c == '\\') {
                if (i >= n)
                    goto bad;
                buf[len++] = s[i++];
            } else {
                buf[len++] = c;
            }
        }
        if (count < 3 && !(words[count] = dupn(buf, len))) {
            count = -2;
            goto out;
        }
        count++;
    }
    goto out;
bad:
    count = -1;
out:
    if (count < 0)
        for (i = 0; i < 3; i++) {
            free(words[i]);
            words[i] = NULL;
        }
    free(buf);
    return count;
}

/* ---- object ---- */

static void section_free(struct mt_ini_section *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < s->n; i++)
        if (s->e[i].subs) { /* strings, entries and the section itself are in the arenas */
            free(s->e[i].subs->v);
            free(s->e[i].subs);
        }
}

void mt_ini_free(struct mt_ini *ini)
{
    size_t i;

    if (!ini)
        return;
    for (i = 0; i < ini->nsecs; i++)
        section_free(ini->secs[i]);
    free(ini->secs);
    free(ini->stab);
    free(ini->ktab);
    free(ini->profiles);
    free(ini->file);
    while (ini->arena) {
        struct chunk *c = ini->arena;
        ini->arena = c->next;
        mt_memzero(c->data, c->used);
        free(c);
    }
    while (ini->plain) {
        struct chunk *c = ini->plain;
        ini->plain = c->next;
        free(c);
    }
    free(ini);
}

struct mt_ini *mt_ini_new_empty(enum mt_ini_kind kind, const char *filename)
{
    struct mt_ini *ini = calloc(1, sizeof(*ini));

    if (!ini)
        return NULL;
    ini->kind = kind;
    if (!filename)
        filename = kind == MT_INI_CONFIG ? "config" : "credentials";
    if (!(ini->file = strdup(filename))) {
        free(ini);
        return NULL;
    }
    return ini;
}

const char *mt_ini_filename(const struct mt_ini *ini)
{
    return ini ? ini->file : NULL;
}

/* ---- hash tables ---- */

/* the low bits index the table: fold the high bits in (the murmur3 finaliser) */
static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* n bytes, eight at a time (a multiply-rotate per word, the tail zero-padded, the length in) */
static uint64_t hbytes(uint64_t h, const char *s, size_t n)
{
    uint64_t w;

    size_t len = n;

    h ^= (uint64_t)n * 0x9E3779B97F4A7C15ULL;
    for (; n >= 8; s += 8, n -= 8) {
        h = (h ^ ld64u(s)) * 0x87c37b91114253d5ULL;
        h = h << 31 | h >> 33;
    }
    if (n) {
        if (len >= 8) { /* the last word, overlapping the one before */
            w = ld64u(s + n - 8);
        } else if (n >= 4) { /* two overlapping 4-byte loads */
            uint32_t lo, hi;
            memcpy(&lo, s, 4);
            memcpy(&hi, s + n - 4, 4);
            w = (uint64_t)lo | (uint64_t)hi << 32;
        } else {
            w = (uint64_t)(unsigned char)s[0] << 16 | (uint64_t)(unsigned char)s[n / 2] << 8 |
                (unsigned char)s[n - 1];
        }
        h = (h ^ w) * 0x4cf5ad432745937fULL;
    }
    return h;
}

static uint64_t sec_hash(const char *type, size_t tlen, const char *name, size_t nlen,
                         int bare_default)
{
    /* the length goes in with each part: ("ab","c") != ("a","bc") */
    return mix(hbytes(hbytes(14695981039346656037ULL, type, tlen), name, nlen) ^
               (uint64_t)bare_default);
}

#define KEY_SEED 0x2545F4914F6CDD1DULL

/* raw: hbytes(KEY_SEED, the lower-case key) */
static uint64_t key_hash(const struct mt_ini_section *s, uint64_t raw)
{
    return mix(raw ^ mix((uint64_t)(uintptr_t)s));
}

/* Lower-cases s in place (as lower_ascii) and returns hbytes(KEY_SEED, s) of the result, in
 * one pass over the words. */
static uint64_t lower_hash(char *s, size_t n)
{
    uint64_t h = KEY_SEED, x;
    size_t i = 0;

    if (n < 8) {
        lower_ascii(s, n);
        return hbytes(h, s, n);
    }
    h ^= (uint64_t)n * 0x9E3779B97F4A7C15ULL;
    for (;; i += 8) {
        int last = i + 8 > n;
        uint64_t lo, up;
        if (last)
            i = n - 8; /* the overlapping last word, as hbytes reads it */
        x = ld64u(s + i);
        lo = x & ~HIGHS;
        up = (lo + 0x3f * ONES) & ~(lo + 0x25 * ONES) & ~x & HIGHS;
        if (up) {
            x |= up >> 2;
            memcpy(s + i, &x, 8);
        }
        if (last) {
            h = (h ^ x) * 0x4cf5ad432745937fULL;
            return h;
        }
        h = (h ^ x) * 0x87c37b91114253d5ULL;
        h = h << 31 | h >> 33;
        if (i + 8 == n)
            return h;
    }
}

static void stab_put(struct mt_ini *ini, struct mt_ini_section *s)
{
    size_t m = ini->stab_cap - 1, i = (size_t)s->hash & m;
    while (ini->stab[i])
        i = (i + 1) & m;
    ini->stab[i] = s;
}

static int stab_add(struct mt_ini *ini, struct mt_ini_section *s)
{
    if (2 * (ini->stab_n + 1) > ini->stab_cap) {
        size_t ncap = ini->stab_cap ? ini->stab_cap * 2 : 64, i;
        struct mt_ini_section **nt = calloc(ncap, sizeof(*nt));
        if (!nt)
            return -1;
        free(ini->stab);
        ini->stab = nt;
        ini->stab_cap = ncap;
        for (i = 0; i < ini->nsecs; i++)
            if (!ini->secs[i]->ignored && ini->secs[i] != s)
                stab_put(ini, ini->secs[i]);
    }
    stab_put(ini, s);
    ini->stab_n++;
    return 0;
}

static void ktab_put(struct kslot *t, size_t cap, struct kslot k)
{
    size_t m = cap - 1, i = k.h & m;
    while (t[i].s)
        i = (i + 1) & m;
    t[i] = k;
}

/* Indexes entry idx of s (already stored in s->e) under its key hash h. */
static int ktab_add(struct mt_ini *ini, const struct mt_ini_section *s, size_t idx, uint64_t h)
{
    struct kslot k = {s, (uint32_t)idx, (uint32_t)h};

    if (2 * (ini->ktab_n + 1) > ini->ktab_cap) {
        size_t ncap = ini->ktab_cap ? ini->ktab_cap * 2 : 256, i;
        struct kslot *nt = calloc(ncap, sizeof(*nt));
        if (!nt)
            return -1;
        for (i = 0; i < ini->ktab_cap; i++)
            if (ini->ktab[i].s)
                ktab_put(nt, ncap, ini->ktab[i]);
        free(ini->ktab);
        ini->ktab = nt;
        ini->ktab_cap = ncap;
    }
    ktab_put(ini->ktab, ini->ktab_cap, k);
    ini->ktab_n++;
    return 0;
}

static struct mt_ini_section *find_sec_h(const struct mt_ini *ini, const char *type,
                                         const char *name, int bare_default, uint64_t h)
{
    size_t m, i;

    if (!ini->stab_cap)
        return NULL;
    m = ini->stab_cap - 1;
    for (i = (size_t)h & m; ini->stab[i]; i = (i + 1) & m) {
        struct mt_ini_section *s = ini->stab[i];
        if (s->hash == h && s->bare_default == bare_default && strcmp(s->type, type) == 0 &&
            strcmp(s->name, name) == 0)
            return s;
    }
    return NULL;
}

static const struct ini_entry *find_entry_h(const struct mt_ini_section *s, const char *key,
                                            uint64_t h)
{
    const struct mt_ini *ini;
    size_t m, i;

    if (!s || !key)
        return NULL;
    if (!s->indexed) { /* a few keys, side by side: a scan beats a table miss */
        for (i = 0; i < s->n; i++)
            if (s->e[i].hash == (uint32_t)h && strcmp(s->e[i].key, key) == 0)
                return &s->e[i];
        return NULL;
    }
    if (!(ini = s->ini) || !ini->ktab_cap)
        return NULL;
    m = ini->ktab_cap - 1;
    for (i = (uint32_t)h & m; ini->ktab[i].s; i = (i + 1) & m)
        if (ini->ktab[i].h == (uint32_t)h && ini->ktab[i].s == s &&
            strcmp(s->e[ini->ktab[i].i].key, key) == 0)
            return &s->e[ini->ktab[i].i];
    return NULL;
}

/* A caller's key (any case). */
static const struct ini_entry *find_entry(const struct mt_ini_section *s, const char *key)
{
    char low[128];
    size_t n, i;

    if (!s || !key)
        return NULL;
    n = strlen(key);
    if (n >= sizeof(low)) { /* no key in a real file is this long: a plain scan will do */
        for (i = 0; i < s->n; i++)
            if (strcasecmp(s->e[i].key, key) == 0)
                return &s->e[i];
        return NULL;
    }
    memcpy(low, key, n + 1);
    return find_entry_h(s, low, key_hash(s, lower_hash(low, n)));
}

static struct mt_ini_section *find_sec(const struct mt_ini *ini, const char *type,
                                       const char *name, int bare_default)
{
    return find_sec_h(ini, type, name, bare_default,
                      sec_hash(type, strlen(type), name, strlen(name), bare_default));
}

/* A name is new unless it is "default" met the second time ([default] and [profile default]
 * are two sections of one profile): every other profile section is found by find_sec first. */
static int add_profile_name(struct mt_ini *ini, const char *name)
{
    if (strcmp(name, "default") == 0 &&
        (find_sec(ini, "profile", "default", 0) || find_sec(ini, "profile", "default", 1)))
        return 0;
    if (grow((void **)&ini->profiles, &ini->profiles_cap, ini->nprofiles + 1,
             sizeof(*ini->profiles)) < 0)
        return -1;
    ini->profiles[ini->nprofiles++] = name;
    return 0;
}

/* ---- parser ---- */

struct ip {
    struct mt_ini *ini;
    const char *file;
    int line;
    struct mt_err *err;
};

static int nomem(struct ip *p)
{
    return mt_err_set(p->err, MT_E_NOMEM, "out of memory");
}

static int perr(struct ip *p, const char *fmt, ...) MT_PRINTF(2, 3);
static int perr(struct ip *p, const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return mt_err_set(p->err, MT_E_CONFIG, "%s:%d: %s", p->file, p->line, msg);
}

/* Parses a header line (s points at '['); sets *out to the section now current. */
static int parse_header(struct ip *p, const char *s, size_t n, struct mt_ini_section **out)
{
    struct mt_ini *ini = p->ini;
    struct mt_ini_section *sec = NULL;
    const char *close = memchr(s, ']', n), *in;
    size_t inlen, rest;
    char *words[3] = {NULL, NULL, NULL};
    const char *type = "", *name = NULL;
    int nw = 0, bare_default = 0, ignored = 0, rc = -1;
    uint64_t h = 0;

    if (!close)
        return perr(p, "section header without ']'");
    rest = n - (size_t)(close + 1 - s);
    in = close + 1;
    while (rest && is_blank(*in)) {
        in++;
        rest--;
    }
    if (rest && *in != '#' && *in != ';')
        return perr(p, "unexpected text after the section header");
    in = s + 1;
    inlen = (size_t)(close - s) - 1;
    trim(&in, &inlen);
    if (inlen == 0)
        return perr(p, "empty section header");

    if (ini->kind == MT_INI_CREDENTIALS) {
        type = "profile";
        if (!(name = a_dupn(&ini->plain, in, inlen)))
            return nomem(p);
    } else if (inlen == 7 && memcmp(in, "default", 7) == 0) {
        type = "profile";
        name = "default";
        bare_default = 1;
    } else {
        nw = shlex3(in, inlen, words);
        if (nw == -2)
            return nomem(p);
        if (nw == 1) {
            name = words[0];
        } else if (nw == 2 && words[1][0]) {
            type = words[0];
            name = words[1];
        } else {
            ignored = 1;
        }
    }
    if (!ignored)
        h = sec_hash(type, strlen(type), name, strlen(name), bare_default);
    if (!ignored && (sec = find_sec_h(ini, type, name, bare_default, h))) {
        *out = sec;
        rc = 0;
        goto out;
    }
    if (grow((void **)&ini->secs, &ini->secs_cap, ini->nsecs + 1, sizeof(*ini->secs)) < 0 ||
        !(sec = a_alloc(&ini->plain, sizeof(*sec), 1))) {
        nomem(p);
        goto out;
    }
    memset(sec, 0, sizeof(*sec));
    ini->secs[ini->nsecs++] = sec;
    sec->ini = ini;
    sec->hash = h;
    sec->line = p->line;
    sec->bare_default = bare_default;
    sec->ignored = ignored;
    if (ini->kind == MT_INI_CREDENTIALS) { /* [NAME]: type "profile", name = header */
        sec->type = "profile";
        sec->name = sec->header = (char *)name;
    } else if (!(sec->type = ignored ? "" : a_dupn(&ini->plain, type, strlen(type))) ||
               !(sec->name = a_dupn(&ini->plain, ignored ? "" : name, ignored ? 0 : strlen(name))) ||
               !(sec->header = a_dupn(&ini->plain, in, inlen))) {
        nomem(p);
        goto out;
    }
    if (!ignored && strcmp(sec->type, "profile") == 0 && add_profile_name(ini, sec->name) < 0) {
        nomem(p);
        goto out;
    }
    if (!ignored && stab_add(ini, sec) < 0) {
        nomem(p);
        goto out;
    }
    *out = sec;
    rc = 0;
out:
    free(words[0]);
    free(words[1]);
    free(words[2]);
    return rc;
}

/* Splits "key = value" (after comment stripping of the value). Returns 0, 1 if there is no
 * separator, -1 on error. The key is lower-cased into a new string; *khash is its hbytes(). */
static int split_kv(struct ip *p, const char *s, size_t n, char **key, uint64_t *khash,
                    char **value)
{
    size_t i, kl, vl;
    const char *k = s, *v;

    {
        const char *eq = memchr(s, '=', n), *co = memchr(s, ':', eq ? (size_t)(eq - s) : n);
        const char *sep = co ? co : eq; /* the first of either separates */
        if (!sep)
            return 1;
        i = (size_t)(sep - s);
    }
    kl = i;
    trim(&k, &kl);
    if (kl == 0)
        return perr(p, "empty key before '%c'", s[i]);
    v = s + i + 1;
    vl = strip_comment(v, n - i - 1);
    trim(&v, &vl);
    if (!(*key = a_dupn(&p->ini->plain, k, kl)) || !(*value = a_dupn(&p->ini->arena, v, vl))) {
        *key = NULL;
        return nomem(p);
    }
    *khash = lower_hash(*key, kl);
    return 0;
}

static const char *sec_label(const struct mt_ini_section *s)
{
    return s->header;
}

static int parse_line(struct ip *p, struct mt_ini_section **cur, struct ini_entry **last,
                      const char *s, size_t n)
{
    size_t indent = 0, i;
    uint64_t khash = 0;
    char *key = NULL, *value = NULL;
    const struct ini_entry *dup;
    uint64_t h;
    int r;

    while (indent < n && is_blank(s[indent]))
        indent++;
    s += indent;
    n -= indent;
    while (n && (is_blank(s[n - 1]) || s[n - 1] == '\r'))
        n--;
    if (n == 0 || s[0] == '#' || s[0] == ';')
        return 0;

    if (indent && *last) { /* nested sub-key or continuation */
        struct ini_entry *e = *last;
        if (e->value[0] == '\0') { /* nested */
            if ((r = split_kv(p, s, n, &key, &khash, &value)) != 0) {
                if (r > 0)
                    perr(p, "expected 'key = value' in the block of '%s'", e->key);
                return -1;
            }
            if (!e->subs && !(e->subs = calloc(1, sizeof(*e->subs)))) {
                nomem(p);
                goto fail;
            }
            for (i = 0; i < e->subs->n; i++)
                if (strcmp(e->subs->v[i].key, key) == 0) {
                    perr(p, "duplicate key '%s.%s' in [%s] (first at line %d)", e->key, key,
                         sec_label(*cur), e->subs->v[i].line);
                    goto fail;
                }
            if (grow((void **)&e->subs->v, &e->subs->cap, e->subs->n + 1, sizeof(*e->subs->v)) < 0) {
                nomem(p);
                goto fail;
            }
            e->subs->v[e->subs->n++] = (struct ini_sub){key, value, p->line};
            return 0;
        } else {
            size_t vl = strip_comment(s, n), ol = strlen(e->value);
            char *nv;
            trim(&s, &vl);
            if (!(nv = a_alloc(&p->ini->arena, ol + vl + 2, 0)))
                return nomem(p);
            memcpy(nv, e->value, ol);
            nv[ol] = '\n';
            memcpy(nv + ol + 1, s, vl);
            nv[ol + 1 + vl] = '\0';
            mt_memzero(e->value, ol); /* the old copy may be a secret */
            e->value = nv;
            return 0;
        }
    }
    if (s[0] == '[') {
        *last = NULL;
        return parse_header(p, s, n, cur);
    }
    if ((r = split_kv(p, s, n, &key, &khash, &value)) != 0) {
        if (r > 0)
            perr(p, "expected '[section]' or 'key = value'");
        return -1;
    }
    if (!*cur) {
        perr(p, "'%s' is outside any section", key);
        goto fail;
    }
    h = key_hash(*cur, khash);
    if ((dup = find_entry_h(*cur, key, h))) {
        perr(p, "duplicate key '%s' in [%s] (first at line %d)", key, sec_label(*cur), dup->line);
        goto fail;
    }
    if ((*cur)->n == (*cur)->cap) { /* the entries live in the arena: a copy, not a realloc */
        size_t ncap = (*cur)->cap ? 2 * (*cur)->cap : 2;
        struct ini_entry *ne = a_alloc(&p->ini->plain, ncap * sizeof(*ne), 1);
        if (!ne) {
            nomem(p);
            goto fail;
        }
        if ((*cur)->n)
            memcpy(ne, (*cur)->e, (*cur)->n * sizeof(*ne));
        (*cur)->e = ne;
        (*cur)->cap = ncap;
    }
    *last = &(*cur)->e[(*cur)->n++];
    memset(*last, 0, sizeof(**last));
    (*last)->key = key;
    (*last)->value = value;
    (*last)->line = p->line;
    (*last)->hash = (uint32_t)h;
    if ((*cur)->indexed || (*cur)->n > SMALL_SECTION) {
        /* a big section: its keys go into the hash table (all of them the first time) */
        for (i = (*cur)->indexed ? (*cur)->n - 1 : 0; i < (*cur)->n; i++)
            if (ktab_add(p->ini, *cur, i, (*cur)->e[i].hash) < 0) {
                (*cur)->n--;
                *last = NULL;
                nomem(p);
                goto fail;
            }
        (*cur)->indexed = 1;
    }
    return 0;
fail:
    return -1; /* key and value stay in the arena */
}

int mt_ini_parse(const char *text, size_t len, const char *filename, enum mt_ini_kind kind,
                 struct mt_ini **out, struct mt_err *err)
{
    struct ip p = {NULL, NULL, 0, err};
    struct mt_ini_section *cur = NULL;
    struct ini_entry *last = NULL;
    const char *nul;
    size_t pos = 0;
    int rc = -1;

    *out = NULL;
    if (!(p.ini = mt_ini_new_empty(kind, filename)))
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    p.file = p.ini->file;
    /* size the section table for the file at once (a section is rarely shorter than 32 bytes,
     * and the table stays at most half full), so a big file's table is not rebuilt on the way;
     * it still grows if this guess is low */
    if (text && len > 16384) {
        size_t sc = 64;
        while (sc < len / 64)
            sc <<= 1;
        if ((p.ini->stab = calloc(sc, sizeof(*p.ini->stab))))
            p.ini->stab_cap = sc;
    }
    if (!text)
        len = 0;
    nul = len ? memchr(text, '\0', len) : NULL; /* one scan, not one per line */
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        p.line++;
        if (nul && nul < text + pos + n) {
            perr(&p, "NUL byte in line");
            goto out;
        }
        /* `last` points into cur->e, which may move when it grows: only the current section's
         * newest entry is ever `last`, and growing happens only when adding a new one. */
        if (parse_line(&p, &cur, &last, text + pos, n) < 0)
            goto out;
        pos += n + 1;
    }
    *out = p.ini;
    p.ini = NULL;
    rc = 0;
out:
    mt_ini_free(p.ini);
    return rc;
}

/* ---- accessors ---- */

const struct mt_ini_section *mt_ini_profile(const struct mt_ini *ini, const char *name)
{
    const struct mt_ini_section *s;

    if (!ini || !name)
        return NULL;
    if ((s = find_sec(ini, "profile", name, 0)))
        return s;
    if (ini->kind == MT_INI_CONFIG && strcmp(name, "default") == 0)
        return find_sec(ini, "profile", name, 1);
    return NULL;
}

const struct mt_ini_section *mt_ini_section(const struct mt_ini *ini, const char *type,
                                            const char *name)
{
    if (!ini || !type || !name)
        return NULL;
    if (strcmp(type, "profile") == 0)
        return mt_ini_profile(ini, name);
    return find_sec(ini, type, name, 0);
}


const char *mt_ini_get(const struct mt_ini_section *s, const char *key)
{
    const struct ini_entry *e = find_entry(s, key);
    return e ? e->value : NULL;
}

const char *mt_ini_get_sub(const struct mt_ini_section *s, const char *key, const char *subkey)
{
    const struct ini_entry *e = find_entry(s, key);
    size_t i;

    if (!e || !subkey)
        return NULL;
    for (i = 0; e->subs && i < e->subs->n; i++)
        if (strcasecmp(e->subs->v[i].key, subkey) == 0)
            return e->subs->v[i].value;
    return NULL;
}

int mt_ini_line(const struct mt_ini_section *s)
{
    return s ? s->line : 0;
}

int mt_ini_key_line(const struct mt_ini_section *s, const char *key)
{
    const struct ini_entry *e = find_entry(s, key);
    return e ? e->line : 0;
}

const char *mt_ini_section_type(const struct mt_ini_section *s)
{
    return s ? s->type : NULL;
}

const char *mt_ini_section_name(const struct mt_ini_section *s)
{
    return s ? s->name : NULL;
}

size_t mt_ini_profile_count(const struct mt_ini *ini)
{
    return ini ? ini->nprofiles : 0;
}

const char *mt_ini_profile_name(const struct mt_ini *ini, size_t i)
{
    return ini && i < ini->nprofiles ? ini->profiles[i] : NULL;
}

size_t mt_ini_section_count(const struct mt_ini *ini)
{
    return ini ? ini->nsecs : 0;
}

const struct mt_ini_section *mt_ini_section_at(const struct mt_ini *ini, size_t i)
{
    return ini && i < ini->nsecs ? ini->secs[i] : NULL;
}

int mt_ini_entry(const struct mt_ini_section *s, size_t i, const char **key, const char **value)
{
    if (!s || i >= s->n)
        return -1;
    *key = s->e[i].key;
    *value = s->e[i].value;
    return 0;
}
