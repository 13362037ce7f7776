/* cmd_doctor.c - db doctor: why a token would be rejected (issue 11, contract 5).
 *
 * Resolves the target exactly as db token does (mt_db_resolve), then runs checks in order, each
 * ok / warn / fail / skip with one line of evidence and, for warn / fail, one line of fix:
 * resolution, region, endpoint name, credentials (+ STS GetCallerIdentity), clock, the database
 * in AWS (RDS describe calls), policy resource, user name, network and TLS (common/dbprobe.c),
 * and with --login a real login through the engine's client. Writes nothing (no SSO login, no
 * cache writes of its own); never prints a token, key or password. Exit 0 when no check fails,
 * 1 when one does. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd/aws.h"
#include "cmd/dbclient.h"
#include "cmd/dbcommon.h"
#include "cmd/out.h"
#include "common/awserr.h"
#include "common/dbprobe.h"
#include "common/endpoint.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "kms/kms.h"
#include "kms/rds.h"
#include "sso/sts.h"

#define TOKEN_LIFETIME 900
#define CLOCK_SKEW_MAX 300
#define CERT_WARN_DAYS 30
#define MAX_CHECKS 16
#define LINE 600

enum {
    DOC_OPT_FORMAT = 100,
    DOC_OPT_LOGIN
};

enum status { ST_OK, ST_WARN, ST_FAIL, ST_SKIP };
static const char *const status_names[] = {"ok", "warn", "fail", "skip"};

struct check {
    const char *name;
    enum status st;
    char evidence[LINE];
    char fix[LINE];
};

struct doctor {
    struct mt_ctx *ctx;
    struct mt_dbtoken d;
    struct check c[MAX_CHECKS];
    int n;
    int creds_ok;
    int stop; /* a configuration error stops the run (ctx->err holds it) */
    char account[32], arn[300];
    time_t aws_date, local_date; /* STS answer's Date and the local clock then; 0 = none */
    char host_region[40];      /* region inside the host name, "" if none */
    char endpoint_target[256]; /* the AWS endpoint a CNAME chain ends at, "" if none */
    char policy_arn[600];      /* rds-db:connect resource, "" if unknown */
    const char *family;        /* "postgres", "mysql", "tls" */
};

static struct check *add(struct doctor *dr, const char *name, enum status st, const char *fix,
                         const char *fmt, ...) MT_PRINTF(5, 6);

static struct check *add(struct doctor *dr, const char *name, enum status st, const char *fix,
                         const char *fmt, ...)
{
    struct check *c;
    va_list ap;

    if (dr->n >= MAX_CHECKS)
        return &dr->c[MAX_CHECKS - 1];
    c = &dr->c[dr->n++];
    c->name = name;
    c->st = st;
    va_start(ap, fmt);
    vsnprintf(c->evidence, sizeof(c->evidence), fmt, ap);
    va_end(ap);
    snprintf(c->fix, sizeof(c->fix), "%s", fix ? fix : "");
    return c;
}

static void set_fix(struct check *c, const char *fmt, ...) MT_PRINTF(2, 3);
static void set_fix(struct check *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->fix, sizeof(c->fix), fmt, ap);
    va_end(ap);
}

/* The wire family of an engine, from the engine table (cmd/dbclient.h). */
static const char *family_of(const char *engine)
{
    switch (mt_engine_get(engine)->proto) {
    case MT_PROTO_PG:
        return "postgres";
    case MT_PROTO_REDIS:
        return "tls";
    default:
        return "mysql";
    }
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcasecmp(s + a - b, suffix);
}

/* An AWS database endpoint name the token service accepts as the signed host. */
static int is_aws_db_name(const char *h)
{
    char r[40];
    return mt_rds_host_region(h, r, sizeof(r)) == 0 || ends_with(h, ".on.aws") ||
           ends_with(h, ".cache.amazonaws.com") || ends_with(h, ".memorydb.amazonaws.com") ||
           strstr(h, ".memorydb.") != NULL;
}

/* The region inside "<id>.dsql.REGION.on.aws" into out; -1 if not such a name. */
static int dsql_region(const char *h, char *out, size_t n)
{
    const char *p = strstr(h, ".dsql."), *e;
    if (!p || !ends_with(h, ".on.aws"))
        return -1;
    p += 6;
    e = strchr(p, '.');
    if (!e || (size_t)(e - p) >= n || e == p)
        return -1;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return 0;
}

static int is_ip_literal(const char *h)
{
    struct in_addr a4;
    struct in6_addr a6;
    return inet_pton(AF_INET, h, &a4) == 1 || inet_pton(AF_INET6, h, &a6) == 1;
}

/* ---- checks ---- */

static void check_resolution(struct doctor *dr)
{
    const struct mt_target *t = &dr->d.t;
    struct check *c;

    c = add(dr, "resolution", ST_OK, NULL,
            "host %s (%s), port %d (%s), user %s (%s), engine %s (%s), region %s (%s), "
            "profile %s (%s)",
            t->host, t->host_source ? t->host_source : "?", t->port,
            t->port_source ? t->port_source : "?", t->user, t->user_source ? t->user_source : "?",
            t->engine, t->engine_source ? t->engine_source : "?", t->region ? t->region : "none",
            t->region_source ? t->region_source : "-", t->profile, t->profile_source);
    if (t->connect_host && (strcmp(t->connect_host, t->host) || t->connect_port != t->port)) {
        size_t l = strlen(c->evidence);
        snprintf(c->evidence + l, sizeof(c->evidence) - l, "; clients connect to %s:%d",
                 t->connect_host, t->connect_port);
    }
    if (!t->region) {
        c->st = ST_FAIL;
        set_fix(c, "set 'region:' on the database or its environment, or pass --region");
    }
}

