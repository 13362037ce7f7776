/* cmd_mkpassword.c - the mkpassword applet: random passwords, optionally with the verifier a
 * database stores (contract section 5).
 *
 * Passwords are generated straight into a secret (sodium_malloc) output chunk, written with one
 * fwrite per chunk and wiped; main wipes the stdio buffer after the run. JSON objects reference
 * the secret strings (cJSON_CreateStringReference) and are rendered into a secret buffer, so
 * cJSON never holds a copy of a password.
 *
 * --kms / --secret (the part at the end): each password is generated into sodium
 * memory, sent inside a secret request body (KMS Encrypt, Secrets Manager CreateSecret or
 * PutSecretValue) and wiped; only the ciphertext, the secret's ARN and version id, and the
 * verifier are printed. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd/aws.h"
#include "cmd/cmd.h"
#include "common/buf.h"
#include "common/endpoint.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/pwgen.h"
#include "common/verifier.h"
#include "config/aws_ini.h"
#include "config/config.h"
#include "kms/kms.h"

enum {
    PW_OPT_LENGTH = 1,
    PW_OPT_SYMBOLS,
    PW_OPT_NO_UPPER,
    PW_OPT_NO_LOWER,
    PW_OPT_NO_DIGITS,
    PW_OPT_NO_AMBIGUOUS,
    PW_OPT_EXCLUDE,
    PW_OPT_SYMBOL_SET,
    PW_OPT_COUNT,
    PW_OPT_KMS,
    PW_OPT_CONTEXT,
    PW_OPT_SECRET,
    PW_OPT_USERNAME,
    PW_OPT_SECRET_KMS_KEY,
    PW_OPT_DESCRIPTION,
    PW_OPT_OVERWRITE,
    PW_OPT_ENV,
    PW_OPT_DATABASE,
    PW_OPT_HASH,
    PW_OPT_FORMAT,
};

/* Output chunk: many lines are generated into it before one fwrite. */
#define CHUNK_LEN ((size_t)1 << 20)
/* Longest verifier line part: caching-sha2 hex literal is 142, SCRAM about 133. */
#define VERIFIER_MAX 256

struct plan {
    struct mt_pwgen_opts gen;
    unsigned long long count;
    int json;
    int hash;
    enum mt_verifier_kind kind;
    const char *kms;
    const char *secret;
    struct mt_kms_context ectx; /* --context pairs (owned: plan_release) */
};

static void plan_release(struct plan *p)
{
    mt_kms_context_release(&p->ectx);
}

/* "<flag> <what>" as a usage error (exit 2) with the help hint. */
static int usage(struct mt_ctx *ctx, const char *flag, const char *what)
{
    mt_err_set(&ctx->err, MT_E_USAGE, "%s %s", flag, what);
    return mt_err_hint(&ctx->err, "see 'mytools mkpassword --help'");
}

/* A decimal number with nothing around it; -1 if s is not one or overflows. */
static int parse_ull(const char *s, unsigned long long *out)
{
    char *end = NULL;

    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno || *end ? -1 : 0;
}

/* Options that only make sense with another one. */
static int needs(struct mt_ctx *ctx, int id, const char *flag, int have, const char *other)
{
    char what[64];

    if (!mt_args_has(&ctx->args, id) || have)
        return 0;
    snprintf(what, sizeof(what), "needs %s", other);
    return usage(ctx, flag, what);
}

