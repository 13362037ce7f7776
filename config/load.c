/* load.c - the edge of config/: reads files and the environment, then calls the pure parsers.
 * The only file in config/ that may call getenv() or touch the file system. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/file.h"
#include "config/aws_ini.h"
#include "config/config.h"

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

int mt_config_load(const char *path, int explicit_path, struct mt_config *out, struct mt_err *err)
{
    struct mt_buf buf = MT_BUF_INIT;
    char *p = NULL;
    int rc = -1, r;

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
    buf.max = MT_CONFIG_MAX_BYTES + 1;
    r = read_file(p, &buf, err);
    if (r < 0)
        goto out;
    if (r > 0) {
        if (explicit_path) {
            mt_err_set(err, MT_E_CONFIG, "config file '%s' does not exist", p);
            goto out;
        }
        out->path = p; /* a missing default file is an empty config */
        p = NULL;
        rc = 0;
        goto out;
    }
    rc = mt_config_parse(buf.p ? buf.p : "", buf.len, p, out, err);
out:
    if (!out->path) {
        out->path = p;
        p = NULL;
    }
    free(p);
    mt_buf_release(&buf);
    return rc;
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
