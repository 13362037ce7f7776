/* creds.c - the credential chain (contract section 4): environment keys, an SSO profile's role
 * credentials (AWS CLI cache, token refresh, GetRoleCredentials, login: refresh.c), static keys in
 * the shared files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "config/aws_ini.h"
#include "sso/sso_int.h"

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

static int dup_creds(struct mt_creds *out, const char *akid, const char *secret,
                     const char *token, const char *source, struct mt_err *err)
{
    struct mt_creds c = MT_CREDS_INIT;
    c.access_key_id = strdup(akid);
    c.secret_access_key = strdup(secret);
    c.session_token = token ? strdup(token) : NULL;
    c.source = source;
    if (!c.access_key_id || !c.secret_access_key || (token && !c.session_token)) {
        mt_creds_release(&c);
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    }
    *out = c;
    return 0;
}

static int from_section(const struct mt_ini_section *s, const char *path, const char *profile,
                        const char *source, struct mt_creds *out, int *found, struct mt_err *err)
{
    const char *akid = nonempty(mt_ini_get(s, "aws_access_key_id"));
    const char *secret = nonempty(mt_ini_get(s, "aws_secret_access_key"));
    const char *token = nonempty(mt_ini_get(s, "aws_session_token"));

    *found = 0;
    if (!token)
        token = nonempty(mt_ini_get(s, "aws_security_token"));
    if (!akid && !secret)
        return 0;
    if (!akid || !secret)
        return mt_err_set(err, MT_E_CONFIG, "%s:%d: profile '%s' has %s but not %s", path,
                          mt_ini_line(s), profile,
                          akid ? "aws_access_key_id" : "aws_secret_access_key",
                          akid ? "aws_secret_access_key" : "aws_access_key_id");
    *found = 1;
    return dup_creds(out, akid, secret, token, source, err);
}

static int from_sso_cache(const struct mt_creds_in *in, const struct mt_ini_section *prof,
                          struct mt_creds *out, struct mt_err *err)
{
    struct mt_sso_profile sp;
    int rc;

    memset(&sp, 0, sizeof(sp));
    if (mt_sso_profile_load(in->config, in->profile, prof, in->config_path, &sp, err) < 0)
        return -1;
    rc = mt_sso_role_creds(in, &sp, out, err);
    mt_sso_profile_release(&sp);
    return rc;
}

static int unsupported(const struct mt_creds_in *in, const char *what, struct mt_err *err)
{
    mt_err_set(err, MT_E_AUTH, "profile '%s' uses %s, which this version of mytools cannot use yet",
               in->profile, what);
    return mt_err_hint(err, "use an SSO or static-key profile, or export AWS_ACCESS_KEY_ID and "
                            "AWS_SECRET_ACCESS_KEY");
}

int mt_creds_resolve(const struct mt_creds_in *in, struct mt_creds *out, struct mt_err *err)
{
    const struct mt_ini_section *prof, *cprof;
    int found = 0;

    if (!in->profile_chosen) {
        const char *akid = nonempty(in->env_access_key_id);
        const char *secret = nonempty(in->env_secret_access_key);
        if (akid || secret) {
            if (!akid || !secret)
                return mt_err_set(err, MT_E_AUTH, "%s is set but %s is not",
                                  akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                                  akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
            if (dup_creds(out, akid, secret, nonempty(in->env_session_token), "environment",
                          err) < 0)
                return -1;
            if (nonempty(in->env_expiration) &&
                mt_time_parse_iso8601(in->env_expiration, &out->expiration) < 0) {
                mt_creds_release(out);
                return mt_err_set(err, MT_E_AUTH, "AWS_CREDENTIAL_EXPIRATION is not a timestamp");
            }
            return 0;
        }
    }

    prof = in->config ? mt_ini_profile(in->config, in->profile) : NULL;
    cprof = in->credentials ? mt_ini_profile(in->credentials, in->profile) : NULL;
    if (!prof && !cprof) {
        if (strcmp(in->profile, "default") != 0)
            return mt_err_set(err, MT_E_CONFIG, "profile '%s' not found in '%s' or '%s'",
                              in->profile, in->config_path, in->credentials_path);
        mt_err_set(err, MT_E_AUTH, "no AWS credentials found");
        return mt_err_hint(err, "configure a profile in ~/.aws/config (e.g. 'aws configure sso') "
                                "and pass --profile, or export AWS_ACCESS_KEY_ID and "
                                "AWS_SECRET_ACCESS_KEY");
    }
    /* botocore's order: assume-role, web identity, SSO, credentials file, process, config file */
    if (prof && nonempty(mt_ini_get(prof, "role_arn"))) {
        if (nonempty(mt_ini_get(prof, "web_identity_token_file")))
            return unsupported(in, "web_identity_token_file", err);
        return unsupported(in, "role_arn (assume role)", err);
    }
    if (prof && mt_sso_profile_is_sso(prof))
        return from_sso_cache(in, prof, out, err);
    if (cprof) {
        if (from_section(cprof, in->credentials_path, in->profile, "credentials file", out, &found,
                         err) < 0)
            return -1;
        if (found)
            return 0;
    }
    if (prof && nonempty(mt_ini_get(prof, "credential_process")))
        return unsupported(in, "credential_process", err);
    if (prof) {
        if (from_section(prof, in->config_path, in->profile, "config file", out, &found, err) < 0)
            return -1;
        if (found)
            return 0;
    }
    mt_err_set(err, MT_E_AUTH, "profile '%s' has no credentials mytools can use", in->profile);
    return mt_err_hint(err, "set sso_session/sso_account_id/sso_role_name or static keys for "
                            "profile '%s'", in->profile);
}
