/* test_config.c - ~/.mytools.yaml parsing and target resolution (config/mt_yaml.c, resolve.c).
 *
 * `test_config --bench [N]` parses a generated N-database file (default 2,000) repeatedly and
 * prints the time per parse; it is not part of the CTest run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "config/config.h"
#include "config/config_int.h"

#define F "t.yaml"

static int parse(const char *text, struct mt_config *cfg, struct mt_err *err)
{
    return mt_config_parse(text, strlen(text), F, cfg, err);
}

/* ---- a full, valid file ---- */

static const char full_yaml[] =
    "# comment\n"
    "defaults:\n"
    "  region: eu-west-1\n"
    "  profile: engineer\n"
    "  engine: mysql\n"
    "  ca_bundle: ~/.mytools/rds.pem\n"
    "  clipboard: off\n"
    "  clipboard_clear: 45\n"
    "environments:\n"
    "  production:\n"
    "    aliases: [prod, prd]\n"
    "    profile: prod-engineer\n"
    "    user: prod_engineer\n"
    "    databases:\n"
    "      orders:\n"
    "        host: orders.cluster-abc123.eu-central-1.rds.amazonaws.com\n"
    "        port: 3307\n"
    "        name: orders\n"
    "        connect_host: 127.0.0.1\n"
    "        connect_port: 13306\n"
    "      payments:\n"
    "        host: payments.cluster-abc123.eu-west-1.rds.amazonaws.com\n"
    "        engine: aurora-postgresql\n"
    "        user: prod_payments_ro\n"
    "      regional:\n"
    "        host: db.internal.example\n"
    "        region: us-east-2\n"
    "  staging:\n"
    "    aliases:\n"
    "      - stg\n"
    "    region: ap-southeast-2\n"
    "    databases:\n"
    "      orders:\n"
    "        host: orders.cluster-x.cn-north-1.rds.amazonaws.com.cn\n"
    "        user: \"stg user\"\n"
    "  empty:\n"
    "  noprofile:\n"
    "    databases:\n"
    "      plain: {host: plain.example, user: u}\n";

static void test_parse_full(void **state)
{
    struct mt_config cfg;
    struct mt_err err = MT_ERR_INIT;
    const struct mt_cfg_env *e;
    const struct mt_cfg_db *d;
    (void)state;

    assert_int_equal(parse(full_yaml, &cfg, &err), 0);
    assert_string_equal(cfg.path, F);
    assert_int_equal(cfg.nwarnings, 0);
    assert_string_equal(cfg.defaults.region, "eu-west-1");
    assert_string_equal(cfg.defaults.clipboard, "off"); /* schema-typed: not YAML 1.1 false */
    assert_int_equal(cfg.defaults.clipboard_clear, 45);
    assert_int_equal(cfg.defaults.port, -1);
    assert_int_equal(cfg.nenvs, 4);

    e = mt_config_find_env(&cfg, "prd");
    assert_non_null(e);
    assert_string_equal(e->name, "production");
    assert_int_equal(e->line, 10);
    assert_int_equal(e->col, 3);
    assert_int_equal(e->naliases, 2);
    assert_ptr_equal(mt_config_find_env(&cfg, "production"), e);
    assert_ptr_equal(mt_config_find_env(&cfg, "prod"), e);
    assert_null(mt_config_find_env(&cfg, "Production"));
    assert_int_equal(e->ndbs, 3);
    d = mt_config_find_db(e, "orders");
    assert_non_null(d);
    assert_int_equal(d->line, 15);
    assert_int_equal(d->s.port, 3307);
    assert_int_equal(d->s.connect_port, 13306);
    assert_string_equal(d->s.connect_host, "127.0.0.1");
    d = mt_config_find_db(e, "payments");
    assert_string_equal(d->s.engine, "postgres");
    assert_null(mt_config_find_db(e, "nope"));

    e = mt_config_find_env(&cfg, "stg");
    assert_string_equal(e->name, "staging");
    assert_string_equal(e->dbs[0].s.user, "stg user");
    e = mt_config_find_env(&cfg, "empty");
    assert_non_null(e);
    assert_int_equal(e->ndbs, 0);
    e = mt_config_find_env(&cfg, "noprofile");
    assert_string_equal(e->dbs[0].s.host, "plain.example");

    mt_config_release(&cfg);
    mt_config_release(&cfg); /* idempotent */
    mt_config_release(NULL);
    assert_int_equal(cfg.nenvs, 0);
}

static void test_parse_empty(void **state)
{
    static const char *const empties[] = {"", "# only a comment\n", "---\n", "~\n", "---\n...\n",
                                          "\xEF\xBB\xBF# bom\n", "defaults:\nenvironments:\n"};
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
        struct mt_config cfg;
        struct mt_err err = MT_ERR_INIT;
        assert_int_equal(parse(empties[i], &cfg, &err), 0);
        assert_int_equal(cfg.nenvs, 0);
        assert_null(cfg.defaults.region);
        mt_config_release(&cfg);
    }
}

