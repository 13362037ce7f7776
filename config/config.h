/* config.h - ~/.mytools.yaml (parse, look up) and target resolution (flags > database >
 * environment > defaults > AWS environment), contract sections 3 and 4.
 *
 * mt_config_parse(), mt_config_find_*(), mt_resolve_target() and mt_rds_host_region() are pure:
 * no file I/O, no getenv, no clock. mt_config_load() and mt_config_path() (load.c) are the edge.
 *
 * Schema decisions (README material):
 *  - Top level: `defaults`, `environments`. Settings allowed at every level: region, profile,
 *    engine, ca_bundle, clipboard, clipboard_clear, user, port. Environment only: aliases,
 *    databases. Database only: host, name, connect_host, connect_port. A database-only key on an
 *    environment or in defaults is an ERROR (not a warning): a host that silently applied to every
 *    database, or was silently ignored, would sign tokens for the wrong server.
 *  - Unknown keys are warnings (collected in mt_config.warnings, with a "did you mean" when a
 *    known key is one or two edits away); `config check --strict` turns them into errors.
 *  - Values are typed by the schema, not by YAML 1.1 core rules: `clipboard: off` is the string
 *    "off", `name: 0123` is "0123". Strings must be scalars. A null value (`key:`, `~`, `null`)
 *    means "not set", as if the key were absent.
 *  - Integers (port, connect_port, clipboard_clear) must be plain (unquoted) decimal scalars
 *    without a sign or leading zeros (YAML 1.1 reads 0644 as octal; we refuse the ambiguity).
 *  - Engines: mysql, mariadb, postgres, dsql, elasticache, memorydb; aurora-mysql and aurora mean
 *    mysql, aurora-postgresql, postgresql and pg mean postgres, valkey and redis mean elasticache
 *    (case-insensitive). The canonical name is stored.
 *  - serverless and admin are booleans (true/false); expires_in is 1..604800. Which engine they
 *    apply to is checked by mt_resolve_target() (the engine may come from another level).
 *  - `aliases` must be a sequence of strings. An alias equal to another environment's name or
 *    alias is an error; repeating the environment's own name is harmless.
 *  - Anchors (&a), aliases (*a), merge keys via aliases and explicit tags (!!str) are rejected
 *    with a clear error: they are not needed for this schema and rejecting them rules out
 *    "billion laughs" expansion. Only one YAML document per file. An empty file, a file of only
 *    comments, and a null document are an empty config.
 *  - `~` is not expanded by the parser; mt_resolve_target() expands it in ca_bundle.
 *
 * Positions in messages are 1-based line:column as an editor shows them (columns count
 * characters, as libyaml does). */
#ifndef MT_CONFIG_CONFIG_H
#define MT_CONFIG_CONFIG_H

#include <stddef.h>

#include "common/err.h"

/* One level of settings: defaults, an environment, or a database. Strings are NULL when not set,
 * integers -1. Strings belong to the mt_config (do not free them). */
struct mt_cfg_settings {
    char *region, *profile, *engine, *ca_bundle, *clipboard, *user, *host, *name, *connect_host;
    int port, connect_port, clipboard_clear;
    char *cache_name;        /* database only: ElastiCache / MemoryDB name that is signed */
    int serverless, admin;   /* booleans: -1 not set, 0, 1 (serverless: database only) */
    int expires_in;          /* DSQL token lifetime 1..604800 s, -1 not set */
    int line, col; /* position of the mapping (0 when the level is absent) */
};

struct mt_cfg_db {
    char *name;
    struct mt_cfg_settings s;
    int line, col; /* position of the database's key */
};

struct mt_cfg_env {
    char *name;
    char **aliases;
    size_t naliases;
    struct mt_cfg_settings s;
    struct mt_cfg_db *dbs; /* in file order */
    size_t ndbs;
    int line, col; /* position of the environment's key */
};

struct mt_cfg_warning {
    int line, col;
    char *msg; /* complete text: "FILE:LINE:COL: unknown key 'regoin' (did you mean 'region'?)" */
};

struct mt_cfg_arena; /* private string storage */

struct mt_config {
    char *path; /* the file name given to the parser / loader; NULL for an empty config */
    struct mt_cfg_settings defaults;
    struct mt_cfg_env *envs; /* in file order */
    size_t nenvs;
    struct mt_cfg_warning *warnings;
    size_t nwarnings;
    struct mt_cfg_arena *arena;
};

/* An empty config (no environments, every setting unset). Allocates nothing. */
void mt_config_init(struct mt_config *cfg);

