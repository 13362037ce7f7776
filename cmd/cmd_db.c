/* cmd_db.c - db token, db list, db connect. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netdb.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "cmd/aws.h"
#include "cmd/clipboard.h"
#include "cmd/pick.h"
#include "cmd/dbclient.h"
#include "cmd/dbcommon.h"
#include "cmd/out.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "config/aws_ini.h"
#include "sigv4/sigv4.h"


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

/* env and db given: a warm run may decode only them (mt_config_load_one) */
static int load_config(struct mt_ctx *ctx, struct mt_config *cfg, const char *env, const char *db)
{
    size_t i;
    if (mt_config_load_one(ctx->config_path, ctx->config_path != NULL, env, db, cfg,
                           &ctx->err) < 0)
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
    in.env = nonempty(mt_args_get(&ctx->args, DB_OPT_ENV));
    in.database = nonempty(mt_args_get(&ctx->args, DB_OPT_DATABASE));
    if (load_config(ctx, &d->cfg, in.env, in.database) < 0)
        return -1;
    in.cfg = &d->cfg;
    in.host = nonempty(mt_args_get(&ctx->args, DB_OPT_HOST));
    in.user = nonempty(mt_args_get(&ctx->args, DB_OPT_USER));
    in.engine = nonempty(mt_args_get(&ctx->args, DB_OPT_ENGINE));
    in.connect_host = nonempty(mt_args_get(&ctx->args, DB_OPT_CONNECT_HOST));
    in.region = ctx->region;
    in.profile = ctx->profile;
    if (parse_port(ctx, DB_OPT_PORT, "--port", &in.port) < 0 ||
        parse_port(ctx, DB_OPT_CONNECT_PORT, "--connect-port", &in.connect_port) < 0)
        return -1;
    in.cache_name = nonempty(mt_args_get(&ctx->args, DB_OPT_CACHE_NAME));
    if (mt_args_has(&ctx->args, DB_OPT_SERVERLESS))
        in.serverless = 1;
    if (mt_args_has(&ctx->args, DB_OPT_ADMIN))
        in.admin = 1;
    if (mt_args_get(&ctx->args, DB_OPT_EXPIRES_IN)) {
        const char *v = mt_args_get(&ctx->args, DB_OPT_EXPIRES_IN);
        char *end;
        long n;
        errno = 0;
        n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < 1 || n > (long)MT_SIGV4_MAX_EXPIRES)
            return mt_err_set(&ctx->err, MT_E_USAGE, "invalid value '%s' for --expires-in: "
                              "expected seconds 1-%u", v, MT_SIGV4_MAX_EXPIRES);
        in.expires_in = (int)n;
    }
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
    sc = mt_creds_sigv4(c);
    if (mt_engine_get(d->t.engine)->token == MT_TOKEN_DSQL) {
        struct mt_sigv4_dsql_req dq = {d->t.host, d->t.region, d->t.admin,
                                       (unsigned)d->t.expires_in, &sc, d->now};
        if (mt_sigv4_dsql_token(&dq, &d->token, &ctx->err) < 0)
            return -1;
    } else if (mt_engine_get(d->t.engine)->token == MT_TOKEN_CACHE) {
        struct mt_sigv4_cache_req cq = {d->t.cache_name, d->t.user, d->t.region, d->t.engine,
                                        d->t.serverless, &sc, d->now};
        if (mt_sigv4_cache_token(&cq, &d->token, &ctx->err) < 0)
            return -1;
    } else {
        rq.host = d->t.host;
        rq.port = (unsigned)d->t.port;
        rq.user = d->t.user;
        rq.region = d->t.region;
        rq.creds = &sc;
        rq.now = d->now;
        if (mt_sigv4_rds_token(&rq, &d->token, &ctx->err) < 0)
            return -1;
    }
    /* contract 5: the earlier of signing + lifetime and the credentials' expiry, every engine */
    d->expires_at = d->now + d->t.expires_in;
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

/* ---- output: one model, one renderer per format ---- */

#define RDS_CA_URL "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"

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

static int tunnelled(const struct mt_target *t)
{
    return t->connect_host && strcmp(t->connect_host, t->host) != 0;
}

/* The numeric address of the tunnel end, for psql's hostaddr= (certificate checked against the
 * real host name). NULL without a tunnel or when the name does not resolve. */
