/* dbcommon.h - what db token / db connect share: resolving the target database and minting its
 * token with the right credentials. */
#ifndef MT_CMD_DBCOMMON_H
#define MT_CMD_DBCOMMON_H

#include <time.h>

#include "cmd/aws.h"
#include "cmd/cmd.h"
#include "cmd/dbclient.h"
#include "common/buf.h"
#include "config/config.h"
#include "sso/sso.h"

enum { /* option ids shared by db token and db connect */
    DB_OPT_ENV = 1,
    DB_OPT_DATABASE,
    DB_OPT_HOST,
    DB_OPT_PORT,
    DB_OPT_USER,
    DB_OPT_ENGINE,
    DB_OPT_CONNECT_HOST,
    DB_OPT_CONNECT_PORT,
    DB_OPT_FORMAT,
    DB_OPT_CLIPBOARD,
    DB_OPT_NO_CLIPBOARD,
    DB_OPT_CACHE_NAME,
    DB_OPT_SERVERLESS,
    DB_OPT_ADMIN,
    DB_OPT_EXPIRES_IN
};

struct mt_dbtoken {
    struct mt_config cfg;
    struct mt_target t;
    struct mt_aws aws;   /* credentials in aws.creds */
    struct mt_buf token; /* secret */
    time_t now, expires_at;
    int creds_short;     /* credentials expire before now + 15 min */
};

/* The target options of db token, db connect and db doctor (option table entries). */
#define DB_TARGET_OPTS                                                                           \
    {DB_OPT_ENV, 'e', "env", "ENV", "environment from the config (or an alias)",                 \
     MT_OPT_COMPLETE_ENV},                                                                        \
        {DB_OPT_DATABASE, 'd', "database", "DB", "database in that environment",                 \
         MT_OPT_COMPLETE_DB},                                                                     \
        {DB_OPT_HOST, 0, "host", "HOST", "database endpoint to sign for (instead of the config)", \
         0},                                                                                      \
        {DB_OPT_PORT, 0, "port", "PORT", "database port (default from the engine)", 0},           \
        {DB_OPT_USER, 0, "user", "USER", "database user for IAM authentication", 0},              \
        {DB_OPT_ENGINE, 0, "engine", "mysql|mariadb|postgres|dsql|elasticache|valkey|redis|memorydb", \
         "the database engine", MT_OPT_VALUES_OPEN},                                              \
        {DB_OPT_CACHE_NAME, 0, "cache-name", "NAME",                                              \
         "ElastiCache/MemoryDB: replication group, serverless cache or cluster name", 0},         \
        {DB_OPT_SERVERLESS, 0, "serverless", NULL, "ElastiCache: a serverless cache", 0},         \
        {DB_OPT_ADMIN, 0, "admin", NULL, "DSQL: sign DbConnectAdmin (implied by user admin)", 0}, \
        {DB_OPT_EXPIRES_IN, 0, "expires-in", "S", "DSQL: token lifetime 1-604800 s (900)", 0},   \
        {DB_OPT_CONNECT_HOST, 0, "connect-host", "HOST",                                          \
         "where clients connect (tunnel); the token is still signed for --host", 0},              \
        {DB_OPT_CONNECT_PORT, 0, "connect-port", "PORT", "port clients connect to (tunnel)", 0}

/* Loads config, resolves the target, gets credentials and signs the token
 * (mt_db_resolve + mt_db_sign). */
int mt_db_prepare(struct mt_ctx *ctx, struct mt_dbtoken *out);
/* Loads config, resolves the target and selects the profile/region/CA bundle (d->aws open);
 * no credentials yet. */
int mt_db_resolve(struct mt_ctx *ctx, struct mt_dbtoken *d);
/* Gets credentials for the resolved target and signs its token into d->token. */
int mt_db_sign(struct mt_ctx *ctx, struct mt_dbtoken *d);
void mt_dbtoken_release(struct mt_dbtoken *d);
/* The numeric address of the tunnel end (connect_host) for psql's hostaddr=, or NULL without a
 * tunnel or when it does not resolve. */
const char *mt_db_tunnel_addr(const struct mt_target *t, char *buf, size_t n);


#endif
