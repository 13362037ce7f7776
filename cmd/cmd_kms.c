/* cmd_kms.c - kms encrypt, kms decrypt (contract section 5).
 *
 * The plaintext is read into a secret buffer, sent inside a secret request body, and (decrypt)
 * written to stdout through main's stdout buffer, which is wiped after the run. It never reaches
 * an error message or a -v line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/aws.h"
#include "cmd/cmd.h"
#include "common/buf.h"
#include "common/endpoint.h"
#include "common/mem.h"
#include "config/config.h"
#include "kms/kms.h"

enum { KMS_OPT_KEY = 1, KMS_OPT_CONTEXT, KMS_OPT_IN };

/* Longest base64 ciphertext input we read (6144 bytes are 8192 base64 characters; the rest is
 * room for line breaks). */
#define CIPHERTEXT_INPUT_MAX ((size_t)64 << 10)

/* Everything a KMS command holds while it runs. */
struct kms_run {
    struct mt_config cfg;
    struct mt_aws aws;
    char *endpoint;
    char *key_id;
    struct mt_kms_context ectx;
    struct mt_kms_client client;
};

static void kms_run_release(struct kms_run *r)
{
    mt_config_release(&r->cfg);
    mt_aws_close(&r->aws);
    free(r->endpoint);
    free(r->key_id);
    mt_kms_context_release(&r->ectx);
    memset(r, 0, sizeof(*r));
}

static int usage(struct mt_ctx *ctx, const char *msg)
{
    mt_err_set(&ctx->err, MT_E_USAGE, "%s", msg);
    return mt_err_hint(&ctx->err, "see 'mytools %s --help'", ctx->cmd->path);
}

static int parse_common(struct mt_ctx *ctx, struct kms_run *r)
{
    const char *key = mt_args_get(&ctx->args, KMS_OPT_KEY);
    int i;

    if (ctx->args.npos > 0)
        return usage(ctx, "takes no arguments (the input comes from --in FILE or stdin)");
    for (i = 0; i < mt_args_count(&ctx->args, KMS_OPT_CONTEXT); i++)
        if (mt_kms_context_add(&r->ectx, mt_args_nth(&ctx->args, KMS_OPT_CONTEXT, i),
                               &ctx->err) < 0) {
            if (ctx->err.code == MT_E_USAGE)
                mt_err_hint(&ctx->err, "see 'mytools %s --help'", ctx->cmd->path);
            return -1;
        }
    if (key && !(r->key_id = mt_kms_key_id(key, &ctx->err))) {
        mt_err_prefix(&ctx->err, "--key");
        return -1;
    }
    return 0;
}

/* Reads --in FILE (or stdin) into out, at most max bytes; *over is set when there was more. */
static int read_input(struct mt_ctx *ctx, size_t max, struct mt_buf *out, int *over)
{
    const char *path = mt_args_get(&ctx->args, KMS_OPT_IN);
    const char *name = path && strcmp(path, "-") ? path : "standard input";
    int fd = 0, e;
    ssize_t n;

    *over = 0;
    if (path && strcmp(path, "-")) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return mt_err_sys(&ctx->err, MT_E_IO, errno, "cannot read '%s'", path);
    }
    for (;;) {
        if (mt_buf_grow(out, 4096) < 0) {
            mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
            goto fail;
        }
        n = read(fd, out->p + out->len, out->cap - out->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = errno;
            mt_err_sys(&ctx->err, MT_E_IO, e, "cannot read '%s'", name);
            goto fail;
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        out->p[out->len] = '\0';
        if (out->len > max) {
            *over = 1;
            break;
        }
    }
    if (fd != 0)
        close(fd);
    return 0;
fail:
    if (fd != 0)
        close(fd);
    return -1;
}

/* Config defaults, profile, region, credentials, endpoint and HTTP handle for KMS. */
static int open_kms(struct mt_ctx *ctx, struct kms_run *r)
{
    size_t i;

    if (mt_config_load(ctx->config_path, ctx->config_path != NULL, &r->cfg, &ctx->err) < 0)
        return -1;
    for (i = 0; i < r->cfg.nwarnings; i++)
        mt_warn(ctx, "%s", r->cfg.warnings[i].msg);
    if (mt_aws_open(ctx, &r->aws, r->cfg.defaults.profile, r->cfg.defaults.region) < 0 ||
        mt_aws_need_region(&r->aws) < 0 ||
        !(r->endpoint = mt_aws_endpoint(&r->aws, MT_SVC_KMS, NULL)) ||
        mt_aws_creds(&r->aws) < 0 || !mt_aws_http(&r->aws))
        return -1;
    r->client.http = r->aws.http;
    r->client.endpoint = r->endpoint;
    r->client.region = r->aws.region;
    r->client.creds = mt_creds_sigv4(&r->aws.creds);
    r->client.ca_bundle = r->aws.ca_bundle;
    r->client.clock_skew = &r->aws.clock_skew;
    return 0;
}

/* Rejected credentials: say which ones. */
static void auth_hint(struct mt_ctx *ctx, const struct kms_run *r)
{
    if (ctx->err.code != MT_E_AUTH || ctx->err.hint[0] || !r->aws.creds.source)
        return;
    mt_err_hint(&ctx->err, "AWS rejected the credentials of profile '%s' (from %s)",
                r->aws.profile, r->aws.creds.source);
}

