/* cmd_db.c - db token, db list, db connect. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd/aws.h"
#include "cmd/clipboard.h"
#include "cmd/pick.h"
#include "cmd/dbcommon.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "config/aws_ini.h"
#include "sigv4/sigv4.h"

#define TOKEN_LIFETIME 900

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

static int parse_port(struct mt_ctx *ctx, int id, const char *flag, int *out)
{
    const char *v = mt_args_get(&ctx->args, id);
    char *end;
    long n;
    *out = -1;
    if (!v)
        return 0;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 1 || n > 65535) {
        mt_err_set(&ctx->err, MT_E_USAGE, "invalid value '%s' for %s: expected a port 1-65535", v,
                   flag);
        return -1;
    }
    *out = (int)n;
    return 0;
}

static int load_config(struct mt_ctx *ctx, struct mt_config *cfg)
{
    size_t i;
    if (mt_config_load(ctx->config_path, ctx->config_path != NULL, cfg, &ctx->err) < 0)
        return -1;
    for (i = 0; i < cfg->nwarnings; i++)
        mt_warn(ctx, "%s", cfg->warnings[i].msg);
    return 0;
}

static const char *profile_region(void *ud, const char *profile)
{
    const struct mt_aws *a = ud;
    const struct mt_ini_section *s = mt_ini_profile(a->config, profile);
    return s ? nonempty(mt_ini_get(s, "region")) : NULL;
}

void mt_dbtoken_release(struct mt_dbtoken *d)
{
    mt_config_release(&d->cfg);
    mt_target_release(&d->t);
    mt_aws_close(&d->aws);
    mt_buf_release(&d->token);
}

int mt_db_resolve(struct mt_ctx *ctx, struct mt_dbtoken *d)
{
    struct mt_resolve_in in;

    mt_resolve_in_init(&in);
    d->token.secret = 1;
    if (load_config(ctx, &d->cfg) < 0)
        return -1;
    in.cfg = &d->cfg;
    in.env = nonempty(mt_args_get(&ctx->args, DB_OPT_ENV));
    in.database = nonempty(mt_args_get(&ctx->args, DB_OPT_DATABASE));
    in.host = nonempty(mt_args_get(&ctx->args, DB_OPT_HOST));
    in.user = nonempty(mt_args_get(&ctx->args, DB_OPT_USER));
    in.engine = nonempty(mt_args_get(&ctx->args, DB_OPT_ENGINE));
    in.connect_host = nonempty(mt_args_get(&ctx->args, DB_OPT_CONNECT_HOST));
    in.region = ctx->region;
    in.profile = ctx->profile;
    if (parse_port(ctx, DB_OPT_PORT, "--port", &in.port) < 0 ||
        parse_port(ctx, DB_OPT_CONNECT_PORT, "--connect-port", &in.connect_port) < 0)
        return -1;
    in.aws_profile = nonempty(getenv("AWS_PROFILE"));
    in.aws_region = nonempty(getenv("AWS_REGION"));
    in.aws_default_region = nonempty(getenv("AWS_DEFAULT_REGION"));
    in.home = mt_home_dir();

    if (mt_pick_target(ctx, &d->cfg, &in.env, &in.database, in.host) < 0)
        return -1;
    if (!in.env && !in.database && !in.host) {
        mt_err_set(&ctx->err, MT_E_USAGE, "no database given: use --env and --database, or "
                                          "--host and --user");
        mt_err_hint(&ctx->err, "'mytools db list' shows the configured databases");
        return -1;
    }
    /* the AWS files first: the profile's region is the last region source */
    if (mt_aws_open(ctx, &d->aws, NULL, NULL) < 0)
        return -1;
    in.profile_region_fn = profile_region;
    in.profile_region_ctx = &d->aws;
    if (mt_resolve_target(&in, &d->t, &ctx->err) < 0)
        return -1;
    d->t.clipboard_clear = mt_clipboard_clear_seconds(d->t.clipboard_clear);
    mt_debug(ctx, "target %s:%d user %s region %s (from %s) profile %s", d->t.host, d->t.port,
             d->t.user, d->t.region, d->t.region_source, d->t.profile);
    return mt_aws_select(&d->aws, d->t.profile_from_config_or_flag ? d->t.profile : NULL,
                         d->t.region);
}

