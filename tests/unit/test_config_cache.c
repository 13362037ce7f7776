/* test_config_cache.c - the binary parse cache of ~/.mytools.yaml: the pure codec (config/cache.c)
 * and its use by mt_config_load() (config/load.c): keys, staleness, the racy-file rule, fallback
 * on corrupt files, file modes, parse errors never cached, MYTOOLS_NO_CONFIG_CACHE.
 *
 * The load tests share files written (with an old mtime) in the group setup, which then waits
 * MT_CFG_CACHE_RACY_SECS once: a file's ctime cannot be set back, so only a file whose last
 * change is that old may be cached. */
#define _XOPEN_SOURCE 700 /* nftw() */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/file.h"
#include "common/hash.h"
#include "config/config.h"
#include "config/config_int.h"

/* every setting at every level, aliases, nulls, engine aliases, UTF-8, and warnings at all
 * levels (with and without a suggestion) */
static const char rich_yaml[] =
    "defaults:\n"
    "  region: eu-west-1\n"
    "  profile: engineer\n"
    "  engine: aurora-mysql\n"
    "  ca_bundle: ~/.mytools/rds.pem\n"
    "  clipboard: off\n"
    "  clipboard_clear: 45\n"
    "  user: base_user\n"
    "  port: 3306\n"
    "  regoin: typo\n"
    "colour: blue\n"
    "environments:\n"
    "  production:\n"
    "    aliases: [prod, prd]\n"
    "    region: eu-central-1\n"
    "    profile: prod-engineer\n"
    "    engine: mariadb\n"
    "    ca_bundle: /etc/ssl/rds.pem\n"
    "    clipboard: osc52\n"
    "    clipboard_clear: 0\n"
    "    user: prod_engineer\n"
    "    port: 3307\n"
    "    xyzzy: 1\n"
    "    databases:\n"
    "      orders:\n"
    "        host: orders.cluster-abc123.eu-central-1.rds.amazonaws.com\n"
    "        port: 3308\n"
    "        name: orders\n"
    "        connect_host: 127.0.0.1\n"
    "        connect_port: 13306\n"
    "        region: eu-central-1\n"
    "        profile: orders-admin\n"
    "        engine: aurora-postgresql\n"
    "        ca_bundle: ~/ca.pem\n"
    "        clipboard: \"xclip -selection clipboard\"\n"
    "        clipboard_clear: 10\n"
    "        user: \"orders \xC3\xBC\"\n"
    "        hots: typo\n"
    "      payments:\n"
    "        host: payments.cluster-abc123.eu-west-1.rds.amazonaws.com\n"
    "        user: ~\n"
    "  staging:\n"
    "    aliases:\n"
    "      - stg\n"
    "      - staging\n"
    "    databases:\n"
    "      orders: {host: orders.stg.example, port: 5432, engine: pg}\n"
    "  empty:\n"
    "  noalias:\n"
    "    aliases: []\n"
    "    databases: {}\n";

static char tmpdir[64];