static void test_parse_engines(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"mysql", "mysql"},        {"mariadb", "mariadb"},         {"postgres", "postgres"},
        {"aurora-mysql", "mysql"}, {"aurora", "mysql"},            {"aurora-postgresql", "postgres"},
        {"postgresql", "postgres"}, {"pg", "postgres"},            {"PostgreSQL", "postgres"},
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[128];
        struct mt_config cfg;
        struct mt_err err = MT_ERR_INIT;
        snprintf(text, sizeof(text), "defaults:\n  engine: %s\n", cases[i].in);
        assert_int_equal(parse(text, &cfg, &err), 0);
        assert_string_equal(cfg.defaults.engine, cases[i].out);
        mt_config_release(&cfg);
    }
    assert_int_equal(mt_config_engine_port("postgres"), 5432);
    assert_int_equal(mt_config_engine_port("mariadb"), 3306);
    assert_null(mt_config_engine("oracle"));
}

/* ---- errors: exact file:line:column and MT_E_CONFIG ---- */

static const struct {
    const char *name, *yaml, *msg;
} error_cases[] = {
    {"malformed: unclosed flow", "defaults:\n  other: [a\n",
     F ":3:1: invalid yaml: did not find expected ',' or ']' (while parsing a flow sequence at "
       "line 2)"},
    {"malformed: bad indent", "defaults:\n  region: x\n bad: y\n",
     F ":3:2: invalid yaml: did not find expected key (while parsing a block mapping at line 1)"},
    {"malformed: tab indent", "defaults:\n\tregion: x\n",
     F ":2:1: invalid yaml: found character that cannot start any token (while scanning for the "
       "next token at line 2)"},
    {"malformed: bad utf-8", "defaults:\n  region: \"\xff\"\n",
     F ":2:12: invalid yaml: invalid leading UTF-8 octet (byte 0xff)"},
    {"malformed: control char", "defaults:\n  user: a\x01\n",
     F ":2:10: invalid yaml: control characters are not allowed (byte 0x01)"},
    {"top level is a sequence", "- a\n- b\n",
     F ":1:1: the top level must be a mapping (defaults:, environments:), not a sequence"},
    {"top level is a string", "hello\n",
     F ":1:1: the top level must be a mapping (defaults:, environments:), not a scalar"},
    {"two documents", "defaults: {}\n---\ndefaults: {}\n",
     F ":2:1: only one yaml document per file is supported"},
    {"string is a mapping", "defaults:\n  region:\n    a: b\n",
     F ":3:5: 'region' must be a string, not a mapping"},
    {"string is a sequence", "defaults:\n  profile: [a]\n",
     F ":2:12: 'profile' must be a string, not a sequence"},
    {"defaults is a string", "defaults: eu-west-1\n",
     F ":1:11: expected a mapping of settings in defaults, not a scalar"},
    {"environments is a sequence", "environments:\n  - prod\n",
     F ":2:3: 'environments' must be a mapping of environment names, not a sequence"},
    {"databases is a sequence", "environments:\n  p:\n    databases: [a]\n",
     F ":3:16: 'databases' must be a mapping of database names, not a sequence"},
    {"database is a string", "environments:\n  p:\n    databases:\n      d: host\n",
     F ":4:10: expected a mapping of settings in database 'd', not a scalar"},
    {"port not a number", "defaults:\n  port: abc\n",
     F ":2:9: 'port' must be an integer from 1 to 65535"},
    {"port zero", "defaults:\n  port: 0\n", F ":2:9: 'port' must be an integer from 1 to 65535"},
    {"port too big", "defaults:\n  port: 65536\n",
     F ":2:9: 'port' must be an integer from 1 to 65535"},
    {"port huge", "defaults:\n  port: 99999999999999999999999\n",
     F ":2:9: 'port' must be an integer from 1 to 65535"},
    {"port quoted", "defaults:\n  port: \"3306\"\n",
     F ":2:9: 'port' must be an integer from 1 to 65535"},
    {"port octal-looking", "defaults:\n  port: 03306\n",
     F ":2:9: 'port' must be an integer from 1 to 65535"},
    {"port negative", "defaults:\n  port: -1\n",
     F ":2:9: 'port' must be an integer from 1 to 65535"},
    {"port float", "defaults:\n  port: 3306.0\n",
     F ":2:9: 'port' must be an integer from 1 to 65535"},
    {"port mapping", "defaults:\n  port: {a: 1}\n",
     F ":2:9: 'port' must be an integer from 1 to 65535"},
    {"connect_port range",
     "environments:\n  p:\n    databases:\n      d:\n        connect_port: 70000\n",
     F ":5:23: 'connect_port' must be an integer from 1 to 65535"},
    {"clipboard_clear negative", "defaults:\n  clipboard_clear: -5\n",
     F ":2:20: 'clipboard_clear' must be a whole number of seconds (0 or more)"},
    {"clipboard_clear overflow", "defaults:\n  clipboard_clear: 2147483648\n",
     F ":2:20: 'clipboard_clear' must be a whole number of seconds (0 or more)"},
    {"unknown engine", "defaults:\n  engine: oracle\n",
     F ":2:11: unknown engine 'oracle' (expected mysql, mariadb, postgres, dsql, elasticache (valkey, redis) or memorydb)"},
    {"duplicate key in defaults", "defaults:\n  region: a\n  user: u\n  region: b\n",
     F ":4:3: duplicate key 'region' (first at line 2)"},
    {"duplicate top key", "defaults: {}\nenvironments: {}\ndefaults: {}\n",
     F ":3:1: duplicate key 'defaults' (first at line 1)"},
    {"duplicate environment", "environments:\n  a: {}\n  b: {}\n  a: {}\n",
     F ":4:3: duplicate environment 'a' (first at line 2)"},
    {"duplicate database",
     "environments:\n  p:\n    databases:\n      x: {}\n      y: {}\n      x: {}\n",
     F ":6:7: duplicate database 'x' in environment 'p' (first at line 4)"},
    {"duplicate databases key", "environments:\n  p:\n    databases: {}\n    databases: {}\n",
     F ":4:5: duplicate key 'databases' (first at line 3)"},
    {"alias clashes with a name", "environments:\n  prod: {}\n  production:\n    aliases: [prod]\n",
     F ":4:15: alias 'prod' of environment 'production' clashes with the name of environment "
       "'prod' (line 2)"},
    {"alias clashes with an alias",
     "environments:\n  a:\n    aliases: [x, p]\n  b:\n    aliases: [q, p]\n",
     F ":5:18: alias 'p' of environment 'b' clashes with an alias of environment 'a' (line 3)"},
    {"name clashes with an earlier alias", "environments:\n  a:\n    aliases: [p]\n  p: {}\n",
     F ":4:3: environment 'p' clashes with an alias of environment 'a' (line 3)"},
    {"aliases is a string", "environments:\n  a:\n    aliases: prod\n",
     F ":3:14: 'aliases' must be a sequence of strings, not a scalar (write [name])"},
    {"alias is a mapping", "environments:\n  a:\n    aliases:\n      - {x: y}\n",
     F ":4:9: an alias must be a non-empty string"},
    {"alias is empty", "environments:\n  a:\n    aliases: [\"\"]\n",
     F ":3:15: an alias must be a non-empty string"},
    {"host on an environment", "environments:\n  a:\n    host: h\n",
     F ":3:5: 'host' can only be set on a database"},
    {"name in defaults", "defaults:\n  name: n\n", F ":2:3: 'name' can only be set on a database"},
    {"connect_host in defaults", "defaults:\n  connect_host: h\n",
     F ":2:3: 'connect_host' can only be set on a database"},
    {"databases in defaults", "defaults:\n  databases: {}\n",
     F ":2:3: 'databases' can only be set on an environment"},
    {"aliases on a database",
     "environments:\n  a:\n    databases:\n      d:\n        aliases: [x]\n",
     F ":5:9: 'aliases' can only be set on an environment"},
    {"yaml alias", "defaults: &d\n  region: x\n",
     F ":1:11: yaml anchors (&name) are not supported"},
    {"yaml alias use", "defaults:\n  region: *r\n",
     F ":2:11: yaml aliases (*name) are not supported"},
    {"yaml merge key", "environments:\n  a:\n    <<: *base\n",
     F ":3:9: yaml aliases (*name) are not supported"},
    {"yaml tag", "defaults:\n  port: !!int 3306\n",
     F ":2:9: yaml tags (tag:yaml.org,2002:int) are not supported"},
    {"complex key", "defaults:\n  ? [a, b]\n  : c\n",
     F ":2:5: mapping keys must be strings, not a sequence"},
    {"NUL in a value", "defaults:\n  region: \"eu\\0west\"\n",
     F ":2:11: 'region' contains a NUL character"},
    {"NUL in a key", "environments:\n  \"a\\0b\": {}\n", F ":2:3: key contains a NUL character"},
    {"empty environment name", "environments:\n  \"\": {}\n", F ":2:3: empty environment name"},
    {"empty database name", "environments:\n  a:\n    databases:\n      \"\": {}\n",
     F ":4:7: empty database name"},
    {"error after multibyte text", "defaults:\n  user: \"ü\": x\n",
     F ":2:12: invalid yaml: mapping values are not allowed in this context"}, /* chars */
};

