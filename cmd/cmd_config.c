/* cmd_config.c - config path, config check, config init (interactive, or --discover from the
 * account's RDS instances, Aurora clusters and RDS Proxies). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <pwd.h>
#include <unistd.h>

#include "cmd/aws.h"
#include "cmd/cmd.h"
#include "cmd/prompt.h"
#include "common/buf.h"
#include "common/endpoint.h"
#include "cmd/out.h"
#include "common/file.h"
#include "config/aws_ini.h"
#include "config/config.h"
#include "kms/rds.h"

static int run_path(struct mt_ctx *ctx)
{
    int explicit_path = 0;
    char *p = mt_config_path(ctx->config_path, &explicit_path);
    if (!p)
        return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
    printf("%s\n", mt_tx(p));
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
                fprintf(stderr, "mytools config check: %s/%s: %s\n", mt_tx(e->name),
                        mt_tx(e->dbs[j].name), err.msg);
                problems++;
                continue;
            }
            printf("%s/%s: %s@%s:%d engine %s region %s (%s) profile %s (%s)\n", mt_tx(e->name),
                   mt_tx(e->dbs[j].name), mt_tx(t.user), mt_tx(t.host), t.port, mt_tx(t.engine),
                   mt_tx(t.region), t.region_source ? t.region_source : "-", mt_tx(t.profile),
                   t.profile_source ? t.profile_source : "-");
            if (strcmp(t.profile, "default") && !mt_ini_profile(aws, t.profile)) {
                fprintf(stderr, "mytools config check: %s/%s: profile '%s' not found in '%s'\n",
                        mt_tx(e->name), mt_tx(e->dbs[j].name), mt_tx(t.profile), mt_tx(aws_path));
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

/* ---- config init ---- */

enum { INIT_OPT_FORCE = 1, INIT_OPT_DISCOVER, INIT_OPT_ENV, INIT_OPT_USER };

/* A YAML double-quoted scalar: every value we write is quoted, so no user text can become
 * structure; control characters are refused (they have no place in names or hosts). */