static int run_encrypt(struct mt_ctx *ctx)
{
    struct kms_run r;
    struct mt_buf pt = MT_BUF_INIT_SECRET, ct = MT_BUF_INIT;
    int over = 0, rc = -1;

    memset(&r, 0, sizeof(r));
    if (parse_common(ctx, &r) < 0)
        goto out;
    if (!r.key_id) {
        usage(ctx, "--key is required: a key id, key ARN, alias/NAME or NAME");
        goto out;
    }
    if (read_input(ctx, MT_KMS_PLAINTEXT_MAX, &pt, &over) < 0)
        goto out;
    if (over || pt.len < MT_KMS_PLAINTEXT_MIN) {
        mt_err_set(&ctx->err, MT_E_USAGE, "the plaintext must be %d to %d bytes; got %s%zu",
                   MT_KMS_PLAINTEXT_MIN, MT_KMS_PLAINTEXT_MAX, over ? "more than " : "",
                   over ? (size_t)MT_KMS_PLAINTEXT_MAX : pt.len);
        mt_err_hint(&ctx->err, "KMS Encrypt takes at most 4096 bytes; encrypt a data key for "
                               "more (envelope encryption)");
        goto out;
    }
    if (open_kms(ctx, &r) < 0)
        goto out;
    if (mt_kms_encrypt(&r.client, r.key_id, &r.ectx, (const uint8_t *)pt.p, pt.len, &ct,
                       &ctx->err) < 0) {
        auth_hint(ctx, &r);
        goto out;
    }
    mt_buf_release(&pt);
    if (fwrite(ct.p, 1, ct.len, stdout) != ct.len || putchar('\n') == EOF) {
        mt_err_sys(&ctx->err, MT_E_IO, errno, "cannot write to stdout");
        goto out;
    }
    rc = 0;
out:
    mt_buf_release(&pt);
    mt_buf_release(&ct);
    kms_run_release(&r);
    return rc;
}

static int run_decrypt(struct mt_ctx *ctx)
{
    struct kms_run r;
    struct mt_buf in = MT_BUF_INIT, pt = MT_BUF_INIT_SECRET;
    int over = 0, rc = -1;

    memset(&r, 0, sizeof(r));
    if (parse_common(ctx, &r) < 0 || read_input(ctx, CIPHERTEXT_INPUT_MAX, &in, &over) < 0)
        goto out;
    if (over) {
        usage(ctx, "the ciphertext input is larger than 64 KiB");
        goto out;
    }
    if (open_kms(ctx, &r) < 0)
        goto out;
    if (mt_kms_decrypt(&r.client, r.key_id, &r.ectx, mt_buf_str(&in), in.len, &pt,
                       &ctx->err) < 0) {
        auth_hint(ctx, &r);
        goto out;
    }
    if (pt.len && fwrite(pt.p, 1, pt.len, stdout) != pt.len) {
        mt_err_sys(&ctx->err, MT_E_IO, errno, "cannot write to stdout");
        goto out;
    }
    rc = 0;
out:
    mt_buf_release(&in);
    mt_buf_release(&pt);
    kms_run_release(&r);
    return rc;
}

static const struct mt_opt encrypt_opts[] = {
    {KMS_OPT_KEY, 0, "key", "KEY", "key id, key ARN, alias ARN, alias/NAME or NAME (required)", 0},
    {KMS_OPT_CONTEXT, 0, "context", "K=V", "encryption context pair (repeatable)", MT_OPT_REPEAT},
    {KMS_OPT_IN, 0, "in", "FILE", "read the plaintext from FILE (default: standard input)", 0},
    MT_OPT_END,
};

static const struct mt_opt decrypt_opts[] = {
    {KMS_OPT_CONTEXT, 0, "context", "K=V", "encryption context pair, as given to encrypt "
                                           "(repeatable)", MT_OPT_REPEAT},
    {KMS_OPT_IN, 0, "in", "FILE", "read the base64 ciphertext from FILE (default: standard input)",
     0},
    {KMS_OPT_KEY, 0, "key", "KEY", "fail unless this key made the ciphertext (optional)", 0},
    MT_OPT_END,
};

static const char *const encrypt_usage[] = {"--key KEY [--context K=V]... [--in FILE]", NULL};
static const char *const decrypt_usage[] = {"[--context K=V]... [--in FILE] [--key KEY]", NULL};

const struct mt_cmd mt_cmd_kms_encrypt = {
    "kms encrypt",
    "kms-encrypt",
    "encrypt up to 4096 bytes with AWS KMS and print the base64 ciphertext",
    encrypt_usage,
    encrypt_opts,
    run_encrypt,
    "Reads the plaintext (1 to 4096 bytes, any bytes) from standard input or --in FILE, calls\n"
    "KMS Encrypt and prints the base64 CiphertextBlob and a newline. A bare NAME means\n"
    "alias/NAME. Each --context K=V adds an encryption-context pair (V may contain '='); decrypt\n"
    "needs exactly the same pairs. Profile and region: --profile/--region, then defaults in\n"
    "~/.mytools.yaml, then the AWS environment; AWS_ENDPOINT_URL_KMS overrides the endpoint.",
};

const struct mt_cmd mt_cmd_kms_decrypt = {
    "kms decrypt",
    "kms-decrypt",
    "decrypt a KMS ciphertext and print the plaintext",
    decrypt_usage,
    decrypt_opts,
    run_decrypt,
    "Reads a base64 CiphertextBlob (line breaks and spaces are ignored) from standard input or\n"
    "--in FILE, calls KMS Decrypt and writes the plaintext bytes to standard output exactly as\n"
    "they were encrypted: nothing is added, not even a newline (binary safe). Give the same\n"
    "--context pairs as at encryption; a mismatch fails with InvalidCiphertextException.",
};
