/* aws.h - what every AWS-calling command shares: the AWS shared files, the profile and region
 * (contract section 4's precedence), credentials from the chain, endpoints (AWS_ENDPOINT_URL*,
 * profile endpoint_url, [services]), the CA bundle, and one HTTP handle per run (connection
 * reuse). Lives in cmd/ because it reads the environment and reports through ctx. */
#ifndef MT_CMD_AWS_H
#define MT_CMD_AWS_H

#include <time.h>

#include "cmd/cmd.h"
#include "common/http.h"
#include "sso/sso.h"

struct mt_ini;

struct mt_aws {
    struct mt_ini *config, *credentials; /* never NULL after mt_aws_open (maybe empty) */
    char *config_path, *credentials_path;
    char *profile;      /* resolved profile name */
    int profile_chosen; /* --profile or the mytools config chose it (env keys then ignored) */
    char *region;       /* resolved region, or NULL when none is known */
    const char *region_source;
    char *ca_bundle;    /* AWS_CA_BUNDLE, else the profile's ca_bundle, else NULL (system) */
    struct mt_creds creds; /* filled by mt_aws_creds */
    struct mt_http *http;  /* created on first use by mt_aws_http */
    long clock_skew;       /* seconds to add to the local clock when signing (learned from STS) */
    struct mt_ctx *ctx;
};

/* Loads ~/.aws/config and credentials and resolves the profile and region.
 * config_profile / config_region: what the mytools config says for this command (database,
 * environment or defaults level), or NULL. Precedence: --profile > config_profile > AWS_PROFILE >
 * "default"; --region > config_region > AWS_REGION > AWS_DEFAULT_REGION > profile region.
 * (db token resolves its own region with the host-name rule and passes it as config_region.) */
int mt_aws_open(struct mt_ctx *ctx, struct mt_aws *a, const char *config_profile,
                const char *config_region);
/* Re-resolves profile, region and CA bundle with other config values (files stay loaded). */
int mt_aws_select(struct mt_aws *a, const char *config_profile, const char *config_region);
/* Credentials through the chain (sso/chain.c: environment, profile, container, IMDS). Fills
 * a->creds; called again it keeps them unless they expire within 5 minutes (refresh ahead of
 * expiry). -v names the source, never a key. Errors: MT_E_AUTH (exit 4) with a hint, MT_E_CONFIG. */
int mt_aws_creds(struct mt_aws *a);
/* The signing clock: the local clock corrected by what STS said (a->clock_skew). */
time_t mt_aws_now(const struct mt_aws *a);
/* Fills net so that sso/ reaches the SSO services through this context (HTTP handle, endpoints,
 * CA bundle, -v lines). net borrows a. */
void mt_aws_sso_net(struct mt_aws *a, struct mt_sso_net *net);
/* The HTTP handle, created on first call, with -v diagnostics wired to ctx. */
struct mt_http *mt_aws_http(struct mt_aws *a);
/* Base URL for a service id of common/endpoint.h (MT_SVC_KMS ...) in a->region (or region if
 * given). Caller frees. NULL with ctx->err set. */
char *mt_aws_endpoint(struct mt_aws *a, const char *service, const char *region);
/* Requires a region: MT_E_CONFIG with a hint when none is known. */
int mt_aws_need_region(struct mt_aws *a);
void mt_aws_close(struct mt_aws *a);

#endif