static void check_region(struct doctor *dr)
{
    const struct mt_target *t = &dr->d.t;
    struct check *c;

    dr->host_region[0] = '\0';
    if (mt_rds_host_region(t->host, dr->host_region, sizeof(dr->host_region)) < 0 &&
        dsql_region(t->host, dr->host_region, sizeof(dr->host_region)) < 0) {
        add(dr, "region", ST_SKIP, NULL, "the host name %s carries no region; signing for %s",
            t->host, t->region ? t->region : "no region");
        return;
    }
    if (t->region && !strcasecmp(t->region, dr->host_region)) {
        add(dr, "region", ST_OK, NULL, "the host name and the signature both say %s",
            dr->host_region);
        return;
    }
    c = add(dr, "region", ST_FAIL, NULL,
            "the host name says %s but the token would be signed for %s (from %s)",
            dr->host_region, t->region ? t->region : "no region",
            t->region_source ? t->region_source : "nowhere");
    if (t->region_source && !strcmp(t->region_source, "--region"))
        set_fix(c, "pass --region %s (or leave --region out: the host name's region is used)",
                dr->host_region);
    else
        set_fix(c, "pass --region %s or set 'region: %s' on the database (it overrides %s)",
                dr->host_region, dr->host_region,
                t->region_source ? t->region_source : "the default");
}

static void check_endpoint(struct doctor *dr)
{
    const struct mt_target *t = &dr->d.t;
    char chain[MT_PROBE_MAX_CNAMES][256], addrs[300], path[1200];
    size_t n = 0, i, l = 0;
    struct mt_err e;
    struct check *c;
    int na;

    dr->endpoint_target[0] = '\0';
    if (is_ip_literal(t->host) || !strcasecmp(t->host, "localhost")) {
        int priv = !strcasecmp(t->host, "localhost") || mt_probe_is_private_addr(t->host);
        c = add(dr, "endpoint name", ST_FAIL, NULL,
                "the token would be signed for %s, an %saddress: AWS checks the signature "
                "against the endpoint name",
                t->host, priv ? "loopback/private " : "IP ");
        set_fix(c, "sign for the database endpoint and connect through the tunnel: --host "
                   "ENDPOINT --connect-host %s (or 'connect_host: %s' in the config)",
                t->host, t->host);
        return;
    }
    if (is_aws_db_name(t->host)) {
        add(dr, "endpoint name", ST_OK, NULL, "%s is an AWS database endpoint name", t->host);
        return;
    }
    mt_err_clear(&e);
    if (mt_probe_cname_chain(t->host, chain, &n, &e) < 0) {
        add(dr, "endpoint name", ST_WARN,
            "sign for the RDS endpoint name itself (--host ENDPOINT), not an alias",
            "%s is not an AWS endpoint name and its CNAME look-up failed: %s", t->host, e.msg);
        return;
    }
    path[0] = '\0';
    for (i = 0; i < n; i++)
        l += (size_t)snprintf(path + l, l < sizeof(path) ? sizeof(path) - l : 0, " -> %s",
                              chain[i]);
    for (i = 0; i < n; i++)
        if (is_aws_db_name(chain[i])) {
            snprintf(dr->endpoint_target, sizeof(dr->endpoint_target), "%.255s", chain[i]);
            c = add(dr, "endpoint name", ST_FAIL, NULL,
                    "%s is a CNAME for the AWS endpoint %s (%s%s): a token signed for the alias "
                    "is rejected",
                    t->host, chain[i], t->host, path);
            set_fix(c, "sign for the endpoint: --host %s (or 'host: %s'); keep --connect-host %s "
                       "if clients must use the alias",
                    chain[i], chain[i], t->host);
            return;
        }
    na = mt_probe_resolve(t->host, addrs, sizeof(addrs));
    if (na > 0) {
        char first[64];
        size_t k = strcspn(addrs, ",");
        snprintf(first, sizeof(first), "%.*s", (int)(k < 63 ? k : 63), addrs);
        if (!strncmp(first, "127.", 4) || !strcmp(first, "::1")) {
            c = add(dr, "endpoint name", ST_FAIL, NULL,
                    "%s resolves to the loopback address %s: a tunnel name signed instead of "
                    "the endpoint",
                    t->host, first);
            set_fix(c, "sign for the database endpoint and connect through the tunnel: --host "
                       "ENDPOINT --connect-host %s",
                    t->host);
            return;
        }
    }
    add(dr, "endpoint name", ST_WARN,
        "sign for the RDS / Aurora / Proxy endpoint name (--host ENDPOINT); a custom DNS name "
        "only works as --connect-host",
        "%s is not an AWS endpoint name and no CNAME%s leads to one (%s)", t->host,
        n ? " in its chain" : "", na > 0 ? addrs : "does not resolve");
}

static int describe_client(struct doctor *dr, const char *service, const char *region,
                           struct mt_kms_client *kc, char **url)
{
    struct mt_aws *a = &dr->d.aws;

    memset(kc, 0, sizeof(*kc));
    *url = mt_aws_endpoint(a, service, region);
    if (!*url)
        return -1;
    kc->http = mt_aws_http(a);
    if (!kc->http)
        return -1;
    kc->endpoint = *url;
    kc->region = region;
    kc->creds = mt_creds_sigv4(&a->creds);
    kc->ca_bundle = a->ca_bundle;
    kc->clock_skew = &a->clock_skew; /* the run's signing clock offset (as cmd_kms.c) */
    return 0;
}

