/* cache.c - the binary parse cache of ~/.mytools.yaml (pure: config + key -> bytes, and back).
 *
 * libyaml needs ~2 ms for a 2,000-database file; decoding this format needs a few microseconds.
 * load.c (the edge) decides when to use it and does the file I/O; this file only converts, and
 * treats every byte it decodes as untrusted: each count and offset is checked against what is
 * left, strings come from a table that ends in NUL, totals are capped, and the result has the
 * shape the parser guarantees (names set, ports in range, canonical engines, database-only keys
 * only on databases), so a corrupt file can never be worse than a missing one.
 *
 * Layout (integers little-endian, offsets in bytes):
 *   0  8  magic "MTCFGC\r\n"
 *   8  4  format version (3)
 *  12  4  stamp length S (<= 1024)      the build stamp: mt_cfg_cache_stamp()
 *  16  4  path length P (<= 65536)      the config path exactly as given to the loader
 *  20  4  head length H
 *  24  8  st_dev     32 8 st_ino     40 8 st_size
 *  48  8  st_mtim.tv_sec   56 8 st_mtim.tv_nsec
 *  64  8  st_ctim.tv_sec   72 8 st_ctim.tv_nsec
 *  80  8  payload length L (everything after the path; the file ends exactly there)
 *  88  8  mt_cfg_cache_sum() of bytes 104 .. end (stamp, path and payload)
 *  96  8  mt_cfg_cache_sum() of the stamp, the path and the head
 * 104  S  stamp, then P path bytes (no NUL), then the payload:
 *   head (H bytes): u32 nenvs, u32 nwarnings, u32 body length B, u32 env slots E, u32 db slots D
 *             (E and D are 0 or powers of two), settings(defaults), nwarnings x warning
 *   body (B bytes): for each environment in file order, its record, then its ndbs databases'
 *             records
 *   env index: E x (u32 hash, u32 1 + body offset of an env record): every name and alias
 *   db index:  D x (u32 hash, u32 1 + body offset of a db record), keyed by (env number, name)
 *             (open addressing, linear probing, 0 = empty slot; hashes: FNV-1a 32 below)
 *   record:   u32 length N, u64 mt_cfg_cache_sum() of the N bytes that follow, N bytes of
 *     env:    u32 env number (its index), str name, i32 line, i32 col, u32 naliases,
 *             naliases x str, settings, u32 ndbs
 *     db:     u32 env number, str name, i32 line, i32 col, settings
 *   warning:  i32 line, i32 col, str msg
 *   settings: u16 mask (bit i < 9: string i of region, profile, engine, ca_bundle, clipboard,
 *             user, host, name, connect_host is set; bits 9, 10, 11: port, connect_port,
 *             clipboard_clear are set; bit 12: cache_name; bits 13, 14, 15: serverless,
 *             admin, expires_in), the set strings, the set integers (i32), i32 line, i32 col
 *   str:      u32 length n (0xFFFFFFFF for "not set"), n bytes (no NUL)
 * Two ways to decode. mt_cfg_cache_decode() (db list, config check, completion, the picker)
 * checks the whole-file sum and reads every record. mt_cfg_cache_decode_one() (a warm `db token
 * -e E -d D`) checks the header, the head sum, and then only the records it reaches through
 * the indexes, each by its own sum; the indexes themselves are not trusted: a slot counts only
 * when the checksummed record it points at names what was asked (names and aliases are unique
 * per the parser), and "not found" sends the loader to the full decode. So the cost of a warm
 * run does not grow with the number of databases, and a corrupt record is still never used.
 * The checksum is not cryptographic: it catches a torn or bit-flipped file (any change inside
 * one 8-byte word is always detected). Someone who can write the cache can also write the config
 * file itself; load.c only reads a cache file owned by the user and writable by nobody else. */
#include "config/config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/buf.h"
#include "common/hash.h"
#include "config/config_int.h"

#ifndef MT_CFG_CACHE_BUILD
#define MT_CFG_CACHE_BUILD "mytools/unknown"
#endif

#define MAGIC "MTCFGC\r\n"
#define FORMAT_VERSION 3u
#define HDR_LEN 104
#define MAX_STAMP 1024
#define MAX_PATH_LEN 65536
#define NONE 0xFFFFFFFFu

/* smallest encoding of each record, to bound counts by the bytes left before allocating */
#define MIN_SETTINGS (2 + 4 + 4)
#define REC_HDR (4 + 8)
#define MIN_ENV_REC (REC_HDR + 4 + 5 + 4 + 4 + 4 + MIN_SETTINGS + 4)
#define MIN_DB_REC (REC_HDR + 4 + 5 + 4 + 4 + MIN_SETTINGS)
#define MIN_WARNING (4 + 4 + 5)
#define HEAD_MIN (5 * 4 + MIN_SETTINGS) /* five counts, the defaults */

enum { NSTR = 9, BIT_PORT = 9, BIT_CONNECT_PORT = 10, BIT_CLEAR = 11, BIT_CACHE_NAME = 12,
       BIT_SERVERLESS = 13, BIT_ADMIN = 14, BIT_EXPIRES = 15 };
#define MASK_ALL 0xFFFFu
/* host, name, connect_host, connect_port, cache_name, serverless: database only (an error
 * elsewhere in the parser) */