static void test_parse_errors(void **state)
{
    size_t i;
    int failed = 0;
    (void)state;

    for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        struct mt_config cfg;
        struct mt_err err = MT_ERR_INIT;
        int rc = parse(error_cases[i].yaml, &cfg, &err);
        if (rc != -1 || err.code != MT_E_CONFIG || strcmp(err.msg, error_cases[i].msg) != 0) {
            print_error("case '%s': rc %d code %d\n   got: %s\nwanted: %s\n", error_cases[i].name,
                        rc, err.code, err.msg, error_cases[i].msg);
            failed++;
        }
        mt_config_release(&cfg);
    }
    assert_int_equal(failed, 0);
}

static void test_parse_nul_in_input(void **state)
{
    static const char text[] = "defaults:\n  region: a\0b\n";
    struct mt_config cfg;
    struct mt_err err = MT_ERR_INIT;
    (void)state;

    assert_int_equal(mt_config_parse(text, sizeof(text) - 1, F, &cfg, &err), -1);
    assert_int_equal(err.code, MT_E_CONFIG);
    assert_string_equal(err.msg,
                        F ":2:12: invalid yaml: control characters are not allowed (byte 0x00)");
    mt_config_release(&cfg);
}

static void test_parse_warnings(void **state)
{
    static const char text[] = "defaults:\n"
                               "  regoin: eu-west-1\n"
                               "  colour: blue\n"
                               "enviroments:\n"
                               "  x: {}\n"
                               "environments:\n"
                               "  prod:\n"
                               "    databases:\n"
                               "      orders:\n"
                               "        hots: h\n"
                               "        extra: {deep: [1, {a: [2]}]}\n";
    struct mt_config cfg;
    struct mt_err err = MT_ERR_INIT;
    (void)state;

    assert_int_equal(parse(text, &cfg, &err), 0);
    assert_int_equal(cfg.nwarnings, 5);
    assert_int_equal(cfg.warnings[0].line, 2);
    assert_int_equal(cfg.warnings[0].col, 3);
    assert_string_equal(cfg.warnings[0].msg,
                        F ":2:3: unknown key 'regoin' in defaults (did you mean 'region'?)");
    assert_string_equal(cfg.warnings[1].msg, F ":3:3: unknown key 'colour' in defaults");
    assert_string_equal(cfg.warnings[2].msg,
                        F ":4:1: unknown key 'enviroments' at the top level (did you mean "
                          "'environments'?)");
    assert_string_equal(cfg.warnings[3].msg,
                        F ":10:9: unknown key 'hots' in database 'orders' (did you mean 'host'?)");
    assert_string_equal(cfg.warnings[4].msg, F ":11:9: unknown key 'extra' in database 'orders'");
    assert_non_null(mt_config_find_db(mt_config_find_env(&cfg, "prod"), "orders"));
    mt_config_release(&cfg);
}