/* STS GetCallerIdentity (sso/sts.c): account, ARN and the answer's Date. */
static int caller_identity(struct doctor *dr, struct mt_err *err)
{
    struct mt_sso_net net;
    struct mt_sts_identity id;

    memset(&id, 0, sizeof(id));
    mt_aws_sso_net(&dr->d.aws, &net);
    if (mt_sts_get_caller_identity(&net, dr->d.aws.region, &dr->d.aws.creds, &id, err) < 0)
        return -1;
    snprintf(dr->account, sizeof(dr->account), "%s", id.account);
    mt_err_sanitize(dr->arn, sizeof(dr->arn), id.arn, strlen(id.arn));
    dr->aws_date = id.server_date;
    dr->local_date = id.local_date;
    return 0;
}

static void fmt_utc(time_t t, char *buf, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* The source as -v names it (cmd/aws.c): the provider's detail, else its short name. */
static const char *creds_source(const struct mt_creds *c)
{
    return c->detail[0] ? c->detail : c->source ? c->source : "?";
}

static void check_credentials(struct doctor *dr)
{
    struct mt_aws *a = &dr->d.aws;
    struct mt_err e;
    struct check *c;
    char when[40], who[400], exp[80];
    time_t now;

    if (!dr->d.t.region) {
        add(dr, "credentials", ST_SKIP, NULL, "no region to call AWS in");
        return;
    }
    if (mt_aws_creds(a) < 0) {
        if (dr->ctx->err.code != MT_E_AUTH) { /* a broken ~/.aws/config: exit 3, as db token */
            dr->stop = 1;
            return;
        }
        c = add(dr, "credentials", ST_FAIL, NULL, "profile %s: %s", a->profile,
                dr->ctx->err.msg);
        set_fix(c, "%s", dr->ctx->err.hint[0] ? dr->ctx->err.hint
                                              : "fix the profile's credentials, e.g. "
                                                "'mytools sso login'");
        mt_err_clear(&dr->ctx->err);
        return;
    }
    now = mt_clock_now();
    if (a->creds.expiration) {
        fmt_utc(a->creds.expiration, when, sizeof(when));
        snprintf(exp, sizeof(exp), "expire %s (%ld min left)", when,
                 (long)(a->creds.expiration - now) / 60);
    } else {
        snprintf(exp, sizeof(exp), "no expiry");
    }
    mt_err_clear(&e);
    if (caller_identity(dr, &e) < 0) {
        c = add(dr, "credentials", e.code == MT_E_AUTH ? ST_FAIL : ST_WARN, NULL,
                "profile %s, from %s, %s; %s", a->profile,
                creds_source(&a->creds), exp, e.msg);
        set_fix(c, "%s", e.code == MT_E_AUTH
                             ? "the credentials are rejected: refresh them (sso login, new keys)"
                             : e.hint[0] ? e.hint : "check the network path to STS");
        if (e.code == MT_E_AUTH)
            return;
        dr->creds_ok = 1;
    } else {
        dr->creds_ok = 1;
        snprintf(who, sizeof(who), "account %s, %s", dr->account, dr->arn);
        c = add(dr, "credentials", ST_OK, NULL, "profile %s, from %s, %s; %s", a->profile,
                creds_source(&a->creds), exp, who);
    }
    if (a->creds.expiration && a->creds.expiration < now + TOKEN_LIFETIME) {
        c->st = ST_WARN;
        set_fix(c, "a token signed now stops working when the credentials expire (in %ld min, "
                   "not 15): refresh them first",
                (long)(a->creds.expiration - now) / 60);
    }
}

static void check_clock(struct doctor *dr)
{
    char date[40];
    long skew;
    struct check *c;

    if (!dr->aws_date) {
        add(dr, "clock", ST_SKIP, NULL, "no AWS answer with a Date to compare with");
        return;
    }
    skew = (long)((dr->local_date ? dr->local_date : mt_clock_now()) - dr->aws_date);
    fmt_utc(dr->aws_date, date, sizeof(date));
    if (labs(skew) > CLOCK_SKEW_MAX) {
        c = add(dr, "clock", ST_FAIL, NULL,
                "the local clock is %ld min %ld s %s AWS's (Date: %s): signatures older or "
                "newer than 5 minutes are rejected",
                labs(skew) / 60, labs(skew) % 60, skew > 0 ? "ahead of" : "behind", date);
        set_fix(c, "synchronise the system clock (e.g. 'timedatectl set-ntp true' or chrony)");
        return;
    }
    add(dr, "clock", ST_OK, NULL, "the local clock is within %ld s of AWS's", labs(skew));
}

static const char *permission_list(unsigned denied)
{
    static char buf[200];
    size_t l = 0;
    int k;

    buf[0] = '\0';
    for (k = MT_RDS_INSTANCE; k <= MT_RDS_PROXY; k++)
        if (denied & (1u << k))
            l += (size_t)snprintf(buf + l, sizeof(buf) - l, "%s%s", l ? ", " : "",
                                  mt_rds_permission((enum mt_rds_kind)k));
    return buf;
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return 1;
    return 0;
}

static int engine_matches(const char *cfg_engine, const struct mt_rds_db *db)
{
    const char *fam = family_of(cfg_engine);
    if (!db->engine)
        return 1;
    if (!strcmp(fam, "postgres"))
        return contains_ci(db->engine, "postgres");
    if (!strcmp(cfg_engine, "mariadb"))
        return contains_ci(db->engine, "mariadb") ||
               (db->kind == MT_RDS_PROXY && !strcasecmp(db->engine, "MYSQL"));
    return contains_ci(db->engine, "mysql");
}

static void check_database(struct doctor *dr)
{
    const struct mt_target *t = &dr->d.t;
    struct mt_rds_list l[3] = {MT_RDS_LIST_INIT, MT_RDS_LIST_INIT, MT_RDS_LIST_INIT};
    const char *want = dr->endpoint_target[0] ? dr->endpoint_target : t->host;
    char target_region[40];
    /* where the database lives: the region in its endpoint name (the CNAME target's when the
     * host is an alias), else the signing region */
    const char *region = dr->host_region[0] ? dr->host_region
                         : dr->endpoint_target[0] &&
                                 mt_rds_host_region(dr->endpoint_target, target_region,
                                                    sizeof(target_region)) == 0
                             ? target_region
                             : t->region;
    const struct mt_rds_db *db = NULL, *owner = NULL;
    struct mt_kms_client kc;
    char *url = NULL, extra[300];
    unsigned denied = 0;
    struct check *c;
    int k, failed = 0;
    size_t i;

    dr->policy_arn[0] = '\0';
    if (!dr->creds_ok || !region) {
        add(dr, "database", ST_SKIP, NULL, "needs working credentials and a region");
        return;
    }
    if (!strcmp(family_of(t->engine), "tls") || strstr(t->host, ".dsql.")) {
        add(dr, "database", ST_SKIP, NULL, "not an RDS engine (%s): no RDS describe call",
            t->engine);
        return;
    }
    if (describe_client(dr, MT_SVC_RDS, region, &kc, &url) < 0) {
        add(dr, "database", ST_SKIP, NULL, "%s", dr->ctx->err.msg);
        mt_err_clear(&dr->ctx->err);
        return;
    }
    for (k = MT_RDS_INSTANCE; k <= MT_RDS_PROXY && !db; k++) {
        struct mt_err e;
        mt_err_clear(&e);
        if (mt_rds_describe(&kc, (enum mt_rds_kind)k, &l[k], &e) < 0) {
            if (!strcmp(e.aws_type, "AccessDenied") ||
                !strcmp(e.aws_type, "AccessDeniedException"))
                denied |= 1u << k;
            else {
                add(dr, "database", ST_SKIP, NULL, "%s", e.msg);
                failed = 1;
                break;
            }
            continue;
        }
        db = mt_rds_find_host(&l[k], want);
    }
    if (failed)
        goto out;
    if (!db) {
        if (denied)
            add(dr, "database", ST_SKIP, NULL,
                "cannot look up %s: the credentials lack %s (AccessDenied)", want,
                permission_list(denied));
        else {
            c = add(dr, "database", ST_WARN, NULL,
                    "no RDS instance, Aurora cluster or RDS Proxy in %s has the endpoint %s",
                    region, want);
            set_fix(c, "check the host name and region; 'aws rds describe-db-instances --region "
                       "%s' lists the endpoints",
                    region);
        }
        goto out;
    }
    owner = db;
    if (db->kind == MT_RDS_INSTANCE && db->cluster_id) {
        /* an Aurora member: its cluster carries the IAM flag and the resource id */
        struct mt_err e;
        mt_err_clear(&e);
        if (!l[MT_RDS_CLUSTER].n && mt_rds_describe(&kc, MT_RDS_CLUSTER, &l[MT_RDS_CLUSTER], &e) < 0)
            mt_debug(dr->ctx, "cluster of %s: %s", db->id ? db->id : "?", e.msg);
        for (i = 0; i < l[MT_RDS_CLUSTER].n; i++)
            if (l[MT_RDS_CLUSTER].v[i].id && !strcmp(l[MT_RDS_CLUSTER].v[i].id, db->cluster_id))
                owner = &l[MT_RDS_CLUSTER].v[i];
    }
    snprintf(extra, sizeof(extra), "%s %s (%s, port %d, IAM database authentication %s)",
             mt_rds_kind_name(db->kind), db->id ? db->id : "?", db->engine ? db->engine : "?",
             db->port, owner->iam_auth == 1 ? "on" : owner->iam_auth == 0 ? "off" : "unknown");
    if (owner->iam_auth == 0) {
        c = add(dr, "database", ST_FAIL, NULL, "%s: every IAM token is rejected", extra);
        if (owner->kind == MT_RDS_PROXY)
            set_fix(c, "set IAMAuth REQUIRED on the proxy's auth: aws rds modify-db-proxy "
                       "--db-proxy-name %s --auth ...IAMAuth=REQUIRED",
                    owner->id ? owner->id : "NAME");
        else
            set_fix(c, "aws rds modify-db-%s --db-%s-identifier %s "
                       "--enable-iam-database-authentication --apply-immediately",
                    owner->kind == MT_RDS_CLUSTER ? "cluster" : "instance",
                    owner->kind == MT_RDS_CLUSTER ? "cluster" : "instance",
                    owner->id ? owner->id : "ID");
    } else if (!engine_matches(t->engine, db) || (db->port && db->port != t->port)) {
        c = add(dr, "database", ST_WARN, NULL, "%s, but the config says %s on port %d", extra,
                t->engine, t->port);
        set_fix(c, "set 'engine:' and 'port:' on the database to match (%s, %d)",
                db->engine ? db->engine : "?", db->port);
    } else {
        add(dr, "database", ST_OK, NULL, "%s", extra);
    }
    if (owner->resource_id && dr->account[0])
        snprintf(dr->policy_arn, sizeof(dr->policy_arn), "arn:%s:rds-db:%s:%s:dbuser:%s/%s",
                 !strncmp(region, "cn-", 3)       ? "aws-cn"
                 : !strncmp(region, "us-gov-", 7) ? "aws-us-gov"
                                                  : "aws",
                 region, dr->account, owner->resource_id, t->user);
    if (dr->policy_arn[0])
        add(dr, "policy", ST_OK, NULL,
            "the identity needs rds-db:connect on %s (resource id of the %s; the user part is "
            "case-sensitive)",
            dr->policy_arn, mt_rds_kind_name(owner->kind));
out:
    for (k = 0; k < 3; k++)
        mt_rds_list_release(&l[k]);
    free(url);
}

static void check_user(struct doctor *dr)
{
    const struct mt_target *t = &dr->d.t;
    const char *p;
    int upper = 0;
    struct check *c;

    for (p = t->user; *p; p++)
        if (isupper((unsigned char)*p))
            upper = 1;
    if (!upper) {
        add(dr, "user name", ST_OK, NULL,
            "'%s' (IAM database user names are case-sensitive: the policy and the database "
            "must spell it the same)",
            t->user);
        return;
    }
    c = add(dr, "user name", ST_WARN, NULL,
            "'%s' has upper-case letters: the token, the policy's dbuser/%s and the database "
            "user must match exactly",
            t->user, t->user);
    if (!strcmp(dr->family, "postgres"))
        set_fix(c, "PostgreSQL folds unquoted names to lower case: create the user as "
                   "CREATE USER \"%s\" or use --user with the lower-case name",
                t->user);
    else
        set_fix(c, "check the exact case with SELECT user, host FROM mysql.user");
}

/* The user a server's login error names: MySQL / MariaDB "Access denied for user 'X'@'host'",
 * PostgreSQL "password authentication failed for user "X"" (and PAM's, the same words). 1 with
 * the name in out, 0 when the line names none. */
static int error_user(const char *line, char *out, size_t n)
{
    static const struct {
        const char *lead;
        const char *end;
    } pat[] = {{"Access denied for user '", "'@"}, {"authentication failed for user \"", "\""}};
    size_t i;

    for (i = 0; i < sizeof(pat) / sizeof(pat[0]); i++) {
        const char *a = strstr(line, pat[i].lead), *b;
        if (!a)
            continue;
        a += strlen(pat[i].lead);
        b = strstr(a, pat[i].end);
        if (!b || b == a || (size_t)(b - a) >= n)
            continue;
        memcpy(out, a, (size_t)(b - a));
        out[b - a] = '\0';
        return 1;
    }
    return 0;
}

/* Check 7's second half, after a failed --login: the user the server's error names (line, the
 * client's first stderr line) vs the configured one. The "user name" check is updated in place:
 * exact spelling -> said so; the same name in another case -> warn (IAM database users are
 * case-sensitive); another name (PostgreSQL cuts names to 63 bytes) -> warn. */
static void check_user_error(struct doctor *dr, const char *line)
{
    const char *cfg = dr->d.t.user;
    char seen[256];
    struct mt_buf q = MT_BUF_INIT;
    struct check *c = NULL;
    size_t len = strlen(cfg);
    int i;

    for (i = 0; i < dr->n; i++)
        if (!strcmp(dr->c[i].name, "user name"))
            c = &dr->c[i];
    if (!c || !error_user(line, seen, sizeof(seen)))
        return;
    if (!strcmp(seen, cfg)) {
        size_t k = strlen(c->evidence);
        snprintf(c->evidence + k, sizeof(c->evidence) - k,
                 "; the server's error names '%s' as configured (no such user with that "
                 "spelling, or it rejected the token)",
                 seen);
        return;
    }
    c->st = ST_WARN;
    if (mt_shq(&q, seen) < 0) {
        mt_buf_release(&q);
        return;
    }
    if (!strcasecmp(seen, cfg)) {
        snprintf(c->evidence, sizeof(c->evidence),
                 "the server's error names '%s', the configured user is '%s': the same name in "
                 "another case (IAM database user names are case-sensitive)",
                 seen, cfg);
        set_fix(c, "spell the user as the database does: --user %s (or 'user: %s' on the "
                   "database), and the same in the policy's dbuser/%s",
                q.p, seen, seen);
    } else if (!strcmp(dr->family, "postgres") && len > 63 && strlen(seen) == 63 &&
               !strncmp(seen, cfg, 63)) {
        snprintf(c->evidence, sizeof(c->evidence),
                 "the server's error names '%s', not the configured '%s' (%zu bytes)", seen, cfg,
                 len);
        set_fix(c, "PostgreSQL cuts user names to 63 bytes: use a user name of at most 63 bytes "
                   "in the database, the policy and --user / 'user:'");
    } else {
        snprintf(c->evidence, sizeof(c->evidence),
                 "the server's error names '%s', not the configured '%s'", seen, cfg);
        set_fix(c, "the client logged in as another user: check its option files and "
                   "environment (~/.my.cnf, PGUSER, a pooler's user mapping) and 'user:' on the "
                   "database");
    }
    mt_buf_release(&q);
}

static void check_tls(struct doctor *dr)
{
    const struct mt_target *t = &dr->d.t;
    struct mt_probe_req rq;
    struct mt_probe_result r;
    struct mt_err e;
    struct check *c;
    char exp[40];
    const char *roots = t->ca_bundle ? t->ca_bundle : "the system roots";
    long days;

    memset(&rq, 0, sizeof(rq));
    rq.connect_host = t->connect_host ? t->connect_host : t->host;
    rq.connect_port = t->connect_port > 0 ? t->connect_port : t->port;
    rq.verify_host = t->host;
    rq.ca_bundle = t->ca_bundle;
    rq.proto = !strcmp(dr->family, "postgres") ? MT_PROBE_POSTGRES
               : !strcmp(dr->family, "mysql")  ? MT_PROBE_MYSQL
                                               : MT_PROBE_TLS;
    mt_err_clear(&e);
    if (mt_probe_run(&rq, &r, &e) < 0) {
        add(dr, "network and TLS", ST_SKIP, NULL, "%s", e.msg);
        return;
    }
    if (r.stage == MT_PROBE_STAGE_CONNECT) {
        c = add(dr, "network and TLS", ST_FAIL, NULL, "%s", r.error);
        set_fix(c, "check the network path to %s:%d (security group, VPN, tunnel, "
                   "connect_host/connect_port)",
                rq.connect_host, rq.connect_port);
        return;
    }
    if (r.stage != MT_PROBE_STAGE_DONE) {
        c = add(dr, "network and TLS", ST_FAIL, NULL, "connected to %s:%d (%s), then: %s",
                rq.connect_host, rq.connect_port, r.address, r.error);
        if (r.tls_refused)
            set_fix(c, "IAM authentication needs TLS: enable it on the server (RDS always offers "
                       "it: is %s:%d really the database?)",
                    rq.connect_host, rq.connect_port);
        else
            set_fix(c, "check that %s:%d is a %s server reached directly or through a TCP tunnel",
                    rq.connect_host, rq.connect_port,
                    !strcmp(dr->family, "tls") ? "TLS" : dr->family);
        return;
    }
    if (r.not_after)
        fmt_utc(r.not_after, exp, sizeof(exp));
    else
        snprintf(exp, sizeof(exp), "unknown");
    days = r.not_after ? (long)((r.not_after - mt_clock_now()) / 86400) : 9999;
    if (r.unknown_ca) {
        c = add(dr, "network and TLS", ST_FAIL, NULL,
                "%s: certificate '%s' issued by '%s' is not trusted by %s (%s)", r.tls_version,
                r.subject, r.issuer, roots, r.verify_error);
        set_fix(c, "set 'ca_bundle:' to the issuing CA (for RDS: the bundle from "
                   "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem)");
    } else if (r.name_mismatch) {
        c = add(dr, "network and TLS", ST_FAIL, NULL,
                "%s: the certificate is for '%s' (%s), not %s", r.tls_version,
                r.san[0] ? r.san : r.subject, r.subject, t->host);
        set_fix(c, "use the host name the certificate carries as --host (the endpoint), with "
                   "--connect-host for a tunnel or alias");
    } else if (r.expired) {
        c = add(dr, "network and TLS", ST_FAIL, NULL, "%s: certificate '%s' %s (not after %s)",
                r.tls_version, r.subject, r.verify_error, exp);
        set_fix(c, "renew the server certificate (RDS: rotate the CA, 'aws rds "
                   "modify-db-instance --ca-certificate-identifier')");
    } else if (r.verify_code) {
        c = add(dr, "network and TLS", ST_FAIL, NULL, "%s: certificate '%s': %s", r.tls_version,
                r.subject, r.verify_error);
        set_fix(c, "fix the server certificate or 'ca_bundle:'");
    } else if (days < CERT_WARN_DAYS) {
        c = add(dr, "network and TLS", ST_WARN, NULL,
                "%s, verified: '%s' issued by '%s' expires %s (%ld days)", r.tls_version,
                r.subject, r.issuer, exp, days);
        set_fix(c, "renew the server certificate before %s", exp);
    } else {
        add(dr, "network and TLS", ST_OK, NULL,
            "%s to %s:%d, verified for %s with %s: '%s' issued by '%s', expires %s",
            r.tls_version, rq.connect_host, rq.connect_port, t->host, roots, r.subject, r.issuer,
            exp);
    }
}

/* ---- --login ---- */

/* The first non-empty line of the client's stderr, escaped. */
static void first_line(const char *s, char *out, size_t n)
{
    size_t k;
    while (*s == '\n' || *s == '\r' || *s == ' ')
        s++;
    k = strcspn(s, "\r\n");
    mt_err_sanitize(out, n, s, k);
}

static void check_login(struct doctor *dr)
{
    struct mt_client cl;
    char buf[4096], line[LINE], addr[64];
    int pfd[2] = {-1, -1}, status = 0;
    size_t got = 0;
    pid_t pid;
    struct check *c;
    const char *query[3];
    struct mt_err e;

    memset(&cl, 0, sizeof(cl));
    if (!dr->creds_ok) {
        add(dr, "login", ST_SKIP, NULL, "needs working credentials");
        return;
    }
    mt_err_clear(&e);
    if (mt_db_sign(dr->ctx, &dr->d) < 0) {
        add(dr, "login", ST_SKIP, NULL, "%s", dr->ctx->err.msg);
        mt_err_clear(&dr->ctx->err);
        goto out;
    }
    /* the client command exactly as db connect builds it */
    if (mt_client_build(mt_engine_get(dr->d.t.engine), &dr->d.t,
                        mt_db_tunnel_addr(&dr->d.t, addr, sizeof(addr)), 1, &cl, &e) < 0) {
        add(dr, "login", ST_SKIP, NULL, "%s", e.msg);
        goto out;
    }
    if (!strcmp(dr->family, "postgres")) {
        query[0] = "--no-psqlrc";
        query[1] = "--command=SELECT 1";
        query[2] = NULL;
    } else if (!strcmp(dr->family, "mysql")) {
        query[0] = "--execute=SELECT 1";
        query[1] = NULL;
    } else {
        query[0] = NULL; /* valkey-cli / redis-cli: PING after the options */
    }
    if (pipe(pfd) < 0) {
        add(dr, "login", ST_SKIP, NULL, "pipe: %s", strerror(errno));
        goto out;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        add(dr, "login", ST_SKIP, NULL, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        char **argv = calloc(cl.argc + 5, sizeof(char *));
        size_t i, n = 0;
        if (!argv || fd < 0)
            _exit(127);
        /* options before the database name: mysql takes a positional db last */
        argv[n++] = cl.argv[0];
        for (i = 0; query[i]; i++)
            argv[n++] = (char *)query[i];
        for (i = 1; i < cl.argc; i++)
            argv[n++] = cl.argv[i];
        if (!query[0])
            argv[n++] = (char *)"PING";
        argv[n] = NULL;
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        for (i = 0; i < 2 && cl.pw_env[i]; i++)
            if (setenv(cl.pw_env[i], dr->d.token.p, 1) < 0)
                _exit(127);
        execv(cl.path, argv);
        _exit(127);
    }
    close(pfd[1]);
    pfd[1] = -1;
    for (;;) {
        ssize_t k = read(pfd[0], buf + got, sizeof(buf) - 1 - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
        if (got >= sizeof(buf) - 1)
            break;
    }
    buf[got] = '\0';
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    /* the token never shows: a client that echoed it would be cut here */
    if (dr->d.token.p && strstr(buf, dr->d.token.p))
        snprintf(buf, sizeof(buf), "(client output withheld: it contained the token)");
    first_line(buf, line, sizeof(line));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        add(dr, "login", ST_OK, NULL, "%s logged in as %s and ran %s", cl.prog, dr->d.t.user,
            query[0] ? "SELECT 1" : "PING");
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !got) {
        add(dr, "login", ST_SKIP, NULL, "cannot run %s", cl.path);
    } else {
        c = add(dr, "login", ST_FAIL, NULL, "the server said: %s", line[0] ? line : "(nothing)");
        check_user_error(dr, line);
        if (!strcmp(dr->family, "postgres"))
            set_fix(c, "the PostgreSQL user needs the rds_iam role: GRANT rds_iam TO \"%s\"; "
                       "and the identity rds-db:connect on %s",
                    dr->d.t.user, dr->policy_arn[0] ? dr->policy_arn : "the user's resource");
        else if (!strcmp(dr->family, "tls"))
            set_fix(c, "the cache user '%s' must have IAM authentication (user id = user name) "
                       "and the identity elasticache:Connect / memorydb:Connect on it",
                    dr->d.t.user);
        else
            set_fix(c, "the MySQL user must use the AWS plugin: CREATE USER '%s' IDENTIFIED WITH "
                       "AWSAuthenticationPlugin AS 'RDS' (MariaDB: IDENTIFIED VIA "
                       "pam USING 'rds' ...); and the identity rds-db:connect on %s",
                    dr->d.t.user, dr->policy_arn[0] ? dr->policy_arn : "the user's resource");
    }
out:
    mt_memzero(buf, sizeof(buf));
    if (pfd[0] >= 0)
        close(pfd[0]);
    if (pfd[1] >= 0)
        close(pfd[1]);
    mt_client_release(&cl);
}

/* ---- output ---- */

/* Outside text (host names, server messages, config values) on a terminal: cmd/out.h's rule. */
static void put_text(FILE *f, const char *s)
{
    fputs(mt_tx(s), f);
}

static void out_text(struct doctor *dr)
{
    const struct mt_target *t = &dr->d.t;
    int i, nfail = 0, nwarn = 0;

    printf("db doctor: ");
    if (t->env && t->database) {
        put_text(stdout, t->database);
        printf(" in ");
        put_text(stdout, t->env);
        printf(" (");
        put_text(stdout, t->host);
        printf(")\n");
    } else {
        put_text(stdout, t->host);
        printf("\n");
    }
    for (i = 0; i < dr->n; i++) {
        const struct check *c = &dr->c[i];
        static const enum mt_color colors[] = {MT_C_OK, MT_C_WARN, MT_C_ERROR, MT_C_DIM};
        printf("  %s%-4s%s  %-15s ", mt_sgr(dr->ctx, stdout, colors[c->st]),
               status_names[c->st], mt_sgr(dr->ctx, stdout, MT_C_RESET), c->name);
        put_text(stdout, c->evidence);
        printf("\n");
        if ((c->st == ST_WARN || c->st == ST_FAIL) && c->fix[0]) {
            printf("  %-4s  %-15s fix: ", "", "");
            put_text(stdout, c->fix);
            printf("\n");
        }
        nfail += c->st == ST_FAIL;
        nwarn += c->st == ST_WARN;
    }
    printf("%d check%s failed, %d warning%s\n", nfail, nfail == 1 ? "" : "s", nwarn,
           nwarn == 1 ? "" : "s");
}

static int out_json(struct doctor *dr)
{
    const struct mt_target *t = &dr->d.t;
    cJSON *root = cJSON_CreateObject(), *tg, *src, *arr, *pol = NULL;
    char *s;
    int i;

    if (!root)
        return -1;
    tg = cJSON_AddObjectToObject(root, "target");
    if (!tg)
        goto nomem;
    if (t->env)
        cJSON_AddStringToObject(tg, "env", t->env);
    if (t->database)
        cJSON_AddStringToObject(tg, "database", t->database);
    cJSON_AddStringToObject(tg, "host", t->host);
    cJSON_AddNumberToObject(tg, "port", t->port);
    cJSON_AddStringToObject(tg, "user", t->user);
    cJSON_AddStringToObject(tg, "engine", t->engine);
    if (t->region)
        cJSON_AddStringToObject(tg, "region", t->region);
    cJSON_AddStringToObject(tg, "profile", t->profile);
    cJSON_AddStringToObject(tg, "connect_host", t->connect_host ? t->connect_host : t->host);
    cJSON_AddNumberToObject(tg, "connect_port", t->connect_port);
    if (dr->account[0])
        cJSON_AddStringToObject(tg, "account", dr->account);
    if (dr->arn[0])
        cJSON_AddStringToObject(tg, "identity_arn", dr->arn);
    src = cJSON_AddObjectToObject(tg, "sources");
    if (src) {
        cJSON_AddStringToObject(src, "host", t->host_source ? t->host_source : "");
        cJSON_AddStringToObject(src, "port", t->port_source ? t->port_source : "");
        cJSON_AddStringToObject(src, "user", t->user_source ? t->user_source : "");
        cJSON_AddStringToObject(src, "engine", t->engine_source ? t->engine_source : "");
        cJSON_AddStringToObject(src, "region", t->region_source ? t->region_source : "");
        cJSON_AddStringToObject(src, "profile", t->profile_source ? t->profile_source : "");
    }
    arr = cJSON_AddArrayToObject(root, "checks");
    if (!arr)
        goto nomem;
    for (i = 0; i < dr->n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
            goto nomem;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "name", dr->c[i].name);
        cJSON_AddStringToObject(o, "status", status_names[dr->c[i].st]);
        cJSON_AddStringToObject(o, "evidence", dr->c[i].evidence);
        if (dr->c[i].fix[0] && (dr->c[i].st == ST_WARN || dr->c[i].st == ST_FAIL))
            cJSON_AddStringToObject(o, "fix", dr->c[i].fix);
        else
            cJSON_AddNullToObject(o, "fix");
    }
    if (dr->policy_arn[0]) {
        cJSON *st, *sts;
        pol = cJSON_AddObjectToObject(root, "policy");
        if (!pol)
            goto nomem;
        cJSON_AddStringToObject(pol, "Version", "2012-10-17");
        sts = cJSON_AddArrayToObject(pol, "Statement");
        st = cJSON_CreateObject();
        if (!sts || !st)
            goto nomem;
        cJSON_AddItemToArray(sts, st);
        cJSON_AddStringToObject(st, "Effect", "Allow");
        cJSON_AddStringToObject(st, "Action", "rds-db:connect");
        cJSON_AddStringToObject(st, "Resource", dr->policy_arn);
    } else {
        cJSON_AddNullToObject(root, "policy");
    }
    s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!s)
        return -1;
    puts(s);
    cJSON_free(s);
    return 0;
nomem:
    cJSON_Delete(root);
    return -1;
}