#define MASK_DB_ONLY ((1u << 6) | (1u << 7) | (1u << 8) | (1u << BIT_CONNECT_PORT) |              \
                      (1u << BIT_CACHE_NAME) | (1u << BIT_SERVERLESS))

#define S_OFF(f) offsetof(struct mt_cfg_settings, f)
static const size_t str_off[NSTR] = {
    S_OFF(region), S_OFF(profile), S_OFF(engine),       S_OFF(ca_bundle),   S_OFF(clipboard),
    S_OFF(user),   S_OFF(host),    S_OFF(name),         S_OFF(connect_host),
};

#define STR_AT(s, i) (*(char **)((char *)(s) + str_off[i]))
#define CSTR_AT(s, i) (*(char *const *)((const char *)(s) + str_off[i]))

/* ---- helpers ---- */

static uint64_t ld64(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void st64(uint8_t *p, uint64_t v)
{
    int i;
    for (i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void st32(uint8_t *p, uint32_t v)
{
    int i;
    for (i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int32_t to_i32(uint32_t v)
{
    return v <= INT32_MAX ? (int32_t)v : (int32_t)(v - 0x80000000u) + INT32_MIN;
}

static int64_t to_i64(uint64_t v)
{
    return v <= INT64_MAX ? (int64_t)v : (int64_t)(v - 0x8000000000000000u) + INT64_MIN;
}

#define P1 0x9E3779B97F4A7C15u
#define P2 0xC2B2AE3D27D4EB4Fu

static uint64_t rotl(uint64_t x, int r)
{
    return x << r | x >> (64 - r);
}

static uint64_t lane(uint64_t h, uint64_t w)
{
    return rotl((h ^ w) * P1, 29);
}

uint64_t mt_cfg_cache_sum(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t h[4] = {P2, P2 + 1, P2 + 2, P2 + 3}, r = P1 ^ (uint64_t)len;
    uint8_t tail[32] = {0};
    size_t n = len, i;

    /* four independent lanes over 32-byte blocks (each step is a bijection of the lane) */
    for (; n >= 32; p += 32, n -= 32) {
        h[0] = lane(h[0], ld64(p));
        h[1] = lane(h[1], ld64(p + 8));
        h[2] = lane(h[2], ld64(p + 16));
        h[3] = lane(h[3], ld64(p + 24));
    }
    if (n) {
        memcpy(tail, p, n);
        for (i = 0; i < 4; i++)
            h[i] = lane(h[i], ld64(tail + 8 * i));
    }
    for (i = 0; i < 4; i++)
        r = lane(r, h[i]);
    r ^= r >> 32;
    r *= P2;
    r ^= r >> 29;
    return r;
}

size_t mt_cfg_cache_stamp(char *out, size_t outsz)
{
    int n = snprintf(out, outsz, "%s fmt:%u yaml:%s ptr:%zu sizes:%zu/%zu/%zu/%zu/%zu",
                     MT_CFG_CACHE_BUILD, FORMAT_VERSION, yaml_get_version_string(),
                     sizeof(void *), sizeof(struct mt_config), sizeof(struct mt_cfg_env),
                     sizeof(struct mt_cfg_db), sizeof(struct mt_cfg_settings),
                     sizeof(struct mt_cfg_warning));
    if (n < 0)
        return 0;
    return (size_t)n < outsz ? (size_t)n : outsz ? outsz - 1 : 0;
}

void mt_cfg_cache_name(char out[MT_CFG_CACHE_NAME_SIZE], const char *path)
{
    uint8_t md[MT_SHA256_LEN];
    char hex[2 * MT_SHA256_LEN + 1];

    mt_sha256(md, path, strlen(path));
    mt_hex(hex, md, sizeof(md));
    snprintf(out, MT_CFG_CACHE_NAME_SIZE, "config-%s.bin", hex);
}

int mt_cfg_cache_racy(const struct mt_cfg_cache_key *key, int64_t now_sec, int64_t now_nsec)
{
    /* racy when mtime or ctime >= now - 2 s (also when in the future) */
    int64_t lim = now_sec > INT64_MIN + MT_CFG_CACHE_RACY_SECS ? now_sec - MT_CFG_CACHE_RACY_SECS
                                                               : INT64_MIN;
    if (key->mtime_sec > lim || (key->mtime_sec == lim && key->mtime_nsec >= now_nsec))
        return 1;
    if (key->ctime_sec > lim || (key->ctime_sec == lim && key->ctime_nsec >= now_nsec))
        return 1;
    return 0;
}

/* ---- encoder ---- */

struct enc {
    struct mt_buf *b; /* where put_* append */
    size_t items;
    int failed;
};

static void put_raw(struct enc *e, const void *p, size_t n)
{
    if (!e->failed && mt_buf_add(e->b, p, n) < 0)
        e->failed = 1;
}

static void put32(struct enc *e, uint32_t v)
{
    uint8_t b[4];
    st32(b, v);
    put_raw(e, b, 4);
}

static void put_i32(struct enc *e, int v)
{
    put32(e, (uint32_t)v);
}

static void put16(struct enc *e, unsigned v)
{
    uint8_t b[2] = {(uint8_t)(v & 0xFF), (uint8_t)(v >> 8 & 0xFF)};
    put_raw(e, b, 2);
}

static void put_str(struct enc *e, const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (!s) {
        put32(e, NONE);
        return;
    }
    if (n >= NONE) {
        e->failed = 1;
        return;
    }
    put32(e, (uint32_t)n);
    put_raw(e, s, n);
}

static void put_settings(struct enc *e, const struct mt_cfg_settings *s)
{
    unsigned mask = 0, i;

    for (i = 0; i < NSTR; i++)
        if (CSTR_AT(s, i))
            mask |= 1u << i;
    if (s->port != -1)
        mask |= 1u << BIT_PORT;
    if (s->connect_port != -1)
        mask |= 1u << BIT_CONNECT_PORT;
    if (s->clipboard_clear != -1)
        mask |= 1u << BIT_CLEAR;
    mask |= (s->cache_name ? 1u << BIT_CACHE_NAME : 0) |
            (s->serverless != -1 ? 1u << BIT_SERVERLESS : 0) |
            (s->admin != -1 ? 1u << BIT_ADMIN : 0) | (s->expires_in != -1 ? 1u << BIT_EXPIRES : 0);
    put16(e, mask);
    for (i = 0; i < NSTR; i++)
        if (CSTR_AT(s, i))
            put_str(e, CSTR_AT(s, i));
    if (s->port != -1)
        put_i32(e, s->port);
    if (s->connect_port != -1)
        put_i32(e, s->connect_port);
    if (s->clipboard_clear != -1)
        put_i32(e, s->clipboard_clear);
    if (s->cache_name)
        put_str(e, s->cache_name);
    if (s->serverless != -1)
        put_i32(e, s->serverless);
    if (s->admin != -1)
        put_i32(e, s->admin);
    if (s->expires_in != -1)
        put_i32(e, s->expires_in);
    put_i32(e, s->line);
    put_i32(e, s->col);
}

/* starts a record: room for its length and checksum; returns where it starts */
static size_t rec_begin(struct enc *e)
{
    size_t at = e->b->len;
    uint8_t z[REC_HDR] = {0};
    put_raw(e, z, sizeof(z));
    return at;
}

static void rec_end(struct enc *e, size_t at)
{
    uint8_t *p;
    size_t n;

    if (e->failed)
        return;
    p = (uint8_t *)e->b->p + at;
    n = e->b->len - at - REC_HDR;
    if (n > UINT32_MAX) {
        e->failed = 1;
        return;
    }
    st32(p, (uint32_t)n);
    st64(p + 4, mt_cfg_cache_sum(p + REC_HDR, n));
}

static uint32_t fnv32(uint32_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static uint32_t env_hash(const char *name, size_t n)
{
    return fnv32(2166136261u, name, n);
}

static uint32_t db_hash(uint32_t env_no, const char *name, size_t n)
{
    uint8_t b[4];
    st32(b, env_no);
    return fnv32(fnv32(2166136261u ^ 0x5bd1e995u, b, 4), name, n);
}

static size_t slots_for(size_t n)
{
    size_t s = 1;
    if (!n)
        return 0;
    while (s < 2 * n)
        s <<= 1;
    return s;
}

static void slot_put(uint8_t *tab, size_t nslots, uint32_t h, size_t off)
{
    size_t m = nslots - 1, i = h & m;
    while (ld32(tab + 8 * i + 4))
        i = (i + 1) & m;
    st32(tab + 8 * i, h);
    st32(tab + 8 * i + 4, (uint32_t)off + 1);
}

int mt_cfg_cache_encode(const struct mt_config *cfg, const struct mt_cfg_cache_key *key,
                        struct mt_buf *out, struct mt_err *err)
{
    struct mt_buf head = MT_BUF_INIT, body = MT_BUF_INIT;
    struct enc e = {&head, 0, 0};
    char stamp[MAX_STAMP + 1];
    uint8_t hdr[HDR_LEN], *etab = NULL, *dtab = NULL;
    size_t slen = mt_cfg_cache_stamp(stamp, sizeof(stamp)), plen = strlen(key->path), i, j;
    size_t nkeys = 0, ndbs = 0, eslots, dslots, payload;
    size_t *env_off = NULL, *db_off = NULL, k;
    int rc = -1;

    head.max = body.max = MT_CFG_CACHE_MAX_BYTES;
    if (plen > MAX_PATH_LEN || slen >= MAX_STAMP || cfg->nenvs > MT_CFG_CACHE_MAX_ITEMS ||
        cfg->nwarnings > MT_CFG_CACHE_MAX_ITEMS)
        goto too_large;
    e.items = cfg->nenvs + cfg->nwarnings;
    for (i = 0; i < cfg->nenvs; i++) {
        if (cfg->envs[i].naliases > MT_CFG_CACHE_MAX_ITEMS ||
            cfg->envs[i].ndbs > MT_CFG_CACHE_MAX_ITEMS)
            goto too_large;
        nkeys += 1 + cfg->envs[i].naliases;
        ndbs += cfg->envs[i].ndbs;
        e.items += cfg->envs[i].naliases + cfg->envs[i].ndbs;
        if (e.items > MT_CFG_CACHE_MAX_ITEMS)
            goto too_large;
    }
    eslots = slots_for(nkeys);
    dslots = slots_for(ndbs);
    if ((cfg->nenvs && !(env_off = malloc(cfg->nenvs * sizeof(*env_off)))) ||
        (ndbs && !(db_off = malloc(ndbs * sizeof(*db_off)))) ||
        (eslots && !(etab = calloc(eslots, 8))) || (dslots && !(dtab = calloc(dslots, 8))))
        goto nomem;

    /* body: each environment's record, then its databases' records */
    e.b = &body;
    for (i = 0, k = 0; i < cfg->nenvs && !e.failed; i++) {
        const struct mt_cfg_env *env = &cfg->envs[i];
        size_t at = rec_begin(&e);
        env_off[i] = at;
        put32(&e, (uint32_t)i);
        put_str(&e, env->name);
        put_i32(&e, env->line);
        put_i32(&e, env->col);
        put32(&e, (uint32_t)env->naliases);
        for (j = 0; j < env->naliases; j++)
            put_str(&e, env->aliases[j]);
        put_settings(&e, &env->s);
        put32(&e, (uint32_t)env->ndbs);
        rec_end(&e, at);
        for (j = 0; j < env->ndbs && !e.failed; j++, k++) {
            const struct mt_cfg_db *db = &env->dbs[j];
            at = rec_begin(&e);
            db_off[k] = at;
            put32(&e, (uint32_t)i);
            put_str(&e, db->name);
            put_i32(&e, db->line);
            put_i32(&e, db->col);
            put_settings(&e, &db->s);
            rec_end(&e, at);
        }
    }
    if (e.failed || body.len >= UINT32_MAX)
        goto too_large;
    /* the indexes (every name and alias, every (environment, database)) */
    for (i = 0, k = 0; i < cfg->nenvs; i++) {
        const struct mt_cfg_env *env = &cfg->envs[i];
        slot_put(etab, eslots, env_hash(env->name, strlen(env->name)), env_off[i]);
        for (j = 0; j < env->naliases; j++)
            slot_put(etab, eslots, env_hash(env->aliases[j], strlen(env->aliases[j])),
                     env_off[i]);
        for (j = 0; j < env->ndbs; j++, k++)
            slot_put(dtab, dslots,
                     db_hash((uint32_t)i, env->dbs[j].name, strlen(env->dbs[j].name)), db_off[k]);
    }

    /* head: counts, defaults, warnings */
    e.b = &head;
    put32(&e, (uint32_t)cfg->nenvs);
    put32(&e, (uint32_t)cfg->nwarnings);
    put32(&e, (uint32_t)body.len);
    put32(&e, (uint32_t)eslots);
    put32(&e, (uint32_t)dslots);
    put_settings(&e, &cfg->defaults);
    for (i = 0; i < cfg->nwarnings; i++) {
        put_i32(&e, cfg->warnings[i].line);
        put_i32(&e, cfg->warnings[i].col);
        put_str(&e, cfg->warnings[i].msg);
    }
    if (e.failed)
        goto too_large;
    payload = head.len + body.len + 8 * (eslots + dslots);
    if (payload > MT_CFG_CACHE_MAX_BYTES - HDR_LEN - slen - plen)
        goto too_large;

    memset(hdr, 0, sizeof(hdr));
    memcpy(hdr, MAGIC, 8);
    st32(hdr + 8, FORMAT_VERSION);
    st32(hdr + 12, (uint32_t)slen);
    st32(hdr + 16, (uint32_t)plen);
    st32(hdr + 20, (uint32_t)head.len);
    st64(hdr + 24, key->dev);
    st64(hdr + 32, key->ino);
    st64(hdr + 40, key->size);
    st64(hdr + 48, (uint64_t)key->mtime_sec);
    st64(hdr + 56, (uint64_t)key->mtime_nsec);
    st64(hdr + 64, (uint64_t)key->ctime_sec);
    st64(hdr + 72, (uint64_t)key->ctime_nsec);
    st64(hdr + 80, (uint64_t)payload);
    out->max = MT_CFG_CACHE_MAX_BYTES + 1;
    mt_buf_reset(out);
    if (mt_buf_grow(out, HDR_LEN + slen + plen + payload) < 0 ||
        mt_buf_add(out, hdr, sizeof(hdr)) < 0 || mt_buf_add(out, stamp, slen) < 0 ||
        mt_buf_add(out, key->path, plen) < 0 || mt_buf_add(out, head.p, head.len) < 0 ||
        (body.len && mt_buf_add(out, body.p, body.len) < 0) ||
        (eslots && mt_buf_add(out, etab, 8 * eslots) < 0) ||
        (dslots && mt_buf_add(out, dtab, 8 * dslots) < 0))
        goto nomem;
    st64((uint8_t *)out->p + 96, mt_cfg_cache_sum(out->p + HDR_LEN, slen + plen + head.len));
    st64((uint8_t *)out->p + 88, mt_cfg_cache_sum(out->p + HDR_LEN, out->len - HDR_LEN));
    rc = 0;
    goto out;
too_large:
    mt_err_set(err, MT_E_CONFIG, "config cache: config too large to cache");
    goto out;
nomem:
    mt_err_set(err, MT_E_NOMEM, "out of memory");
out:
    free(env_off);
    free(db_off);
    free(etab);
    free(dtab);
    mt_buf_release(&head);
    mt_buf_release(&body);
    return rc;
}

/* ---- decoder ---- */

struct rd {
    const uint8_t *p;
    size_t left;
    struct mt_cfg_arena *arena; /* decoded strings are copied here */
    size_t items;
    int bad;   /* sticky: once set, every read returns 0 */
    int nomem; /* an allocation failed (also sets bad) */
};

static uint32_t get32(struct rd *r)
{
    uint32_t v;
    if (r->bad || r->left < 4) {
        r->bad = 1;
        return 0;
    }
    v = ld32(r->p);
    r->p += 4;
    r->left -= 4;
    return v;
}

static unsigned get16(struct rd *r)
{
    unsigned v;
    if (r->bad || r->left < 2) {
        r->bad = 1;
        return 0;
    }
    v = (unsigned)r->p[0] | (unsigned)r->p[1] << 8;
    r->p += 2;
    r->left -= 2;
    return v;
}

static int get_i32(struct rd *r, int min)
{
    int32_t v = to_i32(get32(r));
    if (v < min) {
        r->bad = 1;
        return 0;
    }
    return (int)v;
}

/* A string: NULL for NONE (only when !required), else a non-empty string without NUL bytes,
 * copied to the arena. */
static char *get_str(struct rd *r, int required)
{
    uint32_t n = get32(r);
    char *s;

    if (r->bad)
        return NULL;
    if (n == NONE) {
        if (required)
            r->bad = 1;
        return NULL;
    }
    if (n == 0 || n > r->left || memchr(r->p, '\0', n)) {
        r->bad = 1;
        return NULL;
    }
    if (!(s = mt_cfg_arena_strndup(r->arena, (const char *)r->p, n))) {
        r->bad = r->nomem = 1;
        return NULL;
    }
    r->p += n;
    r->left -= n;
    return s;
}

/* Compares the next string with want (n bytes) without copying it: 1 equal, 0 not (r->bad on a
 * malformed string). Consumes the string either way. */
static int str_is(struct rd *r, const char *want, size_t n)
{
    uint32_t len = get32(r);
    int eq;

    if (r->bad || len == NONE || len == 0 || len > r->left) {
        r->bad = 1;
        return 0;
    }
    eq = len == n && memcmp(r->p, want, n) == 0;
    r->p += len;
    r->left -= len;
    return eq;
}

/* a count of records of at least min bytes each */
static size_t get_count(struct rd *r, size_t min)
{
    uint32_t n = get32(r);

    if (r->bad)
        return 0;
    if (n > r->left / min || n > MT_CFG_CACHE_MAX_ITEMS - r->items) {
        r->bad = 1;
        return 0;
    }
    r->items += n;
    return n;
}

/* A record of the body at r: sets *sub to its bytes (checksum verified unless no_sum) and
 * advances r past it. */
static void get_record(struct rd *r, int no_sum, struct rd *sub)
{
    uint32_t n;
    uint64_t sum;

    *sub = *r;
    sub->left = 0;
    if (r->bad || r->left < REC_HDR) {
        r->bad = sub->bad = 1;
        return;
    }
    n = ld32(r->p);
    sum = ld64(r->p + 4);
    if (n > r->left - REC_HDR || (!no_sum && sum != mt_cfg_cache_sum(r->p + REC_HDR, n))) {
        r->bad = sub->bad = 1;
        return;
    }
    sub->p = r->p + REC_HDR;
    sub->left = n;
    r->p += REC_HDR + n;
    r->left -= REC_HDR + n;
}

static void get_settings(struct rd *r, unsigned allowed, struct mt_cfg_settings *s)
{
    unsigned mask = get16(r), i;

    s->port = s->connect_port = s->clipboard_clear = -1;
    s->serverless = s->admin = s->expires_in = -1;
    for (i = 0; i < NSTR; i++)
        STR_AT(s, i) = NULL;
    s->cache_name = NULL;
    if (mask & ~allowed) {
        r->bad = 1;
        return;
    }
    for (i = 0; i < NSTR; i++)
        if (mask & (1u << i))
            STR_AT(s, i) = get_str(r, 1);
    if (mask & (1u << BIT_PORT))
        s->port = get_i32(r, 1);
    if (mask & (1u << BIT_CONNECT_PORT))
        s->connect_port = get_i32(r, 1);
    if (mask & (1u << BIT_CLEAR))
        s->clipboard_clear = get_i32(r, 0);
    if (mask & (1u << BIT_CACHE_NAME))
        s->cache_name = get_str(r, 1);
    if (mask & (1u << BIT_SERVERLESS))
        s->serverless = get_i32(r, 0);
    if (mask & (1u << BIT_ADMIN))
        s->admin = get_i32(r, 0);
    if (mask & (1u << BIT_EXPIRES))
        s->expires_in = get_i32(r, 1);
    s->line = get_i32(r, 0);
    s->col = get_i32(r, 0);
    if (s->port > 65535 || s->connect_port > 65535 || s->serverless > 1 || s->admin > 1 ||
        s->expires_in > 604800)
        r->bad = 1;
    if (s->engine) { /* the parser stores only canonical names */
        const char *canon = mt_config_engine(s->engine);
        if (!canon || strcmp(canon, s->engine) != 0)
            r->bad = 1;
    }
}

/* An environment record (sub: its bytes); the databases are not read. Sets *ndbs. */
static void get_env(struct rd *sub, uint32_t no, struct mt_cfg_env *env, size_t *ndbs)
{
    size_t i;

    *ndbs = 0;
    if (get32(sub) != no)
        sub->bad = 1;
    env->name = get_str(sub, 1);
    env->line = get_i32(sub, 0);
    env->col = get_i32(sub, 0);
    env->naliases = get_count(sub, 4);
    if (env->naliases) {
        if (!(env->aliases = malloc(env->naliases * sizeof(*env->aliases)))) {
            env->naliases = 0;
            sub->bad = sub->nomem = 1;
            return;
        }
        for (i = 0; i < env->naliases; i++)
            env->aliases[i] = get_str(sub, 1);
    }
    get_settings(sub, MASK_ALL & ~MASK_DB_ONLY, &env->s);
    *ndbs = get32(sub);
    if (sub->left)
        sub->bad = 1;
}

static void get_db(struct rd *sub, uint32_t env_no, struct mt_cfg_db *db)
{
    if (get32(sub) != env_no)
        sub->bad = 1;
    db->name = get_str(sub, 1);
    db->line = get_i32(sub, 0);
    db->col = get_i32(sub, 0);
    get_settings(sub, MASK_ALL, &db->s);
    if (sub->left)
        sub->bad = 1;
}

/* sub's bad/nomem/items back into r */
static void merge(struct rd *r, const struct rd *sub)
{
    r->bad |= sub->bad;
    r->nomem |= sub->nomem;
    r->items = sub->items;
}

struct layout {
    const uint8_t *path, *head, *body, *etab, *dtab;
    size_t plen, head_len, body_len, eslots, dslots;
    uint32_t nenvs, nwarnings;
};

static int is_pow2_or_0(uint32_t v)
{
    return (v & (v - 1)) == 0;
}

/* Checks the header (and the checksums the flags ask for: the whole file when full, else the
 * stamp, path and head only) and finds the sections. */
static int decode_header(const uint8_t *d, size_t len, const struct mt_cfg_cache_key *key,
                         unsigned flags, int full, struct layout *lo)
{
    char stamp[MAX_STAMP + 1];
    size_t slen, want_slen, at, rest;
    uint32_t s32, p32, h32;

    if (len < HDR_LEN || len > MT_CFG_CACHE_MAX_BYTES || memcmp(d, MAGIC, 8) != 0 ||
        ld32(d + 8) != FORMAT_VERSION)
        return -1;
    s32 = ld32(d + 12);
    p32 = ld32(d + 16);
    h32 = ld32(d + 20);
    if (s32 > MAX_STAMP || p32 > MAX_PATH_LEN || h32 < HEAD_MIN || h32 > len)
        return -1;
    slen = s32;
    lo->plen = p32;
    lo->head_len = h32;
    at = HDR_LEN + slen + lo->plen; /* <= 104 + 1024 + 65536: no overflow */
    if (at > len || ld64(d + 80) != (uint64_t)(len - at) || lo->head_len > len - at)
        return -1;
    lo->path = d + HDR_LEN + slen;
    if (memchr(lo->path, '\0', lo->plen))
        return -1;
    if (!(flags & MT_CFG_CACHE_NO_SUM) &&
        (ld64(d + 96) != mt_cfg_cache_sum(d + HDR_LEN, slen + lo->plen + lo->head_len) ||
         (full && ld64(d + 88) != mt_cfg_cache_sum(d + HDR_LEN, len - HDR_LEN))))
        return -1;
    if (!(flags & MT_CFG_CACHE_ANY_KEY)) {
        want_slen = mt_cfg_cache_stamp(stamp, sizeof(stamp));
        if (want_slen != slen || memcmp(stamp, d + HDR_LEN, slen) != 0)
            return -1;
        if (!key || strlen(key->path) != lo->plen || memcmp(key->path, lo->path, lo->plen) != 0 ||
            ld64(d + 24) != key->dev || ld64(d + 32) != key->ino || ld64(d + 40) != key->size ||
            to_i64(ld64(d + 48)) != key->mtime_sec || to_i64(ld64(d + 56)) != key->mtime_nsec ||
            to_i64(ld64(d + 64)) != key->ctime_sec || to_i64(ld64(d + 72)) != key->ctime_nsec)
            return -1;
    }
    lo->head = d + at;
    lo->nenvs = ld32(lo->head);
    lo->nwarnings = ld32(lo->head + 4);
    lo->body_len = ld32(lo->head + 8);
    s32 = ld32(lo->head + 12);
    p32 = ld32(lo->head + 16);
    if (!is_pow2_or_0(s32) || !is_pow2_or_0(p32) || s32 > 2 * MT_CFG_CACHE_MAX_ITEMS ||
        p32 > 2 * MT_CFG_CACHE_MAX_ITEMS)
        return -1;
    lo->eslots = s32;
    lo->dslots = p32;
    /* the sections fill the file exactly (each term < 2^27: no overflow) */
    rest = len - at - lo->head_len;
    if (lo->body_len > rest || rest - lo->body_len != 8 * (lo->eslots + lo->dslots))
        return -1;
    lo->body = lo->head + lo->head_len;
    lo->etab = lo->body + lo->body_len;
    lo->dtab = lo->etab + 8 * lo->eslots;
    return 0;
}

/* The start of decoding: header, path, arena, the head (defaults and warnings). */
static int decode_head(const uint8_t *d, size_t len, const struct mt_cfg_cache_key *key,
                       unsigned flags, int full, struct layout *lo, struct rd *r,
                       struct mt_config *out, struct mt_err *err)
{
    size_t i, n;

    mt_config_init(out);
    memset(r, 0, sizeof(*r));
    if (!d || decode_header(d, len, key, flags, full, lo) < 0)
        return mt_err_set(err, MT_E_CONFIG, "config cache: stale or invalid header");
    if (!(out->path = malloc(lo->plen + 1)) || !(r->arena = out->arena = mt_cfg_arena_new()))
        goto nomem;
    memcpy(out->path, lo->path, lo->plen);
    out->path[lo->plen] = '\0';
    r->p = lo->head + HEAD_MIN - MIN_SETTINGS;
    r->left = lo->head_len - (HEAD_MIN - MIN_SETTINGS);
    r->items = lo->nenvs;
    if (lo->nenvs > MT_CFG_CACHE_MAX_ITEMS || lo->nenvs > lo->body_len / MIN_ENV_REC)
        r->bad = 1;
    get_settings(r, MASK_ALL & ~MASK_DB_ONLY, &out->defaults);
    n = lo->nwarnings;
    if (!r->bad && (n > r->left / MIN_WARNING || n > MT_CFG_CACHE_MAX_ITEMS - r->items))
        r->bad = 1;
    if (!r->bad && n) {
        r->items += n;
        if (!(out->warnings = calloc(n, sizeof(*out->warnings))))
            goto nomem;
        out->nwarnings = n;
    }
    for (i = 0; i < out->nwarnings && !r->bad; i++) {
        out->warnings[i].line = get_i32(r, 0);
        out->warnings[i].col = get_i32(r, 0);
        out->warnings[i].msg = get_str(r, 1);
    }
    if (r->nomem)
        goto nomem;
    if (r->bad || r->left != 0) {
        mt_err_set(err, MT_E_CONFIG, "config cache: corrupt payload");
        goto fail;
    }
    return 0;
nomem:
    mt_err_set(err, MT_E_NOMEM, "out of memory");
fail:
    mt_config_release(out);
    return -1;
}

int mt_cfg_cache_decode(const void *data, size_t len, const struct mt_cfg_cache_key *key,
                        unsigned flags, struct mt_config *out, struct mt_err *err)
{
    struct layout lo;
    struct rd r, sub;
    size_t i, j, ndbs;
    int no_sum = (flags & MT_CFG_CACHE_NO_SUM) != 0;

    if (decode_head(data, len, key, flags, 1, &lo, &r, out, err) < 0)
        return -1;
    r.p = lo.body;
    r.left = lo.body_len;
    if (lo.nenvs) {
        if (!(out->envs = calloc(lo.nenvs, sizeof(*out->envs))))
            goto nomem;
        out->nenvs = lo.nenvs; /* zeroed: mt_config_release() copes with a half-filled array */
    }
    for (i = 0; i < out->nenvs && !r.bad; i++) {
        struct mt_cfg_env *env = &out->envs[i];
        get_record(&r, no_sum, &sub);
        get_env(&sub, (uint32_t)i, env, &ndbs);
        merge(&r, &sub);
        if (r.bad || ndbs > r.left / MIN_DB_REC || ndbs > MT_CFG_CACHE_MAX_ITEMS - r.items) {
            r.bad = 1;
            break;
        }
        r.items += ndbs;
        if (ndbs && !(env->dbs = malloc(ndbs * sizeof(*env->dbs)))) {
            r.bad = r.nomem = 1;
            break;
        }
        for (j = 0; j < ndbs && !r.bad; j++) {
            get_record(&r, no_sum, &sub);
            get_db(&sub, (uint32_t)i, &env->dbs[j]);
            merge(&r, &sub);
            env->ndbs = j + 1;
        }
    }
    if (r.nomem)
        goto nomem;
    if (r.bad || r.left != 0) {
        mt_err_set(err, MT_E_CONFIG, "config cache: corrupt payload");
        goto fail;
    }
    return 0;
nomem:
    mt_err_set(err, MT_E_NOMEM, "out of memory");
fail:
    mt_config_release(out);
    return -1;
}

/* The record an index slot points at, or -1 (empty slot ends the probe: -2). */
static int slot_record(const struct layout *lo, const uint8_t *tab, size_t i, uint32_t h,
                       int no_sum, struct rd *r, struct rd *sub)
{
    uint32_t off1 = ld32(tab + 8 * i + 4);

    if (!off1)
        return -2;
    if (ld32(tab + 8 * i) != h)
        return -1;
    r->p = lo->body + (off1 - 1);
    r->left = off1 - 1 < lo->body_len ? lo->body_len - (off1 - 1) : 0;
    r->bad = off1 - 1 >= lo->body_len;
    get_record(r, no_sum, sub);
    return sub->bad ? -3 : 0;
}

int mt_cfg_cache_decode_one(const void *data, size_t len, const struct mt_cfg_cache_key *key,
                            unsigned flags, const char *env_name, const char *db_name,
                            struct mt_config *out, struct mt_err *err)
{
    struct layout lo;
    struct rd r, sub, probe;
    struct mt_cfg_env *env;
    size_t i, m, tries, nlen = env_name ? strlen(env_name) : 0, dlen = db_name ? strlen(db_name) : 0;
    size_t ndbs, k;
    uint32_t h, no = 0;
    int no_sum = (flags & MT_CFG_CACHE_NO_SUM) != 0, found = 0, s;

    if (!env_name || !db_name)
        return mt_err_set(err, MT_E_CONFIG, "config cache: nothing to look up");
    if (decode_head(data, len, key, flags, 0, &lo, &r, out, err) < 0)
        return -1;
    /* the environment: a slot whose record has this name or alias (the index is not trusted:
     * only a checksummed record that names what was asked counts) */
    if (!lo.eslots)
        goto absent;
    h = env_hash(env_name, nlen);
    m = lo.eslots - 1;
    for (i = h & m, tries = 0; tries < lo.eslots && !found; i = (i + 1) & m, tries++) {
        probe = r;
        if ((s = slot_record(&lo, lo.etab, i, h, no_sum, &probe, &sub)) == -2)
            break;
        if (s == -3)
            goto corrupt;
        if (s < 0)
            continue;
        if (sub.left < 4)
            goto corrupt;
        no = ld32(sub.p);
        probe = sub;
        probe.p += 4;
        probe.left -= 4;
        found = str_is(&probe, env_name, nlen);
        probe.items = 0;
        if (!found && !probe.bad) {
            (void)get32(&probe); /* line, col */
            (void)get32(&probe);
            k = get_count(&probe, 4);
            for (; k && !probe.bad && !found; k--)
                found = str_is(&probe, env_name, nlen);
        }
        if (probe.bad)
            goto corrupt;
    }
    if (!found)
        goto absent;
    if (!(out->envs = calloc(1, sizeof(*out->envs))))
        goto nomem;
    out->nenvs = 1;
    env = &out->envs[0];
    r.items = 1 + lo.nwarnings;
    sub.items = r.items;
    get_env(&sub, no, env, &ndbs);
    merge(&r, &sub);
    if (r.nomem)
        goto nomem;
    if (r.bad || no >= lo.nenvs || ndbs > MT_CFG_CACHE_MAX_ITEMS)
        goto corrupt;
    /* the database: a checksummed record of this environment with this name */
    if (!lo.dslots || !ndbs)
        goto absent;
    h = db_hash(no, db_name, dlen);
    m = lo.dslots - 1;
    for (i = h & m, tries = 0, found = 0; tries < lo.dslots; i = (i + 1) & m, tries++) {
        probe = r;
        if ((s = slot_record(&lo, lo.dtab, i, h, no_sum, &probe, &sub)) == -2)
            break;
        if (s == -3)
            goto corrupt;
        if (s < 0)
            continue;
        probe = sub;
        if (get32(&probe) != no)
            continue;
        found = str_is(&probe, db_name, dlen);
        if (probe.bad)
            goto corrupt;
        if (found)
            break;
    }
    if (!found)
        goto absent;
    if (!(env->dbs = malloc(sizeof(*env->dbs))))
        goto nomem;
    env->ndbs = 1;
    get_db(&sub, no, &env->dbs[0]);
    merge(&r, &sub);
    if (r.nomem)
        goto nomem;
    if (r.bad)
        goto corrupt;
    return 0;
absent:
    mt_err_set(err, MT_E_CONFIG, "config cache: '%s' / '%s' not in the index", env_name, db_name);
    goto fail;
corrupt:
    mt_err_set(err, MT_E_CONFIG, "config cache: corrupt payload");
    goto fail;
nomem:
    mt_err_set(err, MT_E_NOMEM, "out of memory");
fail:
    mt_config_release(out);
    return -1;
}

/* ---- comparison (tests and fuzzing) ---- */

static int str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int settings_eq(const struct mt_cfg_settings *a, const struct mt_cfg_settings *b)
{
    unsigned i;

    for (i = 0; i < NSTR; i++)
        if (!str_eq(CSTR_AT(a, i), CSTR_AT(b, i)))
            return 0;
    return a->port == b->port && a->connect_port == b->connect_port &&
           a->clipboard_clear == b->clipboard_clear && str_eq(a->cache_name, b->cache_name) &&
           a->serverless == b->serverless && a->admin == b->admin &&
           a->expires_in == b->expires_in && a->line == b->line && a->col == b->col;
}

int mt_cfg_equal(const struct mt_config *a, const struct mt_config *b)
{
    size_t i, j;

    if (!str_eq(a->path, b->path) || !settings_eq(&a->defaults, &b->defaults) ||
        a->nenvs != b->nenvs || a->nwarnings != b->nwarnings)
        return 0;
    for (i = 0; i < a->nenvs; i++) {
        const struct mt_cfg_env *x = &a->envs[i], *y = &b->envs[i];
        if (!str_eq(x->name, y->name) || x->line != y->line || x->col != y->col ||
            x->naliases != y->naliases || x->ndbs != y->ndbs || !settings_eq(&x->s, &y->s))
            return 0;
        for (j = 0; j < x->naliases; j++)
            if (!str_eq(x->aliases[j], y->aliases[j]))
                return 0;
        for (j = 0; j < x->ndbs; j++)
            if (!str_eq(x->dbs[j].name, y->dbs[j].name) || x->dbs[j].line != y->dbs[j].line ||
                x->dbs[j].col != y->dbs[j].col || !settings_eq(&x->dbs[j].s, &y->dbs[j].s))
                return 0;
    }
    for (i = 0; i < a->nwarnings; i++)
        if (a->warnings[i].line != b->warnings[i].line ||
            a->warnings[i].col != b->warnings[i].col ||
            !str_eq(a->warnings[i].msg, b->warnings[i].msg))
            return 0;
    return 1;
}
