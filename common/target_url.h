/* target_url.h - an endpoint base URL (mt_endpoint_resolve's result) split once per call into
 * the URL that is sent and the Host/path that SigV4 signs (pure). Used by every signed client
 * (kms/awsjson.c, sso/sts.c). */
#ifndef MT_COMMON_TARGET_URL_H
#define MT_COMMON_TARGET_URL_H

#include "common/err.h"

struct mt_target_url {
    char *url;  /* scheme://host[:port]<prefix>/ : what is sent */
    char *host; /* Host header exactly as curl sends it: lower-case, default port left out */
    char *path; /* <prefix>/ */
};

/* Splits scheme://authority[/prefix] (no query). Host names are lower-cased (botocore signs them
 * so). MT_E_CONFIG for a URL that is not a plain http(s) base URL. */
int mt_target_url_split(const char *endpoint, struct mt_target_url *t, struct mt_err *err);
void mt_target_url_release(struct mt_target_url *t);

#endif