static int make_plan(struct mt_ctx *ctx, struct plan *p)
{
    const struct mt_args *a = &ctx->args;
    struct mt_pwgen_opts gen = MT_PWGEN_OPTS_INIT;
    unsigned long long n;
    const char *v;
    int i;

    memset(p, 0, sizeof(*p));
    if (a->npos > 0)
        return usage(ctx, "mkpassword", "takes no arguments");
    if ((v = mt_args_get(a, PW_OPT_LENGTH)) != NULL) {
        if (parse_ull(v, &n) < 0 || n < MT_PWGEN_MIN_LEN || n > MT_PWGEN_MAX_LEN) {
            mt_err_set(&ctx->err, MT_E_USAGE, "--length must be a number from %d to %d",
                       MT_PWGEN_MIN_LEN, MT_PWGEN_MAX_LEN);
            return mt_err_hint(&ctx->err, "see 'mytools mkpassword --help'");
        }
        gen.length = (size_t)n;
    }
    p->count = 1;
    if ((v = mt_args_get(a, PW_OPT_COUNT)) != NULL) {
        if (parse_ull(v, &p->count) < 0 || p->count < 1)
            return usage(ctx, "--count", "must be a positive number");
    }
    if (mt_args_has(a, PW_OPT_SYMBOLS))
        gen.classes |= MT_PWGEN_SYMBOLS;
    if (mt_args_has(a, PW_OPT_NO_UPPER))
        gen.classes &= ~MT_PWGEN_UPPER;
    if (mt_args_has(a, PW_OPT_NO_LOWER))
        gen.classes &= ~MT_PWGEN_LOWER;
    if (mt_args_has(a, PW_OPT_NO_DIGITS))
        gen.classes &= ~MT_PWGEN_DIGITS;
    gen.no_ambiguous = mt_args_has(a, PW_OPT_NO_AMBIGUOUS);
    gen.exclude = mt_args_get(a, PW_OPT_EXCLUDE);
    gen.symbol_set = mt_args_get(a, PW_OPT_SYMBOL_SET);
    p->gen = gen;

    if ((v = mt_args_get(a, PW_OPT_FORMAT)) != NULL) {
        if (!strcmp(v, "json"))
            p->json = 1;
        else if (strcmp(v, "text"))
            return usage(ctx, "--format", "must be text or json");
    }
    if ((v = mt_args_get(a, PW_OPT_HASH)) != NULL) {
        if (mt_verifier_kind_parse(v, &p->kind) < 0)
            return usage(ctx, "--hash", "must be scram-sha-256, mysql-native or caching-sha2");
        p->hash = 1;
    }

    p->kms = mt_args_get(a, PW_OPT_KMS);
    if (p->kms && !*p->kms)
        return usage(ctx, "--kms", "needs a key id, ARN or alias");
    for (i = 0; i < mt_args_count(a, PW_OPT_CONTEXT); i++) {
        if (mt_kms_context_add(&p->ectx, mt_args_nth(a, PW_OPT_CONTEXT, i), &ctx->err) < 0) {
            if (ctx->err.code == MT_E_USAGE)
                mt_err_hint(&ctx->err, "see 'mytools mkpassword --help'");
            return -1;
        }
    }
    if (needs(ctx, PW_OPT_CONTEXT, "--context", p->kms != NULL, "--kms") < 0)
        return -1;

    p->secret = mt_args_get(a, PW_OPT_SECRET);
    if (p->secret && !*p->secret)
        return usage(ctx, "--secret", "needs a secret name");
    if (needs(ctx, PW_OPT_USERNAME, "--username", p->secret != NULL, "--secret") < 0 ||
        needs(ctx, PW_OPT_SECRET_KMS_KEY, "--secret-kms-key", p->secret != NULL, "--secret") < 0 ||
        needs(ctx, PW_OPT_DESCRIPTION, "--description", p->secret != NULL, "--secret") < 0 ||
        needs(ctx, PW_OPT_OVERWRITE, "--overwrite", p->secret != NULL, "--secret") < 0 ||
        needs(ctx, PW_OPT_ENV, "--env", p->secret != NULL, "--secret") < 0 ||
        needs(ctx, PW_OPT_DATABASE, "--database", p->secret != NULL, "--secret") < 0)
        return -1;
    if (p->secret && p->count != 1)
        return usage(ctx, "--secret", "stores one password: --count must be 1");
    /* a secret without a username is useless to every RDS client and rotation function: the
     * user comes from --username or from the configured database, never silently from nowhere */
    if (p->secret && !mt_args_has(a, PW_OPT_USERNAME) && !mt_args_has(a, PW_OPT_ENV) &&
        !mt_args_has(a, PW_OPT_DATABASE))
        return usage(ctx, "--secret", "needs --username, or --env/--database to take the "
                                      "configured user");
    return 0;
}

/* Output chunk in secret memory. */
struct out {
    char *p;
    size_t len;
    size_t cap;
};

static int out_flush(struct mt_ctx *ctx, struct out *o)
{
    size_t n = o->len;

    o->len = 0;
    if (n && fwrite(o->p, 1, n, stdout) != n) {
        mt_memzero(o->p, n);
        return mt_err_sys(&ctx->err, MT_E_IO, errno, "cannot write to stdout");
    }
    mt_memzero(o->p, n);
    return 0;
}

