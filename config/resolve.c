/* resolve.c - which database, host, user, profile and region a command talks to (pure).
 *
 * Values inherit defaults -> environment -> database -> flags (contract 3). The profile and the
 * region have their own, longer chains (contract 4 and 5):
 *   profile: --profile, database, environment, defaults, AWS_PROFILE, "default"
 *   region:  --region, database, environment, region in the RDS host name, defaults, AWS_REGION,
 *            AWS_DEFAULT_REGION, the chosen profile's region.
 * Empty strings (flags or environment) count as not set. */
#include "config/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/mem.h"
#include "config/config_int.h"

void mt_resolve_in_init(struct mt_resolve_in *in)
{
    memset(in, 0, sizeof(*in));
    in->port = in->connect_port = -1;
    in->serverless = in->admin = in->expires_in = -1;
}

void mt_target_release(struct mt_target *t)
{
    if (!t)
        return;
    free(t->env);
    free(t->database);
    free(t->host);
    free(t->user);
    free(t->region);
    free(t->profile);
    free(t->engine);
    free(t->name);
    free(t->ca_bundle);
    free(t->clipboard);
    free(t->connect_host);
    free(t->cache_name);
    memset(t, 0, sizeof(*t));
    t->port = t->connect_port = t->clipboard_clear = -1;
}

static int set(const char *s)
{
    return s && *s;
}

int mt_rds_host_region(const char *host, char *out, size_t outsz)
{
    static const char *const suffixes[] = {".rds.amazonaws.com.cn", ".rds.amazonaws.com",
                                           ".on.aws"};
    char h[256];
    size_t n, i, s;

    if (!host || (n = strlen(host)) == 0 || n >= sizeof(h))
        return -1;
    for (i = 0; i < n; i++)
        h[i] = (char)tolower((unsigned char)host[i]);
    h[n] = '\0';
    if (h[n - 1] == '.')
        h[--n] = '\0';
    for (s = 0; s < sizeof(suffixes) / sizeof(suffixes[0]); s++) {
        size_t sl = strlen(suffixes[s]), start, end, rl;
        int dash = 0;
        if (n <= sl || strcmp(h + n - sl, suffixes[s]) != 0)
            continue;
        end = n - sl; /* region label is h[start, end) */
        start = end;
        while (start > 0 && h[start - 1] != '.')
            start--;
        /* DSQL: "<cluster>.dsql.REGION.on.aws": the label before the region must be "dsql" */
        if (s == 2 && (start < 7 || memcmp(h + start - 6, ".dsql.", 6) != 0))
            return -1;
        if (start < 2) /* needs a non-empty label before the region: "x.REGION.rds..." */
            return -1;
        rl = end - start;
        if (rl < 4 || rl > 32 || !isalpha((unsigned char)h[start]) ||
            !isdigit((unsigned char)h[end - 1]))
            return -1;
        for (i = start; i < end; i++) {
            if (h[i] == '-')
                dash = 1;
            else if (!islower((unsigned char)h[i]) && !isdigit((unsigned char)h[i]))
                return -1;
        }
        if (!dash || rl >= outsz)
            return -1;
        memcpy(out, h + start, rl);
        out[rl] = '\0';
        return 0;
    }
    return -1;
}

const char *mt_pick_profile(const struct mt_pick_in *in, const char **source, int *chosen)
{
    *chosen = 1;
    if (set(in->flag)) {
        *source = "--profile";
        return in->flag;
    }
    if (set(in->config)) {
        *source = in->config_level ? in->config_level : "config";
        return in->config;
    }
    if (set(in->config_default)) {
        *source = "defaults";
        return in->config_default;
    }
    *chosen = 0;
    if (set(in->env1)) {
        *source = "AWS_PROFILE";
        return in->env1;
    }
    *source = "default";
    return "default";
}

