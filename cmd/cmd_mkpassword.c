/* cmd_mkpassword.c - the mkpassword applet: random passwords, optionally with the verifier a
 * database stores (contract section 5).
 *
 * Passwords are generated straight into a secret (sodium_malloc) output chunk, written with one
 * fwrite per chunk and wiped; main wipes the stdio buffer after the run. JSON objects reference
 * the secret strings (cJSON_CreateStringReference) and are rendered into a secret buffer, so
 * cJSON never holds a copy of a password. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd/cmd.h"
#include "common/buf.h"
#include "common/mem.h"
#include "common/pwgen.h"
#include "common/verifier.h"

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
};

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
        v = mt_args_nth(a, PW_OPT_CONTEXT, i);
        if (!v || !strchr(v, '=') || *v == '=')
            return usage(ctx, "--context", "must look like KEY=VALUE");
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

/* One JSON object {"password":…,"verifier":…} rendered into render (secret, rcap bytes). */
static int json_object(struct mt_ctx *ctx, const char *pw, const char *verifier, char *render,
                       size_t rcap)
{
    cJSON *obj = cJSON_CreateObject();
    cJSON *s;
    int rc = -1;

    if (!obj)
        goto nomem;
    if (pw) {
        s = cJSON_CreateStringReference(pw);
        if (!s || !cJSON_AddItemToObject(obj, "password", s)) {
            cJSON_Delete(s);
            goto nomem;
        }
    }
    if (verifier) {
        s = cJSON_CreateStringReference(verifier);
        if (!s || !cJSON_AddItemToObject(obj, "verifier", s)) {
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
            if (json_object(ctx, pw, p->hash ? mt_buf_str(&ver) : NULL, render, rcap) < 0)
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

static int run_mkpassword(struct mt_ctx *ctx)
{
    struct plan p;

    if (make_plan(ctx, &p) < 0)
        return -1;
    /* Both need the AWS transport (KMS Encrypt, Secrets Manager), which is not linked yet. Say
     * so rather than print something that looks like a result. */
    if (p.kms)
        return mt_err_set(&ctx->err, MT_E_IO, "--kms is not available in this build yet");
    if (p.secret)
        return mt_err_set(&ctx->err, MT_E_IO, "--secret is not available in this build yet");
    return generate(ctx, &p);
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
    {PW_OPT_HASH, 0, "hash", "KIND",
     "also print the verifier: scram-sha-256, mysql-native or caching-sha2", 0},
    {PW_OPT_FORMAT, 0, "format", "FORMAT", "text (default) or json", 0},
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
    "literal. --symbol-set takes printable ASCII punctuation only and implies --symbols.",
};
