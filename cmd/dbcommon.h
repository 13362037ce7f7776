/* dbcommon.h - what db token / db connect share: resolving the target database and minting its
 * token with the right credentials. */
#ifndef MT_CMD_DBCOMMON_H
#define MT_CMD_DBCOMMON_H

#include <time.h>

#include "cmd/aws.h"
#include "cmd/cmd.h"
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

/* Loads config, resolves the target, gets credentials and signs the token. */
int mt_db_prepare(struct mt_ctx *ctx, struct mt_dbtoken *out);
void mt_dbtoken_release(struct mt_dbtoken *d);

#endif