/* Makes room for n bytes; returns the write position or NULL (ctx->err set). */
static char *out_room(struct mt_ctx *ctx, struct out *o, size_t n)
{
    if (o->cap - o->len < n && out_flush(ctx, o) < 0)
        return NULL;
    if (o->cap < n) {
        mt_err_set(&ctx->err, MT_E_INTERNAL, "output line too long");
        return NULL;
    }
    return o->p + o->len;
}

static int add_verifier(struct mt_ctx *ctx, const struct plan *p, const char *pw, size_t len,
                        struct mt_buf *ver)
{
    uint8_t salt[32];
    size_t saltlen = mt_verifier_salt_len(p->kind);
    int rc;

    mt_buf_reset(ver);
    randombytes_buf(salt, saltlen);
    if (p->kind == MT_VERIFIER_CACHING_SHA2)
        mt_verifier_mysql_salt_fixup(salt, saltlen);
    rc = mt_verifier_make(p->kind, pw, len, saltlen ? salt : NULL, ver, &ctx->err);
    mt_memzero(salt, sizeof(salt));
    return rc;
}

/* One JSON object of the fields whose value is not NULL (names[i]: values[i]) rendered into
 * render (secret, rcap bytes). */
static int json_object(struct mt_ctx *ctx, const char *const *names, const char *const *values,
                       size_t n, char *render, size_t rcap)
{
    cJSON *obj = cJSON_CreateObject();
    cJSON *s;
    size_t i;
    int rc = -1;

    if (!obj)
        goto nomem;
    for (i = 0; i < n; i++) {
        if (!values[i])
            continue;
        s = cJSON_CreateStringReference(values[i]);
        if (!s || !cJSON_AddItemToObject(obj, names[i], s)) {
            cJSON_Delete(s);
            goto nomem;
        }
    }
    if (!cJSON_PrintPreallocated(obj, render, (int)rcap, 0)) {
        mt_err_set(&ctx->err, MT_E_INTERNAL, "JSON output does not fit");
        goto out;
    }
    rc = 0;
    goto out;
nomem:
    mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
out:
    cJSON_Delete(obj); /* references: our strings are not freed (nor copied) */
    return rc;
}

