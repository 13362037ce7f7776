/* dbclient.h - the engine table and the database client command built from it.
 *
 * One table says, per engine, which protocol it speaks, which client programs serve it (in the
 * order db connect looks for them), what the token is called, and how a URL names it. One
 * builder turns a resolved target into the client's argv and password variables: db connect
 * executes it, db token --format text prints it shell-quoted. Engine spellings, aliases and
 * default ports live in config/ (mt_config_engine, mt_config_engine_port): the parser needs them.
 *
 * Quoting rules (issue 7 defect 1, contract 7): every value goes to a client as --option=value
 * (redis-cli/valkey-cli, which have no such form, consume the word after an option whatever it
 * is); psql gets one conninfo string with every value quoted key='...'; TLS settings come after
 * every value, so no value can override them; the token only ever travels in the environment. */
#ifndef MT_CMD_DBCLIENT_H
#define MT_CMD_DBCLIENT_H

#include <stddef.h>

#include "common/buf.h"
#include "config/config.h"

enum mt_proto { MT_PROTO_MYSQL, MT_PROTO_PG, MT_PROTO_REDIS };
enum mt_token_kind { MT_TOKEN_RDS, MT_TOKEN_DSQL, MT_TOKEN_CACHE };
enum mt_client_kind { MT_CL_MYSQL, MT_CL_MARIADB, MT_CL_PSQL, MT_CL_REDIS, MT_CL_VALKEY };

struct mt_engine {
    const char *name;          /* canonical, as config/ stores it */
    const char *token_what;    /* "RDS IAM token", for text output */
    enum mt_token_kind token;  /* which signer (sigv4/) makes it */
    enum mt_proto proto;
    const char *clients[3];    /* programs searched in PATH, first found wins */
    const char *url_scheme;    /* postgres, mysql, rediss */
    const char *default_dbname; /* database used when the config names none, or NULL */
    int public_ca;             /* the server's certificate chains to a public CA (system roots) */
};

/* The table row for a canonical engine name (unknown names get the mysql row). */
const struct mt_engine *mt_engine_get(const char *name);

struct mt_client {
    char *path;                /* found in PATH, or NULL (then only printable) */
    const char *prog;          /* program name as printed */
    enum mt_client_kind kind;
    char **argv;               /* NULL-terminated; argv[0] = prog; all owned */
    size_t argc;
    const char *pw_env[2];     /* the variables that carry the token; [1] may be NULL */
    char note[200];            /* one line for a person (tunnel TLS), or "" */
    int missing_ca;            /* TLS cannot be verified without a ca_bundle (RDS CA) */
};

/* Builds the client command for target t. find: look the program up in PATH (db connect needs
 * it; db token prints for the first candidate when none is installed). hostaddr: the numeric
 * address connect_host resolves to, for psql behind a tunnel (NULL when there is no tunnel).
 * Errors: MT_E_IO no client found (find only), MT_E_NOMEM. */
int mt_client_build(const struct mt_engine *e, const struct mt_target *t, const char *hostaddr,
                    int find, struct mt_client *out, struct mt_err *err) MT_WUR;
/* Appends extra arguments (the user's, after "--"). */
int mt_client_add_args(struct mt_client *c, char **args, int n, struct mt_err *err) MT_WUR;
void mt_client_release(struct mt_client *c);

/* Appends value to a libpq conninfo string as key='value' (\' and \\ escaped), space-separated. */
int mt_conninfo_add(struct mt_buf *b, const char *key, const char *value) MT_WUR;
/* Appends s percent-encoded: everything but RFC 3986 unreserved characters as %XX. */
int mt_url_encode(struct mt_buf *b, const char *s) MT_WUR;

/* The system's CA bundle file for libpq's sslrootcert= (servers with a public-CA certificate,
 * DSQL): $SSL_CERT_FILE, else the first of the Debian/Fedora/Alpine/macOS bundle paths that
 * exists, else NULL (libpq then looks for ~/.postgresql/root.crt). Static or environment. */
const char *mt_system_ca_file(void);

#endif