const char *mt_db_tunnel_addr(const struct mt_target *t, char *buf, size_t n)
{
    struct addrinfo hints, *ai = NULL;
    const char *r = NULL;
    if (!tunnelled(t))
        return NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(t->connect_host, NULL, &hints, &ai) == 0 && ai &&
        getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, (socklen_t)n, NULL, 0, NI_NUMERICHOST) == 0)
        r = buf;
    if (ai)
        freeaddrinfo(ai);
    return r;
}

/* A URL that carries the token: every part percent-encoded. */
static int build_url(const struct mt_dbtoken *d, const char *hostaddr, struct mt_buf *u)
{
    const struct mt_target *t = &d->t;
    const struct mt_engine *e = mt_engine_get(t->engine);
    const char *dbname = t->name ? t->name : e->default_dbname;
    int pg = e->proto == MT_PROTO_PG, q = 0;

    u->secret = 1;
    if (mt_buf_addf(u, "%s://", e->url_scheme) < 0 || mt_url_encode(u, t->user) < 0 ||
        mt_buf_addc(u, ':') < 0 || mt_url_encode(u, d->token.p) < 0 || mt_buf_addc(u, '@') < 0 ||
        mt_url_encode(u, pg && hostaddr ? t->host : conn_host(t)) < 0 ||
        mt_buf_addf(u, ":%d", conn_port(t)) < 0)
        return -1;
    if (e->proto == MT_PROTO_REDIS)
        return 0;
    if (mt_buf_addc(u, '/') < 0 || (dbname && mt_url_encode(u, dbname) < 0))
        return -1;
#define QP(k, v) ((mt_buf_adds(u, q++ ? "&" k "=" : "?" k "=") < 0 || mt_url_encode(u, v) < 0) ? -1 : 0)
    if (pg) {
        if (QP("sslmode", "verify-full") < 0 ||
            (t->ca_bundle && QP("sslrootcert", t->ca_bundle) < 0) ||
            (!t->ca_bundle && e->public_ca && mt_system_ca_file() &&
             QP("sslrootcert", mt_system_ca_file()) < 0) ||
            (hostaddr && QP("hostaddr", hostaddr) < 0))
            return -1;
    } else if (QP("ssl-mode", tunnelled(t) ? "VERIFY_CA" : "VERIFY_IDENTITY") < 0 ||
               (t->ca_bundle && QP("ssl-ca", t->ca_bundle) < 0))
        return -1;
#undef QP
    return 0;
}

/* "mytools db connect" with every target option the user gave, each value shell-quoted. */
static int connect_line(const struct mt_ctx *ctx, const struct mt_target *t, struct mt_buf *b)
{
    int i;
    const struct mt_opt *o;
    if (mt_buf_adds(b, "mytools") < 0 ||
        (ctx->config_path && (mt_buf_adds(b, " --config ") < 0 || mt_shq(b, ctx->config_path) < 0)) ||
        mt_buf_adds(b, " db connect") < 0 ||
        (ctx->profile && (mt_buf_adds(b, " --profile ") < 0 || mt_shq(b, ctx->profile) < 0)) ||
        (ctx->region && (mt_buf_adds(b, " --region ") < 0 || mt_shq(b, ctx->region) < 0)))
        return -1;
    for (i = 0; i < ctx->args.nitems; i++) {
        const struct mt_arg_item *it = &ctx->args.items[i];
        struct mt_arg_item canon;
        if (it->id == DB_OPT_FORMAT || it->id == DB_OPT_CLIPBOARD || it->id == DB_OPT_NO_CLIPBOARD)
            continue;
        for (o = ctx->cmd->opts; o->id; o++)
            if (o->id == it->id)
                break;
        if (!o->id)
            continue;
        if (it->id == DB_OPT_ENV && t->env) { /* the canonical name, not the alias */
            canon.id = it->id;
            canon.value = t->env;
            it = &canon;
        }
        if ((o->short_name ? mt_buf_addf(b, " -%c", o->short_name)
                           : mt_buf_addf(b, " --%s", o->long_name)) < 0 ||
            (o->arg && it->value && (mt_buf_addc(b, ' ') < 0 || mt_shq(b, it->value) < 0)))
            return -1;
    }
    return 0;
}