const char *mt_pick_region(const struct mt_pick_in *in, const char **source)
{
    static const struct {
        size_t off;
        const char *name;
    } order[] = {
        {offsetof(struct mt_pick_in, flag), "--region"},
        {offsetof(struct mt_pick_in, config), NULL},
        {offsetof(struct mt_pick_in, host_region), "host name"},
        {offsetof(struct mt_pick_in, config_default), "defaults"},
        {offsetof(struct mt_pick_in, env1), "AWS_REGION"},
        {offsetof(struct mt_pick_in, env2), "AWS_DEFAULT_REGION"},
        {offsetof(struct mt_pick_in, aws_profile_region), "profile"},
    };
    size_t i;

    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const char *v = *(const char *const *)((const char *)in + order[i].off);
        if (set(v)) {
            *source = order[i].name ? order[i].name
                                    : (in->config_level ? in->config_level : "config");
            return v;
        }
    }
    *source = NULL;
    return NULL;
}

/* "a, b, c, ... (N more)" of names into buf. */
static void list_names(char *buf, size_t bufsz, const void *names, size_t n,
                       size_t stride)
{
    size_t i, used = 0;

    buf[0] = '\0';
    for (i = 0; i < n; i++) {
        const char *nm = *(const char *const *)((const char *)names + i * stride);
        int w;
        if (i == 8 || used + strlen(nm) + 24 > bufsz) {
            snprintf(buf + used, bufsz - used, ", ... %zu more", n - i);
            return;
        }
        w = snprintf(buf + used, bufsz - used, "%s%s", i ? ", " : "", nm);
        if (w < 0 || (size_t)w >= bufsz - used)
            return;
        used += (size_t)w;
    }
}

static const char *closest(const char *want, const void *names, size_t n, size_t stride)
{
    const char *best = NULL;
    int bestd = 3;
    size_t i;

    for (i = 0; i < n; i++) {
        const char *nm = *(const char *const *)((const char *)names + i * stride);
        int d = mt_cfg_edit_distance(want, nm, 2);
        if (d < bestd) {
            bestd = d;
            best = nm;
        }
    }
    return best;
}

static int unknown_env(const struct mt_config *cfg, const char *want, struct mt_err *err)
{
    char known[200];
    const char *best = NULL;
    size_t i;

    if (!cfg || cfg->nenvs == 0)
        return mt_err_set(err, MT_E_CONFIG, "unknown environment '%s' (%s defines none)", want,
                          cfg && cfg->path ? cfg->path : "the config");
    list_names(known, sizeof(known), &cfg->envs[0].name, cfg->nenvs, sizeof(cfg->envs[0]));
    mt_err_set(err, MT_E_CONFIG, "unknown environment '%s' (known: %s)", want, known);
    best = closest(want, &cfg->envs[0].name, cfg->nenvs, sizeof(cfg->envs[0]));
    for (i = 0; !best && i < cfg->nenvs; i++)
        best = closest(want, cfg->envs[i].aliases, cfg->envs[i].naliases,
                       sizeof(char *));
    if (best)
        mt_err_hint(err, "did you mean '%s'?", best);
    return -1;
}

int mt_config_unknown_env(const struct mt_config *cfg, const char *want, struct mt_err *err)
{
    return unknown_env(cfg, want, err);
}

static int unknown_db(const struct mt_cfg_env *env, const char *want, struct mt_err *err)
{
    char known[200];
    const char *best;

    if (env->ndbs == 0)
        return mt_err_set(err, MT_E_CONFIG,
                          "unknown database '%s' (environment '%s' has no databases)", want,
                          env->name);
    list_names(known, sizeof(known), &env->dbs[0].name, env->ndbs, sizeof(env->dbs[0]));
    mt_err_set(err, MT_E_CONFIG, "unknown database '%s' in environment '%s' (known: %s)", want,
               env->name, known);
    if ((best = closest(want, &env->dbs[0].name, env->ndbs, sizeof(env->dbs[0]))))
        mt_err_hint(err, "did you mean '%s'?", best);
    return -1;
}

/* levels[0] = database, [1] = environment, [2] = defaults (any may be NULL) */
static const char *const level_names[3] = {"database", "environment", "defaults"};

static const char *pick_str(const struct mt_cfg_settings *const lv[3], size_t off, int *which)
{
    int i;

    for (i = 0; i < 3; i++) {
        const char *v;
        if (!lv[i])
            continue;
        v = *(char *const *)((const char *)lv[i] + off);
        if (set(v)) {
            if (which)
                *which = i;
            return v;
        }
    }
    return NULL;
}