static void test_parse_nulls_are_unset(void **state)
{
    static const char text[] = "defaults:\n  region:\n  profile: ~\n  user: null\n  port:\n"
                               "environments:\n  a:\n    aliases:\n    databases:\n";
    struct mt_config cfg;
    struct mt_err err = MT_ERR_INIT;
    (void)state;

    assert_int_equal(parse(text, &cfg, &err), 0);
    assert_null(cfg.defaults.region);
    assert_null(cfg.defaults.profile);
    assert_null(cfg.defaults.user);
    assert_int_equal(cfg.defaults.port, -1);
    assert_int_equal(cfg.envs[0].naliases, 0);
    mt_config_release(&cfg);
}

static void test_parse_own_alias_ok(void **state)
{
    static const char text[] = "environments:\n  a:\n    aliases: [a, b, b]\n";
    struct mt_config cfg;
    struct mt_err err = MT_ERR_INIT;
    (void)state;

    assert_int_equal(parse(text, &cfg, &err), 0);
    assert_ptr_equal(mt_config_find_env(&cfg, "b"), &cfg.envs[0]);
    mt_config_release(&cfg);
}

/* ---- 2,000 databases ---- */

static char *gen_config(int ndb, size_t *len)
{
    struct mt_buf b = MT_BUF_INIT;
    int envs = 20, per = ndb / envs, e, d, ok = 1;

    ok &= mt_buf_adds(&b, "defaults:\n  region: eu-west-1\n  profile: engineer\n  engine: mysql\n"
                          "  clipboard_clear: 45\nenvironments:\n") == 0;
    for (e = 0; e < envs; e++) {
        ok &= mt_buf_addf(&b,
                          "  env%d:\n    aliases: [e%d, environment-%d]\n    profile: prof-%d\n"
                          "    user: user_%d\n    databases:\n",
                          e, e, e, e, e) == 0;
        for (d = 0; d < per; d++)
            ok &= mt_buf_addf(&b,
                              "      db%04d:\n        host: db%04d.cluster-abc123.eu-west-1.rds."
                              "amazonaws.com\n        port: 3306\n        name: db_%d\n",
                              d, d, d) == 0;
    }
    if (!ok) {
        mt_buf_release(&b);
        return NULL;
    }
    *len = b.len;
    return mt_buf_detach(&b);
}

static double parse_ms(const char *text, size_t len, int iters)
{
    struct timespec a, c;
    int i;

    clock_gettime(CLOCK_MONOTONIC, &a);
    for (i = 0; i < iters; i++) {
        struct mt_config cfg;
        struct mt_err err = MT_ERR_INIT;
        if (mt_config_parse(text, len, "bench.yaml", &cfg, &err) < 0)
            return -1;
        mt_config_release(&cfg);
    }
    clock_gettime(CLOCK_MONOTONIC, &c);
    return ((double)(c.tv_sec - a.tv_sec) * 1e3 + (double)(c.tv_nsec - a.tv_nsec) / 1e6) / iters;
}

static void test_parse_2000_databases(void **state)
{
    size_t len = 0;
    char *text = gen_config(2000, &len);
    struct mt_config cfg;
    struct mt_err err = MT_ERR_INIT;
    const struct mt_cfg_env *e;
    double ms;
    (void)state;

    assert_non_null(text);
    assert_int_equal(mt_config_parse(text, len, "big.yaml", &cfg, &err), 0);
    assert_int_equal(cfg.nenvs, 20);
    e = mt_config_find_env(&cfg, "environment-19");
    assert_non_null(e);
    assert_int_equal(e->ndbs, 100);
    assert_string_equal(mt_config_find_db(e, "db0099")->s.name, "db_99");
    mt_config_release(&cfg);
    ms = parse_ms(text, len, 5);
    assert_true(ms >= 0);
    print_message("parse of 2,000 databases (%zu bytes): %.3f ms\n", len, ms);
    free(text);
}

