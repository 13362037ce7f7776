/* target_url.c - an endpoint base URL split into what is sent and what SigV4 signs (pure). */
#include "common/target_url.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"

void mt_target_url_release(struct mt_target_url *t)
{
    free(t->url);
    free(t->host);
    free(t->path);
    memset(t, 0, sizeof(*t));
}

/* Splits the endpoint (scheme://authority[/prefix], no query) into what is signed and sent.
 * Host names are lower-cased in both (botocore signs them so; curl sends what the URL says). */
int mt_target_url_split(const char *endpoint, struct mt_target_url *t, struct mt_err *err)
{
    struct mt_buf url = MT_BUF_INIT, host = MT_BUF_INIT, path = MT_BUF_INIT;
    const char *p, *auth, *auth_end, *port = NULL;
    int https;
    size_t i;

    memset(t, 0, sizeof(*t));
    if (!endpoint)
        return mt_err_set(err, MT_E_INTERNAL, "no endpoint");
    if (!strncasecmp(endpoint, "https://", 8)) {
        https = 1;
        auth = endpoint + 8;
    } else if (!strncasecmp(endpoint, "http://", 7)) {
        https = 0;
        auth = endpoint + 7;
    } else {
        return mt_err_set(err, MT_E_CONFIG, "endpoint '%s' is not an http(s) URL", endpoint);
    }
    auth_end = auth + strcspn(auth, "/?#");
    if (auth_end == auth || *auth_end == '?' || *auth_end == '#')
        return mt_err_set(err, MT_E_CONFIG, "endpoint '%s' is not a plain base URL", endpoint);
    /* port: after the last ':' that is not inside [IPv6] brackets */
    for (p = auth_end; p > auth; p--) {
        if (p[-1] == ']')
            break;
        if (p[-1] == ':') {
            port = p;
            break;
        }
    }
    for (i = 0; auth + i < (port ? port - 1 : auth_end); i++)
        if (mt_buf_addc(&host, (char)tolower((unsigned char)auth[i])) < 0)
            goto nomem;
    if (port && port < auth_end) {
        size_t plen = (size_t)(auth_end - port);
        int is_default = (https && plen == 3 && !memcmp(port, "443", 3)) ||
                         (!https && plen == 2 && !memcmp(port, "80", 2));
        if (!is_default && (mt_buf_addc(&host, ':') < 0 || mt_buf_add(&host, port, plen) < 0))
            goto nomem;
    }
    if (mt_buf_add(&path, auth_end, strlen(auth_end)) < 0)
        goto nomem;
    while (path.len && path.p[path.len - 1] == '/')
        path.p[--path.len] = '\0';
    if (mt_buf_addc(&path, '/') < 0 ||
        mt_buf_addf(&url, "%s://%s%s", https ? "https" : "http", mt_buf_str(&host),
                    mt_buf_str(&path)) < 0)
        goto nomem;
    t->url = mt_buf_detach(&url);
    t->host = mt_buf_detach(&host);
    t->path = mt_buf_detach(&path);
    if (!t->url || !t->host || !t->path) {
        mt_target_url_release(t);
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    }
    return 0;
nomem:
    mt_buf_release(&url);
    mt_buf_release(&host);
    mt_buf_release(&path);
    return mt_err_set(err, MT_E_NOMEM, "out of memory");
}

