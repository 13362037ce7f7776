/* rds.c - RDS DescribeDBInstances / DescribeDBClusters / DescribeDBProxies (aws-wire.md 10.4):
 * query-protocol request bodies, the XML answers read with common/awserr.h's element iterator,
 * and the Marker loop. The network edge is mt_kms_aws_call (awsjson.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/awserr.h"
#include "common/buf.h"
#include "kms/rds.h"
#include "sigv4/sigv4.h"

#define FORM_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define FIELD_MAX 2048

struct kind_info {
    const char *action, *name, *permission, *result, *list, *item;
};

static const struct kind_info kinds[] = {
    [MT_RDS_INSTANCE] = {"DescribeDBInstances", "instance", "rds:DescribeDBInstances",
                         "DescribeDBInstancesResult", "DBInstances", "DBInstance"},
    [MT_RDS_CLUSTER] = {"DescribeDBClusters", "cluster", "rds:DescribeDBClusters",
                        "DescribeDBClustersResult", "DBClusters", "DBCluster"},
    [MT_RDS_PROXY] = {"DescribeDBProxies", "proxy", "rds:DescribeDBProxies",
                      "DescribeDBProxiesResult", "DBProxies", "member"},
};

static const struct kind_info *info(enum mt_rds_kind k)
{
    return (unsigned)k <= MT_RDS_PROXY ? &kinds[k] : &kinds[0];
}

const char *mt_rds_action(enum mt_rds_kind kind)
{
    return info(kind)->action;
}

const char *mt_rds_kind_name(enum mt_rds_kind kind)
{
    return info(kind)->name;
}

const char *mt_rds_permission(enum mt_rds_kind kind)
{
    return info(kind)->permission;
}

static void db_release(struct mt_rds_db *d)
{
    free(d->id);
    free(d->arn);
    free(d->resource_id);
    free(d->engine);
    free(d->address);
    free(d->reader_address);
    free(d->status);
    free(d->cluster_id);
    memset(d, 0, sizeof(*d));
}

void mt_rds_list_release(struct mt_rds_list *l)
{
    size_t i;

    if (!l)
        return;
    for (i = 0; i < l->n; i++)
        db_release(&l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* The text of the first <tag> in xml[0..len) as a new string; *out NULL when absent. -1 on OOM. */
static int field(const char *xml, size_t len, const char *tag, char **out)
{
    char buf[FIELD_MAX];

    *out = NULL;
    if (mt_aws_xml_text(xml, len, tag, buf, sizeof(buf)) < 0 || !buf[0])
        return 0;
    *out = strdup(buf);
    return *out ? 0 : -1;
}

static int int_field(const char *xml, size_t len, const char *tag)
{
    char buf[32], *end;
    long v;

    if (mt_aws_xml_text(xml, len, tag, buf, sizeof(buf)) < 0 || !buf[0])
        return 0;
    v = strtol(buf, &end, 10);
    return *end || v < 1 || v > 65535 ? 0 : (int)v;
}

static int bool_field(const char *xml, size_t len, const char *tag)
{
    char buf[16];

    if (mt_aws_xml_text(xml, len, tag, buf, sizeof(buf)) < 0 || !buf[0])
        return -1;
    if (!strcasecmp(buf, "true"))
        return 1;
    if (!strcasecmp(buf, "false"))
        return 0;
    return -1;
}

static int family_port(const char *family)
{
    if (!family)
        return 0;
    if (!strcasecmp(family, "MYSQL"))
        return 3306;
    if (!strcasecmp(family, "POSTGRESQL"))
        return 5432;
    if (!strcasecmp(family, "SQLSERVER"))
        return 1433;
    return 0;
}

static int parse_instance(const char *x, size_t n, struct mt_rds_db *d)
{
    const char *ep;
    size_t epl, pos = 0;

    if (field(x, n, "DBInstanceIdentifier", &d->id) < 0 ||
        field(x, n, "DBInstanceArn", &d->arn) < 0 ||
        field(x, n, "DbiResourceId", &d->resource_id) < 0 ||
        field(x, n, "Engine", &d->engine) < 0 ||
        field(x, n, "DBInstanceStatus", &d->status) < 0 ||
        field(x, n, "DBClusterIdentifier", &d->cluster_id) < 0)
        return -1;
    if (mt_aws_xml_next(x, n, "Endpoint", &pos, &ep, &epl)) {
        if (field(ep, epl, "Address", &d->address) < 0)
            return -1;
        d->port = int_field(ep, epl, "Port");
    }
    if (!d->port)
        d->port = int_field(x, n, "DbInstancePort");
    d->iam_auth = bool_field(x, n, "IAMDatabaseAuthenticationEnabled");
    return 0;
}

static int parse_cluster(const char *x, size_t n, struct mt_rds_db *d)
{
    if (field(x, n, "DBClusterIdentifier", &d->id) < 0 ||
        field(x, n, "DBClusterArn", &d->arn) < 0 ||
        field(x, n, "DbClusterResourceId", &d->resource_id) < 0 ||
        field(x, n, "Engine", &d->engine) < 0 || field(x, n, "Status", &d->status) < 0 ||
        field(x, n, "Endpoint", &d->address) < 0 ||
        field(x, n, "ReaderEndpoint", &d->reader_address) < 0)
        return -1;
    d->port = int_field(x, n, "Port");
    d->iam_auth = bool_field(x, n, "IAMDatabaseAuthenticationEnabled");
    return 0;
}

