/* cmd_config.c - config path, config check. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cmd.h"
#include "common/file.h"
#include "config/aws_ini.h"
#include "config/config.h"

static int run_path(struct mt_ctx *ctx)
{
    int explicit_path = 0;
    char *p = mt_config_path(ctx->config_path, &explicit_path);
    if (!p)
        return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
    printf("%s\n", p);
    free(p);
    return 0;
}

int mt_config_require(struct mt_ctx *ctx, const struct mt_config *cfg)
{
    struct stat st;
    const char *path = cfg->path ? cfg->path : "~/.mytools.yaml";
    if (cfg->nenvs)
        return 0;
    if (!cfg->path || (stat(cfg->path, &st) < 0 && errno == ENOENT)) {
        mt_err_set(&ctx->err, MT_E_CONFIG, "no config file: '%s' does not exist", path);
        return mt_err_hint(&ctx->err, "create it with 'mytools config init' (or 'mytools config "
                                      "init --discover' to fill it from your RDS databases)");
    }
    mt_err_set(&ctx->err, MT_E_CONFIG, "'%s' defines no environments", path);
    return mt_err_hint(&ctx->err, "add one (see mytools.yaml(5)), or replace the file with "
                                  "'mytools config init --force'");
}

enum { CHECK_OPT_STRICT = 1 };

static int run_check(struct mt_ctx *ctx)
{
    struct mt_config cfg;
    struct mt_ini *aws = NULL;
    char *aws_path = NULL;
    size_t i, j;
    int rc = -1, problems = 0, strict = mt_args_has(&ctx->args, CHECK_OPT_STRICT);

    mt_config_init(&cfg);
    if (mt_config_load(ctx->config_path, ctx->config_path != NULL, &cfg, &ctx->err) < 0)
        goto out;
    for (i = 0; i < cfg.nwarnings; i++) {
        if (strict)
            fprintf(stderr, "mytools config check: error: %s\n", cfg.warnings[i].msg);
        else
            mt_warn(ctx, "%s", cfg.warnings[i].msg);
    }
    if (mt_config_require(ctx, &cfg) < 0)
        goto out;
    if (strict && cfg.nwarnings) {
        mt_err_set(&ctx->err, MT_E_CONFIG, "%zu unknown key(s) in '%s' (--strict)",
                   cfg.nwarnings, cfg.path ? cfg.path : "config");
        goto out;
    }
    aws_path = mt_aws_config_path();
    if (!aws_path || mt_ini_load(aws_path, MT_INI_CONFIG, &aws, &ctx->err) < 0)
        goto out;
    for (i = 0; i < cfg.nenvs; i++) {
        const struct mt_cfg_env *e = &cfg.envs[i];
        for (j = 0; j < e->ndbs; j++) {
            struct mt_resolve_in in;
            struct mt_target t;
            struct mt_err err = MT_ERR_INIT;
            mt_resolve_in_init(&in);
            in.cfg = &cfg;
            in.env = e->name;
            in.database = e->dbs[j].name;
            in.profile = ctx->profile;
            in.region = ctx->region;
            in.home = mt_home_dir();
            in.aws_profile = getenv("AWS_PROFILE");
            in.aws_region = getenv("AWS_REGION");
            in.aws_default_region = getenv("AWS_DEFAULT_REGION");
            if (mt_resolve_target(&in, &t, &err) < 0) {
                fprintf(stderr, "mytools config check: %s/%s: %s\n", e->name, e->dbs[j].name,
                        err.msg);
                problems++;
                continue;
            }
            printf("%s/%s: %s@%s:%d engine %s region %s (%s) profile %s (%s)\n", e->name,
                   e->dbs[j].name, t.user ? t.user : "?", t.host ? t.host : "?", t.port,
                   t.engine, t.region ? t.region : "?", t.region_source ? t.region_source : "-",
                   t.profile, t.profile_source ? t.profile_source : "-");
            if (strcmp(t.profile, "default") && !mt_ini_profile(aws, t.profile)) {
                fprintf(stderr, "mytools config check: %s/%s: profile '%s' not found in '%s'\n",
                        e->name, e->dbs[j].name, t.profile, aws_path);
                problems++;
            }
            mt_target_release(&t);
        }
    }
    if (problems) {
        mt_err_set(&ctx->err, MT_E_CONFIG, "%d problem(s) found", problems);
        goto out;
    }
    rc = 0;
out:
    mt_ini_free(aws);
    free(aws_path);
    mt_config_release(&cfg);
    return rc;
}

static const struct mt_opt check_opts[] = {
    {CHECK_OPT_STRICT, 0, "strict", NULL, "unknown keys are errors", 0},
    MT_OPT_END,
};
static const char *const check_usage[] = {"[--strict]", NULL};
static const char *const path_usage[] = {"", NULL};
static const struct mt_opt no_opts[] = {MT_OPT_END};

const struct mt_cmd mt_cmd_config_check = {
    "config check", "config-check",
    "validate the config and the AWS profiles it names; print each database's settings",
    check_usage, check_opts, run_check, NULL,
};

const struct mt_cmd mt_cmd_config_path = {
    "config path", "config-path", "print the path of the config file in use", path_usage,
    no_opts, run_path, NULL,
};