static int yq(struct mt_buf *b, const char *s, struct mt_err *err)
{
    const char *p;
    for (p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return mt_err_set(err, MT_E_USAGE, "control character in '%.60s'", s);
    if (mt_buf_add(b, "\"", 1) < 0)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    for (p = s; *p; p++)
        if ((*p == '"' || *p == '\\') ? mt_buf_addf(b, "\\%c", *p) < 0 : mt_buf_add(b, p, 1) < 0)
            return mt_err_set(err, MT_E_NOMEM, "out of memory");
    if (mt_buf_add(b, "\"", 1) < 0)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    return 0;
}

/* "  key: "VALUE"\n" at an indent. */
static int ykv(struct mt_buf *b, int indent, const char *key, const char *value,
               struct mt_err *err)
{
    if (mt_buf_addf(b, "%*s%s: ", indent, "", key) < 0)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    if (yq(b, value, err) < 0 || mt_buf_add(b, "\n", 1) < 0)
        return err->code ? -1 : mt_err_set(err, MT_E_NOMEM, "out of memory");
    return 0;
}

/* Parses the text we are about to write with the config parser itself (one schema), then
 * writes it atomically with mode 0600. */
static int write_config(struct mt_ctx *ctx, const char *path, const struct mt_buf *b)
{
    struct mt_config cfg;
    int rc;
    mt_config_init(&cfg);
    rc = mt_config_parse(b->p, b->len, path, &cfg, &ctx->err);
    if (rc == 0 && cfg.nwarnings)
        rc = mt_err_set(&ctx->err, MT_E_INTERNAL, "generated config has warnings: %s",
                        cfg.warnings[0].msg);
    mt_config_release(&cfg);
    if (rc < 0)
        return -1;
    if (mt_file_write_atomic(path, b->p, b->len, 0600, &ctx->err) < 0)
        return -1;
    return 0;
}

static const char *login_name(void)
{
    const char *u = getenv("USER");
    struct passwd *pw;
    if (u && *u)
        return u;
    pw = getpwuid(getuid());
    return pw && pw->pw_name ? pw->pw_name : "iam_user";
}

/* The profile names of ~/.aws/config (for completion). NULL-terminated, borrowed from ini. */
static const char **profile_names(const struct mt_ini *ini)
{
    size_t i, n = ini ? mt_ini_profile_count(ini) : 0;
    const char **v = calloc(n + 1, sizeof(*v));
    for (i = 0; v && i < n; i++)
        v[i] = mt_ini_profile_name(ini, i);
    return v;
}

/* One answer; a cancel is exit 2 with nothing written and nothing printed. */
static int ask(struct mt_ctx *ctx, const char *prompt, const char *const *cands, const char *def,
               char **out)
{
    int r = mt_prompt_default(prompt, cands, def, out, &ctx->err);
    if (r == MT_PROMPT_CANCEL) {
        ctx->silent = 1;
        return mt_err_set(&ctx->err, MT_E_USAGE, "cancelled");
    }
    return r;
}

static int init_interactive(struct mt_ctx *ctx, const char *path)
{
    static const char *const engines[] = {"mysql", "mariadb", "postgres", NULL};
    struct mt_ini *ini = NULL;
    struct mt_err ignored = MT_ERR_INIT;
    char *aws_path = mt_aws_config_path(), *profile = NULL, *region = NULL, *env = NULL,
         *db = NULL, *host = NULL, *engine = NULL, *user = NULL, rbuf[64], prompt[200];
    const char **profiles = NULL;
    const char *def_region = NULL;
    struct mt_buf b = MT_BUF_INIT;
    int rc = -1;

    if (!mt_prompt_available()) {
        mt_err_set(&ctx->err, MT_E_USAGE, "config init asks its questions on a terminal");
        mt_err_hint(&ctx->err, "use 'mytools config init --discover' without a terminal");
        goto out;
    }
    if (aws_path && mt_ini_load(aws_path, MT_INI_CONFIG, &ini, &ignored) < 0)
        ini = NULL;
    profiles = profile_names(ini);
    fprintf(stderr, "Writing %s (Ctrl-D cancels; Tab completes)\n", path);
    snprintf(prompt, sizeof(prompt), "AWS profile for the tokens [%.60s]: ",
             ctx->profile ? ctx->profile : "default");
    if (ask(ctx, prompt, profiles, ctx->profile ? ctx->profile : "default", &profile) < 0)
        goto out;
    if (ini && mt_ini_profile(ini, profile))
        def_region = mt_ini_get(mt_ini_profile(ini, profile), "region");
    if (ctx->region)
        def_region = ctx->region;
    snprintf(rbuf, sizeof(rbuf), "%.40s", def_region ? def_region : "");
    snprintf(prompt, sizeof(prompt), "AWS region%s%s%s: ", *rbuf ? " [" : "", rbuf,
             *rbuf ? "]" : "");
    if (ask(ctx, prompt, NULL, *rbuf ? rbuf : NULL, &region) < 0 ||
        ask(ctx, "environment name (e.g. production): ", NULL, NULL, &env) < 0 ||
        ask(ctx, "database name (e.g. orders): ", NULL, NULL, &db) < 0 ||
        ask(ctx, "endpoint host name: ", NULL, NULL, &host) < 0 ||
        ask(ctx, "engine [mysql]: ", engines, "mysql", &engine) < 0)
        goto out;
    if (!mt_config_engine(engine)) {
        mt_err_set(&ctx->err, MT_E_USAGE, "unknown engine '%.60s': expected mysql, mariadb or "
                                          "postgres", engine);
        goto out;
    }
    snprintf(prompt, sizeof(prompt), "database user for IAM authentication [%.60s]: ",
             login_name());
    if (ask(ctx, prompt, NULL, login_name(), &user) < 0)
        goto out;
    if (mt_buf_addf(&b, "# %s: written by 'mytools config init'; see mytools.yaml(5)\n"
                        "defaults:\n", path) < 0)
        goto oom;
    if (ykv(&b, 2, "profile", profile, &ctx->err) < 0 ||
        ykv(&b, 2, "region", region, &ctx->err) < 0)
        goto out;
    if (mt_buf_addf(&b, "environments:\n  ") < 0 || yq(&b, env, &ctx->err) < 0 ||
        mt_buf_addf(&b, ":\n    databases:\n      ") < 0 || yq(&b, db, &ctx->err) < 0 ||
        mt_buf_addf(&b, ":\n") < 0)
        goto fail;
    if (ykv(&b, 8, "host", host, &ctx->err) < 0 ||
        ykv(&b, 8, "engine", mt_config_engine(engine), &ctx->err) < 0 ||
        ykv(&b, 8, "user", user, &ctx->err) < 0)
        goto out;
    if (write_config(ctx, path, &b) < 0)
        goto out;
    fprintf(stderr, "wrote %s; try: mytools db token -e %s -d %s\n", path, env, db);
    rc = 0;
    goto out;
fail:
    if (ctx->err.code)
        goto out;
oom:
    mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
out:
    mt_buf_release(&b);
    free(profiles);
    mt_ini_free(ini);
    free(aws_path);
    free(profile);
    free(region);
    free(env);
    free(db);
    free(host);
    free(engine);
    free(user);
    return rc;
}

/* The config engine of a discovered resource, or NULL for engines tokens do not serve. */
static const char *discovered_engine(const struct mt_rds_db *d)
{
    if (!d->engine)
        return NULL;
    if (d->kind == MT_RDS_PROXY)
        return !strcasecmp(d->engine, "MYSQL") ? "mysql"
               : !strcasecmp(d->engine, "POSTGRESQL") ? "postgres" : NULL;
    return mt_config_engine(d->engine);
}

static int add_discovered(struct mt_ctx *ctx, struct mt_buf *b, const char *name,
                          const struct mt_rds_db *d, const char *host, const char *what,
                          int *noiam)
{
    const char *engine = discovered_engine(d);
    if (d->iam_auth == 0) {
        (*noiam)++;
        if (mt_buf_addf(b, "      # IAM database authentication is OFF for this %s: tokens are "
                           "rejected until it is enabled\n", what) < 0)
            return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
    }
    if (mt_buf_addf(b, "      ") < 0 || yq(b, name, &ctx->err) < 0 || mt_buf_addf(b, ":\n") < 0)
        return ctx->err.code ? -1 : mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
    if (ykv(b, 8, "host", host, &ctx->err) < 0 || ykv(b, 8, "engine", engine, &ctx->err) < 0)
        return -1;
    if (d->port > 0 && mt_buf_addf(b, "        port: %d\n", d->port) < 0)
        return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
    fprintf(stderr, "  %-8s %-40s %s:%d %s%s\n", what, name, host, d->port, engine,
            d->iam_auth == 0 ? "  (IAM authentication off)" : "");
    return 0;
}

static int init_discover(struct mt_ctx *ctx, const char *path)
{
    struct mt_aws aws;
    struct mt_rds_list l[3] = {MT_RDS_LIST_INIT, MT_RDS_LIST_INIT, MT_RDS_LIST_INIT};
    struct mt_kms_client kc;
    struct mt_buf b = MT_BUF_INIT;
    const char *env, *user = mt_args_get(&ctx->args, INIT_OPT_USER);
    char *url = NULL;
    size_t i;
    int k, rc = -1, n = 0, noiam = 0, skipped = 0;

    memset(&aws, 0, sizeof(aws));
    memset(&kc, 0, sizeof(kc));
    if (mt_aws_open(ctx, &aws, NULL, NULL) < 0 || mt_aws_need_region(&aws) < 0 ||
        mt_aws_creds(&aws) < 0)
        goto out;
    env = mt_args_get(&ctx->args, INIT_OPT_ENV);
    if (!env || !*env)
        env = aws.profile;
    if (!user || !*user)
        user = login_name();
    url = mt_aws_endpoint(&aws, MT_SVC_RDS, aws.region);
    if (!url || !(kc.http = mt_aws_http(&aws)))
        goto out;
    kc.endpoint = url;
    kc.region = aws.region;
    kc.creds = mt_creds_sigv4(&aws.creds);
    kc.ca_bundle = aws.ca_bundle;
    for (k = MT_RDS_INSTANCE; k <= MT_RDS_PROXY; k++)
        if (mt_rds_describe(&kc, (enum mt_rds_kind)k, &l[k], &ctx->err) < 0)
            goto out;
    if (mt_buf_addf(&b, "# %s: written by 'mytools config init --discover' from the RDS "
                        "databases of profile %s in %s; see mytools.yaml(5)\n"
                        "environments:\n  ", path, aws.profile, aws.region) < 0 ||
        yq(&b, env, &ctx->err) < 0 || mt_buf_addf(&b, ":\n") < 0)
        goto fail;
    if (ykv(&b, 4, "profile", aws.profile, &ctx->err) < 0 ||
        ykv(&b, 4, "region", aws.region, &ctx->err) < 0 ||
        mt_buf_addf(&b, "    # the database user for IAM authentication: change it to yours\n") < 0 ||
        ykv(&b, 4, "user", user, &ctx->err) < 0 || mt_buf_addf(&b, "    databases:\n") < 0)
        goto fail;
    fprintf(stderr, "found in %s (profile %s):\n", aws.region, aws.profile);
    for (k = MT_RDS_INSTANCE; k <= MT_RDS_PROXY; k++)
        for (i = 0; i < l[k].n; i++) {
            const struct mt_rds_db *d = &l[k].v[i];
            char name[300];
            if (!d->id || !d->address || !discovered_engine(d) ||
                (k == MT_RDS_INSTANCE && d->cluster_id)) {
                /* Aurora members are reached through their cluster's endpoints */
                skipped += !(k == MT_RDS_INSTANCE && d->cluster_id);
                continue;
            }
            if (add_discovered(ctx, &b, d->id, d, d->address, mt_rds_kind_name(d->kind),
                               &noiam) < 0)
                goto out;
            n++;
            if (k == MT_RDS_CLUSTER && d->reader_address) {
                snprintf(name, sizeof(name), "%s-reader", d->id);
                if (add_discovered(ctx, &b, name, d, d->reader_address, "reader", &noiam) < 0)
                    goto out;
                n++;
            }
        }
    if (!n) {
        mt_err_set(&ctx->err, MT_E_CONFIG, "no RDS database with a MySQL, MariaDB or PostgreSQL "
                                           "engine in %s (profile %s)", aws.region, aws.profile);
        mt_err_hint(&ctx->err, "pick the account and region with --profile and --region");
        goto out;
    }
    if (write_config(ctx, path, &b) < 0)
        goto out;
    fprintf(stderr, "wrote %s: %d database(s) in environment '%s'", path, n, env);
    if (noiam)
        fprintf(stderr, "; %d without IAM authentication (marked in the file)", noiam);
    if (skipped)
        fprintf(stderr, "; %d with other engines left out", skipped);
    fputc('\n', stderr);
    rc = 0;
    goto out;
fail:
    if (!ctx->err.code)
        mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
out:
    for (k = 0; k < 3; k++)
        mt_rds_list_release(&l[k]);
    mt_buf_release(&b);
    free(url);
    mt_aws_close(&aws);
    return rc;
}

static int run_init(struct mt_ctx *ctx)
{
    int explicit_path = 0, rc = -1;
    struct stat st;
    char *path = mt_config_path(ctx->config_path, &explicit_path);

    if (!path)
        return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
    if (ctx->args.npos) {
        mt_err_set(&ctx->err, MT_E_USAGE, "unexpected argument '%.60s'", ctx->args.pos[0]);
        goto out;
    }
    if (lstat(path, &st) == 0 && !mt_args_has(&ctx->args, INIT_OPT_FORCE)) {
        mt_err_set(&ctx->err, MT_E_IO, "'%s' exists: not overwriting it", path);
        mt_err_hint(&ctx->err, "--force replaces it");
        goto out;
    }
    rc = mt_args_has(&ctx->args, INIT_OPT_DISCOVER) ? init_discover(ctx, path)
                                                     : init_interactive(ctx, path);
out:
    free(path);
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

static const struct mt_opt init_opts[] = {
    {INIT_OPT_FORCE, 0, "force", NULL, "replace an existing config file", 0},
    {INIT_OPT_DISCOVER, 0, "discover", NULL,
     "fill it from the account's RDS instances, Aurora clusters and RDS Proxies", 0},
    {INIT_OPT_ENV, 'e', "env", "NAME", "with --discover: the environment name (default: the profile)",
     0},
    {INIT_OPT_USER, 0, "user", "USER",
     "with --discover: the database user for IAM authentication (default: your login name)", 0},
    MT_OPT_END,
};
static const char *const init_usage[] = {
    "[--force]", "--discover [--profile P] [--region R] [--env NAME] [--user USER] [--force]",
    NULL};

const struct mt_cmd mt_cmd_config_init = {
    "config init", "config-init", "write a starter config (interactively, or from your RDS databases)",
    init_usage, init_opts, run_init,
    "Without --discover, asks on the terminal for the AWS profile (Tab completes the profiles of\n"
    "~/.aws/config), the region, one environment and one database, and writes them. With\n"
    "--discover, lists the account's RDS instances, Aurora clusters (writer and reader endpoints)\n"
    "and RDS Proxies (DescribeDBInstances, DescribeDBClusters, DescribeDBProxies, every page) and\n"
    "writes them into one environment with engine, port and host; those without IAM database\n"
    "authentication are marked with a comment. The file is written atomically with mode 0600;\n"
    "an existing file is an error (exit 1, nothing changed) unless --force.",
};

const struct mt_cmd mt_cmd_config_path = {
    "config path", "config-path", "print the path of the config file in use", path_usage,
    no_opts, run_path, NULL,
};