/* Parses YAML text (len bytes, need not be NUL-terminated) into out, which the caller releases
 * with mt_config_release() whether or not the call succeeded. filename is used in messages and
 * copied to out->path (NULL: "config"). Errors: MT_E_CONFIG "FILE:LINE:COL: ..." for malformed
 * YAML, wrong types, duplicate keys, alias clashes; MT_E_NOMEM. */
int mt_config_parse(const char *text, size_t len, const char *filename, struct mt_config *out,
                    struct mt_err *err) MT_WUR;

/* Frees everything and leaves an empty config. NULL-safe and idempotent. */
void mt_config_release(struct mt_config *cfg);

/* The environment whose name or alias is name_or_alias (exact, case-sensitive), or NULL.
 * Borrowed from cfg. */
const struct mt_cfg_env *mt_config_find_env(const struct mt_config *cfg, const char *name_or_alias);
/* The error for an environment name the config does not know: MT_E_CONFIG "unknown environment
 * 'x' (known: ...)" with a "did you mean" hint. Returns -1. */
int mt_config_unknown_env(const struct mt_config *cfg, const char *want, struct mt_err *err);
/* The database called name in env, or NULL. Borrowed. */
const struct mt_cfg_db *mt_config_find_db(const struct mt_cfg_env *env, const char *name);

/* The engine names for messages. */
#define MT_CONFIG_ENGINES "mysql, mariadb, postgres, dsql, elasticache (valkey, redis) or memorydb"

/* Canonical engine name for a spelling ("aurora-postgresql" -> "postgres"), or NULL if unknown.
 * Returns a static string. */
const char *mt_config_engine(const char *spelling);
/* Default port for a canonical engine: 5432 for postgres and dsql, 6379 for elasticache and
 * memorydb, else 3306. */
int mt_config_engine_port(const char *engine);

/* ---- resolution (pure) ---- */

/* Looks up the region of an AWS profile (e.g. from ~/.aws/config). Return a string that stays
 * valid until mt_resolve_target() returns, or NULL. */
/* THE profile and region precedence (contract sections 4 and 5), decided here only: both
 * mt_resolve_target (db commands) and cmd/aws.c (every AWS call) pick through these. Empty or
 * NULL inputs count as unset. */
struct mt_pick_in {
    const char *flag;           /* --profile / --region */
    const char *config;         /* the mytools config: database or environment level */
    const char *config_level;   /* its name for the source ("database", "environment", "config") */
    const char *host_region;    /* region only: from an RDS host name */
    const char *config_default; /* the mytools config's defaults level */
    const char *env1, *env2;    /* AWS_PROFILE (profile) / AWS_REGION, AWS_DEFAULT_REGION */
    const char *aws_profile_region; /* region only: the chosen profile's region */
};
/* Profile: flag, config, config_default, AWS_PROFILE, "default". *chosen = 1 when the flag or the
 * mytools config chose it (environment keys are then ignored). *source names the winner. */
const char *mt_pick_profile(const struct mt_pick_in *in, const char **source, int *chosen);
/* Region: flag, config, host name, config_default, AWS_REGION, AWS_DEFAULT_REGION, profile
 * region. NULL when none. */
const char *mt_pick_region(const struct mt_pick_in *in, const char **source);

typedef const char *(*mt_profile_region_fn)(void *ctx, const char *profile);

struct mt_resolve_in {
    const struct mt_config *cfg; /* may be NULL or empty */
    const char *env, *database;  /* from flags; either may be NULL */
    /* flag overrides (NULL / -1 = not given): */
    const char *host, *user, *region, *profile, *engine, *connect_host, *cache_name;
    int port, connect_port;
    int serverless, admin, expires_in; /* -1 = not given */
    /* environment snapshot (NULL or "" = unset): */
    const char *aws_profile, *aws_region, *aws_default_region;
    /* the chosen profile's region: either a fixed value, or a callback that is called with the
     * resolved profile name only when every earlier region source is empty (so the caller can
     * leave ~/.aws/config unread on the fast path). The fixed value wins if both are set. */
    const char *profile_region;
    mt_profile_region_fn profile_region_fn;
    void *profile_region_ctx;
    const char *home; /* for ~ expansion in ca_bundle; NULL = no expansion */
};
/* Sets every pointer to NULL and every integer to -1 (not given). */
void mt_resolve_in_init(struct mt_resolve_in *in);

