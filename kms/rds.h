/* rds.h - the RDS describe calls a diagnosis needs (aws-wire.md 10.4): DescribeDBInstances,
 * DescribeDBClusters, DescribeDBProxies over the AWS query protocol (form-encoded POST, XML
 * answers, Version 2014-10-31), SigV4-signed for service "rds" through mt_kms_aws_call, every page
 * followed through Marker. Read-only calls; nothing here prints.
 *
 * Used by `db doctor` (find the resource behind an endpoint, its IAM auth flag and resource id for
 * the rds-db:connect policy ARN) and `config init --discover` (fill a config from an account). */
#ifndef MT_KMS_RDS_H
#define MT_KMS_RDS_H

#include <stddef.h>

#include "common/err.h"
#include "kms/kms.h"

#define MT_RDS_SIGNING_NAME "rds"
#define MT_RDS_API_VERSION "2014-10-31"
/* Pages followed per call at most (100 records each): a loop guard, not a limit anyone meets. */
#define MT_RDS_MAX_PAGES 200

enum mt_rds_kind {
    MT_RDS_INSTANCE = 0, /* DescribeDBInstances: DBInstances/DBInstance */
    MT_RDS_CLUSTER,      /* DescribeDBClusters:  DBClusters/DBCluster (Aurora, Multi-AZ clusters) */
    MT_RDS_PROXY         /* DescribeDBProxies:   DBProxies/member */
};

/* One database resource. Strings owned (NULL when the answer had no such field). */
struct mt_rds_db {
    enum mt_rds_kind kind;
    char *id;             /* DBInstanceIdentifier / DBClusterIdentifier / DBProxyName */
    char *arn;            /* DBInstanceArn / DBClusterArn / DBProxyArn */
    char *resource_id;    /* DbiResourceId (db-...) / DbClusterResourceId (cluster-...) /
                             the proxy's prx-... id (last part of DBProxyArn): what the
                             rds-db:connect resource ARN names */
    char *engine;         /* Engine ("postgres", "aurora-mysql", ...); proxies: EngineFamily
                             ("MYSQL", "POSTGRESQL", "SQLSERVER") */
    char *address;        /* Endpoint/Address (instances), Endpoint (clusters, proxies) */
    char *reader_address; /* ReaderEndpoint (clusters), else NULL */
    char *status;         /* DBInstanceStatus / Status */
    char *cluster_id;     /* instances: DBClusterIdentifier of an Aurora member, else NULL */
    int port;             /* Endpoint/Port or Port; proxies: the engine family's port; 0 unknown */
    int iam_auth;         /* 1 IAM database authentication enabled (proxies: some Auth entry has
                             IAMAuth REQUIRED or ENABLED, or DefaultAuthScheme IAM_AUTH), 0 off,
                             -1 the answer did not say */
};

struct mt_rds_list {
    struct mt_rds_db *v;
    size_t n;
};
#define MT_RDS_LIST_INIT {NULL, 0}

/* Frees every entry and re-zeroes. NULL-safe, idempotent. */
void mt_rds_list_release(struct mt_rds_list *l);

/* "DescribeDBInstances" ... for a kind. */
const char *mt_rds_action(enum mt_rds_kind kind);
/* "instance", "cluster", "proxy". */
const char *mt_rds_kind_name(enum mt_rds_kind kind);
/* The IAM action a describe call needs ("rds:DescribeDBInstances" ...). */
const char *mt_rds_permission(enum mt_rds_kind kind);

/* Parses one describe answer (pure): appends its resources to out and copies the next page's
 * Marker into marker (size n; "" on the last page). Entries without any identifier are skipped.
 * Errors: MT_E_AWS "<Action>: malformed response (no <Result>)" when the result element is
 * missing, MT_E_NOMEM. On failure out keeps what it had plus complete entries only. */
int mt_rds_parse_describe(const char *xml, size_t len, enum mt_rds_kind kind,
                          struct mt_rds_list *out, char *marker, size_t n,
                          struct mt_err *err) MT_WUR;

/* Calls the describe action of `kind` with MaxRecords=100 and follows every Marker, appending to
 * out. c->endpoint is the RDS API base URL (https://rds.REGION.amazonaws.com or
 * AWS_ENDPOINT_URL_RDS). Errors are those of mt_kms_aws_call with the message prefixed
 * "RDS <Action>: " (an AccessDenied answer: MT_E_AWS with err->aws_type "AccessDenied"), or of
 * the parser. */
int mt_rds_describe(const struct mt_kms_client *c, enum mt_rds_kind kind, struct mt_rds_list *out,
                    struct mt_err *err) MT_WUR;

/* The resource whose endpoint (address or reader address, case-insensitive, a trailing dot
 * ignored) is host, or NULL. */
const struct mt_rds_db *mt_rds_find_host(const struct mt_rds_list *l, const char *host);

#endif
