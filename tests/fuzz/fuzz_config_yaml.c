/* fuzz_config_yaml.c - mt_config_parse() and mt_resolve_target() on arbitrary bytes.
 * Besides memory safety it checks two properties: every MT_E_CONFIG parse error starts with
 * "fuzz.yaml:LINE:COL: ", and every warning names the file too. See tests/cmake/fuzz.cmake. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_position(const char *msg)
{
    int line = 0, col = 0, n = 0;
    return sscanf(msg, "fuzz.yaml:%d:%d: %n", &line, &col, &n) == 2 && n > 0 && line >= 1 &&
           col >= 1;
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
    if (mt_resolve_target(&in, &t, &err) == 0 && (!t.host || !t.user || !t.region || !t.profile))
        abort();
    mt_target_release(&t);
    mt_target_release(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mt_config cfg;
    struct mt_err err = MT_ERR_INIT;
    size_t i, j;

    if (mt_config_parse((const char *)data, size, "fuzz.yaml", &cfg, &err) < 0) {
        if (err.code == MT_E_CONFIG && !has_position(err.msg)) {
            fprintf(stderr, "error without position: %s\n", err.msg);
            abort();
        }
        mt_config_release(&cfg);
        return 0;
    }
    for (i = 0; i < cfg.nwarnings; i++)
        if (!has_position(cfg.warnings[i].msg))
            abort();
    for (i = 0; i < cfg.nenvs && i < 8; i++) {
        const struct mt_cfg_env *e = &cfg.envs[i];
        if (mt_config_find_env(&cfg, e->name) != e)
            abort(); /* names are unique and never shadowed by an alias */
        for (j = 0; j < e->naliases; j++)
            if (!mt_config_find_env(&cfg, e->aliases[j]))
                abort();
        for (j = 0; j < e->ndbs && j < 8; j++) {
            if (mt_config_find_db(e, e->dbs[j].name) != &e->dbs[j])
                abort();
            resolve(&cfg, e->name, e->dbs[j].name);
        }
        resolve(&cfg, e->naliases ? e->aliases[0] : e->name, "no-such-db");
    }
    resolve(&cfg, "no-such-env", "x");
    mt_config_release(&cfg);
    mt_config_release(&cfg);
    return 0;
}
