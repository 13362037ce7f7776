/* fuzz_config_cache.c - mt_cfg_cache_decode() (config/cache.c) on arbitrary bytes, plus the
 * encoder's round trip. See tests/cmake/fuzz.cmake.
 *
 * Input starting with the cache magic (or anything but 'Y'): decoded twice, once as the loader
 * does (exact key, build stamp and checksum: with a foreign stamp this must fail cleanly) and once
 * with MT_CFG_CACHE_ANY_KEY | MT_CFG_CACHE_NO_SUM so the fuzzer reaches the payload decoder.
 * Whatever decodes must be well-formed (the shape the parser guarantees), survive lookups and
 * target resolution, and re-encode to a cache that decodes to an equal config.
 *
 * Input starting with 'Y': the rest is YAML; if it parses, decode(encode(parse(x))) must equal
 * parse(x), warnings included, and the one-database decoder must find every (environment or
 * alias, database) pair with the same content.
 *
 * Every cache input also goes through mt_cfg_cache_decode_one() for the names the full decode
 * found (and a few fixed ones): what it returns must be well-formed and, when the full decode
 * accepts the file too, equal to the full config cut down to that environment and database. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "config/config.h"
#include "config/config_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PATH "/fuzz/config.yaml"

static const struct mt_cfg_cache_key fuzz_key = {1, 2, 3, 1600000000, 4, 1600000000, 5,
                                                 FUZZ_PATH};

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_config_cache: %s\n", what);
        abort();
    }
}

static void check_settings(const struct mt_cfg_settings *s, int is_db)
{
    check(s->port == -1 || (s->port >= 1 && s->port <= 65535), "port out of range");
    check(s->connect_port == -1 || (s->connect_port >= 1 && s->connect_port <= 65535),
          "connect_port out of range");
    check(s->clipboard_clear >= -1, "clipboard_clear negative");
    check(s->line >= 0 && s->col >= 0, "negative position");
    check(!s->engine || (mt_config_engine(s->engine) &&
                         strcmp(mt_config_engine(s->engine), s->engine) == 0),
          "engine not canonical");
    if (!is_db)
        check(!s->host && !s->name && !s->connect_host && s->connect_port == -1,
              "database-only key outside a database");
    check(!s->region || *s->region, "empty string");
}

static const char *region_cb(void *ctx, const char *profile)
{
    (void)ctx;
    return profile[0] ? "xx-test-1" : NULL;
}

static void resolve(const struct mt_config *cfg, const char *env, const char *db)
{
    struct mt_resolve_in in;
    struct mt_target t;
    struct mt_err err = MT_ERR_INIT;

    mt_resolve_in_init(&in);
    in.cfg = cfg;
    in.env = env;
    in.database = db;
    in.home = "/home/fuzz";
    in.aws_profile = "dev";
    in.profile_region_fn = region_cb;
    if (mt_resolve_target(&in, &t, &err) == 0)
        check(t.host && t.user && t.region && t.profile, "resolved target incomplete");
    mt_target_release(&t);
}

static void check_config(const struct mt_config *cfg)
{
    size_t i, j;

    check(cfg->path != NULL, "no path");
    check_settings(&cfg->defaults, 0);
    for (i = 0; i < cfg->nenvs; i++) {
        const struct mt_cfg_env *e = &cfg->envs[i];
        check(e->name && *e->name, "environment without a name");
        check(mt_config_find_env(cfg, e->name) != NULL, "environment not found by name");
        check_settings(&e->s, 0);
        for (j = 0; j < e->naliases; j++)
            check(e->aliases[j] && *e->aliases[j], "empty alias");
        for (j = 0; j < e->ndbs; j++) {
            check(e->dbs[j].name && *e->dbs[j].name, "database without a name");
            check_settings(&e->dbs[j].s, 1);
            if (j < 4)
                resolve(cfg, e->name, e->dbs[j].name);
        }
    }
    for (i = 0; i < cfg->nwarnings; i++)
        check(cfg->warnings[i].msg && *cfg->warnings[i].msg, "warning without a message");
}

/* mt_cfg_cache_decode_one() of data for env/db. must_hit: data is our own encoding of full (then
 * the pair must be found when full has it, and equal full's). Otherwise (fuzzed bytes, where two
 * records may carry one name) only well-formedness is checked. */