int mt_db_sign(struct mt_ctx *ctx, struct mt_dbtoken *d)
{
    struct mt_sigv4_creds sc;
    struct mt_sigv4_rds_req rq;
    const struct mt_creds *c;

    d->token.secret = 1;
    if (mt_aws_creds(&d->aws) < 0)
        return -1;
    c = &d->aws.creds;
    d->now = mt_aws_now(&d->aws); /* corrected by the server clock STS reported */
    sc.access_key_id = c->access_key_id;
    sc.secret_access_key = c->secret_access_key;
    sc.session_token = c->session_token;
    rq.host = d->t.host;
    rq.port = (unsigned)d->t.port;
    rq.user = d->t.user;
    rq.region = d->t.region;
    rq.creds = &sc;
    rq.now = d->now;
    if (mt_sigv4_rds_token(&rq, &d->token, &ctx->err) < 0)
        return -1;
    d->expires_at = d->now + TOKEN_LIFETIME;
    if (c->expiration && c->expiration < d->expires_at) {
        d->expires_at = c->expiration;
        d->creds_short = 1;
    }
    return 0;
}

int mt_db_prepare(struct mt_ctx *ctx, struct mt_dbtoken *d)
{
    return mt_db_resolve(ctx, d) < 0 ? -1 : mt_db_sign(ctx, d);
}

/* ---- output ---- */

static void shell_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

static const char *engine_family(const char *engine)
{
    return engine && !strcmp(engine, "postgres") ? "postgres" : "mysql";
}

static void fmt_local(time_t t, char *buf, size_t n)
{
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, n, "%H:%M:%S %Z", &tm);
}

static const char *conn_host(const struct mt_target *t)
{
    return t->connect_host ? t->connect_host : t->host;
}

static int conn_port(const struct mt_target *t)
{
    return t->connect_port > 0 ? t->connect_port : t->port;
}

/* The client command a person runs: it prompts for the password (paste the token). */
static void print_client_command(FILE *f, const struct mt_target *t)
{
    if (!strcmp(engine_family(t->engine), "postgres")) {
        fprintf(f, "  psql \"host=%s port=%d user=%s dbname=%s sslmode=verify-full", conn_host(t),
                conn_port(t), t->user, t->name ? t->name : "postgres");
        if (t->ca_bundle)
            fprintf(f, " sslrootcert=%s", t->ca_bundle);
        fprintf(f, "\"\n");
    } else if (!strcmp(t->engine, "mariadb")) {
        fprintf(f, "  mariadb --host=%s --port=%d --user=%s --ssl --ssl-verify-server-cert",
                conn_host(t), conn_port(t), t->user);
        if (t->ca_bundle)
            fprintf(f, " --ssl-ca=%s", t->ca_bundle);
        fprintf(f, " --password%s%s\n", t->name ? " " : "", t->name ? t->name : "");
    } else {
        fprintf(f, "  mysql --host=%s --port=%d --user=%s --ssl-mode=VERIFY_IDENTITY", conn_host(t),
                conn_port(t), t->user);
        if (t->ca_bundle)
            fprintf(f, " --ssl-ca=%s", t->ca_bundle);
        fprintf(f, " --enable-cleartext-plugin --password%s%s\n", t->name ? " " : "",
                t->name ? t->name : "");
    }
}

static void print_connect_line(FILE *f, const struct mt_target *t)
{
    if (t->env && t->database)
        fprintf(f, "  mytools db connect -e %s -d %s\n", t->env, t->database);
    else
        fprintf(f, "  mytools db connect --host %s --port %d --user %s --region %s --engine %s\n",
                t->host, t->port, t->user, t->region, t->engine);
}