/* ---- resolution ---- */

struct fixture {
    struct mt_config cfg;
};

static int setup_full(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct mt_err err = MT_ERR_INIT;

    if (!f || parse(full_yaml, &f->cfg, &err) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown_full(void **state)
{
    struct fixture *f = *state;
    mt_config_release(&f->cfg);
    free(f);
    return 0;
}

static const char *profile_region_cb(void *ctx, const char *profile)
{
    int *calls = ctx;
    (*calls)++;
    return strcmp(profile, "dev") == 0 ? "sa-east-1" : NULL;
}

static void test_resolve_inheritance(void **state)
{
    struct fixture *f = *state;
    struct mt_resolve_in in;
    struct mt_target t;
    struct mt_err err = MT_ERR_INIT;

    mt_resolve_in_init(&in);
    in.cfg = &f->cfg;
    in.env = "prod";
    in.database = "orders";
    in.home = "/home/u/";
    in.aws_profile = "dev";
    in.aws_region = "us-west-2";
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.env, "production"); /* canonical name, not the alias */
    assert_string_equal(t.database, "orders");
    assert_string_equal(t.host, "orders.cluster-abc123.eu-central-1.rds.amazonaws.com");
    assert_int_equal(t.port, 3307);
    assert_string_equal(t.user, "prod_engineer");          /* environment */
    assert_string_equal(t.engine, "mysql");                /* defaults */
    assert_string_equal(t.name, "orders");
    assert_string_equal(t.ca_bundle, "/home/u/.mytools/rds.pem");
    assert_string_equal(t.clipboard, "off");
    assert_int_equal(t.clipboard_clear, 45);
    assert_string_equal(t.connect_host, "127.0.0.1");
    assert_int_equal(t.connect_port, 13306);
    /* AWS_PROFILE=dev must not win over the config's profile */
    assert_string_equal(t.profile, "prod-engineer");
    assert_string_equal(t.profile_source, "environment");
    assert_int_equal(t.profile_from_config_or_flag, 1);
    /* the host name knows better than defaults.region and AWS_REGION */
    assert_string_equal(t.region, "eu-central-1");
    assert_string_equal(t.region_source, "host name");
    mt_target_release(&t);
    mt_target_release(&t);
    mt_target_release(NULL);

    /* database-level settings beat the environment's */
    in.database = "payments";
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.user, "prod_payments_ro");
    assert_string_equal(t.engine, "postgres");
    assert_int_equal(t.port, 5432); /* default from the engine */
    assert_string_equal(t.connect_host, t.host);
    assert_int_equal(t.connect_port, 5432);
    assert_null(t.name);
    mt_target_release(&t);

    /* flags beat everything */
    in.database = "orders";
    in.user = "flag_user";
    in.port = 4000;
    in.engine = "pg";
    in.host = "other.cluster-z.us-east-1.rds.amazonaws.com";
    in.connect_host = "localhost";
    in.connect_port = 5000;
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.user, "flag_user");
    assert_int_equal(t.port, 4000);
    assert_string_equal(t.engine, "postgres");
    assert_string_equal(t.host, "other.cluster-z.us-east-1.rds.amazonaws.com");
    assert_string_equal(t.region, "us-east-1");
    assert_string_equal(t.connect_host, "localhost");
    assert_int_equal(t.connect_port, 5000);
    mt_target_release(&t);
}

struct region_case {
    const char *name;
    const char *env, *db, *host, *region_flag, *aws_region, *aws_default_region, *profile_region;
    int use_cb;
    const char *want, *want_src;
};

static const char region_yaml[] = "defaults:\n  region: def-region-1\n  user: u\n"
                                  "environments:\n"
                                  "  withregion:\n    region: env-region-1\n    databases:\n"
                                  "      rds: {host: a.b.eu-north-1.rds.amazonaws.com}\n"
                                  "      own: {host: a.b.eu-north-1.rds.amazonaws.com, region: "
                                  "db-region-1}\n"
                                  "  plain:\n    databases:\n"
                                  "      rds: {host: a.b.eu-north-1.rds.amazonaws.com}\n"
                                  "      cn: {host: x.y.CN-NORTHWEST-1.rds.amazonaws.com.cn.}\n"
                                  "      other: {host: db.example.com}\n";

