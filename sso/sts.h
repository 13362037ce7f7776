/* sts.h - the STS client of the credential providers (aws-wire.md 3.7, 3.8, 6.4): AssumeRole
 * (SigV4-signed), AssumeRoleWithWebIdentity (unsigned) and GetCallerIdentity, query protocol
 * (form POST to /), XML answers read with common/awserr.c's mt_aws_xml_text.
 *
 * Endpoint: net->endpoint(MT_SVC_STS, region), i.e. AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL /
 * [services] / profile endpoint_url, else the regional sts.<region>.amazonaws.com; with no region
 * the global endpoint, signed for us-east-1 (botocore).
 *
 * Clock skew: a signed call rejected with SignatureDoesNotMatch, RequestTimeTooSkewed,
 * InvalidSignatureException, AuthFailure or RequestExpired whose Date header is more than
 * 4 minutes away from the local clock is signed again once with the server's clock; the offset is
 * kept in *net->clock_skew for the rest of the run. */
#ifndef MT_SSO_STS_H
#define MT_SSO_STS_H

#include <time.h>

#include "sso/sso.h"

/* GetCallerIdentity. */
struct mt_sts_identity {
    char account[32];
    char arn[1024];
    char user_id[512];
    time_t server_date; /* the response's Date header; 0 when absent or unparsable */
    time_t local_date;  /* the local clock when the response arrived */
};
int mt_sts_get_caller_identity(const struct mt_sso_net *net, const char *region,
                               const struct mt_creds *c, struct mt_sts_identity *out,
                               struct mt_err *err) MT_WUR;

/* AssumeRole parameters; NULL / 0 = not sent. */
struct mt_sts_assume_in {
    const char *role_arn;
    const char *session_name;
    const char *external_id;
    const char *serial_number; /* mfa_serial */
    const char *token_code;    /* the MFA code (secret) */
    long duration_seconds;
};

/* What STS said about the assumed role (for the AWS CLI cache file). */
struct mt_sts_user {
    char arn[1024];
    char id[512];
};

/* AssumeRole signed with src. out gets the temporary credentials (expiration, account id from the
 * ARN); user (may be NULL) the AssumedRoleUser. */
int mt_sts_assume_role(const struct mt_sso_net *net, const char *region, const struct mt_creds *src,
                       const struct mt_sts_assume_in *in, struct mt_creds *out,
                       struct mt_sts_user *user, struct mt_err *err) MT_WUR;

/* AssumeRoleWithWebIdentity (unsigned) with the token (secret) as read from the file. */
int mt_sts_assume_role_web_identity(const struct mt_sso_net *net, const char *region,
                                    const char *role_arn, const char *session_name,
                                    const char *token, long duration_seconds,
                                    struct mt_creds *out, struct mt_sts_user *user,
                                    struct mt_err *err) MT_WUR;

/* Parses an AssumeRole / AssumeRoleWithWebIdentity response body (pure; fuzzed). MT_E_AWS when
 * the credentials are missing or malformed. */
int mt_sts_parse_credentials(const char *xml, size_t len, struct mt_creds *out,
                             struct mt_sts_user *user, struct mt_err *err) MT_WUR;
/* Parses a GetCallerIdentity response body (pure; fuzzed). */
int mt_sts_parse_identity(const char *xml, size_t len, struct mt_sts_identity *out,
                          struct mt_err *err) MT_WUR;

#endif