static int out_text(struct mt_ctx *ctx, struct mt_dbtoken *d, int clipboard)
{
    const char *backend = NULL;
    struct mt_err cerr = MT_ERR_INIT;
    char when[64];
    long left = (long)(d->expires_at - d->now);
    int copied = 0;

    if (clipboard) {
        if (mt_clipboard_copy(d->t.clipboard, d->token.p, d->token.len, &backend, &cerr) == 0)
            copied = 1;
        else if (mt_args_has(&ctx->args, DB_OPT_CLIPBOARD)) {
            ctx->err = cerr;
            return -1;
        }
    }
    fmt_local(d->expires_at, when, sizeof(when));
    printf("RDS IAM token for %s@%s:%d", d->t.user, d->t.host, d->t.port);
    if (d->t.env)
        printf(" (%s/%s)", d->t.env, d->t.database);
    printf("\n  region %s, profile %s, engine %s\n", d->t.region, d->t.profile, d->t.engine);
    printf("  expires %s (in %ld min)\n", when, (left + 59) / 60);
    if (d->creds_short)
        printf("  warning: the AWS credentials expire first; the token lasts only %ld min\n",
               (left + 59) / 60);
    if (copied) {
        fputs("  ", stdout);
        mt_clipboard_print_done(stdout, backend);
        if (d->t.clipboard_clear > 0)
            printf("; cleared in %d s", d->t.clipboard_clear);
        printf("\n");
        if (d->t.clipboard_clear > 0 &&
            mt_clipboard_schedule_clear(d->t.clipboard, backend, d->token.p, d->token.len,
                                        d->t.clipboard_clear, &cerr) < 0)
            mt_warn(ctx, "%s", cerr.msg);
    } else {
        if (clipboard)
            printf("  clipboard: %s; the token follows\n", cerr.msg);
        printf("\n%s\n", d->token.p);
    }
    printf("\nconnect (paste the token at the password prompt):\n");
    print_client_command(stdout, &d->t);
    print_connect_line(stdout, &d->t);
    return 0;
}

static int out_json(struct mt_ctx *ctx, struct mt_dbtoken *d)
{
    char exp[21];
    mt_time_format_iso8601(d->expires_at, exp);
    /* hand-written so the token never lands in a non-wiped cJSON copy */
    fputs("{\"token\":", stdout);
    {
        struct mt_buf q = MT_BUF_INIT_SECRET;
        if (mt_pyjson_string(&q, d->token.p) < 0) {
            mt_buf_release(&q);
            return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
        }
        fwrite(q.p, 1, q.len, stdout);
        mt_buf_release(&q);
    }
    {
        cJSON *o = cJSON_CreateObject();
        char *s;
        if (!o)
            return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
        cJSON_AddStringToObject(o, "expires_at", exp);
        if (d->t.env)
            cJSON_AddStringToObject(o, "env", d->t.env);
        else
            cJSON_AddNullToObject(o, "env");
        if (d->t.database)
            cJSON_AddStringToObject(o, "database", d->t.database);
        else
            cJSON_AddNullToObject(o, "database");
        cJSON_AddStringToObject(o, "host", d->t.host);
        cJSON_AddNumberToObject(o, "port", d->t.port);
        cJSON_AddStringToObject(o, "user", d->t.user);
        cJSON_AddStringToObject(o, "region", d->t.region);
        cJSON_AddStringToObject(o, "engine", d->t.engine);
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!s)
            return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
        printf(",%s\n", s + 1); /* merge: drop the opening brace */
        free(s);
    }
    return 0;
}