static void test_resolve_region_precedence(void **state)
{
    static const struct region_case cases[] = {
        {"--region wins", "withregion", "own", NULL, "flag-1", "r-1", "d-1", "p-1", 0, "flag-1",
         "--region"},
        {"database region", "withregion", "own", NULL, NULL, "r-1", "d-1", "p-1", 0, "db-region-1",
         "database"},
        {"environment region beats host", "withregion", "rds", NULL, NULL, "r-1", NULL, NULL, 0,
         "env-region-1", "environment"},
        {"host beats defaults", "plain", "rds", NULL, NULL, "r-1", NULL, NULL, 0, "eu-north-1",
         "host name"},
        {"host .com.cn", "plain", "cn", NULL, NULL, NULL, NULL, NULL, 0, "cn-northwest-1",
         "host name"},
        {"defaults beat AWS_REGION", "plain", "other", NULL, NULL, "r-1", NULL, NULL, 0,
         "def-region-1", "defaults"},
        {"--host: host region", NULL, NULL, "h.x.ap-south-1.rds.amazonaws.com", NULL, "r-1", NULL,
         NULL, 0, "ap-south-1", "host name"},
    };
    struct mt_config cfg;
    struct mt_err err = MT_ERR_INIT;
    size_t i;
    (void)state;

    assert_int_equal(parse(region_yaml, &cfg, &err), 0);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mt_resolve_in in;
        struct mt_target t;
        mt_resolve_in_init(&in);
        in.cfg = &cfg;
        in.env = cases[i].env;
        in.database = cases[i].db;
        in.host = cases[i].host;
        in.user = cases[i].host ? "u" : NULL;
        in.region = cases[i].region_flag;
        in.aws_region = cases[i].aws_region;
        in.aws_default_region = cases[i].aws_default_region;
        in.profile_region = cases[i].profile_region;
        if (mt_resolve_target(&in, &t, &err) < 0)
            fail_msg("case '%s': %s", cases[i].name, err.msg);
        if (strcmp(t.region, cases[i].want) != 0 || strcmp(t.region_source, cases[i].want_src))
            fail_msg("case '%s': got %s from %s", cases[i].name, t.region, t.region_source);
        mt_target_release(&t);
    }
    mt_config_release(&cfg);
}

static void test_resolve_region_env_chain(void **state)
{
    struct mt_config cfg;
    struct mt_resolve_in in;
    struct mt_target t;
    struct mt_err err = MT_ERR_INIT;
    int calls = 0;
    (void)state;

    mt_config_init(&cfg); /* empty config, --host mode */
    mt_resolve_in_init(&in);
    in.cfg = &cfg;
    in.host = "db.example.com";
    in.user = "u";
    in.aws_region = "r-1";
    in.aws_default_region = "d-1";
    in.profile_region = "p-1";
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.region, "r-1");
    assert_string_equal(t.region_source, "AWS_REGION");
    mt_target_release(&t);

    in.aws_region = ""; /* empty counts as unset */
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.region_source, "AWS_DEFAULT_REGION");
    mt_target_release(&t);

    in.aws_default_region = NULL;
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.region, "p-1");
    assert_string_equal(t.region_source, "profile");
    mt_target_release(&t);

    /* the callback is asked with the resolved profile, only when needed */
    in.profile_region = NULL;
    in.profile_region_fn = profile_region_cb;
    in.profile_region_ctx = &calls;
    in.aws_profile = "dev";
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.region, "sa-east-1");
    assert_string_equal(t.profile, "dev");
    assert_string_equal(t.profile_source, "AWS_PROFILE");
    assert_int_equal(t.profile_from_config_or_flag, 0);
    assert_int_equal(calls, 1);
    mt_target_release(&t);
    in.region = "eu-west-3";
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_int_equal(calls, 1);
    mt_target_release(&t);
    in.region = NULL;

    /* nothing anywhere */
    in.aws_profile = NULL;
    assert_int_equal(mt_resolve_target(&in, &t, &err), -1);
    assert_int_equal(err.code, MT_E_CONFIG);
    assert_string_equal(err.msg, "no region for host 'db.example.com'");
    assert_string_equal(err.hint, "set 'region:' in ~/.mytools.yaml, pass --region, or set "
                                  "AWS_REGION");
    assert_int_equal(calls, 2);
    assert_null(t.host); /* released on failure */
}

static void test_resolve_profile_precedence(void **state)
{
    static const char text[] = "defaults:\n  profile: def\n  region: r\n  user: u\n"
                               "environments:\n"
                               "  e:\n    profile: envp\n    databases:\n"
                               "      withp: {host: h, profile: dbp}\n"
                               "      nop: {host: h}\n";
    static const char text_nodef[] = "environments:\n  e:\n    region: r\n    user: u\n"
                                     "    databases:\n      d: {host: h}\n";
    struct mt_config cfg, cfg2;
    struct mt_resolve_in in;
    struct mt_target t;
    struct mt_err err = MT_ERR_INIT;
    (void)state;

    assert_int_equal(parse(text, &cfg, &err), 0);
    assert_int_equal(parse(text_nodef, &cfg2, &err), 0);
    mt_resolve_in_init(&in);
    in.cfg = &cfg;
    in.env = "e";
    in.database = "withp";
    in.aws_profile = "dev";

    in.profile = "flagp";
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.profile, "flagp");
    assert_string_equal(t.profile_source, "--profile");
    assert_int_equal(t.profile_from_config_or_flag, 1);
    mt_target_release(&t);

    in.profile = NULL;
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.profile, "dbp");
    assert_string_equal(t.profile_source, "database");
    mt_target_release(&t);

    in.database = "nop";
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.profile, "envp");
    mt_target_release(&t);

    in.env = NULL; /* --host mode: defaults.profile still beats AWS_PROFILE */
    in.database = NULL;
    in.host = "h2";
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.profile, "def");
    assert_string_equal(t.profile_source, "defaults");
    assert_int_equal(t.profile_from_config_or_flag, 1);
    assert_string_equal(t.user, "u"); /* defaults.user */
    assert_null(t.database);
    mt_target_release(&t);

    in.cfg = &cfg2;
    in.env = "e";
    in.database = "d";
    in.host = NULL;
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.profile, "dev");
    assert_string_equal(t.profile_source, "AWS_PROFILE");
    assert_int_equal(t.profile_from_config_or_flag, 0);
    mt_target_release(&t);

    in.aws_profile = NULL;
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.profile, "default");
    assert_string_equal(t.profile_source, "default");
    assert_int_equal(t.profile_from_config_or_flag, 0);
    mt_target_release(&t);

    mt_config_release(&cfg);
    mt_config_release(&cfg2);
}