static int run_doctor(struct mt_ctx *ctx)
{
    struct doctor *dr;
    const char *fmt = mt_args_get(&ctx->args, DOC_OPT_FORMAT);
    int json = 0, i, nfail = 0, rc = -1;

    if (fmt && !strcmp(fmt, "json"))
        json = 1;
    else if (fmt && strcmp(fmt, "text"))
        return mt_err_set(&ctx->err, MT_E_USAGE,
                          "invalid value '%s' for --format: expected text or json", fmt);
    dr = calloc(1, sizeof(*dr));
    if (!dr)
        return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
    dr->ctx = ctx;
    /* writes nothing: not even the parsed-config cache (config/cache.c) */
    if (setenv("MYTOOLS_NO_CONFIG_CACHE", "1", 1) < 0) {
        free(dr);
        return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
    }
    if (mt_db_resolve(ctx, &dr->d) < 0)
        goto out;
    /* never log in from here (that writes caches): a diagnosis reports, it does not repair */
    ctx->stdin_tty = 0;
    dr->family = family_of(dr->d.t.engine);
    check_resolution(dr);
    check_region(dr);
    check_endpoint(dr);
    check_credentials(dr);
    if (dr->stop)
        goto out;
    check_clock(dr);
    check_database(dr);
    check_user(dr);
    check_tls(dr);
    if (mt_args_has(&ctx->args, DOC_OPT_LOGIN))
        check_login(dr);
    if (json) {
        if (out_json(dr) < 0) {
            mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
            goto out;
        }
    } else {
        out_text(dr);
    }
    for (i = 0; i < dr->n; i++)
        nfail += dr->c[i].st == ST_FAIL;
    if (nfail) {
        fflush(stdout);
        mt_err_set(&ctx->err, MT_E_AWS, "%d check%s failed", nfail, nfail == 1 ? "" : "s");
        goto out;
    }
    rc = 0;
out:
    mt_dbtoken_release(&dr->d);
    mt_memzero(dr, sizeof(*dr));
    free(dr);
    return rc;
}

