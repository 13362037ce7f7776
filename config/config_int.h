/* config_int.h - internals shared by the config module sources and visible to the unit tests. */
#ifndef MT_CONFIG_CONFIG_INT_H
#define MT_CONFIG_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

struct mt_config;
struct mt_cfg_arena;

/* A bump allocator for the strings of one mt_config (few large blocks instead of one malloc per
 * scalar). All functions return NULL on OOM. */
struct mt_cfg_arena *mt_cfg_arena_new(void);
void mt_cfg_arena_free(struct mt_cfg_arena *a);
char *mt_cfg_arena_strndup(struct mt_cfg_arena *a, const char *s, size_t n);

/* Levenshtein distance of two short strings, capped: returns at most cap + 1 (strings longer
 * than 64 bytes compare as "far"). */
int mt_cfg_edit_distance(const char *a, const char *b, int cap);

/* ---- binary parse cache (cache.c, pure; the file I/O is in load.c) ----
 * A validated snapshot of mt_config_parse()'s output, keyed by the config file's identity. The
 * layout is documented at the top of cache.c. */

#define MT_CFG_CACHE_MAX_BYTES ((size_t)64 << 20) /* cache files larger than this are ignored */
/* environments + aliases + databases + warnings in one cache */
#define MT_CFG_CACHE_MAX_ITEMS ((size_t)1 << 22)
#define MT_CFG_CACHE_RACY_SECS 2 /* no cache while mtime or ctime is this recent (racy git) */
#define MT_CFG_CACHE_NAME_SIZE (sizeof("config-.bin") + 64)

/* What the cache must match: the config file's fstat() and the path string used to open it. */
struct mt_cfg_cache_key {
    uint64_t dev, ino, size;
    int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
    const char *path; /* borrowed */
};

/* mt_cfg_cache_decode() flags, for tests and fuzzing only: accept any key and build stamp, skip
 * the checksum. The loader passes 0. */
#define MT_CFG_CACHE_ANY_KEY 1u
#define MT_CFG_CACHE_NO_SUM 2u

/* The cache file name for a config path: "config-<sha256(path) hex>.bin". */
void mt_cfg_cache_name(char out[MT_CFG_CACHE_NAME_SIZE], const char *path);

/* The build stamp stored in (and required of) every cache: the mytools version and a hash of
 * the parser's sources (compiled in), the format version, libyaml's run-time version and the
 * struct sizes. Writes at most outsz-1 characters plus NUL; returns the length written. */
size_t mt_cfg_cache_stamp(char *out, size_t outsz);

/* 1 if a file with this key is too fresh to cache: mtime or ctime is within
 * MT_CFG_CACHE_RACY_SECS of now (or later), so a same-size edit could keep the same stamps. */
int mt_cfg_cache_racy(const struct mt_cfg_cache_key *key, int64_t now_sec, int64_t now_nsec);

/* The checksum in the header (64-bit, not cryptographic: catches torn and bit-flipped files). */
uint64_t mt_cfg_cache_sum(const void *data, size_t len);

/* Serialises cfg (a successful mt_config_parse() result) for key into out (replacing its
 * contents). Errors: MT_E_CONFIG when the config exceeds the caps above (do not cache),
 * MT_E_NOMEM. */
int mt_cfg_cache_encode(const struct mt_config *cfg, const struct mt_cfg_cache_key *key,
                        struct mt_buf *out, struct mt_err *err) MT_WUR;

/* Decodes untrusted cache bytes into out, which is initialised first. The header must match the
 * build stamp and key exactly (unless flags say otherwise) and the payload must be complete and
 * well-formed. On success out is what mt_config_parse() produced, warnings included; release it
 * with mt_config_release(). On failure out is left empty (nothing to release) and err says
 * MT_E_CONFIG (stale or corrupt: parse the YAML instead) or MT_E_NOMEM. */
int mt_cfg_cache_decode(const void *data, size_t len, const struct mt_cfg_cache_key *key,
                        unsigned flags, struct mt_config *out, struct mt_err *err) MT_WUR;

/* The warm path of a `db token -e ENV -d DB`: like mt_cfg_cache_decode(), but checks only the
 * header, the stamp, path and head checksum, and the records of the environment whose name or
 * alias is env and of its database db (found through the indexes, each record checked by its own
 * checksum). On success out holds the defaults, the warnings and that one environment (its
 * aliases and settings) with that one database: enough for mt_resolve_target(), not for listing.
 * MT_E_CONFIG when either is not in the cache or anything is stale or corrupt (then use
 * mt_cfg_cache_decode(), which also gives "unknown environment" its list); out left empty. */
int mt_cfg_cache_decode_one(const void *data, size_t len, const struct mt_cfg_cache_key *key,
                            unsigned flags, const char *env, const char *db,
                            struct mt_config *out, struct mt_err *err) MT_WUR;

/* 1 if two configs are equal field by field (strings by content), else 0. For tests. */
int mt_cfg_equal(const struct mt_config *a, const struct mt_config *b);

#endif
