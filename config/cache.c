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
 *   8  4  format version (1)
 *  12  4  stamp length S (<= 1024)      the build stamp: mt_cfg_cache_stamp()
 *  16  4  path length P (<= 65536)      the config path exactly as given to the loader
 *  20  4  reserved, 0
 *  24  8  st_dev     32 8 st_ino     40 8 st_size
 *  48  8  st_mtim.tv_sec   56 8 st_mtim.tv_nsec
 *  64  8  st_ctim.tv_sec   72 8 st_ctim.tv_nsec
 *  80  8  payload length L (everything after the path; the file ends exactly there)
 *  88  8  mt_cfg_cache_sum() of bytes 96 .. end (stamp, path and payload)
 *  96  S  stamp, then P path bytes (no NUL), then the payload:
 *      u32 strtab_len, strtab (NUL-terminated strings back to back; ends with NUL)
 *      settings(defaults), u32 nenvs, nenvs x env, u32 nwarnings, nwarnings x warning
 *   env:      str name, i32 line, i32 col, u32 naliases, naliases x str, settings,
 *             u32 ndbs, ndbs x db
 *   db:       str name, i32 line, i32 col, settings
 *   warning:  i32 line, i32 col, str msg
 *   settings: u16 mask (bit i < 9: string i of region, profile, engine, ca_bundle, clipboard,
 *             user, host, name, connect_host is set; bits 9, 10, 11: port, connect_port,
 *             clipboard_clear are set; bit 12: cache_name; bits 13, 14, 15: serverless,
 *             admin, expires_in), the set strings, the set integers (i32), i32 line, i32 col
 *   str:      u32 offset into strtab, 0xFFFFFFFF for "not set"
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
#define FORMAT_VERSION 2u
#define HDR_LEN 96
#define MAX_STAMP 1024
#define MAX_PATH_LEN 65536
#define NONE 0xFFFFFFFFu

/* smallest encoding of each record, to bound counts by the bytes left before allocating */
#define MIN_SETTINGS (2 + 4 + 4)
#define MIN_ENV (4 + 4 + 4 + 4 + MIN_SETTINGS + 4)
#define MIN_DB (4 + 4 + 4 + MIN_SETTINGS)
#define MIN_WARNING (4 + 4 + 4)

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
    struct mt_buf strs, recs;
    size_t items;
    int failed;
};