static const struct mt_opt doctor_opts[] = {
    DB_TARGET_OPTS,
    {DOC_OPT_FORMAT, 0, "format", "text|json", "output format (default text)", 0},
    {DOC_OPT_LOGIN, 0, "login", NULL, "also log in with the engine's client and run SELECT 1",
     0},
    MT_OPT_END,
};

static const char *const doctor_usage[] = {
    "[-e ENV -d DB | --host H --user U [--port P]] [--format text|json] [--login]",
    "[--region R] [--profile P] [--engine E] [--connect-host H] [--connect-port P]", NULL};

const struct mt_cmd mt_cmd_db_doctor = {
    "db doctor", "db-doctor", "say why an IAM database login would fail", doctor_usage,
    doctor_opts, run_doctor,
    "Checks, for the database db token would sign for: resolution (each value and where it came\n"
    "from), region (host name vs signing region), endpoint name (CNAME chain, tunnel address),\n"
    "credentials (source, expiry, STS GetCallerIdentity), clock (vs AWS's Date), the database in\n"
    "AWS (IAM authentication, engine, port, the exact rds-db:connect resource ARN), user name,\n"
    "network and TLS (through the engine's own TLS upgrade, verified), and with --login a real\n"
    "login. Each check is ok, warn, fail or skip with evidence and a fix. Exit 0 when nothing\n"
    "fails, 1 when a check fails. Writes nothing and prints no secret.",
};
