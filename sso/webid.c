/* webid.c - web identity (IRSA, GitHub OIDC ...; aws-wire.md 3.7): AWS_WEB_IDENTITY_TOKEN_FILE,
 * AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME override the profile's web_identity_token_file, role_arn,
 * role_session_name key by key (botocore). The token file is read on every call (it rotates) and
 * sent to STS AssumeRoleWithWebIdentity, which is not signed. Like the AWS CLI, the result is
 * cached in ~/.aws/cli/cache (key: RoleArn and a configured RoleSessionName) and reused while
 * more than 15 minutes remain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/file.h"
#include "common/mem.h"
#include "sso/sso_int.h"
#include "sso/sts.h"

#define MAX_TOKEN ((size_t)64 << 10)

static void hhmm(time_t t, char out[8])
{
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, 8, "%H:%M", &tm);
}

int mt_webid_creds(struct mt_chain *ch, const char *profile, int use_env, struct mt_creds *out,
                   int *found, struct mt_err *err)
{
    const struct mt_creds_in *in = ch->in;
    const char *file = use_env ? mt_chain_env(ch, "AWS_WEB_IDENTITY_TOKEN_FILE") : NULL;
    const char *arn = use_env ? mt_chain_env(ch, "AWS_ROLE_ARN") : NULL;
    const char *session = use_env ? mt_chain_env(ch, "AWS_ROLE_SESSION_NAME") : NULL;
    const char *file_src = "AWS_WEB_IDENTITY_TOKEN_FILE";
    struct mt_buf tok = MT_BUF_INIT_SECRET;
    struct mt_sts_user user;
    char gen[64], name[46], until[8], *path = NULL;
    int rc = -1;

    *found = 0;
    if (!file) {
        file = mt_chain_get(ch, profile, "web_identity_token_file", NULL, NULL);
        file_src = "web_identity_token_file";
    }
    if (!file)
        return 0;
    if (!arn)
        arn = mt_chain_get(ch, profile, "role_arn", NULL, NULL);
    if (!session)
        session = mt_chain_get(ch, profile, "role_session_name", NULL, NULL);
    if (!arn)
        return mt_err_set(err, MT_E_CONFIG, "%s is set but no role ARN (AWS_ROLE_ARN or role_arn "
                                            "of profile '%s')", file_src, profile);
    *found = 1;
    if (mt_assume_cache_name(arn, session, NULL, NULL, 0, name) < 0)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    if (mt_assume_cache_hit(in, name, out)) {
        hhmm(out->expiration, until);
        out->source = "web identity (AWS CLI cache)";
        mt_creds_detail(out, "web identity %s (cached until %s)", arn, until);
        return 0;
    }
    path = mt_expand_tilde(file);
    if (!path)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    if (mt_file_read(path, MAX_TOKEN, &tok, err) < 0) {
        mt_err_prefix(err, "web identity token (%s)", file_src);
        if (err->code != MT_E_NOMEM)
            err->code = MT_E_AUTH;
        goto out;
    }
    /* sent verbatim, as botocore's FileWebIdentityTokenLoader reads it */
    if (!tok.len || strlen(tok.p) != tok.len) {
        mt_err_set(err, MT_E_AUTH, "the web identity token file '%s' (%s) is empty or binary", path,
                   file_src);
        goto out;
    }
    if (!session) {
        snprintf(gen, sizeof(gen), "mytools-session-%lld", (long long)in->now);
        session = gen;
    }
    if (!in->sso) {
        mt_err_set(err, MT_E_INTERNAL, "no network access for STS");
        goto out;
    }
    if (mt_sts_assume_role_web_identity(in->sso, in->sts_region, arn, session, tok.p, 0, out,
                                        &user, err) < 0)
        goto out;
    mt_assume_cache_store(in, name, out, &user);
    out->source = "web identity";
    mt_creds_detail(out, "web identity %s (token file from %s, session %s)", arn, file_src,
                    session);
    rc = 0;
out:
    free(path);
    mt_buf_release(&tok);
    return rc;
}
