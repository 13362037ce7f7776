/* env.c - the environment-keys provider: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN (botocore reads the legacy AWS_SECURITY_TOKEN first), AWS_CREDENTIAL_EXPIRATION.
 * Values that are empty or only blanks count as unset (the SDKs' shared test suite). Errors name
 * the variable, never its value. */
#include <string.h>

#include "common/timeutil.h"
#include "sso/sso_int.h"

static const char *blank_is_null(const char *s)
{
    const char *p;
    if (!s)
        return NULL;
    for (p = s; *p == ' ' || *p == '\t'; p++)
        ;
    return *p ? s : NULL;
}

int mt_env_creds(const struct mt_chain *ch, struct mt_creds *out, int *found, struct mt_err *err)
{
    const struct mt_creds_in *in = ch->in;
    const char *akid = blank_is_null(in->env_access_key_id);
    const char *secret = blank_is_null(in->env_secret_access_key);
    const char *token = blank_is_null(in->env_session_token);
    const char *token_var = "AWS_SESSION_TOKEN";
    const char *exp = blank_is_null(in->env_expiration);

    *found = 0;
    if (!akid && !secret)
        return 0;
    if (!akid || !secret)
        return mt_err_set(err, MT_E_CONFIG, "%s is set but %s is not",
                          akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                          akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    if (in->getenv && token && !blank_is_null(in->getenv("AWS_SESSION_TOKEN")))
        token_var = "AWS_SECURITY_TOKEN";
    if (mt_creds_dup(out, akid, secret, token, "environment", err) < 0)
        return -1;
    if (mt_creds_check(out, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", token_var, err) < 0)
        goto fail;
    if (exp && mt_time_parse_iso8601(exp, &out->expiration) < 0) {
        mt_err_set(err, MT_E_CONFIG, "AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 timestamp");
        goto fail;
    }
    mt_creds_detail(out, "environment (AWS_ACCESS_KEY_ID%s)", token ? ", with a session token" : "");
    *found = 1;
    return 0;
fail:
    mt_creds_release(out);
    return -1;
}
