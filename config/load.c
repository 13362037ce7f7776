/* load.c - the edge of config/: reads files and the environment, then calls the pure parsers.
 * The only file in config/ that may call getenv() or touch the file system. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/file.h"
#include "config/aws_ini.h"
#include "config/config.h"
#include "config/config_int.h"

#define MT_CONFIG_MAX_BYTES ((size_t)16 << 20)

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

char *mt_config_path(const char *flag_path, int *explicit_path)
{
    const char *p = flag_path && *flag_path ? flag_path : env_nonempty("MYTOOLS_CONFIG");
    int expl = p != NULL;

    if (explicit_path)
        *explicit_path = expl;
    return mt_expand_tilde(p ? p : "~/.mytools.yaml");
}

/* Reads path into buf. Returns 1 for a missing file, 0 when read, -1 on error (MT_E_CONFIG). */
static int read_file(const char *path, struct mt_buf *buf, struct mt_err *err)
{
    if (mt_file_read(path, MT_CONFIG_MAX_BYTES, buf, err) == 0)
        return 0;
    if (err && err->sys_errno == ENOENT) {
        mt_err_clear(err);
        return 1;
    }
    if (err)
        err->code = MT_E_CONFIG; /* contract 6: an unreadable config exits 3 */
    return -1;
}

/* ---- the parse cache (format and checks in cache.c) ----
 * $XDG_CACHE_HOME/mytools/config-<sha256(path)>.bin, else ~/.cache/mytools/...; directory 0700,
 * file 0600. Every problem (missing, foreign, stale, corrupt, unwritable) falls back to parsing
 * the YAML silently: the cache can make loading faster, never different. */

static int cache_enabled(void)
{
    const char *v = getenv("MYTOOLS_NO_CONFIG_CACHE");
    return !v || !*v || strcmp(v, "0") == 0;
}

static char *cache_dir(void)
{
    const char *x = env_nonempty("XDG_CACHE_HOME");
    char *base, *dir;

    if (x && x[0] == '/') /* the XDG spec: relative paths are invalid and ignored */
        return mt_path_join(x, "mytools");
    if (!(base = mt_path_join(mt_home_dir(), ".cache")))
        return NULL;
    dir = mt_path_join(base, "mytools");
    free(base);
    return dir;
}

static char *cache_file(const char *dir, const char *config_path)
{
    char name[MT_CFG_CACHE_NAME_SIZE];

    if (!dir)
        return NULL;
    mt_cfg_cache_name(name, config_path);
    return mt_path_join(dir, name);
}

static void key_from_stat(struct mt_cfg_cache_key *k, const struct stat *st, const char *path)
{
    k->dev = (uint64_t)st->st_dev;
    k->ino = (uint64_t)st->st_ino;
    k->size = (uint64_t)st->st_size;
    k->mtime_sec = (int64_t)st->st_mtim.tv_sec;
    k->mtime_nsec = (int64_t)st->st_mtim.tv_nsec;
    k->ctime_sec = (int64_t)st->st_ctim.tv_sec;
    k->ctime_nsec = (int64_t)st->st_ctim.tv_nsec;
    k->path = path;
}

static int same_file_state(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Decodes the cache file into out: only env / db when both are given and found (see
 * mt_cfg_cache_decode_one), else everything. 0 on a hit; -1 on a miss of any kind (out left
 * empty). The file is mapped, not read: a warm run touches only the pages it decodes. It is
 * written by rename (never rewritten in place) and ours alone, so it does not shrink under us. */
static int cache_load(const char *file, const struct mt_cfg_cache_key *key, const char *env,
                      const char *db, struct mt_config *out)
{
    struct mt_err e = MT_ERR_INIT;
    struct stat st;
    void *data;
    int fd, rc = -1;

    fd = mt_file_open_regular(file, MT_FILE_NOFOLLOW, &st, &e);
    if (fd < 0)
        return -1;
    /* ours, a regular file nobody else can write, and of a plausible size */
    if (st.st_uid != geteuid() ||
        (st.st_mode & 022) || st.st_size <= 0 || (uint64_t)st.st_size > MT_CFG_CACHE_MAX_BYTES)
        goto out;
    data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED)
        goto out;
    if (env && db)
        rc = mt_cfg_cache_decode_one(data, (size_t)st.st_size, key, 0, env, db, out, &e);
    if (rc < 0)
        rc = mt_cfg_cache_decode(data, (size_t)st.st_size, key, 0, out, &e);
    munmap(data, (size_t)st.st_size);
out:
    close(fd);
    return rc;
}