static int pick_int_at(const struct mt_cfg_settings *const lv[3], size_t off, int *which)
{
    int i;

    for (i = 0; i < 3; i++)
        if (lv[i] && *(const int *)((const char *)lv[i] + off) >= 0) {
            if (which)
                *which = i;
            return *(const int *)((const char *)lv[i] + off);
        }
    return -1;
}

static int pick_int(const struct mt_cfg_settings *const lv[3], size_t off)
{
    return pick_int_at(lv, off, NULL);
}

#define OFF(f) offsetof(struct mt_cfg_settings, f)

static void dup_into(char **dst, const char *src, int *oom)
{
    if (src && !(*dst = strdup(src)))
        *oom = 1;
}

/* "FILE:LINE:COL: " of the level that set a value (the position of its mapping). */
static void at(char *buf, size_t n, const struct mt_config *cfg,
               const struct mt_cfg_settings *lv)
{
    snprintf(buf, n, "%s:%d:%d: ", cfg && cfg->path ? cfg->path : "config", lv->line, lv->col);
}

/* Which level (0..2) set the integer at off, or -1. */
static int int_level(const struct mt_cfg_settings *const lv[3], size_t off)
{
    int i;
    for (i = 0; i < 3; i++)
        if (lv[i] && *(const int *)((const char *)lv[i] + off) >= 0)
            return i;
    return -1;
}

/* cache_name, serverless, admin, expires_in: each belongs to some engines only. A flag that does
 * not apply is a usage error; a config value that does not apply is a config error at its
 * position (a setting silently ignored would sign a token that cannot work). */
static int engine_settings(const struct mt_resolve_in *in, const struct mt_cfg_settings *const lv[3],
                           const struct mt_config *cfg, const char *where, struct mt_target *out,
                           struct mt_err *err)
{
    static const struct {
        const char *key, *flag, *engines;
        size_t off;
        int flag_off;
    } rules[] = {
        {"serverless", "--serverless", "elasticache", OFF(serverless),
         offsetof(struct mt_resolve_in, serverless)},
        {"admin", "--admin", "dsql", OFF(admin), offsetof(struct mt_resolve_in, admin)},
        {"expires_in", "--expires-in", "dsql", OFF(expires_in),
         offsetof(struct mt_resolve_in, expires_in)},
    };
    const char *e = out->engine, *v;
    int cache = !strcmp(e, "elasticache") || !strcmp(e, "memorydb"), which = -1, val;
    char pos[300];
    size_t i;

    for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        int flag = *(const int *)((const char *)in + rules[i].flag_off);
        int applies = !strcmp(e, rules[i].engines);
        which = int_level(lv, rules[i].off);
        val = flag != -1 ? flag : which >= 0 ? *(const int *)((const char *)lv[which] + rules[i].off) : -1;
        if (!applies && flag != -1)
            return mt_err_set(err, MT_E_USAGE, "%s applies to engine %s only, not %s",
                              rules[i].flag, rules[i].engines, e);
        if (!applies && which >= 0 && !(rules[i].off != OFF(expires_in) && val == 0)) {
            at(pos, sizeof(pos), cfg, lv[which]);
            return mt_err_set(err, MT_E_CONFIG, "%s'%s' applies to engine %s only, not %s", pos,
                              rules[i].key, rules[i].engines, e);
        }
        if (!applies || val == -1)
            continue;
        if (rules[i].off == OFF(serverless))
            out->serverless = val;
        else if (rules[i].off == OFF(admin))
            out->admin = val;
        else
            out->expires_in = val;
    }
    if (!strcmp(e, "dsql") && !strcmp(out->user, "admin"))
        out->admin = 1; /* the admin role signs DbConnectAdmin */
    v = set(in->cache_name) ? in->cache_name : pick_str(lv, OFF(cache_name), &which);
    if (v && !cache) {
        if (set(in->cache_name))
            return mt_err_set(err, MT_E_USAGE, "--cache-name applies to engines elasticache and "
                                               "memorydb only, not %s", e);
        at(pos, sizeof(pos), cfg, lv[which]);
        return mt_err_set(err, MT_E_CONFIG,
                          "%s'cache_name' applies to engines elasticache and memorydb only, not %s",
                          pos, e);
    }
    if (cache && !v) {
        if (!lv[0]) {
            mt_err_set(err, MT_E_USAGE, "missing --cache-name for --host with engine %s", e);
            return -1;
        }
        at(pos, sizeof(pos), cfg, lv[0]);
        mt_err_set(err, MT_E_CONFIG, "%sno cache_name for %s (engine %s)", pos, where, e);
        mt_err_hint(err, "set 'cache_name:' to the replication group, serverless cache or "
                         "MemoryDB cluster name (not the endpoint), or pass --cache-name");
        return -1;
    }
    if (v && !(out->cache_name = strdup(v)))
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    return 0;
}