static int parse_proxy(const char *x, size_t n, struct mt_rds_db *d)
{
    const char *auth, *m;
    size_t al, ml, pos = 0, mpos = 0;
    char buf[64];

    if (field(x, n, "DBProxyName", &d->id) < 0 || field(x, n, "DBProxyArn", &d->arn) < 0 ||
        field(x, n, "EngineFamily", &d->engine) < 0 || field(x, n, "Status", &d->status) < 0 ||
        field(x, n, "Endpoint", &d->address) < 0)
        return -1;
    if (d->arn) { /* arn:aws:rds:REGION:ACCOUNT:db-proxy:prx-... */
        const char *c = strrchr(d->arn, ':');
        if (c && !strncmp(c + 1, "prx-", 4) && !(d->resource_id = strdup(c + 1)))
            return -1;
    }
    d->port = family_port(d->engine);
    d->iam_auth = -1;
    if (mt_aws_xml_text(x, n, "DefaultAuthScheme", buf, sizeof(buf)) == 0 && buf[0])
        d->iam_auth = !strcmp(buf, "IAM_AUTH") ? 1 : 0;
    if (mt_aws_xml_next(x, n, "Auth", &pos, &auth, &al)) {
        if (d->iam_auth < 0)
            d->iam_auth = 0;
        while (mt_aws_xml_next(auth, al, "member", &mpos, &m, &ml))
            if (mt_aws_xml_text(m, ml, "IAMAuth", buf, sizeof(buf)) == 0 &&
                (!strcmp(buf, "REQUIRED") || !strcmp(buf, "ENABLED")))
                d->iam_auth = 1;
    }
    return 0;
}

int mt_rds_parse_describe(const char *xml, size_t len, enum mt_rds_kind kind,
                          struct mt_rds_list *out, char *marker, size_t n, struct mt_err *err)
{
    const struct kind_info *ki = info(kind);
    const char *res, *list, *item;
    size_t rl, ll, il, pos = 0, lpos = 0;

    if (n)
        marker[0] = '\0';
    if (!xml || !mt_aws_xml_next(xml, len, ki->result, &pos, &res, &rl))
        return mt_err_set(err, MT_E_AWS, "%s: malformed response (no %s)", ki->action,
                          ki->result);
    pos = 0;
    if (!mt_aws_xml_next(res, rl, ki->list, &pos, &list, &ll)) {
        /* no list element: nothing there */
        if (n && mt_aws_xml_text(res, rl, "Marker", marker, n) < 0)
            marker[0] = '\0';
        return 0;
    }
    /* the Marker is a direct child of the result, before (moto) or after (AWS) the list */
    if (n && mt_aws_xml_text(res, (size_t)(list - res), "Marker", marker, n) < 0 &&
        mt_aws_xml_text(res + pos, rl - pos, "Marker", marker, n) < 0)
        marker[0] = '\0';
    while (mt_aws_xml_next(list, ll, ki->item, &lpos, &item, &il)) {
        struct mt_rds_db d, *nv;
        int rc;

        memset(&d, 0, sizeof(d));
        d.kind = kind;
        rc = kind == MT_RDS_INSTANCE  ? parse_instance(item, il, &d)
             : kind == MT_RDS_CLUSTER ? parse_cluster(item, il, &d)
                                      : parse_proxy(item, il, &d);
        if (rc < 0)
            goto nomem;
        if (!d.id && !d.arn && !d.address) {
            db_release(&d);
            continue;
        }
        nv = realloc(out->v, (out->n + 1) * sizeof(*nv));
        if (!nv)
            goto nomem;
        out->v = nv;
        out->v[out->n++] = d;
        continue;
    nomem:
        db_release(&d);
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    }
    return 0;
}

int mt_rds_describe(const struct mt_kms_client *c, enum mt_rds_kind kind, struct mt_rds_list *out,
                    struct mt_err *err)
{
    const struct kind_info *ki = info(kind);
    struct mt_buf body = MT_BUF_INIT_SECRET, resp = MT_BUF_INIT_SECRET;
    char marker[FIELD_MAX], what[64];
    int page, rc = -1;

    marker[0] = '\0';
    snprintf(what, sizeof(what), "RDS %s", ki->action);
    for (page = 0; page < MT_RDS_MAX_PAGES; page++) {
        mt_buf_reset(&body);
        mt_buf_reset(&resp);
        if (mt_buf_addf(&body, "Action=%s&Version=%s&MaxRecords=100", ki->action,
                        MT_RDS_API_VERSION) < 0 ||
            (marker[0] && (mt_buf_adds(&body, "&Marker=") < 0 ||
                           mt_sigv4_uri_encode(&body, marker, strlen(marker), 0) < 0))) {
            mt_err_set(err, MT_E_NOMEM, "out of memory");
            goto out;
        }
        if (mt_kms_aws_call(c, MT_RDS_SIGNING_NAME, FORM_TYPE, NULL, what, &body, &resp, err) < 0)
            goto out;
        if (mt_rds_parse_describe(resp.p, resp.len, kind, out, marker, sizeof(marker), err) < 0)
            goto out;
        if (!marker[0]) {
            rc = 0;
            goto out;
        }
    }
    mt_err_set(err, MT_E_AWS, "%s: more than %d pages", what, MT_RDS_MAX_PAGES);
out:
    mt_buf_release(&body);
    mt_buf_release(&resp);
    return rc;
}

static int same_host(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la && a[la - 1] == '.')
        la--;
    if (lb && b[lb - 1] == '.')
        lb--;
    return la == lb && !strncasecmp(a, b, la);
}

const struct mt_rds_db *mt_rds_find_host(const struct mt_rds_list *l, const char *host)
{
    size_t i;

    if (!l || !host)
        return NULL;
    for (i = 0; i < l->n; i++)
        if ((l->v[i].address && same_host(l->v[i].address, host)) ||
            (l->v[i].reader_address && same_host(l->v[i].reader_address, host)))
            return &l->v[i];
    return NULL;
}
