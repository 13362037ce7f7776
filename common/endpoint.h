/* endpoint.h - which base URL a service call goes to (pure; aws-wire.md sections 5.2 and 5.3).
 *
 * Precedence (botocore ConfiguredEndpointProvider):
 *   1. in->explicit_url (a command-line --endpoint-url, if a command ever has one)
 *   2. AWS_ENDPOINT_URL_<SERVICE>       in->env_service_url
 *   3. AWS_ENDPOINT_URL                 in->env_url
 *   4. [services NAME] <service> endpoint_url   in->services_url
 *   5. profile endpoint_url             in->profile_url
 *   6. the default endpoint for the service and region
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (in->env_ignore; when set it decides) or else the profile's
 * ignore_configured_endpoint_urls (in->profile_ignore) equal to "true" (any case) disables 2-5.
 * Empty strings count as unset. The caller reads the environment and the config; nothing here
 * does. Overrides must be http:// or https:// URLs with a host and may carry a path prefix; the
 * transport decides whether http:// is allowed (loopback only). A trailing '/' is removed.
 *
 * Defaults (always https): kms.<r>.amazonaws.com, secretsmanager.<r>..., sts.<r>... (regional;
 * region "aws-global" -> sts.amazonaws.com), portal.sso.<r>..., oidc.<r>..., rds.<r>...;
 * regions "cn-*" use amazonaws.com.cn. The region only picks the default host; with an override it
 * still determines the signing scope (the caller's business). */
#ifndef MT_COMMON_ENDPOINT_H
#define MT_COMMON_ENDPOINT_H

#include "common/err.h"

/* Service ids, as in the [services] sub-sections and (upper-cased) the AWS_ENDPOINT_URL_* names. */
#define MT_SVC_KMS "kms"
#define MT_SVC_SECRETS_MANAGER "secrets_manager"
#define MT_SVC_STS "sts"
#define MT_SVC_SSO "sso"
#define MT_SVC_SSO_OIDC "sso_oidc"
#define MT_SVC_RDS "rds"

/* All borrowed; NULL or "" = not set. */
struct mt_endpoint_in {
    const char *service;         /* one of MT_SVC_* (also accepts "secretsmanager", "sso-oidc") */
    const char *region;          /* required for the default endpoint */
    const char *explicit_url;    /* 1. */
    const char *env_service_url; /* 2. value of AWS_ENDPOINT_URL_<SERVICE> */
    const char *env_url;         /* 3. value of AWS_ENDPOINT_URL */
    const char *services_url;    /* 4. [services NAME] sub-key <service> endpoint_url */
    const char *profile_url;     /* 5. profile endpoint_url */
    const char *env_ignore;      /* value of AWS_IGNORE_CONFIGURED_ENDPOINT_URLS */
    const char *profile_ignore;  /* profile ignore_configured_endpoint_urls */
};

/* The base URL (no trailing '/'). Caller frees with free(). NULL with MT_E_USAGE (unknown service),
 * MT_E_CONFIG (no or malformed region, malformed override URL; the message names its source) or
 * MT_E_NOMEM. */
char *mt_endpoint_resolve(const struct mt_endpoint_in *in, struct mt_err *err) MT_WUR;

/* "AWS_ENDPOINT_URL_SECRETS_MANAGER" for "secrets_manager", ...; NULL for an unknown service.
 * Static storage. */
/* 1 if r looks like an AWS region (lower-case letters, digits, inner '-'), else 0: anything else
 * could smuggle another host into a default endpoint. */
int mt_endpoint_region_ok(const char *r);
const char *mt_endpoint_env_name(const char *service);

/* The canonical service id for a spelling ("secretsmanager", "SSO-OIDC", "Secrets Manager" ...),
 * i.e. the [services] sub-section key; NULL if unknown. Static storage. */
const char *mt_endpoint_service_id(const char *service);

#endif