/* The ready-to-run client command: the shell reads the token at a prompt that does not echo it
 * into the client's password variable for this one command (a subshell), so it is in neither
 * argv nor history, and MariaDB's 79-character password prompt is never used. */
static int client_line(const struct mt_client *c, struct mt_buf *b)
{
    size_t i;
    if (mt_buf_addf(b, "(printf 'token: ' >&2; IFS= read -rs %s; echo >&2; export %s; exec",
                    c->pw_env[0], c->pw_env[0]) < 0)
        return -1;
    for (i = 0; i < c->argc; i++)
        if (mt_buf_addc(b, ' ') < 0 || mt_shq(b, c->argv[i]) < 0)
            return -1;
    return mt_buf_addc(b, ')');
}

static int out_text(struct mt_ctx *ctx, struct mt_dbtoken *d, int clipboard)
{
    const struct mt_engine *e = mt_engine_get(d->t.engine);
    const char *backend = NULL;
    struct mt_err cerr = MT_ERR_INIT;
    struct mt_client cl;
    struct mt_buf line = MT_BUF_INIT;
    char when[64], addr[64];
    long left = (long)(d->expires_at - d->now);
    int copied = 0, rc = -1;

    if (clipboard) {
        if (mt_clipboard_copy(d->t.clipboard, d->token.p, d->token.len, &backend, &cerr) == 0)
            copied = 1;
        else if (mt_args_has(&ctx->args, DB_OPT_CLIPBOARD)) {
            ctx->err = cerr;
            return -1;
        }
    }
    if (mt_client_build(e, &d->t, mt_db_tunnel_addr(&d->t, addr, sizeof(addr)), 0, &cl, &ctx->err) < 0)
        return -1;
    fmt_local(d->expires_at, when, sizeof(when));
    printf("%s for %s@%s:%d", e->token_what, mt_tx(d->t.user), mt_tx(d->t.host), d->t.port);
    if (d->t.env)
        printf(" (%s/%s)", mt_tx(d->t.env), mt_tx(d->t.database));
    printf("\n  region %s, profile %s, engine %s\n", mt_tx(d->t.region), mt_tx(d->t.profile),
           mt_tx(d->t.engine));
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
            printf("  clipboard: %s; the token follows\n", mt_tx(cerr.msg));
        printf("\n%s\n", d->token.p);
    }
    if (cl.missing_ca) {
        printf("\nno ca_bundle is set, and the server's certificate is signed by the RDS CA; get "
               "the bundle:\n  mkdir -p ~/.mytools && curl -fsSo "
               "~/.mytools/rds-global-bundle.pem %s\nthen set 'ca_bundle: "
               "~/.mytools/rds-global-bundle.pem' in the config (defaults or this database)\n",
               RDS_CA_URL);
    }
    if (!cl.missing_ca || cl.kind != MT_CL_PSQL) {
        /* psql without a CA fails on a missing ~/.postgresql/root.crt: no command then */
        if (client_line(&cl, &line) < 0)
            goto nomem;
        printf("\nconnect (type or paste the token at the prompt; it is not shown):\n  %s\n",
               line.p);
        if (cl.note[0])
            printf("  note: %s\n", cl.note);
    }
    mt_buf_reset(&line);
    if (connect_line(ctx, &d->t, &line) < 0)
        goto nomem;
    printf("%s  %s\n", cl.missing_ca && cl.kind == MT_CL_PSQL ? "\nconnect:\n" : "", line.p);
    rc = 0;
    goto out;
nomem:
    mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
out:
    mt_buf_release(&line);
    mt_client_release(&cl);
    return rc;
}