/* Writes the cache for a fresh parse. Silent: failure just means no cache. */
static void cache_store(const char *dir, const char *file, const struct mt_cfg_cache_key *key,
                        const struct mt_config *cfg)
{
    struct mt_err e = MT_ERR_INIT;
    struct mt_buf b = MT_BUF_INIT;
    struct stat st;

    if (mt_cfg_cache_encode(cfg, key, &b, &e) < 0 || mt_mkdir_p(dir, 0700, &e) < 0)
        goto out;
    /* a directory we own that others can enter is made private; a foreign one is not used */
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        goto out;
    if ((st.st_mode & 077) && chmod(dir, 0700) < 0)
        goto out;
    if (mt_file_write_atomic(file, b.p, b.len, 0600, &e) < 0)
        goto out;
out:
    mt_buf_release(&b);
}

static int load(const char *path, int explicit_path, const char *env, const char *db,
                struct mt_config *out, struct mt_err *err)
{
    struct mt_buf buf = MT_BUF_INIT;
    struct mt_cfg_cache_key key;
    struct timespec now = {0, 0};
    struct stat st, st2;
    char *p = NULL, *cdir = NULL, *cfile = NULL;
    int rc = -1, fd = -1, use_cache;

    mt_config_init(out);
    if (path) {
        p = mt_expand_tilde(path);
    } else {
        p = mt_config_path(NULL, &explicit_path);
    }
    if (!p) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    /* the clock first: an edit after the fstat below gets a later timestamp than now - 2 s */
    use_cache = cache_enabled() && clock_gettime(CLOCK_REALTIME, &now) == 0;
    fd = mt_file_open_regular(p, 0, &st, err);
    if (fd < 0) {
        if (!err || err->sys_errno != ENOENT) {
            if (err)
                err->code = MT_E_CONFIG; /* a FIFO, device or unreadable file: exit 3 */
            goto out;
        }
        mt_err_clear(err);
        if (explicit_path) {
            mt_err_set(err, MT_E_CONFIG, "config file '%s' does not exist", p);
            goto out;
        }
        rc = 0; /* a missing default file is an empty config */
        goto out;
    }
    if (use_cache) {
        key_from_stat(&key, &st, p);
        if (!(cdir = cache_dir()) || !(cfile = cache_file(cdir, p))) {
            use_cache = 0;
        } else if (cache_load(cfile, &key, env, db, out) == 0) {
            rc = 0;
            goto out;
        }
    }
    buf.max = MT_CONFIG_MAX_BYTES + 1;
    if ((size_t)st.st_size <= MT_CONFIG_MAX_BYTES && mt_buf_grow(&buf, (size_t)st.st_size + 1) < 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    if (mt_file_read_fd(fd, p, MT_CONFIG_MAX_BYTES, &buf, err) < 0) {
        if (err && err->code == MT_E_IO)
            err->code = MT_E_CONFIG;
        goto out;
    }
    rc = mt_config_parse(buf.p ? buf.p : "", buf.len, p, out, err);
    /* only a successful parse of bytes that match the stat, old enough to be stable */
    if (rc == 0 && use_cache && fstat(fd, &st2) == 0 && same_file_state(&st, &st2) &&
        !mt_cfg_cache_racy(&key, (int64_t)now.tv_sec, (int64_t)now.tv_nsec))
        cache_store(cdir, cfile, &key, out);
out:
    if (fd >= 0)
        close(fd);
    if (!out->path) {
        out->path = p;
        p = NULL;
    }
    free(p);
    free(cdir);
    free(cfile);
    mt_buf_release(&buf);
    return rc;
}

int mt_config_load(const char *path, int explicit_path, struct mt_config *out, struct mt_err *err)
{
    return load(path, explicit_path, NULL, NULL, out, err);
}

int mt_config_load_one(const char *path, int explicit_path, const char *env, const char *db,
                       struct mt_config *out, struct mt_err *err)
{
    return load(path, explicit_path, env, db, out, err);
}

int mt_ini_load(const char *path, enum mt_ini_kind kind, struct mt_ini **out, struct mt_err *err)
{
    struct mt_buf buf = MT_BUF_INIT;
    int r;

    *out = NULL;
    buf.max = MT_CONFIG_MAX_BYTES + 1;
    r = read_file(path, &buf, err);
    if (r < 0)
        goto out;
    if (r > 0) {
        if (!(*out = mt_ini_new_empty(kind, path)))
            r = mt_err_set(err, MT_E_NOMEM, "out of memory");
        else
            r = 0;
        goto out;
    }
    r = mt_ini_parse(buf.p ? buf.p : "", buf.len, path, kind, out, err);
out:
    mt_buf_release(&buf);
    return r < 0 ? -1 : 0;
}

static char *aws_path(const char *var, const char *dflt)
{
    const char *v = env_nonempty(var);
    return mt_expand_tilde(v ? v : dflt);
}

char *mt_aws_config_path(void)
{
    return aws_path("AWS_CONFIG_FILE", "~/.aws/config");
}

char *mt_aws_credentials_path(void)
{
    return aws_path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials");
}