struct mt_target { /* all strings owned; release with mt_target_release() */
    char *env;          /* canonical environment name (not the alias typed), or NULL */
    char *database;     /* NULL with --host and no --database */
    char *host, *user, *region, *profile, *engine;
    char *name;         /* database/schema name for clients, or NULL */
    char *ca_bundle;    /* ~ expanded, or NULL */
    char *clipboard;    /* NULL = not configured (caller's default) */
    char *connect_host; /* where clients connect: connect_host if set, else host */
    int port;           /* token host:port; default from the engine */
    int connect_port;   /* where clients connect: connect_port if set, else port */
    int clipboard_clear; /* -1 = not configured */
    char *cache_name;    /* elasticache / memorydb: the signed name (required there) */
    int serverless;      /* 0/1: ElastiCache serverless cache */
    int admin;           /* 0/1: DSQL DbConnectAdmin (user "admin" or admin: true) */
    int expires_in;      /* token lifetime in seconds (DSQL: expires_in, default 900; else 900) */
    int profile_from_config_or_flag; /* 1 if --profile or the config chose the profile
                                        (contract 4: then AWS_ACCESS_KEY_ID etc. are NOT used) */
    const char *profile_source; /* "--profile", "database", "environment", "defaults",
                                   "AWS_PROFILE", "default" (static) */
    const char *region_source;  /* "--region", "database", "environment", "host name",
                                   "defaults", "AWS_REGION", "AWS_DEFAULT_REGION", "profile" */
    /* where host, user, engine and port came from (static; for db doctor): the flag
     * ("--host" ...), "database", "environment", "defaults", or "default" (engine) /
     * "engine default" (port) */
    const char *host_source, *user_source, *engine_source, *port_source;
};

/* Resolves the target of `db token` / `db connect`. Needs env + database (from the config) or a
 * host; host and user must be known in the end. Errors: MT_E_USAGE (missing names, bad flag
 * values), MT_E_CONFIG (unknown environment/database listing the known ones, no host/user/region
 * with a hint), MT_E_NOMEM. out is initialised first; release it with mt_target_release() in
 * every case. */
int mt_resolve_target(const struct mt_resolve_in *in, struct mt_target *out,
                      struct mt_err *err) MT_WUR;
/* Frees and re-zeroes. NULL-safe and idempotent. */
void mt_target_release(struct mt_target *t);

/* The region inside an RDS host name: "<anything>.REGION.rds.amazonaws.com" or
 * "...rds.amazonaws.com.cn", or an Aurora DSQL one, "<cluster>.dsql.REGION.on.aws"
 * (case-insensitive, trailing dot allowed). Writes the lower-case region
 * to out and returns 0, or returns -1 (not an RDS name, or out too small). */
int mt_rds_host_region(const char *host, char *out, size_t outsz);

/* ---- loading (edge, load.c) ---- */

/* The config path in use and whether it was chosen explicitly: flag_path (--config) if not NULL,
 * else $MYTOOLS_CONFIG if set and non-empty, else ~/.mytools.yaml (not explicit). `~` is expanded.
 * Caller frees. NULL on OOM. */
char *mt_config_path(const char *flag_path, int *explicit_path);

/* Reads and parses the config. path NULL = mt_config_path(NULL, ...) (then MYTOOLS_CONFIG counts
 * as explicit). A missing file that was not chosen explicitly is an empty config; a missing
 * explicit file, an unreadable file (or one over 16 MiB) and a parse error are MT_E_CONFIG.
 * out->path is set in every case; release out with mt_config_release().
 * A successful parse of a regular file is cached in $XDG_CACHE_HOME/mytools/ (else
 * ~/.cache/mytools/, see config_int.h and cache.c) and reused while the file's dev, inode, size,
 * mtime and ctime and the path string are unchanged; files changed in the last 2 s are not
 * cached, parse errors never are, and any cache problem silently means parsing the YAML.
 * MYTOOLS_NO_CONFIG_CACHE=1 (any value but "" and "0") turns the cache off. */
int mt_config_load(const char *path, int explicit_path, struct mt_config *out,
                   struct mt_err *err) MT_WUR;
/* mt_config_load() for a run that needs one database (a warm `db token -e ENV -d DB`): on a
 * cache hit out may hold only the defaults, the warnings and the environment env (name or alias)
 * with its database db, so the cost does not grow with the config; use it only through
 * mt_config_find_env() / mt_config_find_db() / mt_resolve_target(). When env or db is NULL, not
 * in the cache, or the cache is not usable, this is mt_config_load() (a complete config). */
int mt_config_load_one(const char *path, int explicit_path, const char *env, const char *db,
                       struct mt_config *out, struct mt_err *err) MT_WUR;

#endif