static int out_env(struct mt_dbtoken *d)
{
    const struct mt_target *t = &d->t;
    char port[16];
    snprintf(port, sizeof(port), "%d", conn_port(t));
    if (!strcmp(engine_family(t->engine), "postgres")) {
        fputs("export PGHOST=", stdout);
        shell_quote(stdout, conn_host(t));
        fputs("\nexport PGPORT=", stdout);
        shell_quote(stdout, port);
        fputs("\nexport PGUSER=", stdout);
        shell_quote(stdout, t->user);
        fputs("\nexport PGPASSWORD=", stdout);
        shell_quote(stdout, d->token.p);
        fputs("\nexport PGSSLMODE='verify-full'\n", stdout);
        if (t->name) {
            fputs("export PGDATABASE=", stdout);
            shell_quote(stdout, t->name);
            fputc('\n', stdout);
        }
        if (t->ca_bundle) {
            fputs("export PGSSLROOTCERT=", stdout);
            shell_quote(stdout, t->ca_bundle);
            fputc('\n', stdout);
        }
    } else {
        fputs("export MYSQL_HOST=", stdout);
        shell_quote(stdout, conn_host(t));
        fputs("\nexport MYSQL_TCP_PORT=", stdout);
        shell_quote(stdout, port);
        fputs("\nexport MYSQL_PWD=", stdout);
        shell_quote(stdout, d->token.p);
        fputc('\n', stdout);
    }
    fputs("export MYTOOLS_DB_USER=", stdout);
    shell_quote(stdout, t->user);
    fputc('\n', stdout);
    return 0;
}

static int run_token(struct mt_ctx *ctx)
{
    struct mt_dbtoken d;
    const char *format = mt_args_get(&ctx->args, DB_OPT_FORMAT);
    int clipboard, rc = -1;

    memset(&d, 0, sizeof(d));
    if (ctx->args.npos)
        return mt_err_set(&ctx->err, MT_E_USAGE, "unexpected argument '%s'", ctx->args.pos[0]);
    if (!format)
        format = ctx->stdout_tty ? "text" : "token";
    if (strcmp(format, "text") && strcmp(format, "token") && strcmp(format, "json") &&
        strcmp(format, "env"))
        return mt_err_set(&ctx->err, MT_E_USAGE,
                          "invalid value '%s' for --format: expected text, token, json or env",
                          format);
    if (mt_args_has(&ctx->args, DB_OPT_CLIPBOARD) && mt_args_has(&ctx->args, DB_OPT_NO_CLIPBOARD))
        return mt_err_set(&ctx->err, MT_E_USAGE, "--clipboard and --no-clipboard exclude each other");
    if (mt_db_prepare(ctx, &d) < 0)
        goto out;
    clipboard = !strcmp(format, "text") ? !mt_args_has(&ctx->args, DB_OPT_NO_CLIPBOARD)
                                         : mt_args_has(&ctx->args, DB_OPT_CLIPBOARD);
    if (clipboard && d.t.clipboard && !strcmp(d.t.clipboard, "off") &&
        !mt_args_has(&ctx->args, DB_OPT_CLIPBOARD))
        clipboard = 0;
    if (strcmp(format, "text") && clipboard) {
        const char *backend;
        if (mt_clipboard_copy(d.t.clipboard, d.token.p, d.token.len, &backend, &ctx->err) < 0)
            goto out;
        if (d.t.clipboard_clear > 0) {
            struct mt_err cerr = MT_ERR_INIT;
            if (mt_clipboard_schedule_clear(d.t.clipboard, backend, d.token.p, d.token.len,
                                            d.t.clipboard_clear, &cerr) < 0)
                mt_warn(ctx, "%s", cerr.msg);
        }
    }
    if (d.creds_short && strcmp(format, "text"))
        mt_warn(ctx, "the AWS credentials expire in %ld min: the token lasts only that long",
                (long)(d.expires_at - d.now + 59) / 60);
    if (!strcmp(format, "text"))
        rc = out_text(ctx, &d, clipboard);
    else if (!strcmp(format, "token"))
        rc = printf("%s\n", d.token.p) < 0 ? -1 : 0;
    else if (!strcmp(format, "json"))
        rc = out_json(ctx, &d);
    else
        rc = out_env(&d);
    fflush(stdout);
out:
    mt_dbtoken_release(&d);
    return rc;
}

/* ---- db list ---- */

