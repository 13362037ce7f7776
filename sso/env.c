/* env.c - the environment-keys provider: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN (else the legacy AWS_SECURITY_TOKEN), AWS_CREDENTIAL_EXPIRATION, read through
 * the chain's environment callback (cmd/ knows none of these names).
 * Values that are empty or only blanks count as unset (the SDKs' shared test suite). Errors name
 * the variable, never its value. */
#include <string.h>

#include "common/timeutil.h"
#include "sso/sso_int.h"

int mt_env_creds(const struct mt_chain *ch, struct mt_creds *out, int *found, struct mt_err *err)
{
    const char *akid = mt_chain_env(ch, "AWS_ACCESS_KEY_ID");
    const char *secret = mt_chain_env(ch, "AWS_SECRET_ACCESS_KEY");
    const char *token = mt_chain_env(ch, "AWS_SESSION_TOKEN");
    const char *token_var = "AWS_SESSION_TOKEN";
    const char *exp = mt_chain_env(ch, "AWS_CREDENTIAL_EXPIRATION");

    if (!token && (token = mt_chain_env(ch, "AWS_SECURITY_TOKEN")))
        token_var = "AWS_SECURITY_TOKEN"; /* the legacy name */
    *found = 0;
    if (!akid && !secret)
        return 0;
    if (!akid || !secret)
        return mt_err_set(err, MT_E_CONFIG, "%s is set but %s is not",
                          akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                          akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
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