static void put_raw(struct enc *e, const void *p, size_t n)
{
    if (!e->failed && mt_buf_add(&e->recs, p, n) < 0)
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
    size_t off = e->strs.len;

    if (!s) {
        put32(e, NONE);
        return;
    }
    if (e->failed)
        return;
    if (off >= NONE || mt_buf_add(&e->strs, s, strlen(s) + 1) < 0) {
        e->failed = 1;
        return;
    }
    put32(e, (uint32_t)off);
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

int mt_cfg_cache_encode(const struct mt_config *cfg, const struct mt_cfg_cache_key *key,
                        struct mt_buf *out, struct mt_err *err)
{
    struct enc e = {MT_BUF_INIT, MT_BUF_INIT, 0, 0};
    char stamp[MAX_STAMP + 1];
    uint8_t hdr[HDR_LEN], b4[4];
    size_t slen = mt_cfg_cache_stamp(stamp, sizeof(stamp)), plen = strlen(key->path), i, j;
    size_t payload;
    int rc = -1;

    e.strs.max = e.recs.max = MT_CFG_CACHE_MAX_BYTES;
    if (plen > MAX_PATH_LEN || slen >= MAX_STAMP || cfg->nenvs > MT_CFG_CACHE_MAX_ITEMS ||
        cfg->nwarnings > MT_CFG_CACHE_MAX_ITEMS) {
        mt_err_set(err, MT_E_CONFIG, "config cache: config too large to cache");
        goto out;
    }
    put_settings(&e, &cfg->defaults);
    put32(&e, (uint32_t)cfg->nenvs);
    e.items = cfg->nenvs + cfg->nwarnings;
    for (i = 0; i < cfg->nenvs && !e.failed; i++) {
        const struct mt_cfg_env *env = &cfg->envs[i];
        e.items += env->naliases + env->ndbs;
        if (env->naliases > MT_CFG_CACHE_MAX_ITEMS || env->ndbs > MT_CFG_CACHE_MAX_ITEMS ||
            e.items > MT_CFG_CACHE_MAX_ITEMS) {
            e.failed = 1;
            break;
        }
        put_str(&e, env->name);
        put_i32(&e, env->line);
        put_i32(&e, env->col);
        put32(&e, (uint32_t)env->naliases);
        for (j = 0; j < env->naliases; j++)
            put_str(&e, env->aliases[j]);
        put_settings(&e, &env->s);
        put32(&e, (uint32_t)env->ndbs);
        for (j = 0; j < env->ndbs; j++) {
            const struct mt_cfg_db *db = &env->dbs[j];
            put_str(&e, db->name);
            put_i32(&e, db->line);
            put_i32(&e, db->col);
            put_settings(&e, &db->s);
        }
    }
    put32(&e, (uint32_t)cfg->nwarnings);
    for (i = 0; i < cfg->nwarnings; i++) {
        put_i32(&e, cfg->warnings[i].line);
        put_i32(&e, cfg->warnings[i].col);
        put_str(&e, cfg->warnings[i].msg);
    }
    if (e.failed) {
        mt_err_set(err, MT_E_CONFIG, "config cache: config too large to cache");
        goto out;
    }
    payload = 4 + e.strs.len + e.recs.len;
    if (payload > MT_CFG_CACHE_MAX_BYTES - HDR_LEN - slen - plen) {
        mt_err_set(err, MT_E_CONFIG, "config cache: config too large to cache");
        goto out;
    }

    memset(hdr, 0, sizeof(hdr));
    memcpy(hdr, MAGIC, 8);
    st32(hdr + 8, FORMAT_VERSION);
    st32(hdr + 12, (uint32_t)slen);
    st32(hdr + 16, (uint32_t)plen);
    st64(hdr + 24, key->dev);
    st64(hdr + 32, key->ino);
    st64(hdr + 40, key->size);
    st64(hdr + 48, (uint64_t)key->mtime_sec);
    st64(hdr + 56, (uint64_t)key->mtime_nsec);
    st64(hdr + 64, (uint64_t)key->ctime_sec);
    st64(hdr + 72, (uint64_t)key->ctime_nsec);
    st64(hdr + 80, (uint64_t)payload);
    st32(b4, (uint32_t)e.strs.len);
    out->max = MT_CFG_CACHE_MAX_BYTES + 1;
    mt_buf_reset(out);
    if (mt_buf_grow(out, HDR_LEN + slen + plen + payload) < 0 ||
        mt_buf_add(out, hdr, sizeof(hdr)) < 0 || mt_buf_add(out, stamp, slen) < 0 ||
        mt_buf_add(out, key->path, plen) < 0 || mt_buf_add(out, b4, 4) < 0 ||
        (e.strs.len && mt_buf_add(out, e.strs.p, e.strs.len) < 0) ||
        mt_buf_add(out, e.recs.p, e.recs.len) < 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    st64((uint8_t *)out->p + 88, mt_cfg_cache_sum(out->p + HDR_LEN, out->len - HDR_LEN));
    rc = 0;
out:
    mt_buf_release(&e.strs);
    mt_buf_release(&e.recs);
    return rc;
}

/* ---- decoder ---- */

struct rd {
    const uint8_t *p;
    size_t left;
    const char *strtab; /* the arena copy */
    size_t strtab_len;
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

/* A string: NULL for NONE (only when !required), else a non-empty string from the table. */
static char *get_str(struct rd *r, int required)
{
    uint32_t off = get32(r);
    const char *s;

    if (r->bad)
        return NULL;
    if (off == NONE) {
        if (required)
            r->bad = 1;
        return NULL;
    }
    if (off >= r->strtab_len) {
        r->bad = 1;
        return NULL;
    }
    s = r->strtab + off;
    if (!*s) {
        r->bad = 1;
        return NULL;
    }
    return (char *)s;
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

static void get_env(struct rd *r, struct mt_cfg_env *env)
{
    size_t i;

    env->name = get_str(r, 1);
    env->line = get_i32(r, 0);
    env->col = get_i32(r, 0);
    env->naliases = get_count(r, 4);
    if (env->naliases) {
        if (!(env->aliases = malloc(env->naliases * sizeof(*env->aliases)))) {
            env->naliases = 0;
            r->bad = r->nomem = 1;
            return;
        }
        for (i = 0; i < env->naliases; i++)
            env->aliases[i] = get_str(r, 1);
    }
    get_settings(r, MASK_ALL & ~MASK_DB_ONLY, &env->s);
    if (r->bad)
        return;
    env->ndbs = get_count(r, MIN_DB);
    if (!env->ndbs)
        return;
    if (!(env->dbs = malloc(env->ndbs * sizeof(*env->dbs)))) {
        env->ndbs = 0;
        r->bad = r->nomem = 1;
        return;
    }
    for (i = 0; i < env->ndbs && !r->bad; i++) {
        struct mt_cfg_db *db = &env->dbs[i];
        db->name = get_str(r, 1);
        db->line = get_i32(r, 0);
        db->col = get_i32(r, 0);
        get_settings(r, MASK_ALL, &db->s);
    }
}

static int decode_header(const uint8_t *d, size_t len, const struct mt_cfg_cache_key *key,
                         unsigned flags, size_t *payload_at, const uint8_t **path, size_t *plen)
{
    char stamp[MAX_STAMP + 1];
    size_t slen, want_slen, at;
    uint32_t s32, p32;

    if (len < HDR_LEN || len > MT_CFG_CACHE_MAX_BYTES || memcmp(d, MAGIC, 8) != 0 ||
        ld32(d + 8) != FORMAT_VERSION || ld32(d + 20) != 0)
        return -1;
    s32 = ld32(d + 12);
    p32 = ld32(d + 16);
    if (s32 > MAX_STAMP || p32 > MAX_PATH_LEN)
        return -1;
    slen = s32;
    *plen = p32;
    at = HDR_LEN + slen + *plen; /* <= 96 + 1024 + 65536: no overflow */
    if (at > len || ld64(d + 80) != (uint64_t)(len - at))
        return -1;
    *path = d + HDR_LEN + slen;
    if (memchr(*path, '\0', *plen))
        return -1;
    if (!(flags & MT_CFG_CACHE_NO_SUM) &&
        ld64(d + 88) != mt_cfg_cache_sum(d + HDR_LEN, len - HDR_LEN))
        return -1;
    if (!(flags & MT_CFG_CACHE_ANY_KEY)) {
        want_slen = mt_cfg_cache_stamp(stamp, sizeof(stamp));
        if (want_slen != slen || memcmp(stamp, d + HDR_LEN, slen) != 0)
            return -1;
        if (!key || strlen(key->path) != *plen || memcmp(key->path, *path, *plen) != 0 ||
            ld64(d + 24) != key->dev || ld64(d + 32) != key->ino || ld64(d + 40) != key->size ||
            to_i64(ld64(d + 48)) != key->mtime_sec || to_i64(ld64(d + 56)) != key->mtime_nsec ||
            to_i64(ld64(d + 64)) != key->ctime_sec || to_i64(ld64(d + 72)) != key->ctime_nsec)
            return -1;
    }
    *payload_at = at;
    return 0;
}

int mt_cfg_cache_decode(const void *data, size_t len, const struct mt_cfg_cache_key *key,
                        unsigned flags, struct mt_config *out, struct mt_err *err)
{
    const uint8_t *d = data, *path = NULL;
    struct rd r;
    size_t at = 0, plen = 0, i, n;

    mt_config_init(out);
    memset(&r, 0, sizeof(r));
    if (!d || decode_header(d, len, key, flags, &at, &path, &plen) < 0)
        return mt_err_set(err, MT_E_CONFIG, "config cache: stale or invalid header");
    r.p = d + at;
    r.left = len - at;
    n = get32(&r);
    if (r.bad || n > r.left || (n && r.p[n - 1] != '\0')) {
        mt_err_set(err, MT_E_CONFIG, "config cache: bad string table");
        goto fail;
    }
    if (!(out->path = malloc(plen + 1)) || !(out->arena = mt_cfg_arena_new()))
        goto nomem;
    memcpy(out->path, path, plen);
    out->path[plen] = '\0';
    if (n) {
        if (!(r.strtab = mt_cfg_arena_strndup(out->arena, (const char *)r.p, n)))
            goto nomem;
        r.strtab_len = n;
        r.p += n;
        r.left -= n;
    }

    get_settings(&r, MASK_ALL & ~MASK_DB_ONLY, &out->defaults);
    n = get_count(&r, MIN_ENV);
    if (n) {
        if (!(out->envs = calloc(n, sizeof(*out->envs))))
            goto nomem;
        out->nenvs = n; /* zeroed: mt_config_release() copes with a half-filled array */
    }
    for (i = 0; i < n && !r.bad; i++)
        get_env(&r, &out->envs[i]);
    n = get_count(&r, MIN_WARNING);
    if (n) {
        if (!(out->warnings = calloc(n, sizeof(*out->warnings))))
            goto nomem;
        out->nwarnings = n;
    }
    for (i = 0; i < n && !r.bad; i++) {
        out->warnings[i].line = get_i32(&r, 0);
        out->warnings[i].col = get_i32(&r, 0);
        out->warnings[i].msg = get_str(&r, 1);
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
