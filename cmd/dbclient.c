/* dbclient.c - engine table and client commands (dbclient.h). */
#include "cmd/dbclient.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"

static const struct mt_engine engines[] = {
    {"mysql", "RDS IAM token", MT_TOKEN_RDS, MT_PROTO_MYSQL, {"mysql", "mariadb", NULL}, "mysql", NULL, 0},
    {"mariadb", "RDS IAM token", MT_TOKEN_RDS, MT_PROTO_MYSQL, {"mariadb", "mysql", NULL}, "mysql", NULL, 0},
    {"postgres", "RDS IAM token", MT_TOKEN_RDS, MT_PROTO_PG, {"psql", NULL, NULL}, "postgres", NULL, 0},
    {"dsql", "Aurora DSQL token", MT_TOKEN_DSQL, MT_PROTO_PG, {"psql", NULL, NULL}, "postgres", "postgres", 1},
    {"elasticache", "ElastiCache IAM token", MT_TOKEN_CACHE, MT_PROTO_REDIS, {"valkey-cli", "redis-cli", NULL},
     "rediss", NULL, 1},
    {"memorydb", "MemoryDB IAM token", MT_TOKEN_CACHE, MT_PROTO_REDIS, {"valkey-cli", "redis-cli", NULL},
     "rediss", NULL, 1},
};

const struct mt_engine *mt_engine_get(const char *name)
{
    size_t i;
    for (i = 0; name && i < sizeof(engines) / sizeof(engines[0]); i++)
        if (!strcmp(engines[i].name, name))
            return &engines[i];
    return &engines[0];
}

const char *mt_system_ca_file(void)
{
    static const char *const paths[] = {"/etc/ssl/certs/ca-certificates.crt",
                                        "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"};
    const char *e = getenv("SSL_CERT_FILE");
    size_t i;
    if (e && *e)
        return e;
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (access(paths[i], R_OK) == 0)
            return paths[i];
    return NULL;
}


/* Debian's mysql is a link to MariaDB's client: decide by what the name resolves to. */
static enum mt_client_kind kind_of(const char *prog, const char *path)
{
    char real[PATH_MAX];
    const char *b;
    if (!strcmp(prog, "psql"))
        return MT_CL_PSQL;
    if (!strcmp(prog, "redis-cli"))
        return MT_CL_REDIS;
    if (!strcmp(prog, "valkey-cli"))
        return MT_CL_VALKEY;
    if (!strcmp(prog, "mariadb"))
        return MT_CL_MARIADB;
    if (path && realpath(path, real)) {
        b = strrchr(real, '/');
        if (strstr(b ? b + 1 : real, "mariadb"))
            return MT_CL_MARIADB;
    }
    return MT_CL_MYSQL;
}

int mt_conninfo_add(struct mt_buf *b, const char *key, const char *value)
{
    if ((b->len && mt_buf_addc(b, ' ') < 0) || mt_buf_addf(b, "%s='", key) < 0)
        return -1;
    for (; *value; value++)
        if (((*value == '\'' || *value == '\\') && mt_buf_addc(b, '\\') < 0) ||
            mt_buf_addc(b, *value) < 0)
            return -1;
    return mt_buf_addc(b, '\'');
}

int mt_url_encode(struct mt_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            if (mt_buf_addc(b, (char)c) < 0)
                return -1;
        } else if (mt_buf_addc(b, '%') < 0 || mt_buf_addc(b, hex[c >> 4]) < 0 ||
                   mt_buf_addc(b, hex[c & 15]) < 0)
            return -1;
    }
    return 0;
}

/* Appends the word prefix + v. */
static int add(struct mt_client *c, const char *prefix, const char *v)
{
    struct mt_buf b = MT_BUF_INIT;
    char **nv = realloc(c->argv, (c->argc + 2) * sizeof(char *));
    if (!nv)
        return -1;
    c->argv = nv;
    if (mt_buf_adds(&b, prefix) < 0 || mt_buf_adds(&b, v ? v : "") < 0) {
        mt_buf_release(&b);
        return -1;
    }
    c->argv[c->argc++] = mt_buf_detach(&b);
    c->argv[c->argc] = NULL;
    return c->argv[c->argc - 1] ? 0 : -1;
}

static const char *conn_host(const struct mt_target *t)
{
    return t->connect_host ? t->connect_host : t->host;
}

static int tunnelled(const struct mt_target *t)
{
    return t->connect_host && strcmp(t->connect_host, t->host) != 0;
}