enum { LIST_OPT_ENV = 1, LIST_OPT_FORMAT };

static void list_resolve(const struct mt_config *cfg, const struct mt_cfg_env *env,
                         const struct mt_cfg_db *db, struct mt_target *t)
{
    struct mt_resolve_in in;
    struct mt_err ignored = MT_ERR_INIT;
    mt_resolve_in_init(&in);
    in.cfg = cfg;
    in.env = env->name;
    in.database = db->name;
    in.aws_profile = nonempty(getenv("AWS_PROFILE"));
    in.home = mt_home_dir();
    memset(t, 0, sizeof(*t));
    if (mt_resolve_target(&in, t, &ignored) < 0)
        memset(t, 0, sizeof(*t));
}

static int run_list(struct mt_ctx *ctx)
{
    struct mt_config cfg;
    const char *only = nonempty(mt_args_get(&ctx->args, LIST_OPT_ENV));
    const char *format = mt_args_get(&ctx->args, LIST_OPT_FORMAT);
    const struct mt_cfg_env *want = NULL;
    cJSON *arr = NULL;
    size_t i, j, k;
    int rc = -1;

    memset(&cfg, 0, sizeof(cfg));
    if (!format)
        format = "text";
    if (strcmp(format, "text") && strcmp(format, "json"))
        return mt_err_set(&ctx->err, MT_E_USAGE,
                          "invalid value '%s' for --format: expected text or json", format);
    if (load_config(ctx, &cfg) < 0 || mt_config_require(ctx, &cfg) < 0)
        goto out;
    if (only) {
        want = mt_config_find_env(&cfg, only);
        if (!want) {
            mt_config_unknown_env(&cfg, only, &ctx->err);
            goto out;
        }
    }
    if (!strcmp(format, "json") && !(arr = cJSON_CreateArray())) {
        mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < cfg.nenvs; i++) {
        const struct mt_cfg_env *e = &cfg.envs[i];
        cJSON *je = NULL, *jdbs = NULL, *jal;
        if (want && want != e)
            continue;
        if (arr) {
            je = cJSON_CreateObject();
            cJSON_AddItemToArray(arr, je);
            cJSON_AddStringToObject(je, "name", e->name);
            jal = cJSON_AddArrayToObject(je, "aliases");
            for (k = 0; k < e->naliases; k++)
                cJSON_AddItemToArray(jal, cJSON_CreateString(e->aliases[k]));
            jdbs = cJSON_AddArrayToObject(je, "databases");
        } else {
            printf("%s", e->name);
            for (k = 0; k < e->naliases; k++)
                printf("%s%s", k ? ", " : " (aliases: ", e->aliases[k]);
            printf("%s\n", e->naliases ? ")" : "");
        }
        for (j = 0; j < e->ndbs; j++) {
            struct mt_target t;
            list_resolve(&cfg, e, &e->dbs[j], &t);
            if (arr) {
                cJSON *jd = cJSON_CreateObject();
                cJSON_AddItemToArray(jdbs, jd);
                cJSON_AddStringToObject(jd, "name", e->dbs[j].name);
#define ADDS(k, v) ((v) ? (void)cJSON_AddStringToObject(jd, k, v) : (void)cJSON_AddNullToObject(jd, k))
                ADDS("host", t.host);
                if (t.port > 0)
                    cJSON_AddNumberToObject(jd, "port", t.port);
                else
                    cJSON_AddNullToObject(jd, "port");
                ADDS("engine", t.engine);
                ADDS("user", t.user);
                ADDS("profile", t.profile);
                ADDS("region", t.region);
                ADDS("dbname", t.name);
#undef ADDS
            } else {
                printf("  %-20s %s:%d  %s  user %s  profile %s  region %s\n", e->dbs[j].name,
                       t.host ? t.host : "?", t.port, t.engine ? t.engine : "?",
                       t.user ? t.user : "?", t.profile ? t.profile : "?",
                       t.region ? t.region : "?");
            }
            mt_target_release(&t);
        }
    }
    if (arr) {
        char *s = cJSON_PrintUnformatted(arr);
        if (!s) {
            mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
            goto out;
        }
        printf("%s\n", s);
        free(s);
    }
    rc = 0;
out:
    cJSON_Delete(arr);
    mt_config_release(&cfg);
    return rc;
}