static char *tmp_path(const char *name)
{
    static char buf[4][PATH_MAX];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
    return buf[i];
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    size_t n = strlen(text);
    if (!f)
        return -1;
    if (fwrite(text, 1, n, f) != n) {
        fclose(f);
        return -1;
    }
    return fclose(f);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void set_mtime(const char *path, time_t sec)
{
    struct timespec ts[2] = {{sec, 123456789}, {sec, 123456789}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void key_of(const char *path, struct mt_cfg_cache_key *k)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    k->dev = (uint64_t)st.st_dev;
    k->ino = (uint64_t)st.st_ino;
    k->size = (uint64_t)st.st_size;
    k->mtime_sec = st.st_mtim.tv_sec;
    k->mtime_nsec = st.st_mtim.tv_nsec;
    k->ctime_sec = st.st_ctim.tv_sec;
    k->ctime_nsec = st.st_ctim.tv_nsec;
    k->path = path;
}

static const struct mt_cfg_cache_key fixed_key = {1, 2, 3, 1700000000, 5, 1700000001, 6,
                                                  "/home/u/.mytools.yaml"};

static void parse_rich(const char *name, struct mt_config *cfg)
{
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(mt_config_parse(rich_yaml, strlen(rich_yaml), name, cfg, &err), 0);
}

static void encode(const struct mt_config *cfg, const struct mt_cfg_cache_key *k,
                   struct mt_buf *b)
{
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(mt_cfg_cache_encode(cfg, k, b, &err), 0);
}

#define HDR 104 /* cache.c's header length: the stamp starts here */

static uint32_t rd32(const char *p)
{
    const uint8_t *u = (const uint8_t *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void wr64(char *p, uint64_t v)
{
    int i;
    for (i = 0; i < 8; i++)
        p[i] = (char)(v >> (8 * i));
}

static void wr32(char *p, uint32_t v)
{
    int i;
    for (i = 0; i < 4; i++)
        p[i] = (char)(v >> (8 * i));
}

/* both checksums of the header: the stamp + path + head one, and the whole-file one */
static void fix_sum(struct mt_buf *b)
{
    size_t head = (size_t)rd32(b->p + 12) + rd32(b->p + 16) + rd32(b->p + 20);
    if (head <= b->len - HDR)
        wr64(b->p + 96, mt_cfg_cache_sum(b->p + HDR, head));
    wr64(b->p + 88, mt_cfg_cache_sum(b->p + HDR, b->len - HDR));
}

/* ---- the codec ---- */

static void test_cache_roundtrip_rich(void **state)
{
    struct mt_config a, b;
    struct mt_buf buf = MT_BUF_INIT;
    struct mt_err err = MT_ERR_INIT;
    const struct mt_cfg_env *e;
    const struct mt_cfg_db *d;
    size_t i;
    (void)state;

    parse_rich(fixed_key.path, &a);
    assert_int_equal(a.nwarnings, 4); /* regoin, colour, xyzzy, hots */
    encode(&a, &fixed_key, &buf);
    assert_int_equal(mt_cfg_cache_decode(buf.p, buf.len, &fixed_key, 0, &b, &err), 0);
    assert_true(mt_cfg_equal(&a, &b));

    /* a few fields spelled out, so mt_cfg_equal() itself is checked too */
    assert_string_equal(b.path, fixed_key.path);
    assert_string_equal(b.defaults.engine, "mysql");
    assert_int_equal(b.defaults.clipboard_clear, 45);
    assert_int_equal(b.defaults.port, 3306);
    assert_int_equal(b.defaults.connect_port, -1);
    assert_null(b.defaults.host);
    assert_int_equal(b.defaults.line, 2);
    assert_int_equal(b.nenvs, 4);
    e = mt_config_find_env(&b, "prd");
    assert_non_null(e);
    assert_string_equal(e->name, "production");
    assert_int_equal(e->naliases, 2);
    assert_int_equal(e->s.clipboard_clear, 0);
    assert_int_equal(e->s.port, 3307);
    assert_string_equal(e->s.engine, "mariadb");
    d = mt_config_find_db(e, "orders");
    assert_non_null(d);
    assert_int_equal(d->line, a.envs[0].dbs[0].line);
    assert_int_equal(d->col, 7);
    assert_string_equal(d->s.engine, "postgres");
    assert_string_equal(d->s.connect_host, "127.0.0.1");
    assert_int_equal(d->s.connect_port, 13306);
    assert_string_equal(d->s.user, "orders \xC3\xBC");
    assert_string_equal(d->s.clipboard, "xclip -selection clipboard");
    d = mt_config_find_db(e, "payments");
    assert_null(d->s.user);
    assert_int_equal(d->s.port, -1);
    e = mt_config_find_env(&b, "stg");
    assert_int_equal(e->naliases, 2);
    assert_string_equal(e->dbs[0].s.engine, "postgres");
    assert_int_equal(b.envs[2].ndbs, 0);
    assert_int_equal(b.envs[3].naliases, 0);
    for (i = 0; i < a.nwarnings; i++) {
        assert_string_equal(b.warnings[i].msg, a.warnings[i].msg);
        assert_ptr_not_equal(b.warnings[i].msg, a.warnings[i].msg);
        assert_int_equal(b.warnings[i].line, a.warnings[i].line);
        assert_int_equal(b.warnings[i].col, a.warnings[i].col);
    }
    assert_non_null(strstr(b.warnings[0].msg, "/home/u/.mytools.yaml:10:3: unknown key 'regoin'"));
    assert_non_null(strstr(b.warnings[0].msg, "did you mean 'region'?"));

    /* a changed field is noticed by the comparison */
    b.envs[0].dbs[0].s.connect_port = 13307;
    assert_false(mt_cfg_equal(&a, &b));
    mt_config_release(&b);
    mt_config_release(&b);
    mt_config_release(&a);
    mt_buf_release(&buf);
}

static void test_cache_roundtrip_small(void **state)
{
    static const char *const texts[] = {"", "defaults:\n  region: x\n", "environments:\n  e:\n",
                                        "zzz: 1\n"};
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct mt_config a, b;
        struct mt_buf buf = MT_BUF_INIT;
        struct mt_err err = MT_ERR_INIT;
        assert_int_equal(mt_config_parse(texts[i], strlen(texts[i]), "f", &a, &err), 0);
        encode(&a, &(struct mt_cfg_cache_key){0, 0, 0, 0, 0, 0, 0, "f"}, &buf);
        assert_int_equal(mt_cfg_cache_decode(buf.p, buf.len,
                                             &(struct mt_cfg_cache_key){0, 0, 0, 0, 0, 0, 0, "f"},
                                             0, &b, &err),
                         0);
        assert_true(mt_cfg_equal(&a, &b));
        mt_config_release(&a);
        mt_config_release(&b);
        mt_buf_release(&buf);
    }
}

static void test_cache_key_mismatch(void **state)
{
    struct mt_config a, b;
    struct mt_buf buf = MT_BUF_INIT;
    struct mt_err err = MT_ERR_INIT;
    struct mt_cfg_cache_key k;
    int i;
    (void)state;

    parse_rich(fixed_key.path, &a);
    encode(&a, &fixed_key, &buf);
    for (i = 0; i < 9; i++) {
        k = fixed_key;
        switch (i) {
        case 0: k.dev++; break;
        case 1: k.ino++; break;
        case 2: k.size++; break;
        case 3: k.mtime_sec++; break;
        case 4: k.mtime_nsec++; break;
        case 5: k.ctime_sec--; break;
        case 6: k.ctime_nsec++; break;
        case 7: k.path = "/home/u/.mytools.yml"; break;
        default: k.path = "/home/u/.mytools.yaml2"; break;
        }
        mt_err_clear(&err);
        assert_int_equal(mt_cfg_cache_decode(buf.p, buf.len, &k, 0, &b, &err), -1);
        assert_int_equal(err.code, MT_E_CONFIG);
        assert_int_equal(b.nenvs, 0); /* left empty: nothing to release */
        assert_null(b.path);
        assert_null(b.arena);
    }
    /* NULL key: only with MT_CFG_CACHE_ANY_KEY */
    assert_int_equal(mt_cfg_cache_decode(buf.p, buf.len, NULL, 0, &b, &err), -1);
    assert_int_equal(mt_cfg_cache_decode(buf.p, buf.len, NULL, MT_CFG_CACHE_ANY_KEY, &b, &err), 0);
    assert_true(mt_cfg_equal(&a, &b));
    mt_config_release(&b);

    /* another build (stamp), even with a correct checksum */
    buf.p[HDR] ^= 0x20;
    fix_sum(&buf);
    assert_int_equal(mt_cfg_cache_decode(buf.p, buf.len, &fixed_key, 0, &b, &err), -1);
    assert_int_equal(mt_cfg_cache_decode(buf.p, buf.len, &fixed_key, MT_CFG_CACHE_ANY_KEY, &b,
                                         &err),
                     0);
    mt_config_release(&b);
    /* another format version */
    buf.p[HDR] ^= 0x20;
    buf.p[8] = (char)(buf.p[8] + 1); /* whatever the current version is */
    fix_sum(&buf);
    assert_int_equal(mt_cfg_cache_decode(buf.p, buf.len, &fixed_key, MT_CFG_CACHE_ANY_KEY, &b,
                                         &err),
                     -1);
    mt_config_release(&a);
    mt_buf_release(&buf);
}

static void test_cache_stamp(void **state)
{
    char s[1100];
    size_t n = mt_cfg_cache_stamp(s, sizeof(s));
    (void)state;

    assert_int_equal(n, strlen(s));
    assert_true(strncmp(s, "mytools/", 8) == 0);
    assert_non_null(strstr(s, " src:"));
    assert_non_null(strstr(s, " yaml:"));
    assert_non_null(strstr(s, " sizes:"));
    assert_int_equal(mt_cfg_cache_stamp(s, 8), 7);
}

/* every prefix of a valid cache is rejected, and so is every single-bit flip */
static void test_cache_truncation_and_bitflips(void **state)
{
    struct mt_config a, b;
    struct mt_buf buf = MT_BUF_INIT;
    struct mt_err err = MT_ERR_INIT;
    uint8_t *copy;
    size_t i;
    int bit, accepted = 0;
    (void)state;

    parse_rich(fixed_key.path, &a);
    encode(&a, &fixed_key, &buf);
    for (i = 0; i < buf.len; i++) {
        copy = malloc(i ? i : 1); /* exact size, so ASan sees any read past the end */
        assert_non_null(copy);
        memcpy(copy, buf.p, i);
        assert_int_equal(mt_cfg_cache_decode(copy, i, &fixed_key, 0, &b, &err), -1);
        assert_int_equal(mt_cfg_cache_decode(copy, i, NULL,
                                             MT_CFG_CACHE_ANY_KEY | MT_CFG_CACHE_NO_SUM, &b, &err),
                         -1);
        free(copy);
    }
    for (i = 0; i < buf.len; i++)
        for (bit = 0; bit < 8; bit++) {
            buf.p[i] ^= (char)(1 << bit);
            assert_int_equal(mt_cfg_cache_decode(buf.p, buf.len, &fixed_key, 0, &b, &err), -1);
            /* without the checksum and key checks: must not crash; what passes is well-formed */
            if (mt_cfg_cache_decode(buf.p, buf.len, NULL,
                                    MT_CFG_CACHE_ANY_KEY | MT_CFG_CACHE_NO_SUM, &b, &err) == 0) {
                size_t e, j;
                accepted++;
                for (e = 0; e < b.nenvs; e++) {
                    assert_true(b.envs[e].name && *b.envs[e].name);
                    for (j = 0; j < b.envs[e].ndbs; j++) {
                        assert_true(b.envs[e].dbs[j].name && *b.envs[e].dbs[j].name);
                        assert_true(b.envs[e].dbs[j].s.port == -1 ||
                                    (b.envs[e].dbs[j].s.port >= 1 &&
                                     b.envs[e].dbs[j].s.port <= 65535));
                    }
                }
                for (e = 0; e < b.nwarnings; e++)
                    assert_non_null(b.warnings[e].msg);
                mt_config_release(&b);
            }
            buf.p[i] ^= (char)(1 << bit);
        }
    assert_true(accepted > 0); /* e.g. flips inside strings and line numbers */
    /* trailing garbage */
    assert_int_equal(mt_buf_addc(&buf, 0), 0);
    assert_int_equal(mt_cfg_cache_decode(buf.p, buf.len, NULL,
                                         MT_CFG_CACHE_ANY_KEY | MT_CFG_CACHE_NO_SUM, &b, &err),
                     -1);
    mt_config_release(&a);
    mt_buf_release(&buf);
}

/* hand-made payloads: huge counts, bad lengths and sums, values the parser never produces. */
static void b32(struct mt_buf *b, uint32_t v)
{
    char x[4];
    wr32(x, v);
    assert_int_equal(mt_buf_add(b, x, 4), 0);
}

static void b16(struct mt_buf *b, unsigned v)
{
    char x[2] = {(char)(v & 0xFF), (char)(v >> 8)};
    assert_int_equal(mt_buf_add(b, x, 2), 0);
}

static void bstr(struct mt_buf *b, const char *s, size_t n)
{
    b32(b, s ? (uint32_t)n : 0xFFFFFFFFu);
    if (s && n)
        assert_int_equal(mt_buf_add(b, s, n), 0);
}

/* appends a record: length, checksum (broken when bad_sum), bytes */
static void brec(struct mt_buf *b, const struct mt_buf *r, int bad_sum)
{
    char sum[8];
    b32(b, (uint32_t)r->len);
    wr64(sum, mt_cfg_cache_sum(r->p, r->len) ^ (uint64_t)bad_sum);
    assert_int_equal(mt_buf_add(b, sum, 8), 0);
    if (r->len)
        assert_int_equal(mt_buf_add(b, r->p, r->len), 0);
}

/* settings with only mask bits (and what they need), line 1, col 1 */
static void bsettings(struct mt_buf *b, unsigned mask, const char *str, int ival)
{
    unsigned i;
    b16(b, mask);
    for (i = 0; i < 9; i++)
        if (mask & (1u << i))
            bstr(b, str, strlen(str));
    for (i = 9; i < 12; i++)
        if (mask & (1u << i))
            b32(b, (uint32_t)ival);
    if (mask & (1u << 12))
        bstr(b, str, strlen(str));
    for (i = 13; i < 16; i++)
        if (mask & (1u << i))
            b32(b, (uint32_t)ival);
    b32(b, 1);
    b32(b, 1);
}

enum { H_OK, H_BAD_SUM, H_ENV_NO, H_EMPTY_NAME, H_NO_NAME, H_STR_LONG, H_STR_NUL, H_TRAILING,
       H_DB_ENV_NO, H_DB_COUNT, H_DB_BAD_SUM, H_DB_HOST_ON_ENV, H_HOST_DEFAULTS, H_PORT0,
       H_PORT_BIG, H_CLEAR_NEG, H_CACHE_NAME_DEFAULTS, H_ENGINE_PG, H_WARN_NO_MSG, H_HUGE_ENVS,
       H_HUGE_WARNINGS, H_SLOTS_NOT_POW2, H_BODY_TOO_LONG, H_COUNT };

/* One environment "e" with one database "d" (unless the case breaks it), no index. */
static void hostile_case(int c, struct mt_buf *head, struct mt_buf *body, uint32_t *eslots)
{
    struct mt_buf r = MT_BUF_INIT;
    int ndbs = c == H_DB_COUNT ? 7 : 1;

    *eslots = c == H_SLOTS_NOT_POW2 ? 3 : 0;
    /* env record */
    b32(&r, c == H_ENV_NO ? 1 : 0);
    if (c == H_EMPTY_NAME)
        bstr(&r, "", 0);
    else if (c == H_NO_NAME)
        bstr(&r, NULL, 0);
    else if (c == H_STR_LONG)
        b32(&r, 1000);
    else if (c == H_STR_NUL)
        bstr(&r, "e\0x", 3);
    else
        bstr(&r, "e", 1);
    b32(&r, 1);
    b32(&r, 1);
    b32(&r, 0); /* aliases */
    bsettings(&r, 0, "", 0);
    b32(&r, (uint32_t)ndbs);
    if (c == H_TRAILING)
        b32(&r, 0);
    brec(body, &r, c == H_BAD_SUM);
    mt_buf_reset(&r);
    /* db record */
    b32(&r, c == H_DB_ENV_NO ? 1 : 0);
    bstr(&r, "d", 1);
    b32(&r, 1);
    b32(&r, 1);
    bsettings(&r, 1u << 6, "h.example", 0);
    brec(body, &r, c == H_DB_BAD_SUM);
    mt_buf_release(&r);
    if (c == H_DB_HOST_ON_ENV) { /* a second env whose settings carry a host */
        mt_buf_reset(&r);
        b32(&r, 1);
        bstr(&r, "f", 1);
        b32(&r, 1);
        b32(&r, 1);
        b32(&r, 0);
        bsettings(&r, 1u << 6, "h.example", 0);
        b32(&r, 0);
        brec(body, &r, 0);
        mt_buf_release(&r);
    }
    /* head */
    b32(head, c == H_HUGE_ENVS ? 0xFFFFFFFFu : c == H_DB_HOST_ON_ENV ? 2 : 1);
    b32(head, c == H_HUGE_WARNINGS ? 0x7FFFFFFFu : c == H_WARN_NO_MSG ? 1 : 0);
    b32(head, (uint32_t)body->len + (c == H_BODY_TOO_LONG ? 1 : 0));
    b32(head, *eslots);
    b32(head, 0);
    switch (c) {
    case H_HOST_DEFAULTS: bsettings(head, 1u << 6, "h.example", 0); break;
    case H_PORT0: bsettings(head, 1u << 9, "", 0); break;
    case H_PORT_BIG: bsettings(head, 1u << 9, "", 65536); break;
    case H_CLEAR_NEG: bsettings(head, 1u << 11, "", -1); break;
    case H_CACHE_NAME_DEFAULTS: bsettings(head, 1u << 12, "c", 0); break;
    case H_ENGINE_PG: bsettings(head, 1u << 2, "pg", 0); break;
    default: bsettings(head, 0, "", 0); break;
    }
    if (c == H_WARN_NO_MSG) {
        b32(head, 1);
        b32(head, 1);
        bstr(head, NULL, 0);
    }
}

static void test_cache_hostile_payloads(void **state)
{
    static const char *names[H_COUNT] = {
        "well-formed (control)", "record checksum wrong", "env number out of order",
        "empty env name", "env without a name", "string longer than its record",
        "string with a NUL", "trailing bytes in a record", "database of another env",
        "more databases than records", "database checksum wrong", "host on an environment",
        "host in defaults (database only)", "port 0 in defaults", "port 65536 in defaults",
        "negative clipboard_clear", "cache_name in defaults", "engine that is not canonical",
        "warning without a message", "huge env count", "huge warning count",
        "index size not a power of two", "body longer than the file"};
    struct mt_config empty, out;
    struct mt_buf good = MT_BUF_INIT;
    struct mt_err err = MT_ERR_INIT;
    size_t hdr;
    int i;
    (void)state;

    mt_config_init(&empty);
    encode(&empty, &fixed_key, &good); /* header + minimal payload */
    hdr = HDR + rd32(good.p + 12) + rd32(good.p + 16);
    for (i = 0; i < H_COUNT; i++) {
        struct mt_buf b = MT_BUF_INIT, head = MT_BUF_INIT, body = MT_BUF_INIT;
        uint32_t eslots;
        int rc, one;
        hostile_case(i, &head, &body, &eslots);
        assert_int_equal(mt_buf_add(&b, good.p, hdr), 0);
        assert_int_equal(mt_buf_add(&b, head.p, head.len), 0);
        assert_int_equal(mt_buf_add(&b, body.p, body.len), 0);
        while (eslots--)
            b32(&b, 0), b32(&b, 0);
        wr32(b.p + 20, (uint32_t)head.len);
        wr64(b.p + 80, (uint64_t)(b.len - hdr));
        fix_sum(&b);
        mt_err_clear(&err);
        rc = mt_cfg_cache_decode(b.p, b.len, &fixed_key, 0, &out, &err);
        if (i == H_OK) {
            assert_int_equal(rc, 0);
            assert_int_equal(out.nenvs, 1);
            assert_string_equal(out.envs[0].dbs[0].s.host, "h.example");
            mt_config_release(&out);
        } else {
            if (rc != -1)
                fail_msg("accepted: %s", names[i]);
            assert_int_equal(err.code, MT_E_CONFIG);
            assert_null(out.path);
        }
        /* the one-database decoder has no index here: never a hit, never a crash */
        one = mt_cfg_cache_decode_one(b.p, b.len, &fixed_key, 0, "e", "d", &out, &err);
        assert_int_equal(one, -1);
        assert_null(out.path);
        mt_buf_release(&b);
        mt_buf_release(&head);
        mt_buf_release(&body);
    }
    mt_buf_release(&good);
}

/* mt_cfg_cache_decode_one(): every name and alias finds its environment, every database is
 * equal to the full decode's; absent names, corrupt chosen records and a lying index are
 * misses; a corrupt record it does not read does not matter to it (the full decode, which db
 * list uses, still rejects the file). */
static void test_cache_decode_one(void **state)
{
    struct mt_config a, one, full;
    struct mt_buf buf = MT_BUF_INIT;
    struct mt_err err = MT_ERR_INIT;
    size_t i, j, k;
    char *p;
    (void)state;

    parse_rich(fixed_key.path, &a);
    encode(&a, &fixed_key, &buf);
    for (i = 0; i < a.nenvs; i++) {
        const struct mt_cfg_env *e = &a.envs[i];
        for (k = 0; k <= e->naliases; k++) {
            const char *nm = k ? e->aliases[k - 1] : e->name;
            for (j = 0; j < e->ndbs; j++) {
                struct mt_config want;
                struct mt_cfg_env we;
                const struct mt_cfg_env *oe;
                mt_err_clear(&err);
                assert_int_equal(mt_cfg_cache_decode_one(buf.p, buf.len, &fixed_key, 0, nm,
                                                         e->dbs[j].name, &one, &err), 0);
                assert_non_null(oe = mt_config_find_env(&one, nm));
                assert_non_null(mt_config_find_db(oe, e->dbs[j].name));
                /* equal to the full config cut down to this env and db */
                want = a;
                we = *e;
                we.dbs = &e->dbs[j];
                we.ndbs = 1;
                want.envs = &we;
                want.nenvs = 1;
                assert_true(mt_cfg_equal(&want, &one));
                mt_config_release(&one);
            }
            assert_int_equal(mt_cfg_cache_decode_one(buf.p, buf.len, &fixed_key, 0, nm, "nope",
                                                     &one, &err), -1);
            assert_int_equal(err.code, MT_E_CONFIG);
            assert_null(one.path);
        }
    }
    assert_int_equal(mt_cfg_cache_decode_one(buf.p, buf.len, &fixed_key, 0, "nope", "orders",
                                             &one, &err), -1);
    /* a database of another environment is not found through this one */
    assert_int_equal(mt_cfg_cache_decode_one(buf.p, buf.len, &fixed_key, 0, "staging",
                                             "payments", &one, &err), -1);
    /* corrupt the payments record (not its checksum): a miss for it, orders still a hit, and
     * the full decode rejects the file */
    for (p = NULL, i = 0; i + 16 <= buf.len && !p; i++)
        if (memcmp(buf.p + i, "payments.cluster", 16) == 0)
            p = buf.p + i;
    assert_non_null(p);
    p[0] = 'P';
    fix_sum(&buf);
    assert_int_equal(mt_cfg_cache_decode_one(buf.p, buf.len, &fixed_key, 0, "production",
                                             "payments", &one, &err), -1);
    assert_int_equal(mt_cfg_cache_decode_one(buf.p, buf.len, &fixed_key, 0, "prod", "orders",
                                             &one, &err), 0);
    mt_config_release(&one);
    assert_int_equal(mt_cfg_cache_decode(buf.p, buf.len, &fixed_key, 0, &full, &err), -1);
    p[0] = 'p';
    fix_sum(&buf);
    /* a lying index: every slot points at the first record; nothing but that env is found */
    {
        size_t slots_at = HDR + rd32(buf.p + 12) + rd32(buf.p + 16) + rd32(buf.p + 20);
        const char *head = buf.p + HDR + rd32(buf.p + 12) + rd32(buf.p + 16);
        size_t body_len = rd32(head + 8), es = rd32(head + 12), ds = rd32(head + 16);
        slots_at += body_len;
        for (i = 0; i < es + ds; i++)
            wr32(buf.p + slots_at + 8 * i + 4, 1);
        fix_sum(&buf);
        assert_int_equal(mt_cfg_cache_decode_one(buf.p, buf.len, &fixed_key, 0, "staging",
                                                 a.envs[1].dbs[0].name, &one, &err), -1);
        assert_null(one.path);
        /* and every truncation of the file is rejected */
        for (i = 0; i < buf.len; i += 7) {
            assert_int_equal(mt_cfg_cache_decode_one(buf.p, i, &fixed_key, 0, "prod", "orders",
                                                     &one, &err), -1);
            assert_null(one.path);
        }
    }
    mt_config_release(&a);
    mt_buf_release(&buf);
}

static void test_cache_name(void **state)
{
    char name[MT_CFG_CACHE_NAME_SIZE];
    (void)state;

    /* sha256("/home/u/.mytools.yaml") */
    mt_cfg_cache_name(name, "/home/u/.mytools.yaml");
    assert_int_equal(strlen(name), 7 + 64 + 4);
    assert_true(strncmp(name, "config-", 7) == 0);
    assert_string_equal(name + 71, ".bin");
    mt_cfg_cache_name(name, "");
    assert_string_equal(
        name, "config-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.bin");
}

static void test_cache_racy_rule(void **state)
{
    static const struct {
        int64_t m_sec, m_nsec, c_sec, c_nsec;
        int racy;
    } cases[] = {
        {1000, 0, 1000, 0, 1},                 /* now */
        {998, 500000000, 990, 0, 1},           /* mtime 1.5 s ago */
        {998, 0, 990, 0, 1},                   /* exactly 2 s ago: still racy */
        {997, 999999999, 990, 0, 0},           /* 2 s + 1 ns ago */
        {990, 0, 998, 1, 1},                   /* ctime recent (a chmod, or utimensat) */
        {990, 0, 990, 0, 0},                   /* both old */
        {2000, 0, 990, 0, 1},                  /* mtime in the future */
        {INT64_MIN, 0, INT64_MIN, 0, 0},       /* absurd but old */
        {INT64_MAX, 0, 990, 0, 1},             /* absurd future */
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mt_cfg_cache_key k = {0, 0, 0, cases[i].m_sec, cases[i].m_nsec, cases[i].c_sec,
                                     cases[i].c_nsec, "x"};
        if (mt_cfg_cache_racy(&k, 1000, 0) != cases[i].racy)
            fail_msg("case %zu", i);
    }
}

static void test_cache_sum(void **state)
{
    uint8_t data[100];
    uint64_t base;
    size_t i, n;
    (void)state;

    for (i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7);
    for (n = 0; n <= sizeof(data); n++) {
        base = mt_cfg_cache_sum(data, n);
        if (n && base == mt_cfg_cache_sum(data, n - 1))
            fail_msg("length %zu", n);
        for (i = 0; i < n; i++) {
            data[i] ^= 1;
            assert_true(mt_cfg_cache_sum(data, n) != base);
            data[i] ^= 1;
        }
    }
    /* a zero tail is not the same as no tail */
    memset(data, 0, sizeof(data));
    assert_true(mt_cfg_cache_sum(data, 33) != mt_cfg_cache_sum(data, 32));
}

/* ---- mt_config_load() with the cache ---- */

static char cache_dir[128];

static const char *cache_file_for(const char *config_path)
{
    static char buf[PATH_MAX];
    char name[MT_CFG_CACHE_NAME_SIZE];
    mt_cfg_cache_name(name, config_path);
    snprintf(buf, sizeof(buf), "%s/%s", cache_dir, name);
    return buf;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static const char stale_a[] =
    "environments:\n  e:\n    databases:\n      d: {host: aaaa.example}\n";
static const char stale_b[] =
    "environments:\n  e:\n    databases:\n      d: {host: bbbb.example}\n";
static const char bad_yaml[] = "environments:\n  e:\n    port: x\n";

static const char *const old_files[] = {"rich.yaml", "stale.yaml", "corrupt.yaml", "bad.yaml",
                                        "modes.yaml", "noenv.yaml", "foreign.yaml", "used.yaml"};

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int group_setup(void **state)
{
    size_t i;
    (void)state;

    snprintf(tmpdir, sizeof(tmpdir), "/tmp/mt-cfgcache-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(cache_dir, sizeof(cache_dir), "%s/xdg/mytools", tmpdir);
    setenv("XDG_CACHE_HOME", tmp_path("xdg"), 1);
    setenv("HOME", tmpdir, 1);
    unsetenv("MYTOOLS_NO_CONFIG_CACHE");
    for (i = 0; i < sizeof(old_files) / sizeof(old_files[0]); i++) {
        const char *text = strcmp(old_files[i], "stale.yaml") == 0 ? stale_a
                           : strcmp(old_files[i], "bad.yaml") == 0 ? bad_yaml
                                                                   : rich_yaml;
        struct timespec ts[2] = {{1600000000, 0}, {1600000000, 0}};
        if (write_file(tmp_path(old_files[i]), text) < 0 ||
            utimensat(AT_FDCWD, tmp_path(old_files[i]), ts, 0) < 0)
            return -1;
    }
    /* ctime cannot be set back: wait until these files are no longer racy */
    {
        struct timespec d = {MT_CFG_CACHE_RACY_SECS, 100000000};
        while (nanosleep(&d, &d) < 0 && errno == EINTR)
            ;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static void load_ok(const char *path, struct mt_config *cfg)
{
    struct mt_err err = MT_ERR_INIT;
    if (mt_config_load(path, 1, cfg, &err) != 0)
        fail_msg("load '%s': %s", path, err.msg);
}

static void test_load_writes_and_uses_cache(void **state)
{
    const char *path = tmp_path("rich.yaml");
    struct mt_config parsed, first, second;
    struct stat st;
    (void)state;

    parse_rich(path, &parsed);
    assert_false(exists(cache_file_for(path)));
    load_ok(path, &first); /* parses, writes the cache */
    assert_true(mt_cfg_equal(&parsed, &first));
    assert_int_equal(stat(cache_file_for(path), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(stat(cache_dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    load_ok(path, &second); /* from the cache */
    assert_true(mt_cfg_equal(&parsed, &second));
    assert_int_equal(second.nwarnings, 4);
    assert_string_equal(second.warnings[1].msg, parsed.warnings[1].msg);
    mt_config_release(&parsed);
    mt_config_release(&first);
    mt_config_release(&second);
}

/* proof that a valid cache is what load returns: a cache of other content under the right key */
static void test_load_reads_cache(void **state)
{
    const char *path = tmp_path("used.yaml");
    struct mt_config cfg, other;
    struct mt_cfg_cache_key k;
    struct mt_buf b = MT_BUF_INIT;
    struct mt_err err = MT_ERR_INIT;
    static const char other_yaml[] = "environments:\n  from-cache:\n";
    (void)state;

    load_ok(path, &cfg);
    assert_int_equal(cfg.nenvs, 4);
    mt_config_release(&cfg);
    assert_true(exists(cache_file_for(path)));
    key_of(path, &k);
    assert_int_equal(mt_config_parse(other_yaml, strlen(other_yaml), path, &other, &err), 0);
    encode(&other, &k, &b);
    write_bytes(cache_file_for(path), b.p, b.len);
    assert_int_equal(chmod(cache_file_for(path), 0600), 0);
    load_ok(path, &cfg);
    assert_true(mt_cfg_equal(&other, &cfg));
    mt_config_release(&cfg);

    /* MYTOOLS_NO_CONFIG_CACHE=1 ignores it (and "0" does not) */
    setenv("MYTOOLS_NO_CONFIG_CACHE", "1", 1);
    load_ok(path, &cfg);
    assert_int_equal(cfg.nenvs, 4);
    mt_config_release(&cfg);
    setenv("MYTOOLS_NO_CONFIG_CACHE", "0", 1);
    load_ok(path, &cfg);
    assert_true(mt_cfg_equal(&other, &cfg));
    mt_config_release(&cfg);
    unsetenv("MYTOOLS_NO_CONFIG_CACHE");
    mt_config_release(&other);
    mt_buf_release(&b);
}

static void test_load_stale_same_size(void **state)
{
    const char *path = tmp_path("stale.yaml");
    struct mt_config cfg;
    struct stat st1, st2;
    (void)state;

    assert_int_equal(sizeof(stale_a), sizeof(stale_b));
    load_ok(path, &cfg);
    assert_string_equal(cfg.envs[0].dbs[0].s.host, "aaaa.example");
    mt_config_release(&cfg);
    assert_true(exists(cache_file_for(path)));
    assert_int_equal(stat(path, &st1), 0);

    /* same size, same inode, same mtime (set back explicitly): only ctime tells them apart */
    assert_int_equal(write_file(path, stale_b), 0);
    {
        struct timespec ts[2] = {st1.st_atim, st1.st_mtim};
        assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
    }
    assert_int_equal(stat(path, &st2), 0);
    assert_int_equal(st1.st_size, st2.st_size);
    assert_int_equal(st1.st_ino, st2.st_ino);
    assert_int_equal(st1.st_mtim.tv_sec, st2.st_mtim.tv_sec);
    assert_int_equal(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
    load_ok(path, &cfg);
    assert_string_equal(cfg.envs[0].dbs[0].s.host, "bbbb.example");
    mt_config_release(&cfg);
    load_ok(path, &cfg); /* and again (the racy file was not cached: still the new content) */
    assert_string_equal(cfg.envs[0].dbs[0].s.host, "bbbb.example");
    mt_config_release(&cfg);
}

static void test_load_racy_not_cached(void **state)
{
    const char *path = tmp_path("fresh.yaml");
    struct mt_config cfg;
    (void)state;

    assert_int_equal(write_file(path, rich_yaml), 0);
    set_mtime(path, 1600000000); /* an old mtime does not help: the ctime is now */
    load_ok(path, &cfg);
    assert_int_equal(cfg.nenvs, 4);
    mt_config_release(&cfg);
    assert_false(exists(cache_file_for(path)));
}

static void test_load_corrupt_cache_falls_back(void **state)
{
    const char *path = tmp_path("corrupt.yaml");
    struct mt_config parsed, cfg;
    struct mt_buf b = MT_BUF_INIT;
    struct mt_err err = MT_ERR_INIT;
    (void)state;

    parse_rich(path, &parsed);
    load_ok(path, &cfg);
    mt_config_release(&cfg);
    assert_int_equal(mt_file_read(cache_file_for(path), MT_CFG_CACHE_MAX_BYTES, &b, &err), 0);
    assert_true(b.len > 200);

    /* truncated, flipped, garbage, empty: each is ignored, the YAML parsed, the cache rewritten */
    write_bytes(cache_file_for(path), b.p, b.len / 2);
    load_ok(path, &cfg);
    assert_true(mt_cfg_equal(&parsed, &cfg));
    mt_config_release(&cfg);
    b.p[b.len - 30] ^= 0x01;
    write_bytes(cache_file_for(path), b.p, b.len);
    load_ok(path, &cfg);
    assert_true(mt_cfg_equal(&parsed, &cfg));
    mt_config_release(&cfg);
    write_bytes(cache_file_for(path), "garbage", 7);
    load_ok(path, &cfg);
    assert_true(mt_cfg_equal(&parsed, &cfg));
    mt_config_release(&cfg);
    write_bytes(cache_file_for(path), "", 0);
    load_ok(path, &cfg);
    assert_true(mt_cfg_equal(&parsed, &cfg));
    mt_config_release(&cfg);
    /* the last load rewrote a good cache */
    mt_buf_reset(&b);
    assert_int_equal(mt_file_read(cache_file_for(path), MT_CFG_CACHE_MAX_BYTES, &b, &err), 0);
    assert_int_equal(memcmp(b.p, "MTCFGC\r\n", 8), 0);
    /* a directory where the cache file should be: parsed, no error */
    assert_int_equal(unlink(cache_file_for(path)), 0);
    assert_int_equal(mkdir(cache_file_for(path), 0700), 0);
    load_ok(path, &cfg);
    assert_true(mt_cfg_equal(&parsed, &cfg));
    mt_config_release(&cfg);
    assert_int_equal(rmdir(cache_file_for(path)), 0);
    mt_config_release(&parsed);
    mt_buf_release(&b);
}

/* a cache file others could have written is not trusted */
static void test_load_foreign_cache_ignored(void **state)
{
    const char *path = tmp_path("foreign.yaml");
    struct mt_config cfg, other;
    struct mt_cfg_cache_key k;
    struct mt_buf b = MT_BUF_INIT;
    struct mt_err err = MT_ERR_INIT;
    static const char other_yaml[] = "environments:\n  planted:\n";
    (void)state;

    key_of(path, &k);
    assert_int_equal(mt_config_parse(other_yaml, strlen(other_yaml), path, &other, &err), 0);
    encode(&other, &k, &b);
    assert_int_equal(mt_mkdir_p(cache_dir, 0700, &err), 0);
    write_bytes(cache_file_for(path), b.p, b.len);
    assert_int_equal(chmod(cache_file_for(path), 0622), 0);
    load_ok(path, &cfg);
    assert_int_equal(cfg.nenvs, 4); /* the YAML, not the planted cache */
    mt_config_release(&cfg);
    /* a symlink to a good cache is not followed either */
    assert_int_equal(unlink(cache_file_for(path)), 0);
    write_bytes(tmp_path("planted.bin"), b.p, b.len);
    assert_int_equal(chmod(tmp_path("planted.bin"), 0600), 0);
    assert_int_equal(symlink(tmp_path("planted.bin"), cache_file_for(path)), 0);
    load_ok(path, &cfg);
    assert_int_equal(cfg.nenvs, 4);
    mt_config_release(&cfg);
    /* the write replaced the symlink with a real file */
    {
        struct stat st;
        assert_int_equal(lstat(cache_file_for(path), &st), 0);
        assert_true(S_ISREG(st.st_mode));
    }
    mt_config_release(&other);
    mt_buf_release(&b);
}

static void test_load_parse_error_not_cached(void **state)
{
    const char *path = tmp_path("bad.yaml");
    struct mt_config cfg;
    struct mt_err err = MT_ERR_INIT;
    int i;
    (void)state;

    for (i = 0; i < 2; i++) {
        mt_err_clear(&err);
        assert_int_equal(mt_config_load(path, 1, &cfg, &err), -1);
        assert_int_equal(err.code, MT_E_CONFIG);
        assert_non_null(strstr(err.msg, "bad.yaml:3:11: 'port' must be an integer"));
        assert_string_equal(cfg.path, path);
        mt_config_release(&cfg);
        assert_false(exists(cache_file_for(path)));
    }
}

static void test_load_modes_and_dirs(void **state)
{
    const char *path = tmp_path("modes.yaml");
    struct mt_config cfg;
    struct stat st;
    char name[MT_CFG_CACHE_NAME_SIZE], home_cache[PATH_MAX];
    (void)state;

    /* an existing cache directory open to others is made private before writing */
    assert_int_equal(chmod(cache_dir, 0755), 0);
    load_ok(path, &cfg);
    mt_config_release(&cfg);
    assert_int_equal(stat(cache_dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(stat(cache_file_for(path), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);

    /* no XDG_CACHE_HOME (or a relative one): ~/.cache/mytools, created 0700 */
    mt_cfg_cache_name(name, tmp_path("noenv.yaml"));
    snprintf(home_cache, sizeof(home_cache), "%s/.cache/mytools/%s", tmpdir, name);
    setenv("XDG_CACHE_HOME", "relative/dir", 1);
    load_ok(tmp_path("noenv.yaml"), &cfg);
    mt_config_release(&cfg);
    assert_int_equal(stat(home_cache, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(stat(tmp_path(".cache/mytools"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(stat(tmp_path(".cache"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_false(exists("relative"));

    /* an unwritable cache location: silently no cache */
    setenv("XDG_CACHE_HOME", tmp_path("rich.yaml"), 1); /* a file, not a directory */
    load_ok(tmp_path("modes.yaml"), &cfg);
    assert_int_equal(cfg.nenvs, 4);
    mt_config_release(&cfg);
    setenv("XDG_CACHE_HOME", tmp_path("xdg"), 1);
}

int main(void)
{
    const struct CMUnitTest codec[] = {
        cmocka_unit_test(test_cache_roundtrip_rich),
        cmocka_unit_test(test_cache_roundtrip_small),
        cmocka_unit_test(test_cache_key_mismatch),
        cmocka_unit_test(test_cache_stamp),
        cmocka_unit_test(test_cache_truncation_and_bitflips),
        cmocka_unit_test(test_cache_hostile_payloads),
        cmocka_unit_test(test_cache_decode_one),
        cmocka_unit_test(test_cache_name),
        cmocka_unit_test(test_cache_racy_rule),
        cmocka_unit_test(test_cache_sum),
    };
    const struct CMUnitTest load[] = {
        cmocka_unit_test(test_load_writes_and_uses_cache),
        cmocka_unit_test(test_load_reads_cache),
        cmocka_unit_test(test_load_stale_same_size),
        cmocka_unit_test(test_load_racy_not_cached),
        cmocka_unit_test(test_load_corrupt_cache_falls_back),
        cmocka_unit_test(test_load_foreign_cache_ignored),
        cmocka_unit_test(test_load_parse_error_not_cached),
        cmocka_unit_test(test_load_modes_and_dirs),
    };
    int rc = cmocka_run_group_tests_name("cache codec", codec, NULL, NULL);
    return rc | cmocka_run_group_tests_name("cache load", load, group_setup, group_teardown);
}