int mt_resolve_target(const struct mt_resolve_in *in, struct mt_target *out, struct mt_err *err)
{
    const struct mt_config *cfg = in->cfg;
    const struct mt_cfg_env *env = NULL;
    const struct mt_cfg_db *db = NULL;
    const struct mt_cfg_settings *lv[3] = {NULL, NULL, NULL};
    const char *engine = NULL, *v, *region = NULL, *region_src = NULL;
    struct mt_pick_in pk;
    char where[300], hostreg[40];
    int which = -1, oom = 0, port;

    memset(out, 0, sizeof(*out));
    out->port = out->connect_port = out->clipboard_clear = -1;
    out->serverless = out->admin = 0;
    out->expires_in = 900;

    /* flags first: bad values are usage errors */
    if (set(in->engine) && !(engine = mt_config_engine(in->engine)))
        return mt_err_set(err, MT_E_USAGE,
                          "unknown engine '%s' (expected " MT_CONFIG_ENGINES ")",
                          in->engine);
    if (in->port != -1 && (in->port < 1 || in->port > 65535))
        return mt_err_set(err, MT_E_USAGE, "port must be from 1 to 65535");
    if (in->connect_port != -1 && (in->connect_port < 1 || in->connect_port > 65535))
        return mt_err_set(err, MT_E_USAGE, "connect port must be from 1 to 65535");
    if (set(in->database) && !set(in->env))
        return mt_err_set(err, MT_E_USAGE, "--database needs --env");
    if (!set(in->host) && !(set(in->env) && set(in->database))) {
        if (set(in->env))
            return mt_err_set(err, MT_E_USAGE, "missing --database");
        return mt_err_set(err, MT_E_USAGE, "missing --env and --database (or --host and --user)");
    }

    if (cfg) {
        lv[2] = &cfg->defaults;
        if (set(in->env)) {
            if (!(env = mt_config_find_env(cfg, in->env)))
                return unknown_env(cfg, in->env, err);
            lv[1] = &env->s;
            if (set(in->database)) {
                if (!(db = mt_config_find_db(env, in->database)))
                    return unknown_db(env, in->database, err);
                lv[0] = &db->s;
            }
        }
    } else if (set(in->env)) {
        return unknown_env(NULL, in->env, err);
    }
    if (db)
        snprintf(where, sizeof(where), "database '%s' in environment '%s'", db->name, env->name);
    else
        snprintf(where, sizeof(where), "host '%s'", in->host);

    /* host and user */
    v = set(in->host) ? in->host : pick_str(lv, OFF(host), &which);
    out->host_source = set(in->host) ? "--host" : set(v) ? level_names[which] : NULL;
    if (!set(v)) {
        mt_err_set(err, MT_E_CONFIG, "no host for %s", where);
        mt_err_hint(err, "add 'host:' to the database in %s, or pass --host",
                    cfg && cfg->path ? cfg->path : "the config");
        goto fail;
    }
    dup_into(&out->host, v, &oom);
    v = set(in->user) ? in->user : pick_str(lv, OFF(user), &which);
    out->user_source = set(in->user) ? "--user" : set(v) ? level_names[which] : NULL;
    if (!set(v)) {
        if (!db) {
            mt_err_set(err, MT_E_USAGE, "missing --user for --host");
            goto fail;
        }
        mt_err_set(err, MT_E_CONFIG, "no database user for %s", where);
        mt_err_hint(err, "set 'user:' on the database, its environment or in defaults, or pass "
                         "--user");
        goto fail;
    }
    dup_into(&out->user, v, &oom);

    /* engine and ports */
    out->engine_source = engine ? "--engine" : NULL;
    if (!engine && (engine = pick_str(lv, OFF(engine), &which)))
        out->engine_source = level_names[which];
    if (!engine) {
        engine = "mysql";
        out->engine_source = "default";
    }
    dup_into(&out->engine, engine, &oom);
    port = in->port > 0 ? in->port : pick_int_at(lv, OFF(port), &which);
    out->port_source = in->port > 0 ? "--port" : port > 0 ? level_names[which] : "engine default";
    out->port = port > 0 ? port : mt_config_engine_port(engine);
    port = in->connect_port > 0 ? in->connect_port : pick_int(lv, OFF(connect_port));
    out->connect_port = port > 0 ? port : out->port;
    v = set(in->connect_host) ? in->connect_host : pick_str(lv, OFF(connect_host), NULL);
    dup_into(&out->connect_host, set(v) ? v : out->host, &oom);

    /* profile (contract 4) */
    memset(&pk, 0, sizeof(pk));
    pk.flag = in->profile;
    pk.config = pick_str(lv, OFF(profile), &which);
    if (pk.config && which == 2) { /* the defaults level */
        pk.config_default = pk.config;
        pk.config = NULL;
    }
    pk.config_level = pk.config ? level_names[which] : NULL;
    pk.env1 = in->aws_profile;
    v = mt_pick_profile(&pk, &out->profile_source, &out->profile_from_config_or_flag);
    dup_into(&out->profile, v, &oom);

    /* region (contract 5) */
    memset(&pk, 0, sizeof(pk));
    pk.flag = in->region;
    pk.config = pick_str(lv, OFF(region), &which);
    if (pk.config && which == 2)
        pk.config = NULL; /* defaults come after the host name */
    pk.config_level = pk.config ? level_names[which] : NULL;
    if (out->host && mt_rds_host_region(out->host, hostreg, sizeof(hostreg)) == 0)
        pk.host_region = hostreg;
    pk.config_default = lv[2] ? lv[2]->region : NULL;
    pk.env1 = in->aws_region;
    pk.env2 = in->aws_default_region;
    pk.aws_profile_region = in->profile_region;
    region = mt_pick_region(&pk, &region_src);
    if (!region && in->profile_region_fn && out->profile) { /* asked only when needed */
        pk.aws_profile_region = in->profile_region_fn(in->profile_region_ctx, out->profile);
        region = mt_pick_region(&pk, &region_src);
    }
    if (!region) {
        mt_err_set(err, MT_E_CONFIG, "no region for %s", where);
        mt_err_hint(err, "set 'region:' in %s, pass --region, or set AWS_REGION",
                    cfg && cfg->path ? cfg->path : "~/.mytools.yaml");
        goto fail;
    }
    dup_into(&out->region, region, &oom);
    out->region_source = region_src;

    if (engine_settings(in, lv, cfg, where, out, err) < 0)
        goto fail;

    /* the rest */
    if (env)
        dup_into(&out->env, env->name, &oom);
    if (db)
        dup_into(&out->database, db->name, &oom);
    else if (set(in->database))
        dup_into(&out->database, in->database, &oom);
    dup_into(&out->name, pick_str(lv, OFF(name), NULL), &oom);
    dup_into(&out->clipboard, pick_str(lv, OFF(clipboard), NULL), &oom);
    out->clipboard_clear = pick_int(lv, OFF(clipboard_clear));
    if ((v = pick_str(lv, OFF(ca_bundle), NULL)) &&
        !(out->ca_bundle = mt_path_expand_home(v, in->home)))
        oom = 1;
    if (oom) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto fail;
    }
    return 0;
fail:
    mt_target_release(out);
    return -1;
}