/* ---- db connect ---- */

static char *which(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n) {
            char *p = malloc(n + strlen(prog) + 2);
            if (!p)
                return NULL;
            memcpy(p, path, n);
            p[n] = '/';
            memcpy(p + n + 1, prog, strlen(prog) + 1);
            if (access(p, X_OK) == 0)
                return p;
            free(p);
        }
        path += n;
        if (*path == ':')
            path++;
    }
    return NULL;
}

/* Is the client found under this name really MariaDB's (Debian's mysql is a link to it)? */
static int is_mariadb_client(const char *path)
{
    char real[PATH_MAX];
    const char *b;
    if (!realpath(path, real))
        return 0;
    b = strrchr(real, '/');
    return strstr(b ? b : real, "mariadb") != NULL;
}

void mt_db_client_release(struct mt_db_client *c)
{
    free(c->argv);
    free(c->client);
    free(c->conninfo);
    memset(c, 0, sizeof(*c));
}

int mt_db_client_build(struct mt_ctx *ctx, const struct mt_dbtoken *d, struct mt_db_client *cl)
{
    const char *fam;
    int n = 0;

    memset(cl, 0, sizeof(*cl));
    fam = engine_family(d->t.engine);
    if (!strcmp(fam, "postgres")) {
        cl->client = which("psql");
    } else if (!strcmp(d->t.engine, "mariadb")) {
        cl->client = which("mariadb");
        if (!cl->client)
            cl->client = which("mysql");
    } else {
        cl->client = which("mysql");
        if (!cl->client)
            cl->client = which("mariadb");
    }
    if (!cl->client)
        return mt_err_set(&ctx->err, MT_E_IO, "no %s client found in PATH",
                          !strcmp(fam, "postgres") ? "psql" : "mysql/mariadb");
    cl->argv = calloc((size_t)ctx->args.npos + 16, sizeof(char *));
    if (!cl->argv)
        goto nomem;
    snprintf(cl->port, sizeof(cl->port), "%d", conn_port(&d->t));
    cl->argv[n++] = cl->client;
    if (!strcmp(fam, "postgres")) {
        struct mt_buf ci = MT_BUF_INIT;
        if (mt_buf_addf(&ci, "host=%s port=%s user=%s sslmode=verify-full", conn_host(&d->t),
                        cl->port, d->t.user) < 0 ||
            (d->t.name && mt_buf_addf(&ci, " dbname=%s", d->t.name) < 0) ||
            (d->t.ca_bundle && mt_buf_addf(&ci, " sslrootcert=%s", d->t.ca_bundle) < 0)) {
            mt_buf_release(&ci);
            goto nomem;
        }
        cl->conninfo = mt_buf_detach(&ci);
        cl->argv[n++] = cl->conninfo;
        cl->secret_env = "PGPASSWORD";
    } else {
        static char ssl_req[] = "--ssl-mode=VERIFY_IDENTITY", cleartext[] =
                                                                   "--enable-cleartext-plugin",
                    mssl[] = "--ssl", mverify[] = "--ssl-verify-server-cert";
        cl->argv[n++] = (char *)"--host";
        cl->argv[n++] = (char *)conn_host(&d->t);
        cl->argv[n++] = (char *)"--port";
        cl->argv[n++] = cl->port;
        cl->argv[n++] = (char *)"--user";
        cl->argv[n++] = d->t.user;
        if (is_mariadb_client(cl->client)) {
            cl->argv[n++] = mssl;
            cl->argv[n++] = mverify;
        } else {
            cl->argv[n++] = ssl_req;
            cl->argv[n++] = cleartext;
        }
        if (d->t.ca_bundle) {
            size_t len = strlen(d->t.ca_bundle) + 10;
            cl->conninfo = malloc(len);
            if (!cl->conninfo)
                goto nomem;
            snprintf(cl->conninfo, len, "--ssl-ca=%s", d->t.ca_bundle);
            cl->argv[n++] = cl->conninfo;
        }
        if (d->t.name)
            cl->argv[n++] = d->t.name;
        /* MYSQL_PWD: read by the mysql and mariadb clients; never in argv */
        cl->secret_env = "MYSQL_PWD";
    }
    cl->argc = n;
    return 0;
nomem:
    mt_db_client_release(cl);
    return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
}