static void test_resolve_errors(void **state)
{
    static const struct {
        const char *name, *env, *db, *host, *user, *engine;
        int port;
        enum mt_errc code;
        const char *msg, *hint;
    } cases[] = {
        {"nothing", NULL, NULL, NULL, NULL, NULL, -1, MT_E_USAGE,
         "missing --env and --database (or --host and --user)", ""},
        {"env only", "production", NULL, NULL, NULL, NULL, -1, MT_E_USAGE, "missing --database",
         ""},
        {"database only", NULL, "orders", NULL, NULL, NULL, -1, MT_E_USAGE,
         "--database needs --env", ""},
        {"host without user", NULL, NULL, "h", NULL, NULL, -1, MT_E_USAGE,
         "missing --user for --host", ""},
        {"unknown env", "prodd", "x", NULL, NULL, NULL, -1, MT_E_CONFIG,
         "unknown environment 'prodd' (known: production, staging, empty, noprofile)",
         "did you mean 'prod'?"},
        {"unknown db", "stg", "order", NULL, NULL, NULL, -1, MT_E_CONFIG,
         "unknown database 'order' in environment 'staging' (known: orders)",
         "did you mean 'orders'?"},
        {"env without dbs", "empty", "x", NULL, NULL, NULL, -1, MT_E_CONFIG,
         "unknown database 'x' (environment 'empty' has no databases)", ""},
        {"bad engine flag", NULL, NULL, "h", "u", "oracle", -1, MT_E_USAGE,
         "unknown engine 'oracle' (expected mysql, mariadb, postgres, dsql, elasticache (valkey, redis) or memorydb)", ""},
        {"bad port flag", NULL, NULL, "h", "u", NULL, 70000, MT_E_USAGE,
         "port must be from 1 to 65535", ""},
    };
    struct fixture *f = *state;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mt_resolve_in in;
        struct mt_target t;
        struct mt_err err = MT_ERR_INIT;
        mt_resolve_in_init(&in);
        in.cfg = &f->cfg;
        in.env = cases[i].env;
        in.database = cases[i].db;
        in.host = cases[i].host;
        in.user = cases[i].user;
        in.engine = cases[i].engine;
        in.port = cases[i].port;
        in.region = "r";
        if (mt_resolve_target(&in, &t, &err) != -1 || err.code != cases[i].code ||
            strcmp(err.msg, cases[i].msg) != 0 || strcmp(err.hint, cases[i].hint) != 0)
            fail_msg("case '%s': code %d\n   got: %s / %s\nwanted: %s / %s", cases[i].name,
                     err.code, err.msg, err.hint, cases[i].msg, cases[i].hint);
        mt_target_release(&t);
    }
}

static void test_resolve_missing_host_and_user(void **state)
{
    static const char text[] = "environments:\n  e:\n    region: r\n    databases:\n"
                               "      nohost: {user: u}\n      nouser: {host: h}\n";
    struct mt_config cfg;
    struct mt_resolve_in in;
    struct mt_target t;
    struct mt_err err = MT_ERR_INIT;
    (void)state;

    assert_int_equal(parse(text, &cfg, &err), 0);
    mt_resolve_in_init(&in);
    in.cfg = &cfg;
    in.env = "e";
    in.database = "nohost";
    assert_int_equal(mt_resolve_target(&in, &t, &err), -1);
    assert_int_equal(err.code, MT_E_CONFIG);
    assert_string_equal(err.msg, "no host for database 'nohost' in environment 'e'");
    assert_string_equal(err.hint, "add 'host:' to the database in " F ", or pass --host");
    in.database = "nouser";
    assert_int_equal(mt_resolve_target(&in, &t, &err), -1);
    assert_int_equal(err.code, MT_E_CONFIG);
    assert_string_equal(err.msg, "no database user for database 'nouser' in environment 'e'");
    mt_config_release(&cfg);
}

static void test_resolve_no_config(void **state)
{
    struct mt_resolve_in in;
    struct mt_target t;
    struct mt_err err = MT_ERR_INIT;
    (void)state;

    mt_resolve_in_init(&in); /* cfg NULL: --host works, --env does not */
    in.host = "h";
    in.user = "u";
    in.region = "r";
    in.home = "/h";
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.engine, "mysql");
    assert_int_equal(t.port, 3306);
    assert_null(t.env);
    assert_null(t.ca_bundle);
    assert_null(t.clipboard);
    assert_int_equal(t.clipboard_clear, -1);
    mt_target_release(&t);
    in.env = "x";
    in.database = "y";
    assert_int_equal(mt_resolve_target(&in, &t, &err), -1);
    assert_int_equal(err.code, MT_E_CONFIG);
    assert_string_equal(err.msg, "unknown environment 'x' (the config defines none)");
}

