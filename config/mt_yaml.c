/* mt_yaml.c - ~/.mytools.yaml with libyaml's event parser (pure: text in, struct out).
 *
 * One pass over the events, no document tree: each scalar we keep is copied once into the
 * config's arena, arrays grow by doubling, duplicate names are found afterwards by sorting
 * (O(n log n) for a 2,000-database file). Nothing here recurses on the input's nesting depth:
 * unknown subtrees are skipped with a counter. Schema decisions are documented in config.h. */
#include "config/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "common/term.h"
#include "config/config_int.h"

/* ---- arena ---- */

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
};

struct mt_cfg_arena {
    struct arena_block *head;
};

#define ARENA_BLOCK (64 * 1024)

struct mt_cfg_arena *mt_cfg_arena_new(void)
{
    return calloc(1, sizeof(struct mt_cfg_arena));
}

void mt_cfg_arena_free(struct mt_cfg_arena *a)
{
    struct arena_block *b, *next;

    if (!a)
        return;
    for (b = a->head; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

char *mt_cfg_arena_strndup(struct mt_cfg_arena *a, const char *s, size_t n)
{
    struct arena_block *b = a->head;
    char *p;

    if (n >= SIZE_MAX / 2)
        return NULL;
    if (!b || b->cap - b->used < n + 1) {
        size_t cap = n + 1 > ARENA_BLOCK / 4 ? n + 1 : ARENA_BLOCK;
        b = malloc(sizeof(*b) + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        if (cap == ARENA_BLOCK || !a->head) {
            b->next = a->head;
            a->head = b;
        } else { /* a big string gets its own block behind the current one */
            b->next = a->head->next;
            a->head->next = b;
        }
    }
    p = b->data + b->used;
    memcpy(p, s, n);
    p[n] = '\0';
    b->used += n + 1;
    return p;
}

int mt_cfg_edit_distance(const char *a, const char *b, int cap)
{
    int row[65], i, j, la = (int)strlen(a), lb = (int)strlen(b);

    if (la > 64 || lb > 64 || abs(la - lb) > cap)
        return cap + 1;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        int prev = row[0], best;
        row[0] = i;
        best = row[0];
        for (j = 1; j <= lb; j++) {
            int cur = row[j];
            int v = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < v)
                v = row[j] + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            prev = cur;
            if (v < best)
                best = v;
        }
        if (best > cap)
            return cap + 1;
    }
    return row[lb] > cap ? cap + 1 : row[lb];
}

/* ---- schema ---- */

enum level { L_DEF = 1, L_ENV = 2, L_DB = 4, L_ALL = 7 };
enum ktype { K_STR, K_CLIENT, K_BOOL, K_EXPIRES, K_ENGINE, K_PORT, K_COUNT, K_ALIASES, K_DATABASES };

struct keydef {
    const char *name;
    enum ktype type;
    unsigned levels;
    size_t off; /* offset in struct mt_cfg_settings */
};

#define S_OFF(f) offsetof(struct mt_cfg_settings, f)
static const struct keydef keys[] = {
    {"region", K_STR, L_ALL, S_OFF(region)},
    {"profile", K_STR, L_ALL, S_OFF(profile)},
    {"engine", K_ENGINE, L_ALL, S_OFF(engine)},
    {"ca_bundle", K_CLIENT, L_ALL, S_OFF(ca_bundle)},
    {"clipboard", K_STR, L_ALL, S_OFF(clipboard)},
    {"clipboard_clear", K_COUNT, L_ALL, S_OFF(clipboard_clear)},
    {"user", K_CLIENT, L_ALL, S_OFF(user)},
    {"port", K_PORT, L_ALL, S_OFF(port)},
    {"host", K_CLIENT, L_DB, S_OFF(host)},
    {"name", K_CLIENT, L_DB, S_OFF(name)},
    {"connect_host", K_CLIENT, L_DB, S_OFF(connect_host)},
    {"connect_port", K_PORT, L_DB, S_OFF(connect_port)},
    {"cache_name", K_CLIENT, L_DB, S_OFF(cache_name)},
    {"serverless", K_BOOL, L_DB, S_OFF(serverless)},
    {"admin", K_BOOL, L_ALL, S_OFF(admin)},
    {"expires_in", K_EXPIRES, L_ALL, S_OFF(expires_in)},
    {"aliases", K_ALIASES, L_ENV, 0},
    {"databases", K_DATABASES, L_ENV, 0},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const top_keys[] = {"defaults", "environments"};

static const struct {
    const char *spelling, *canonical;
} engines[] = {
    {"mysql", "mysql"},        {"mariadb", "mariadb"},
    {"postgres", "postgres"},  {"aurora-mysql", "mysql"},
    {"aurora", "mysql"},       {"aurora-postgresql", "postgres"},
    {"postgresql", "postgres"}, {"pg", "postgres"},
    {"dsql", "dsql"},          {"elasticache", "elasticache"},
    {"valkey", "elasticache"}, {"redis", "elasticache"},
    {"memorydb", "memorydb"},
};

const char *mt_config_engine(const char *spelling)
{
    size_t i;

    if (!spelling)
        return NULL;
    for (i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
        if (strcasecmp(spelling, engines[i].spelling) == 0)
            return engines[i].canonical;
    return NULL;
}

int mt_config_engine_port(const char *engine)
{
    if (engine && (!strcmp(engine, "postgres") || !strcmp(engine, "dsql")))
        return 5432;
    if (engine && (!strcmp(engine, "elasticache") || !strcmp(engine, "memorydb")))
        return 6379;
    return 3306;
}

/* ---- parser state ---- */

struct name_pos { /* an environment name or alias, or a database name, for duplicate checks */
    const char *name;
    size_t owner; /* environment index */
    int line, col, is_alias;
};

struct yp {
    yaml_parser_t parser;
    yaml_event_t ev;
    int have_ev;
    const char *file;
    const char *text;
    size_t len;
    struct mt_config *cfg;
    struct mt_err *err;
    size_t envs_cap, warn_cap;
    struct name_pos *names; /* environment names and aliases */
    size_t nnames, names_cap;
};

#define EV_LINE(y) ((int)(y)->ev.start_mark.line + 1)
#define EV_COL(y) ((int)(y)->ev.start_mark.column + 1)

static int nomem(struct yp *y)
{
    return mt_err_set(y->err, MT_E_NOMEM, "out of memory");
}

static int at_err(struct yp *y, int line, int col, const char *fmt, ...) MT_PRINTF(4, 5);
static int at_err(struct yp *y, int line, int col, const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return mt_err_set(y->err, MT_E_CONFIG, "%s:%d:%d: %s", y->file, line, col, msg);
}

/* line:col (1-based, columns in characters) of a byte offset in the input. */
static void offset_pos(const struct yp *y, size_t off, int *line, int *col)
{
    size_t i;
    int l = 1, c = 1;

    if (off > y->len)
        off = y->len;
    for (i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)y->text[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static int yaml_err(struct yp *y)
{
    const yaml_parser_t *p = &y->parser;
    int line, col;

    if (p->error == YAML_MEMORY_ERROR)
        return nomem(y);
    if (p->error == YAML_READER_ERROR) {
        offset_pos(y, p->problem_offset, &line, &col);
        if (p->problem_value != -1)
            return at_err(y, line, col, "invalid yaml: %s (byte 0x%02x)",
                          p->problem ? p->problem : "unreadable input",
                          (unsigned)p->problem_value & 0xFFu);
        return at_err(y, line, col, "invalid yaml: %s",
                      p->problem ? p->problem : "unreadable input");
    }
    line = (int)p->problem_mark.line + 1;
    col = (int)p->problem_mark.column + 1;
    if (p->context)
        return at_err(y, line, col, "invalid yaml: %s (%s at line %d)",
                      p->problem ? p->problem : "syntax error", p->context,
                      (int)p->context_mark.line + 1);
    return at_err(y, line, col, "invalid yaml: %s", p->problem ? p->problem : "syntax error");
}

/* Advances to the next event; rejects the YAML features we do not support. */
static int next(struct yp *y)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;

    if (y->have_ev) {
        yaml_event_delete(&y->ev);
        y->have_ev = 0;
    }
    if (!yaml_parser_parse(&y->parser, &y->ev))
        return yaml_err(y);
    y->have_ev = 1;
    switch (y->ev.type) {
    case YAML_ALIAS_EVENT:
        return at_err(y, EV_LINE(y), EV_COL(y), "yaml aliases (*name) are not supported");
    case YAML_SCALAR_EVENT:
        anchor = y->ev.data.scalar.anchor;
        tag = y->ev.data.scalar.tag;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = y->ev.data.sequence_start.anchor;
        tag = y->ev.data.sequence_start.tag;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = y->ev.data.mapping_start.anchor;
        tag = y->ev.data.mapping_start.tag;
        break;
    default:
        break;
    }
    if (anchor)
        return at_err(y, EV_LINE(y), EV_COL(y), "yaml anchors (&name) are not supported");
    if (tag)
        return at_err(y, EV_LINE(y), EV_COL(y), "yaml tags (%.40s) are not supported",
                      (const char *)tag);
    return 0;
}

static const char *ev_kind(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_MAPPING_START_EVENT:
        return "a mapping";
    case YAML_SEQUENCE_START_EVENT:
        return "a sequence";
    default:
        return "a scalar";
    }
}

static int is_null(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;

    if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    return ev->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* Skips the node that starts at the current event (scalar or whole collection). */
static int skip_node(struct yp *y)
{
    size_t depth;

    if (y->ev.type != YAML_MAPPING_START_EVENT && y->ev.type != YAML_SEQUENCE_START_EVENT)
        return 0;
    depth = 1;
    while (depth) {
        if (next(y) < 0)
            return -1;
        if (y->ev.type == YAML_MAPPING_START_EVENT || y->ev.type == YAML_SEQUENCE_START_EVENT)
            depth++;
        else if (y->ev.type == YAML_MAPPING_END_EVENT || y->ev.type == YAML_SEQUENCE_END_EVENT)
            depth--;
    }
    return 0;
}

/* The current event must be a mapping key: a scalar without NUL bytes. */
static int expect_key(struct yp *y)
{
    if (y->ev.type != YAML_SCALAR_EVENT)
        return at_err(y, EV_LINE(y), EV_COL(y), "mapping keys must be strings, not %s",
                      ev_kind(&y->ev));
    if (memchr(y->ev.data.scalar.value, '\0', y->ev.data.scalar.length))
        return at_err(y, EV_LINE(y), EV_COL(y), "key contains a NUL character");
    return 0;
}

static const char *ev_str(const struct yp *y)
{
    return (const char *)y->ev.data.scalar.value;
}

static char *ev_dup(struct yp *y)
{
    char *s = mt_cfg_arena_strndup(y->cfg->arena, ev_str(y), y->ev.data.scalar.length);
    if (!s)
        nomem(y);
    return s;
}

static int add_warning(struct yp *y, int line, int col, const char *fmt, ...) MT_PRINTF(4, 5);
static int add_warning(struct yp *y, int line, int col, const char *fmt, ...)
{
    struct mt_config *cfg = y->cfg;
    char raw[400], clean[400], full[512];
    va_list ap;
    struct mt_cfg_warning *w;
    int n;

    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    mt_err_sanitize(clean, sizeof(clean), raw, strlen(raw));
    n = snprintf(full, sizeof(full), "%s:%d:%d: %s", y->file, line, col, clean);
    if (n < 0)
        return nomem(y);
    if (cfg->nwarnings == y->warn_cap) {
        size_t cap = y->warn_cap ? y->warn_cap * 2 : 4;
        w = realloc(cfg->warnings, cap * sizeof(*w));
        if (!w)
            return nomem(y);
        cfg->warnings = w;
        y->warn_cap = cap;
    }
    w = &cfg->warnings[cfg->nwarnings];
    w->line = line;
    w->col = col;
    w->msg = mt_cfg_arena_strndup(cfg->arena, full, strlen(full));
    if (!w->msg)
        return nomem(y);
    cfg->nwarnings++;
    return 0;
}

/* Where a mapping sits, for messages; formatted only when a message is needed. */
struct where {
    const char *what; /* "in database" */
    const char *name; /* NULL for defaults and the top level */
};

static const char *fmt_where(char *buf, size_t bufsz, const struct where *w)
{
    if (w->name)
        snprintf(buf, bufsz, "%s '%.40s'", w->what, w->name);
    else
        snprintf(buf, bufsz, "%s", w->what);
    return buf;
}

static int warn_unknown(struct yp *y, const struct where *wh, const char *const *known,
                        size_t nknown, size_t stride)
{
    char where[128];
    const char *key = ev_str(y), *best = NULL;
    int bestd = 3;
    size_t i;

    for (i = 0; i < nknown; i++) {
        const char *k = *(const char *const *)((const char *)known + i * stride);
        int d = mt_cfg_edit_distance(key, k, 2);
        if (d < bestd) {
            bestd = d;
            best = k;
        }
    }
    if (best)
        return add_warning(y, EV_LINE(y), EV_COL(y), "unknown key '%.64s' %s (did you mean '%s'?)",
                           key, fmt_where(where, sizeof(where), wh), best);
    return add_warning(y, EV_LINE(y), EV_COL(y), "unknown key '%.64s' %s", key,
                       fmt_where(where, sizeof(where), wh));
}

/* ---- values ---- */

static int parse_int(struct yp *y, const char *key, int min, int max, int *out)
{
    const char *v = ev_str(y);
    size_t n = y->ev.data.scalar.length, i;
    long val = 0;

    if (y->ev.type != YAML_SCALAR_EVENT)
        goto bad;
    if (is_null(&y->ev)) {
        *out = -1;
        return 0;
    }
    if (y->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE || n == 0 || n > 10 ||
        (n > 1 && v[0] == '0'))
        goto bad;
    for (i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            goto bad;
        val = val * 10 + (v[i] - '0');
    }
    if (val < min || val > max)
        goto bad;
    *out = (int)val;
    return 0;
bad:
    if (max == 65535)
        return at_err(y, EV_LINE(y), EV_COL(y), "'%s' must be an integer from %d to %d", key, min,
                      max);
    return at_err(y, EV_LINE(y), EV_COL(y), "'%s' must be a whole number of seconds (0 or more)",
                  key);
}

/* A string value: NULL result for null; an error for collections and NUL bytes. */
static int parse_str(struct yp *y, const char *key, char **out)
{
    if (y->ev.type != YAML_SCALAR_EVENT)
        return at_err(y, EV_LINE(y), EV_COL(y), "'%s' must be a string, not %s", key,
                      ev_kind(&y->ev));
    if (is_null(&y->ev) || y->ev.data.scalar.length == 0) {
        *out = NULL;
        return 0;
    }
    if (memchr(ev_str(y), '\0', y->ev.data.scalar.length))
        return at_err(y, EV_LINE(y), EV_COL(y), "'%s' contains a NUL character", key);
    *out = ev_dup(y);
    return *out ? 0 : -1;
}

/* true / false (YAML 1.2 core spellings), plain scalars only. */
static int parse_bool(struct yp *y, const char *key, int *out)
{
    static const char *const t[] = {"true", "True", "TRUE"}, *const f[] = {"false", "False",
                                                                             "FALSE"};
    size_t i;
    if (is_null(&y->ev))
        return 0;
    if (y->ev.type == YAML_SCALAR_EVENT && y->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        for (i = 0; i < 3; i++) {
            if (!strcmp(ev_str(y), t[i]))
                return *out = 1, 0;
            if (!strcmp(ev_str(y), f[i]))
                return *out = 0, 0;
        }
    return at_err(y, EV_LINE(y), EV_COL(y), "'%s' must be true or false", key);
}

/* A value that reaches a database client's command line, conninfo or a printed command (issue 7
 * defect 1): quoting covers the rest, but a leading '-' or a control character is something a
 * client or a terminal could still read as more than a value, so the config may not say it. */
static int parse_client_str(struct yp *y, const char *key, char **out)
{
    const char *v = ev_str(y);
    size_t n = y->ev.data.scalar.length;
    if (y->ev.type == YAML_SCALAR_EVENT && !is_null(&y->ev)) {
        if (n && v[0] == '-')
            return at_err(y, EV_LINE(y), EV_COL(y),
                          "'%s' may not start with '-' (a client would read an option)", key);
        if (mt_term_has_unsafe(v)) /* the terminal rule of common/term.h */
            return at_err(y, EV_LINE(y), EV_COL(y), "'%s' contains a control character", key);
    }
    return parse_str(y, key, out);
}

static int add_name(struct yp *y, const char *name, size_t owner, int is_alias)
{
    if (y->nnames == y->names_cap) {
        size_t cap = y->names_cap ? y->names_cap * 2 : 16;
        struct name_pos *n = realloc(y->names, cap * sizeof(*n));
        if (!n)
            return nomem(y);
        y->names = n;
        y->names_cap = cap;
    }
    y->names[y->nnames++] = (struct name_pos){name, owner, EV_LINE(y), EV_COL(y), is_alias};
    return 0;
}

static int parse_aliases(struct yp *y, struct mt_cfg_env *env, size_t env_idx)
{
    size_t cap = 0;

    if (is_null(&y->ev))
        return 0;
    if (y->ev.type != YAML_SEQUENCE_START_EVENT)
        return at_err(y, EV_LINE(y), EV_COL(y),
                      "'aliases' must be a sequence of strings, not %s (write [name])",
                      ev_kind(&y->ev));
    for (;;) {
        char *a;
        if (next(y) < 0)
            return -1;
        if (y->ev.type == YAML_SEQUENCE_END_EVENT)
            return 0;
        if (y->ev.type != YAML_SCALAR_EVENT || is_null(&y->ev) || y->ev.data.scalar.length == 0)
            return at_err(y, EV_LINE(y), EV_COL(y), "an alias must be a non-empty string");
        if (parse_str(y, "aliases", &a) < 0)
            return -1;
        if (env->naliases == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            char **v = realloc(env->aliases, ncap * sizeof(*v));
            if (!v)
                return nomem(y);
            env->aliases = v;
            cap = ncap;
        }
        env->aliases[env->naliases++] = a;
        if (add_name(y, a, env_idx, 1) < 0)
            return -1;
    }
}

static int parse_settings(struct yp *y, unsigned level, const struct where *what,
                          struct mt_cfg_settings *s, struct mt_cfg_env *env, size_t env_idx);

static int parse_dbs(struct yp *y, struct mt_cfg_env *env, size_t env_idx)
{
    size_t cap = 0;
    struct where where = {"in database", NULL};
    if (is_null(&y->ev))
        return 0;
    if (y->ev.type != YAML_MAPPING_START_EVENT)
        return at_err(y, EV_LINE(y), EV_COL(y),
                      "'databases' must be a mapping of database names, not %s", ev_kind(&y->ev));
    for (;;) {
        struct mt_cfg_db *db;
        if (next(y) < 0)
            return -1;
        if (y->ev.type == YAML_MAPPING_END_EVENT)
            return 0;
        if (expect_key(y) < 0)
            return -1;
        if (y->ev.data.scalar.length == 0)
            return at_err(y, EV_LINE(y), EV_COL(y), "empty database name");
        if (env->ndbs == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            db = realloc(env->dbs, ncap * sizeof(*db));
            if (!db)
                return nomem(y);
            env->dbs = db;
            cap = ncap;
        }
        db = &env->dbs[env->ndbs];
        memset(db, 0, sizeof(*db));
        db->s.port = db->s.connect_port = db->s.clipboard_clear = -1;
        db->s.serverless = db->s.admin = db->s.expires_in = -1;
        db->line = EV_LINE(y);
        db->col = EV_COL(y);
        if (!(db->name = ev_dup(y)))
            return -1;
        env->ndbs++;
        where.name = db->name;
        if (next(y) < 0 || parse_settings(y, L_DB, &where, &db->s, NULL, env_idx) < 0)
            return -1;
    }
}

static int parse_settings(struct yp *y, unsigned level, const struct where *what,
                          struct mt_cfg_settings *s, struct mt_cfg_env *env, size_t env_idx)
{
    int first_line[NKEYS] = {0};
    char buf[128];

    if (is_null(&y->ev))
        return 0;
    if (y->ev.type != YAML_MAPPING_START_EVENT)
        return at_err(y, EV_LINE(y), EV_COL(y), "expected a mapping of settings %s, not %s",
                      fmt_where(buf, sizeof(buf), what), ev_kind(&y->ev));
    s->line = EV_LINE(y);
    s->col = EV_COL(y);
    for (;;) {
        const struct keydef *k = NULL;
        size_t i;
        int rc;

        if (next(y) < 0)
            return -1;
        if (y->ev.type == YAML_MAPPING_END_EVENT)
            return 0;
        if (expect_key(y) < 0)
            return -1;
        for (i = 0; i < NKEYS; i++)
            if (strcmp(ev_str(y), keys[i].name) == 0) {
                k = &keys[i];
                break;
            }
        if (!k) {
            if (warn_unknown(y, what, &keys[0].name, NKEYS, sizeof(keys[0])) < 0 || next(y) < 0 ||
                skip_node(y) < 0)
                return -1;
            continue;
        }
        if (!(k->levels & level)) {
            if (k->levels == L_DB)
                return at_err(y, EV_LINE(y), EV_COL(y), "'%s' can only be set on a database",
                              k->name);
            return at_err(y, EV_LINE(y), EV_COL(y), "'%s' can only be set on an environment",
                          k->name);
        }
        if (first_line[i])
            return at_err(y, EV_LINE(y), EV_COL(y), "duplicate key '%s' (first at line %d)",
                          k->name, first_line[i]);
        first_line[i] = EV_LINE(y);
        if (next(y) < 0)
            return -1;
        switch (k->type) {
        case K_STR:
            rc = parse_str(y, k->name, (char **)((char *)s + k->off));
            break;
        case K_CLIENT:
            rc = parse_client_str(y, k->name, (char **)((char *)s + k->off));
            break;
        case K_ENGINE: {
            char *e = NULL;
            const char *canon;
            rc = parse_str(y, k->name, &e);
            if (rc == 0 && e) {
                if (!(canon = mt_config_engine(e)))
                    return at_err(y, EV_LINE(y), EV_COL(y),
                                  "unknown engine '%.40s' (expected " MT_CONFIG_ENGINES ")",
                                  e);
                s->engine = mt_cfg_arena_strndup(y->cfg->arena, canon, strlen(canon));
                if (!s->engine)
                    return nomem(y);
            }
            break;
        }
        case K_PORT:
            rc = parse_int(y, k->name, 1, 65535, (int *)((char *)s + k->off));
            break;
        case K_EXPIRES:
            rc = parse_int(y, k->name, 1, 604800, (int *)((char *)s + k->off));
            break;
        case K_BOOL:
            rc = parse_bool(y, k->name, (int *)((char *)s + k->off));
            break;
        case K_COUNT:
            rc = parse_int(y, k->name, 0, INT_MAX, (int *)((char *)s + k->off));
            break;
        case K_ALIASES:
            rc = parse_aliases(y, env, env_idx);
            break;
        case K_DATABASES:
            rc = parse_dbs(y, env, env_idx);
            break;
        default:
            rc = -1;
        }
        if (rc < 0)
            return -1;
    }
}

static int parse_envs(struct yp *y)
{
    struct mt_config *cfg = y->cfg;
    struct where where = {"in environment", NULL};

    if (is_null(&y->ev))
        return 0;
    if (y->ev.type != YAML_MAPPING_START_EVENT)
        return at_err(y, EV_LINE(y), EV_COL(y),
                      "'environments' must be a mapping of environment names, not %s",
                      ev_kind(&y->ev));
    for (;;) {
        struct mt_cfg_env *env;
        size_t idx;
        if (next(y) < 0)
            return -1;
        if (y->ev.type == YAML_MAPPING_END_EVENT)
            return 0;
        if (expect_key(y) < 0)
            return -1;
        if (y->ev.data.scalar.length == 0)
            return at_err(y, EV_LINE(y), EV_COL(y), "empty environment name");
        if (cfg->nenvs == y->envs_cap) {
            size_t cap = y->envs_cap ? y->envs_cap * 2 : 8;
            env = realloc(cfg->envs, cap * sizeof(*env));
            if (!env)
                return nomem(y);
            cfg->envs = env;
            y->envs_cap = cap;
        }
        idx = cfg->nenvs;
        env = &cfg->envs[idx];
        memset(env, 0, sizeof(*env));
        env->s.port = env->s.connect_port = env->s.clipboard_clear = -1;
        env->s.serverless = env->s.admin = env->s.expires_in = -1;
        env->line = EV_LINE(y);
        env->col = EV_COL(y);
        cfg->nenvs++;
        if (!(env->name = ev_dup(y)) || add_name(y, env->name, idx, 0) < 0)
            return -1;
        where.name = env->name;
        if (next(y) < 0 || parse_settings(y, L_ENV, &where, &env->s, env, idx) < 0)
            return -1;
    }
}

static int parse_top(struct yp *y)
{
    static const struct where top_where = {"at the top level", NULL};
    static const struct where def_where = {"in defaults", NULL};
    int seen[2] = {0, 0};

    for (;;) {
        int which = -1;
        if (next(y) < 0)
            return -1;
        if (y->ev.type == YAML_MAPPING_END_EVENT)
            return 0;
        if (expect_key(y) < 0)
            return -1;
        if (strcmp(ev_str(y), "defaults") == 0)
            which = 0;
        else if (strcmp(ev_str(y), "environments") == 0)
            which = 1;
        if (which < 0) {
            if (warn_unknown(y, &top_where, top_keys, 2, sizeof(top_keys[0])) < 0 ||
                next(y) < 0 || skip_node(y) < 0)
                return -1;
            continue;
        }
        if (seen[which])
            return at_err(y, EV_LINE(y), EV_COL(y), "duplicate key '%s' (first at line %d)",
                          top_keys[which], seen[which]);
        seen[which] = EV_LINE(y);
        if (next(y) < 0)
            return -1;
        if (which == 0 ? parse_settings(y, L_DEF, &def_where, &y->cfg->defaults, NULL, 0) < 0
                       : parse_envs(y) < 0)
            return -1;
    }
}

/* ---- duplicate names ---- */

static int cmp_name_pos(const void *a, const void *b)
{
    const struct name_pos *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->col < y->col ? -1 : x->col > y->col;
}

/* Finds the earliest (by position) later occurrence of a name that clashes with an earlier one. */
static int check_env_names(struct yp *y)
{
    const struct mt_config *cfg = y->cfg;
    const struct name_pos *bad = NULL, *first = NULL;
    size_t i, j;

    if (y->nnames < 2)
        return 0;
    qsort(y->names, y->nnames, sizeof(*y->names), cmp_name_pos);
    for (i = 1; i < y->nnames; i++) {
        const struct name_pos *b = &y->names[i];
        for (j = i; j-- > 0 && strcmp(y->names[j].name, b->name) == 0;) {
            const struct name_pos *a = &y->names[j];
            if (a->owner == b->owner) /* an alias repeating its own environment's name */
                continue;
            if (!bad || b->line < bad->line || (b->line == bad->line && b->col < bad->col)) {
                bad = b;
                first = a;
            }
            break;
        }
    }
    if (!bad)
        return 0;
    if (!bad->is_alias && !first->is_alias)
        return at_err(y, bad->line, bad->col, "duplicate environment '%s' (first at line %d)",
                      bad->name, first->line);
    if (bad->is_alias)
        return at_err(y, bad->line, bad->col,
                      "alias '%s' of environment '%s' clashes with %s of environment '%s' "
                      "(line %d)",
                      bad->name, cfg->envs[bad->owner].name, first->is_alias ? "an alias" : "the name",
                      cfg->envs[first->owner].name, first->line);
    return at_err(y, bad->line, bad->col,
                  "environment '%s' clashes with an alias of environment '%s' (line %d)",
                  bad->name, cfg->envs[first->owner].name, first->line);
}

static int cmp_db_ptr(const void *a, const void *b)
{
    const struct mt_cfg_db *x = *(const struct mt_cfg_db *const *)a;
    const struct mt_cfg_db *y = *(const struct mt_cfg_db *const *)b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int check_db_names(struct yp *y)
{
    const struct mt_config *cfg = y->cfg;
    const struct mt_cfg_db **v = NULL;
    size_t cap = 0, e, i;
    int rc = 0;

    for (e = 0; e < cfg->nenvs && rc == 0; e++) {
        const struct mt_cfg_env *env = &cfg->envs[e];
        const struct mt_cfg_db *bad = NULL, *first = NULL;
        if (env->ndbs < 2)
            continue;
        if (env->ndbs > cap) {
            const struct mt_cfg_db **nv = realloc(v, env->ndbs * sizeof(*v));
            if (!nv) {
                rc = nomem(y);
                break;
            }
            v = nv;
            cap = env->ndbs;
        }
        for (i = 0; i < env->ndbs; i++)
            v[i] = &env->dbs[i];
        qsort(v, env->ndbs, sizeof(*v), cmp_db_ptr);
        for (i = 1; i < env->ndbs; i++)
            if (strcmp(v[i]->name, v[i - 1]->name) == 0 && (!bad || v[i]->line < bad->line)) {
                bad = v[i];
                first = v[i - 1];
            }
        if (bad)
            rc = at_err(y, bad->line, bad->col,
                        "duplicate database '%s' in environment '%s' (first at line %d)",
                        bad->name, env->name, first->line);
    }
    free(v);
    return rc;
}

/* ---- entry points ---- */

static void settings_init(struct mt_cfg_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->port = s->connect_port = s->clipboard_clear = -1;
    s->serverless = s->admin = s->expires_in = -1;
}

void mt_config_init(struct mt_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    settings_init(&cfg->defaults);
}

void mt_config_release(struct mt_config *cfg)
{
    size_t i;

    if (!cfg)
        return;
    for (i = 0; i < cfg->nenvs; i++) {
        free(cfg->envs[i].aliases);
        free(cfg->envs[i].dbs);
    }
    free(cfg->envs);
    free(cfg->warnings);
    free(cfg->path);
    mt_cfg_arena_free(cfg->arena);
    mt_config_init(cfg);
}

int mt_config_parse(const char *text, size_t len, const char *filename, struct mt_config *out,
                    struct mt_err *err)
{
    struct yp y;
    int rc = -1, parser_ok = 0;

    memset(&y, 0, sizeof(y));
    mt_config_init(out);
    y.file = filename ? filename : "config";
    y.text = text;
    y.len = len;
    y.cfg = out;
    y.err = err;
    if (!(out->path = strdup(y.file)) || !(out->arena = mt_cfg_arena_new())) {
        nomem(&y);
        goto out;
    }
    if (!yaml_parser_initialize(&y.parser)) {
        nomem(&y);
        goto out;
    }
    parser_ok = 1;
    yaml_parser_set_input_string(&y.parser, (const unsigned char *)(text ? text : ""),
                                 text ? len : 0);
    yaml_parser_set_encoding(&y.parser, YAML_UTF8_ENCODING);

    if (next(&y) < 0 || next(&y) < 0) /* STREAM-START, then DOCUMENT-START or STREAM-END */
        goto out;
    if (y.ev.type == YAML_DOCUMENT_START_EVENT) {
        if (next(&y) < 0)
            goto out;
        if (y.ev.type == YAML_MAPPING_START_EVENT) {
            if (parse_top(&y) < 0)
                goto out;
        } else if (!is_null(&y.ev)) {
            at_err(&y, EV_LINE(&y), EV_COL(&y),
                   "the top level must be a mapping (defaults:, environments:), not %s",
                   ev_kind(&y.ev));
            goto out;
        }
        if (next(&y) < 0 || next(&y) < 0) /* DOCUMENT-END, then STREAM-END */
            goto out;
        if (y.ev.type == YAML_DOCUMENT_START_EVENT) {
            at_err(&y, EV_LINE(&y), EV_COL(&y), "only one yaml document per file is supported");
            goto out;
        }
    }
    if (check_env_names(&y) < 0 || check_db_names(&y) < 0)
        goto out;
    rc = 0;
out:
    if (y.have_ev)
        yaml_event_delete(&y.ev);
    if (parser_ok)
        yaml_parser_delete(&y.parser);
    free(y.names);
    return rc;
}

const struct mt_cfg_env *mt_config_find_env(const struct mt_config *cfg, const char *name_or_alias)
{
    size_t i, j;

    if (!cfg || !name_or_alias)
        return NULL;
    for (i = 0; i < cfg->nenvs; i++)
        if (strcmp(cfg->envs[i].name, name_or_alias) == 0)
            return &cfg->envs[i];
    for (i = 0; i < cfg->nenvs; i++)
        for (j = 0; j < cfg->envs[i].naliases; j++)
            if (strcmp(cfg->envs[i].aliases[j], name_or_alias) == 0)
                return &cfg->envs[i];
    return NULL;
}

const struct mt_cfg_db *mt_config_find_db(const struct mt_cfg_env *env, const char *name)
{
    size_t i;

    if (!env || !name)
        return NULL;
    for (i = 0; i < env->ndbs; i++)
        if (strcmp(env->dbs[i].name, name) == 0)
            return &env->dbs[i];
    return NULL;
}