static int run_connect(struct mt_ctx *ctx)
{
    struct mt_dbtoken d;
    struct mt_db_client cl;
    int i;

    memset(&d, 0, sizeof(d));
    memset(&cl, 0, sizeof(cl));
    if (mt_db_prepare(ctx, &d) < 0 || mt_db_client_build(ctx, &d, &cl) < 0)
        goto out;
    if (setenv(cl.secret_env, d.token.p, 1) < 0) {
        mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < ctx->args.npos; i++)
        cl.argv[cl.argc++] = ctx->args.pos[i];
    cl.argv[cl.argc] = NULL;
    mt_debug(ctx, "exec %s (token in the environment)", cl.client);
    fflush(stdout);
    execv(cl.client, cl.argv);
    mt_err_sys(&ctx->err, MT_E_IO, errno, "cannot run '%s'", cl.client);
out:
    mt_db_client_release(&cl);
    mt_dbtoken_release(&d);
    return -1;
}

/* ---- descriptors ---- */

static const struct mt_opt token_opts[] = {
    DB_TARGET_OPTS,
    {DB_OPT_FORMAT, 0, "format", "text|token|json|env",
     "text (terminal default), token (pipe default), json or env", 0},
    {DB_OPT_CLIPBOARD, 0, "clipboard", NULL, "copy the token to the clipboard (any format)", 0},
    {DB_OPT_NO_CLIPBOARD, 0, "no-clipboard", NULL, "do not touch the clipboard; print the token",
     0},
    MT_OPT_END,
};

static const char *const token_usage[] = {
    "[-e ENV -d DB | --host H --user U [--port P]] [--format text|token|json|env]",
    "[--clipboard|--no-clipboard] [--region R] [--profile P] [--engine E]", NULL};

const struct mt_cmd mt_cmd_db_token = {
    "db token", "db-token", "print or copy a 15-minute RDS IAM authentication token",
    token_usage, token_opts, run_token,
    "Signs an RDS IAM token (SigV4 query presign for rds-db, Action=connect, 900 s) with the\n"
    "AWS credentials of the database's profile. On a terminal the token goes to the clipboard\n"
    "and a ready-to-run client command is printed; in a pipe only the token is printed.",
};

static const struct mt_opt list_opts[] = {
    {LIST_OPT_ENV, 'e', "env", "ENV", "only this environment", MT_OPT_COMPLETE_ENV},
    {LIST_OPT_FORMAT, 0, "format", "text|json", "output format", 0},
    MT_OPT_END,
};
static const char *const list_usage[] = {"[--env ENV] [--format text|json]", NULL};

const struct mt_cmd mt_cmd_db_list = {
    "db list", "db-list", "list the configured environments and databases", list_usage,
    list_opts, run_list, NULL,
};

static const struct mt_opt connect_opts[] = {DB_TARGET_OPTS, MT_OPT_END};
static const char *const connect_usage[] = {
    "-e ENV -d DB [--region R] [--profile P] [-- CLIENT-ARGS...]", NULL};

const struct mt_cmd mt_cmd_db_connect = {
    "db connect", "db-connect", "run mysql, mariadb or psql with a fresh token", connect_usage,
    connect_opts, run_connect,
    "Runs the first client found for the engine with host, port, user, database and TLS\n"
    "verification set, passing the token in MYSQL_PWD or PGPASSWORD (never in argv).",
};