static void one(const uint8_t *data, size_t size, const struct mt_cfg_cache_key *key,
                unsigned flags, const struct mt_config *full, const char *env, const char *db,
                int must_hit)
{
    struct mt_config o;
    struct mt_err err = MT_ERR_INIT;
    const struct mt_cfg_env *fe = must_hit && full ? mt_config_find_env(full, env) : NULL;
    const struct mt_cfg_db *fd = fe ? mt_config_find_db(fe, db) : NULL;

    if (mt_cfg_cache_decode_one(data, size, key, flags, env, db, &o, &err) != 0) {
        check(!fd, "one-database decode missed a known pair");
        check(err.code == MT_E_CONFIG || err.code == MT_E_NOMEM, "decode_one error code");
        check(o.nenvs == 0 && !o.path && !o.arena && !o.warnings, "failed decode_one left data");
        return;
    }
    check(o.nenvs == 1 && o.envs[0].ndbs == 1, "decode_one shape");
    check(mt_config_find_env(&o, env) == &o.envs[0], "decode_one: another environment");
    check(strcmp(o.envs[0].dbs[0].name, db) == 0, "decode_one: another database");
    check_config(&o);
    if (must_hit) {
        struct mt_config want = *full;
        struct mt_cfg_env we;
        check(fe && fd, "decode_one found what the full decode does not have");
        we = *fe;
        we.dbs = (struct mt_cfg_db *)fd;
        we.ndbs = 1;
        want.envs = &we;
        want.nenvs = 1;
        check(mt_cfg_equal(&want, &o), "decode_one differs from the full decode");
    }
    mt_config_release(&o);
}

/* decode_one for every pair of cfg (at most a few) and some names that are not there */
static void one_all(const uint8_t *data, size_t size, const struct mt_cfg_cache_key *key,
                    unsigned flags, const struct mt_config *cfg, int must_hit)
{
    size_t i, j, k, n = 0;

    for (i = 0; i < cfg->nenvs && n < 16; i++) {
        const struct mt_cfg_env *e = &cfg->envs[i];
        for (j = 0; j < e->ndbs && n < 16; j++, n++)
            for (k = 0; k <= e->naliases && k < 3; k++) {
                const char *nm = k ? e->aliases[k - 1] : e->name;
                /* an alias another environment also claims is a parse error, but a name
                 * repeated as an alias is not: the pair is in the index either way */
                one(data, size, key, flags, cfg, nm, e->dbs[j].name, must_hit);
            }
        one(data, size, key, flags, cfg, e->name, "no-such-db", 0);
    }
    one(data, size, key, flags, cfg, "no-such-env", "db", 0);
}

/* encode cfg under key, decode it exactly, compare */
static void roundtrip(const struct mt_config *cfg, const struct mt_cfg_cache_key *key)
{
    struct mt_buf b = MT_BUF_INIT;
    struct mt_err err = MT_ERR_INIT;
    struct mt_config again;

    if (mt_cfg_cache_encode(cfg, key, &b, &err) < 0) {
        check(err.code == MT_E_NOMEM || err.code == MT_E_CONFIG, "encode error code");
        mt_buf_release(&b);
        return;
    }
    check(mt_cfg_cache_decode(b.p, b.len, key, 0, &again, &err) == 0, "own cache rejected");
    check(mt_cfg_equal(cfg, &again), "round trip changed the config");
    mt_config_release(&again);
    one_all((const uint8_t *)b.p, b.len, key, 0, cfg, 1);
    /* and one byte short is always rejected */
    check(mt_cfg_cache_decode(b.p, b.len - 1, key, 0, &again, &err) == -1, "truncation accepted");
    check(again.nenvs == 0 && !again.path && !again.arena, "failed decode left data");
    mt_config_release(&again);
    mt_buf_release(&b);
}

static void fuzz_yaml(const uint8_t *data, size_t size)
{
    struct mt_config cfg;
    struct mt_err err = MT_ERR_INIT;

    if (mt_config_parse((const char *)data, size, FUZZ_PATH, &cfg, &err) == 0) {
        check_config(&cfg);
        roundtrip(&cfg, &fuzz_key);
    }
    mt_config_release(&cfg);
}

static void fuzz_cache(const uint8_t *data, size_t size)
{
    struct mt_config cfg;
    struct mt_err err = MT_ERR_INIT;

    if (mt_cfg_cache_decode(data, size, &fuzz_key, 0, &cfg, &err) == 0) {
        check_config(&cfg);
        one_all(data, size, &fuzz_key, 0, &cfg, 0);
        mt_config_release(&cfg);
    } else {
        check(err.code == MT_E_CONFIG || err.code == MT_E_NOMEM, "decode error code");
        check(cfg.nenvs == 0 && !cfg.path && !cfg.arena && !cfg.warnings,
              "failed decode left data");
    }
    mt_err_clear(&err);
    if (mt_cfg_cache_decode(data, size, NULL, MT_CFG_CACHE_ANY_KEY | MT_CFG_CACHE_NO_SUM, &cfg,
                            &err) == 0) {
        struct mt_cfg_cache_key k = fuzz_key;
        check_config(&cfg);
        k.path = cfg.path;
        one_all(data, size, NULL, MT_CFG_CACHE_ANY_KEY | MT_CFG_CACHE_NO_SUM, &cfg, 0);
        roundtrip(&cfg, &k);
        mt_config_release(&cfg);
    } else {
        check(cfg.nenvs == 0 && !cfg.path && !cfg.arena && !cfg.warnings,
              "failed decode left data");
        one(data, size, NULL, MT_CFG_CACHE_ANY_KEY | MT_CFG_CACHE_NO_SUM, NULL, "production",
            "orders", 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 1 && data[0] == 'Y')
        fuzz_yaml(data + 1, size - 1);
    else
        fuzz_cache(data, size);
    return 0;
}