static void test_resolve_unknown_db_long_list(void **state)
{
    size_t len = 0;
    char *text = gen_config(2000, &len);
    struct mt_config cfg;
    struct mt_resolve_in in;
    struct mt_target t;
    struct mt_err err = MT_ERR_INIT;
    (void)state;

    assert_int_equal(mt_config_parse(text, len, "big.yaml", &cfg, &err), 0);
    mt_resolve_in_init(&in);
    in.cfg = &cfg;
    in.env = "e3";
    in.database = "nope";
    assert_int_equal(mt_resolve_target(&in, &t, &err), -1);
    assert_string_equal(err.msg, "unknown database 'nope' in environment 'env3' (known: db0000, "
                                 "db0001, db0002, db0003, db0004, db0005, db0006, db0007, ... 92 "
                                 "more)");
    in.database = "db0042";
    assert_int_equal(mt_resolve_target(&in, &t, &err), 0);
    assert_string_equal(t.region, "eu-west-1");
    assert_string_equal(t.region_source, "host name");
    assert_string_equal(t.profile, "prof-3");
    mt_target_release(&t);
    mt_config_release(&cfg);
    free(text);
}

static void test_rds_host_region(void **state)
{
    static const struct {
        const char *host, *want;
    } cases[] = {
        {"orders.cluster-abc123.eu-west-1.rds.amazonaws.com", "eu-west-1"},
        {"orders.cluster-ro-abc123.us-gov-west-1.rds.amazonaws.com", "us-gov-west-1"},
        {"mydb.abc.cn-north-1.rds.amazonaws.com.cn", "cn-north-1"},
        {"MyDB.ABC.EU-CENTRAL-1.RDS.AMAZONAWS.COM", "eu-central-1"},
        {"db.abc.ap-southeast-2.rds.amazonaws.com.", "ap-southeast-2"},
        {"proxy.proxy-abc.us-east-1.rds.amazonaws.com", "us-east-1"},
        {"eu-west-1.rds.amazonaws.com", NULL},
        {".eu-west-1.rds.amazonaws.com", NULL},
        {"rds.amazonaws.com", NULL},
        {"db.example.com", NULL},
        {"db.abc.eu-west-1.rds.amazonaws.com.evil.com", NULL},
        {"db.abc.notaregion.rds.amazonaws.com", NULL},
        {"db.abc.eu_west-1.rds.amazonaws.com", NULL},
        {"db.abc.eu-west-x.rds.amazonaws.com", NULL},
        {"", NULL},
        {"127.0.0.1", NULL},
    };
    size_t i;
    char out[40], small[5];
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = mt_rds_host_region(cases[i].host, out, sizeof(out));
        if (cases[i].want == NULL) {
            if (rc != -1)
                fail_msg("'%s' gave %s", cases[i].host, out);
        } else if (rc != 0 || strcmp(out, cases[i].want) != 0) {
            fail_msg("'%s': rc %d", cases[i].host, rc);
        }
    }
    assert_int_equal(mt_rds_host_region(NULL, out, sizeof(out)), -1);
    assert_int_equal(mt_rds_host_region(cases[0].host, small, sizeof(small)), -1);
}

static void test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(mt_cfg_edit_distance("region", "regoin", 2), 2);
    assert_int_equal(mt_cfg_edit_distance("host", "hots", 2), 2);
    assert_int_equal(mt_cfg_edit_distance("host", "host", 2), 0);
    assert_int_equal(mt_cfg_edit_distance("a", "abcdef", 2), 3);
}

static int bench(int ndb)
{
    size_t len = 0;
    char *text = gen_config(ndb, &len);
    double best = 1e9;
    int r;

    if (!text)
        return 1;
    parse_ms(text, len, 20); /* warm up */
    for (r = 0; r < 10; r++) {
        double ms = parse_ms(text, len, 50);
        if (ms < 0)
            return 1;
        if (ms < best)
            best = ms;
    }
    printf("mt_config_parse: %d databases, %zu bytes: %.3f ms per parse (best of 10 x 50)\n", ndb,
           len, best);
    free(text);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_full),
        cmocka_unit_test(test_parse_empty),
        cmocka_unit_test(test_parse_engines),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_nul_in_input),
        cmocka_unit_test(test_parse_warnings),
        cmocka_unit_test(test_parse_nulls_are_unset),
        cmocka_unit_test(test_parse_own_alias_ok),
        cmocka_unit_test(test_parse_2000_databases),
        cmocka_unit_test_setup_teardown(test_resolve_inheritance, setup_full, teardown_full),
        cmocka_unit_test(test_resolve_region_precedence),
        cmocka_unit_test(test_resolve_region_env_chain),
        cmocka_unit_test(test_resolve_profile_precedence),
        cmocka_unit_test_setup_teardown(test_resolve_errors, setup_full, teardown_full),
        cmocka_unit_test(test_resolve_missing_host_and_user),
        cmocka_unit_test(test_resolve_no_config),
        cmocka_unit_test(test_resolve_unknown_db_long_list),
        cmocka_unit_test(test_rds_host_region),
        cmocka_unit_test(test_edit_distance),
    };

    if (argc > 1 && strcmp(argv[1], "--bench") == 0)
        return bench(argc > 2 ? (int)strtol(argv[2], NULL, 10) : 2000);
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