static int generate(struct mt_ctx *ctx, const struct plan *p)
{
    struct mt_pwgen g = MT_PWGEN_INIT;
    struct mt_buf ver = MT_BUF_INIT_SECRET;
    struct out o = {NULL, 0, CHUNK_LEN};
    char *pw = NULL, *render = NULL, *w = NULL;
    size_t len = p->gen.length, rcap = 6 * (MT_PWGEN_MAX_LEN + VERIFIER_MAX) + 64, line;
    unsigned long long i;
    int rc = -1;

    if (mt_pwgen_init(&g, &p->gen, &ctx->err) < 0)
        return -1;
    len = g.length;
    mt_debug(ctx, "alphabet of %zu characters, %u required classes, length %zu", g.alpha.len,
             g.alpha.nrequired, len);
    o.p = sodium_malloc(o.cap);
    pw = sodium_malloc(len + 1);
    if (p->json)
        render = sodium_malloc(rcap);
    if (!o.p || !pw || (p->json && !render)) {
        mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    pw[len] = '\0';
    if (p->json && !(w = out_room(ctx, &o, 2)))
        goto out;
    if (p->json) {
        memcpy(w, "[\n", 2);
        o.len += 2;
    }
    for (i = 0; i < p->count; i++) {
        if (!p->json && !p->hash) {
            /* the fast path: generate in place, a line at a time */
            if (!(w = out_room(ctx, &o, len + 1)) || mt_pwgen_next(&g, w, &ctx->err) < 0)
                goto out;
            w[len] = '\n';
            o.len += len + 1;
            continue;
        }
        if (mt_pwgen_next(&g, pw, &ctx->err) < 0)
            goto out;
        if (p->hash && add_verifier(ctx, p, pw, len, &ver) < 0)
            goto out;
        if (p->json) {
            static const char *const names[] = {"password", "verifier"};
            const char *values[2];

            values[0] = pw;
            values[1] = p->hash ? mt_buf_str(&ver) : NULL;
            if (json_object(ctx, names, values, 2, render, rcap) < 0)
                goto out;
            line = strlen(render);
            if (!(w = out_room(ctx, &o, line + 2)))
                goto out;
            memcpy(w, render, line);
            w[line] = i + 1 < p->count ? ',' : '\n';
            w[line + 1] = '\n';
            o.len += line + (i + 1 < p->count ? 2 : 1);
            mt_memzero(render, line);
        } else {
            line = len + 1 + ver.len + 1;
            if (!(w = out_room(ctx, &o, line)))
                goto out;
            memcpy(w, pw, len);
            w[len] = '\t';
            memcpy(w + len + 1, ver.p, ver.len);
            w[line - 1] = '\n';
            o.len += line;
        }
    }
    if (p->json) {
        if (!(w = out_room(ctx, &o, 2)))
            goto out;
        memcpy(w, "]\n", 2);
        o.len += 2;
    }
    if (out_flush(ctx, &o) < 0)
        goto out;
    rc = 0;
out:
    if (o.p) {
        mt_memzero(o.p, o.len);
        sodium_free(o.p); /* wipes the whole chunk too */
    }
    sodium_free(pw);
    sodium_free(render);
    mt_buf_release(&ver);
    mt_pwgen_release(&g);
    return rc;
}

/* ---- --kms and --secret ------------------------------------------------------------------ */

/* What the remote part holds while it runs. */
struct remote {
    struct mt_config cfg;
    struct mt_target t; /* with --env/--database */
    int have_target;
    struct mt_aws aws;
    char *kms_key;        /* --kms, normalised */
    char *secret_kms_key; /* --secret-kms-key, normalised */
    char *kms_url, *sm_url;
    struct mt_kms_client kms, sm;
};

static void remote_release(struct remote *r)
{
    mt_config_release(&r->cfg);
    mt_target_release(&r->t);
    mt_aws_close(&r->aws);
    free(r->kms_key);
    free(r->secret_kms_key);
    free(r->kms_url);
    free(r->sm_url);
    memset(r, 0, sizeof(*r));
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

static const char *profile_region(void *ud, const char *profile)
{
    const struct mt_aws *a = ud;
    const struct mt_ini_section *s = mt_ini_profile(a->config, profile);
    return s ? nonempty(mt_ini_get(s, "region")) : NULL;
}

/* The configured database of --env/--database (for the RDS-style secret): its engine, host, port
 * and name, and its user unless --username. Its profile and region then pick the account and
 * region of the secret, as for `db token` (contract section 4). */
static int resolve_database(struct mt_ctx *ctx, struct remote *r)
{
    struct mt_resolve_in in;
    const char *username = nonempty(mt_args_get(&ctx->args, PW_OPT_USERNAME));
    const struct mt_cfg_env *e;
    const struct mt_cfg_db *d;

    mt_resolve_in_init(&in);
    in.cfg = &r->cfg;
    in.env = nonempty(mt_args_get(&ctx->args, PW_OPT_ENV));
    in.database = nonempty(mt_args_get(&ctx->args, PW_OPT_DATABASE));
    in.user = username;
    in.region = ctx->region;
    in.profile = ctx->profile;
    in.aws_profile = nonempty(getenv("AWS_PROFILE"));
    in.aws_region = nonempty(getenv("AWS_REGION"));
    in.aws_default_region = nonempty(getenv("AWS_DEFAULT_REGION"));
    in.home = mt_home_dir();
    in.profile_region_fn = profile_region;
    in.profile_region_ctx = &r->aws;
    e = in.env ? mt_config_find_env(&r->cfg, in.env) : NULL;
    d = e && in.database ? mt_config_find_db(e, in.database) : NULL;
    if (d && !username && !d->s.user && !e->s.user && !r->cfg.defaults.user)
        return usage(ctx, "--secret", "needs --username: no user is configured for that database");
    if (mt_resolve_target(&in, &r->t, &ctx->err) < 0)
        return -1;
    r->have_target = 1;
    return mt_aws_select(&r->aws, r->t.profile_from_config_or_flag ? r->t.profile : NULL,
                         r->t.region);
}

static void client_init(struct mt_kms_client *c, struct remote *r, const char *url)
{
    c->http = r->aws.http;
    c->endpoint = url;
    c->region = r->aws.region;
    c->creds = mt_creds_sigv4(&r->aws.creds);
    c->ca_bundle = r->aws.ca_bundle;
    c->clock_skew = &r->aws.clock_skew;
}

/* Keys first (usage errors before anything is read), then the config, the AWS profile, region,
 * endpoints and credentials. */
static int remote_open(struct mt_ctx *ctx, const struct plan *p, struct remote *r)
{
    const char *v;
    size_t i;

    if (p->kms && !(r->kms_key = mt_kms_key_id(p->kms, &ctx->err))) {
        mt_err_prefix(&ctx->err, "--kms");
        return -1;
    }
    if ((v = mt_args_get(&ctx->args, PW_OPT_SECRET_KMS_KEY)) != NULL &&
        !(r->secret_kms_key = mt_kms_key_id(v, &ctx->err))) {
        mt_err_prefix(&ctx->err, "--secret-kms-key");
        return -1;
    }
    if (mt_config_load(ctx->config_path, ctx->config_path != NULL, &r->cfg, &ctx->err) < 0)
        return -1;
    for (i = 0; i < r->cfg.nwarnings; i++)
        mt_warn(ctx, "%s", r->cfg.warnings[i].msg);
    if (mt_aws_open(ctx, &r->aws, r->cfg.defaults.profile, r->cfg.defaults.region) < 0)
        return -1;
    if (p->secret && (mt_args_has(&ctx->args, PW_OPT_ENV) ||
                      mt_args_has(&ctx->args, PW_OPT_DATABASE)) &&
        resolve_database(ctx, r) < 0)
        return -1;
    if (mt_aws_need_region(&r->aws) < 0 ||
        (p->kms && !(r->kms_url = mt_aws_endpoint(&r->aws, MT_SVC_KMS, NULL))) ||
        (p->secret && !(r->sm_url = mt_aws_endpoint(&r->aws, MT_SVC_SECRETS_MANAGER, NULL))) ||
        mt_aws_creds(&r->aws) < 0 || !mt_aws_http(&r->aws))
        return -1;
    client_init(&r->kms, r, r->kms_url);
    client_init(&r->sm, r, r->sm_url);
    return 0;
}

/* Stores pw as the secret's value (RDS-style JSON); fills res. */
static int store_secret(struct mt_ctx *ctx, const struct plan *p, struct remote *r,
                        const char *pw, struct mt_kms_sm_result *res)
{
    struct mt_buf value = MT_BUF_INIT_SECRET;
    struct mt_kms_db_secret ds;
    struct mt_kms_sm_put put;
    int rc;

    memset(&ds, 0, sizeof(ds));
    ds.username = nonempty(mt_args_get(&ctx->args, PW_OPT_USERNAME));
    ds.password = pw;
    if (r->have_target) {
        ds.username = r->t.user;
        ds.engine = r->t.engine;
        ds.host = r->t.host;
        ds.port = r->t.port;
        ds.dbname = r->t.name;
    }
    memset(&put, 0, sizeof(put));
    put.name = p->secret;
    put.description = mt_args_get(&ctx->args, PW_OPT_DESCRIPTION);
    put.kms_key_id = r->secret_kms_key;
    put.overwrite = mt_args_has(&ctx->args, PW_OPT_OVERWRITE);
    rc = mt_kms_sm_db_secret(&ds, &value, &ctx->err);
    if (rc == 0) {
        put.secret_string = mt_buf_str(&value);
        rc = mt_kms_sm_put_secret(&r->sm, &put, res, &ctx->err);
    }
    mt_buf_release(&value);
    if (rc == 0 && !res->created && (put.description || put.kms_key_id))
        mt_warn(ctx, "secret '%s' existed: --description and --secret-kms-key were not applied "
                     "to it (only a new version was added)", p->secret);
    return rc;
}

/* Rejected credentials: say which ones. */
static void auth_hint(struct mt_ctx *ctx, const struct remote *r)
{
    if (ctx->err.code != MT_E_AUTH || ctx->err.hint[0] || !r->aws.creds.source)
        return;
    mt_err_hint(&ctx->err, "AWS rejected the credentials of profile '%s' (from %s)",
                r->aws.profile, r->aws.creds.source);
}

/* Room for one JSON object of the remote part: a ciphertext of a 4096-byte password (under 8 KiB
 * of base64), an ARN, a version id and a verifier. */
#define REMOTE_RENDER_MAX ((size_t)32 << 10)

static int generate_remote(struct mt_ctx *ctx, const struct plan *p)
{
    static const char *const names[] = {"ciphertext", "secret_arn", "version_id", "verifier"};
    struct remote r;
    struct mt_pwgen g = MT_PWGEN_INIT;
    struct mt_buf ver = MT_BUF_INIT_SECRET, ct = MT_BUF_INIT, line = MT_BUF_INIT_SECRET;
    struct mt_buf js = MT_BUF_INIT_SECRET;
    struct mt_kms_sm_result res = MT_KMS_SM_RESULT_INIT;
    char *pw = NULL, *render = NULL;
    size_t len;
    unsigned long long i;
    int rc = -1;

    memset(&r, 0, sizeof(r));
    if (mt_pwgen_init(&g, &p->gen, &ctx->err) < 0)
        return -1;
    len = g.length;
    if (remote_open(ctx, p, &r) < 0)
        goto out;
    pw = sodium_malloc(len + 1);
    render = p->json ? sodium_malloc(REMOTE_RENDER_MAX) : NULL;
    if (!pw || (p->json && !render)) {
        mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    pw[len] = '\0';
    /* JSON is printed only when complete: a failure half-way leaves no partial '[' on stdout */
    if (p->json && mt_buf_adds(&js, "[\n") < 0)
        goto nomem;
    for (i = 0; i < p->count; i++) {
        const char *values[4] = {NULL, NULL, NULL, NULL};

        mt_buf_reset(&ct);
        mt_buf_reset(&line);
        mt_kms_sm_result_release(&res);
        if (mt_pwgen_next(&g, pw, &ctx->err) < 0 ||
            (p->hash && add_verifier(ctx, p, pw, len, &ver) < 0))
            goto out;
        if (p->kms && mt_kms_encrypt(&r.kms, r.kms_key, &p->ectx, (const uint8_t *)pw, len, &ct,
                                     &ctx->err) < 0)
            goto aws_fail;
        if (p->secret && store_secret(ctx, p, &r, pw, &res) < 0)
            goto aws_fail;
        mt_memzero(pw, len);
        if (p->kms)
            values[0] = mt_buf_str(&ct);
        if (p->secret) {
            values[1] = res.arn;
            values[2] = res.version_id;
        }
        if (p->hash)
            values[3] = mt_buf_str(&ver);
        if (p->json) {
            if (json_object(ctx, names, values, 4, render, REMOTE_RENDER_MAX) < 0)
                goto out;
            if (mt_buf_adds(&js, render) < 0 || mt_buf_adds(&js, i + 1 < p->count ? ",\n" : "\n") < 0)
                goto nomem;
            mt_memzero(render, strlen(render));
        } else {
            size_t k;
            for (k = 0; k < 4; k++)
                if (values[k] && ((line.len && mt_buf_addc(&line, '\t') < 0) ||
                                  mt_buf_adds(&line, values[k]) < 0)) {
                    mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
                    goto out;
                }
            if (mt_buf_addc(&line, '\n') < 0) {
                mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
                goto out;
            }
            if (fwrite(line.p, 1, line.len, stdout) != line.len)
                goto io;
        }
    }
    if (p->json && (mt_buf_adds(&js, "]\n") < 0))
        goto nomem;
    if (p->json && fwrite(js.p, 1, js.len, stdout) != js.len)
        goto io;
    rc = 0;
    goto out;
nomem:
    mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
    goto out;
aws_fail:
    auth_hint(ctx, &r);
    goto out;
io:
    mt_err_sys(&ctx->err, MT_E_IO, errno, "cannot write to stdout");
out:
    if (pw)
        sodium_free(pw); /* wipes */
    if (render)
        sodium_free(render);
    mt_buf_release(&ver);
    mt_buf_release(&ct);
    mt_buf_release(&line);
    mt_buf_release(&js);
    mt_kms_sm_result_release(&res);
    mt_pwgen_release(&g);
    remote_release(&r);
    return rc;
}

static int run_mkpassword(struct mt_ctx *ctx)
{
    struct plan p;
    int rc;

    if (make_plan(ctx, &p) < 0) {
        plan_release(&p);
        return -1;
    }
    rc = p.kms || p.secret ? generate_remote(ctx, &p) : generate(ctx, &p);
    plan_release(&p);
    return rc;
}

static const struct mt_opt mkpassword_opts[] = {
    {PW_OPT_LENGTH, 'l', "length", "N", "password length, 8 to 4096 (default 32)", 0},
    {PW_OPT_SYMBOLS, 's', "symbols", NULL, "add the symbols !#$%&()*+,-.;<=>?[]^_{|}~", 0},
    {PW_OPT_NO_UPPER, 0, "no-upper", NULL, "no upper-case letters", 0},
    {PW_OPT_NO_LOWER, 0, "no-lower", NULL, "no lower-case letters", 0},
    {PW_OPT_NO_DIGITS, 0, "no-digits", NULL, "no digits", 0},
    {PW_OPT_NO_AMBIGUOUS, 0, "no-ambiguous", NULL, "leave out the look-alikes 0O1lI|", 0},
    {PW_OPT_EXCLUDE, 0, "exclude", "CHARS", "leave out these characters", 0},
    {PW_OPT_SYMBOL_SET, 0, "symbol-set", "CHARS",
     "use these symbols instead of the default set (implies --symbols)", 0},
    {PW_OPT_COUNT, 'n', "count", "N", "how many passwords (default 1)", 0},
    {PW_OPT_KMS, 0, "kms", "KEY", "print only the KMS ciphertext (key id, ARN, alias/NAME, NAME)",
     0},
    {PW_OPT_CONTEXT, 0, "context", "K=V", "KMS encryption context (repeatable)", MT_OPT_REPEAT},
    {PW_OPT_SECRET, 0, "secret", "NAME", "store the password in Secrets Manager", 0},
    {PW_OPT_USERNAME, 0, "username", "U", "username stored with --secret", 0},
    {PW_OPT_SECRET_KMS_KEY, 0, "secret-kms-key", "KEY", "KMS key of the new secret", 0},
    {PW_OPT_DESCRIPTION, 0, "description", "TEXT", "description of the new secret", 0},
    {PW_OPT_OVERWRITE, 0, "overwrite", NULL, "put a new version into an existing secret", 0},
    {PW_OPT_ENV, 'e', "env", "ENV", "with --secret: store the database's engine, host, port",
     MT_OPT_COMPLETE_ENV},
    {PW_OPT_DATABASE, 'd', "database", "DB", "with --secret: the database in that environment",
     MT_OPT_COMPLETE_DB},
    {PW_OPT_HASH, 0, "hash", "scram-sha-256|mysql-native|caching-sha2",
     "also print the verifier a database stores", 0},
    {PW_OPT_FORMAT, 0, "format", "text|json", "output format (default text)", 0},
    MT_OPT_END,
};

static const char *const mkpassword_usage[] = {
    "[-l|--length N] [-s|--symbols] [--no-upper] [--no-lower] [--no-digits] [--no-ambiguous]",
    "[--exclude CHARS] [--symbol-set CHARS] [-n|--count N] [--kms KEY [--context K=V]...]",
    "[--secret NAME [--username U] [--secret-kms-key KEY] [--description TEXT] [--overwrite]]",
    "[--hash scram-sha-256|mysql-native|caching-sha2] [--format text|json]",
    NULL,
};

const struct mt_cmd mt_cmd_mkpassword = {
    "mkpassword",
    "mkpassword",
    "generate random passwords and database password verifiers",
    mkpassword_usage,
    mkpassword_opts,
    run_mkpassword,
    "Prints passwords drawn uniformly from libsodium's CSPRNG (bulk ChaCha20, rejection\n"
    "sampling: no modulo bias); every enabled class appears at least once. With --hash each\n"
    "line is the password, a tab and the verifier a database stores: PostgreSQL\n"
    "SCRAM-SHA-256$4096:..., MySQL/MariaDB *HEX, or MySQL 8 caching_sha2_password as a 0x...\n"
    "literal. --symbol-set takes printable ASCII punctuation only and implies --symbols.\n"
    "\n"
    "--kms KEY prints the base64 KMS ciphertext of each password instead (decrypt with\n"
    "'mytools kms decrypt'). --secret NAME stores {\"username\",\"password\"} (plus engine,\n"
    "host, port, dbname of the database named by --env/--database) as the secret's value and\n"
    "needs --username or --env/--database (whose configured user is taken); it\n"
    "prints its ARN and version id, tab-separated; an existing secret is an error (exit 1,\n"
    "nothing changed) unless --overwrite adds a new version, which becomes AWSCURRENT. With\n"
    "either, --hash appends the verifier after a tab and the password is never printed; the\n"
    "JSON objects then carry ciphertext, secret_arn, version_id and verifier as they apply;\n"
    "JSON is printed only when complete.",
};