int mt_client_build(const struct mt_engine *e, const struct mt_target *t, const char *hostaddr,
                    int find, struct mt_client *c, struct mt_err *err)
{
    char port[16];
    const char *dbname = t->name ? t->name : e->default_dbname;
    size_t i;
    int ok = 1;

    memset(c, 0, sizeof(*c));
    for (i = 0; i < 3 && e->clients[i] && !c->path; i++)
        if ((c->path = mt_file_which(e->clients[i])) != NULL)
            c->prog = e->clients[i];
    if (!c->path) {
        if (find)
            return mt_err_set(err, MT_E_IO, "no %s%s%s client found in PATH", e->clients[0],
                              e->clients[1] ? " or " : "", e->clients[1] ? e->clients[1] : "");
        c->prog = e->clients[0];
    }
    c->kind = kind_of(c->prog, c->path);
    snprintf(port, sizeof(port), "%d", t->connect_port > 0 ? t->connect_port : t->port);
    c->missing_ca = !t->ca_bundle && !e->public_ca;
    ok = add(c, "", c->prog) == 0;
    switch (c->kind) {
    case MT_CL_MYSQL:
    case MT_CL_MARIADB:
        c->pw_env[0] = "MYSQL_PWD"; /* read by both clients; never argv */
        ok = ok && !add(c, "--host=", conn_host(t)) && !add(c, "--port=", port) &&
             !add(c, "--protocol=", "TCP") && !add(c, "--user=", t->user) &&
             (!dbname || !add(c, "--database=", dbname)) &&
             (!t->ca_bundle || !add(c, "--ssl-ca=", t->ca_bundle));
        if (c->kind == MT_CL_MYSQL) {
            ok = ok && !add(c, "--ssl-mode=", tunnelled(t) ? "VERIFY_CA" : "VERIFY_IDENTITY") &&
                 !add(c, "", "--enable-cleartext-plugin");
        } else {
            /* MariaDB's client checks the chain whenever a CA is given, and the host name only
             * with --ssl-verify-server-cert (which also checks the chain) */
            ok = ok && !add(c, "", "--ssl") &&
                 ((tunnelled(t) && t->ca_bundle) || !add(c, "", "--ssl-verify-server-cert"));
        }
        if (tunnelled(t) && (c->kind == MT_CL_MYSQL || t->ca_bundle))
            snprintf(c->note, sizeof(c->note),
                     "through the tunnel the %s client verifies the CA but cannot check the "
                     "host name",
                     c->kind == MT_CL_MYSQL ? "MySQL" : "MariaDB");
        break;
    case MT_CL_PSQL: {
        struct mt_buf ci = MT_BUF_INIT;
        c->pw_env[0] = "PGPASSWORD";
        /* behind a tunnel: host= is the certificate's name, hostaddr= where to connect */
        ok = ok && !mt_conninfo_add(&ci, "host", tunnelled(t) && hostaddr ? t->host : conn_host(t)) &&
             (!(tunnelled(t) && hostaddr) || !mt_conninfo_add(&ci, "hostaddr", hostaddr)) &&
             !mt_conninfo_add(&ci, "port", port) && !mt_conninfo_add(&ci, "user", t->user) &&
             (!dbname || !mt_conninfo_add(&ci, "dbname", dbname)) &&
             (!t->ca_bundle || !mt_conninfo_add(&ci, "sslrootcert", t->ca_bundle)) &&
             (t->ca_bundle || !e->public_ca || !mt_system_ca_file() ||
              !mt_conninfo_add(&ci, "sslrootcert", mt_system_ca_file())) &&
             !mt_conninfo_add(&ci, "sslmode", "verify-full") && !add(c, "", mt_buf_str(&ci));
        mt_buf_release(&ci);
        break;
    }
    case MT_CL_REDIS:
    case MT_CL_VALKEY:
        c->pw_env[0] = "REDISCLI_AUTH";
        if (c->kind == MT_CL_VALKEY)
            c->pw_env[1] = "VALKEYCLI_AUTH";
        ok = ok && !add(c, "", "-h") && !add(c, "", conn_host(t)) && !add(c, "", "-p") &&
             !add(c, "", port) && !add(c, "", "--user") && !add(c, "", t->user) &&
             (!t->ca_bundle || (!add(c, "", "--cacert") && !add(c, "", t->ca_bundle))) &&
             (!tunnelled(t) || (!add(c, "", "--sni") && !add(c, "", t->host))) &&
             !add(c, "", "--tls");
        /* hiredis (and so redis-cli and valkey-cli) verifies the chain, never the name */
        snprintf(c->note, sizeof(c->note),
                 "%s verifies the server certificate's CA but not its host name (a client "
                 "limit): connect only over a network path you trust",
                 c->kind == MT_CL_VALKEY ? "valkey-cli" : "redis-cli");
        break;
    }
    if (!ok) {
        mt_client_release(c);
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    }
    return 0;
}

int mt_client_add_args(struct mt_client *c, char **args, int n, struct mt_err *err)
{
    int i;
    for (i = 0; i < n; i++)
        if (add(c, "", args[i]) < 0)
            return mt_err_set(err, MT_E_NOMEM, "out of memory");
    return 0;
}

void mt_client_release(struct mt_client *c)
{
    size_t i;
    for (i = 0; i < c->argc; i++)
        free(c->argv[i]);
    free(c->argv);
    free(c->path);
    memset(c, 0, sizeof(*c));
}