static int out_token(struct mt_ctx *ctx, struct mt_dbtoken *d)
{
    (void)ctx;
    return printf("%s\n", d->token.p) < 0 ? -1 : 0;
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

static int export_line(struct mt_buf *b, const char *name, const char *value)
{
    if (!value)
        return 0;
    return mt_buf_addf(b, "export %s=", name) < 0 || mt_shq_always(b, value) < 0 ||
                   mt_buf_addc(b, '\n') < 0
               ? -1
               : 0;
}

static int out_env(struct mt_ctx *ctx, struct mt_dbtoken *d)
{
    const struct mt_target *t = &d->t;
    const struct mt_engine *e = mt_engine_get(t->engine);
    struct mt_buf b = MT_BUF_INIT_SECRET, url = MT_BUF_INIT_SECRET;
    char port[16], addr[64];
    const char *hostaddr = mt_db_tunnel_addr(t, addr, sizeof(addr)), *dbname;
    int ok;

    snprintf(port, sizeof(port), "%d", conn_port(t));
    dbname = t->name ? t->name : e->default_dbname;
    if (e->proto == MT_PROTO_PG)
        ok = !export_line(&b, "PGHOST", hostaddr ? t->host : conn_host(t)) &&
             !export_line(&b, "PGHOSTADDR", hostaddr) && !export_line(&b, "PGPORT", port) &&
             !export_line(&b, "PGUSER", t->user) && !export_line(&b, "PGPASSWORD", d->token.p) &&
             !export_line(&b, "PGSSLMODE", "verify-full") &&
             !export_line(&b, "PGDATABASE", dbname) &&
             !export_line(&b, "PGSSLROOTCERT",
                          t->ca_bundle ? t->ca_bundle
                          : e->public_ca ? mt_system_ca_file() : NULL);
    else if (e->proto == MT_PROTO_MYSQL)
        ok = !export_line(&b, "MYSQL_HOST", conn_host(t)) &&
             !export_line(&b, "MYSQL_TCP_PORT", port) &&
             !export_line(&b, "MYSQL_PWD", d->token.p);
    else
        ok = !export_line(&b, "MYTOOLS_DB_HOST", conn_host(t)) &&
             !export_line(&b, "MYTOOLS_DB_PORT", port) &&
             !export_line(&b, "REDISCLI_AUTH", d->token.p) &&
             !export_line(&b, "VALKEYCLI_AUTH", d->token.p);
    ok = ok && !export_line(&b, "MYTOOLS_DB_USER", t->user) && !build_url(d, hostaddr, &url) &&
         !export_line(&b, "DATABASE_URL", url.p);
    if (ok)
        fwrite(b.p, 1, b.len, stdout);
    mt_buf_release(&b);
    mt_buf_release(&url);
    return ok ? 0 : mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
}

static int out_url(struct mt_ctx *ctx, struct mt_dbtoken *d)
{
    struct mt_buf url = MT_BUF_INIT_SECRET;
    char addr[64];
    int rc = build_url(d, mt_db_tunnel_addr(&d->t, addr, sizeof(addr)), &url);
    if (rc == 0)
        printf("%s\n", url.p);
    mt_buf_release(&url);
    return rc < 0 ? mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory") : 0;
}

static const struct {
    const char *name;
    int (*render)(struct mt_ctx *, struct mt_dbtoken *);
} formats[] = {
    {"text", NULL}, /* out_text: also decides the clipboard */
    {"token", out_token},
    {"json", out_json},
    {"env", out_env},
    {"url", out_url},
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

static int run_token(struct mt_ctx *ctx)
{
    struct mt_dbtoken d;
    const char *format = mt_args_get(&ctx->args, DB_OPT_FORMAT);
    int clipboard, rc = -1;
    size_t fi;

    memset(&d, 0, sizeof(d));
    if (ctx->args.npos)
        return mt_err_set(&ctx->err, MT_E_USAGE, "unexpected argument '%s'", ctx->args.pos[0]);
    if (!format)
        format = ctx->stdout_tty ? "text" : "token";
    for (fi = 0; fi < NFORMATS && strcmp(format, formats[fi].name); fi++)
        ;
    if (fi == NFORMATS)
        return mt_err_set(&ctx->err, MT_E_USAGE,
                          "invalid value '%s' for --format: expected text, token, json, env or url",
                          format);
    if (mt_args_has(&ctx->args, DB_OPT_CLIPBOARD) && mt_args_has(&ctx->args, DB_OPT_NO_CLIPBOARD))
        return mt_err_set(&ctx->err, MT_E_USAGE, "--clipboard and --no-clipboard exclude each other");
    if (mt_db_prepare(ctx, &d) < 0)
        goto out;
    clipboard = !formats[fi].render ? !mt_args_has(&ctx->args, DB_OPT_NO_CLIPBOARD)
                                         : mt_args_has(&ctx->args, DB_OPT_CLIPBOARD);
    if (clipboard && d.t.clipboard && !strcmp(d.t.clipboard, "off") &&
        !mt_args_has(&ctx->args, DB_OPT_CLIPBOARD))
        clipboard = 0;
    if (formats[fi].render && clipboard) {
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
    if (d.creds_short && formats[fi].render)
        mt_warn(ctx, "the AWS credentials expire in %ld min: the token lasts only that long",
                (long)(d.expires_at - d.now + 59) / 60);
    rc = formats[fi].render ? formats[fi].render(ctx, &d) : out_text(ctx, &d, clipboard);
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
    if (load_config(ctx, &cfg, NULL, NULL) < 0 || mt_config_require(ctx, &cfg) < 0)
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
            printf("%s", mt_tx(e->name));
            for (k = 0; k < e->naliases; k++)
                printf("%s%s", k ? ", " : " (aliases: ", mt_tx(e->aliases[k]));
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
                ADDS("cache_name", t.cache_name);
#undef ADDS
            } else {
                printf("  %-20s %s:%d  %s  user %s  profile %s  region %s\n",
                       mt_tx(e->dbs[j].name), mt_tx(t.host), t.port, mt_tx(t.engine),
                       mt_tx(t.user), mt_tx(t.profile), mt_tx(t.region));
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

static int run_connect(struct mt_ctx *ctx)
{
    struct mt_dbtoken d;
    struct mt_client cl;
    char addr[64];
    int i;

    memset(&d, 0, sizeof(d));
    memset(&cl, 0, sizeof(cl));
    if (mt_db_prepare(ctx, &d) < 0)
        goto out;
    if (mt_client_build(mt_engine_get(d.t.engine), &d.t, mt_db_tunnel_addr(&d.t, addr, sizeof(addr)),
                        1, &cl, &ctx->err) < 0 ||
        mt_client_add_args(&cl, ctx->args.pos, ctx->args.npos, &ctx->err) < 0) /* the user's */
        goto out;
    for (i = 0; i < 2 && cl.pw_env[i]; i++)
        if (setenv(cl.pw_env[i], d.token.p, 1) < 0) {
            mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
            goto out;
        }
    mt_debug(ctx, "exec %s (token in %s)", cl.path, cl.pw_env[0]);
    if (cl.note[0])
        mt_info(ctx, "%s", cl.note);
    fflush(stdout);
    execv(cl.path, cl.argv);
    mt_err_sys(&ctx->err, MT_E_IO, errno, "cannot run '%s'", cl.path);
out:
    mt_client_release(&cl);
    mt_dbtoken_release(&d);
    return -1;
}

/* ---- descriptors ---- */

static const struct mt_opt token_opts[] = {
    DB_TARGET_OPTS,
    {DB_OPT_FORMAT, 0, "format", "text|token|json|env|url",
     "text (terminal default), token (pipe default), json, env or url", 0},
    {DB_OPT_CLIPBOARD, 0, "clipboard", NULL, "copy the token to the clipboard (any format)", 0},
    {DB_OPT_NO_CLIPBOARD, 0, "no-clipboard", NULL, "do not touch the clipboard; print the token",
     0},
    MT_OPT_END,
};

static const char *const token_usage[] = {
    "[-e ENV -d DB | --host H --user U [--port P]] [--format text|token|json|env|url]",
    "[--clipboard|--no-clipboard] [--region R] [--profile P] [--engine E]",
    "[--cache-name N] [--serverless] [--admin] [--expires-in S]", NULL};

const struct mt_cmd mt_cmd_db_token = {
    "db token", "db-token",
    "print or copy an IAM database token (RDS, Aurora DSQL, ElastiCache, MemoryDB)",
    token_usage, token_opts, run_token,
    "Signs an RDS IAM token (SigV4 query presign for rds-db, Action=connect, 900 s), an Aurora\n"
    "DSQL token (dsql, DbConnect or DbConnectAdmin, --expires-in) or an ElastiCache/MemoryDB\n"
    "token (Action=connect&User=..., signed for --cache-name) with the AWS credentials of the\n"
    "database's profile. On a terminal the token goes to the clipboard\n"
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
    "db connect", "db-connect",
    "run mysql, mariadb, psql, valkey-cli or redis-cli with a fresh token", connect_usage,
    connect_opts, run_connect,
    "Runs the first client found for the engine with host, port, user, database and TLS\n"
    "verification set, passing the token in MYSQL_PWD, PGPASSWORD or REDISCLI_AUTH (never in\n"
    "argv).",
};
