#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mt_file_read(const char *path, size_t max, struct mt_buf *out, struct mt_err *err)
{
    int fd, e;
    ssize_t n;
    size_t total = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mt_err_sys(err, MT_E_IO, errno, "cannot read '%s'", path);
    for (;;) {
        if (mt_buf_grow(out, 4096) < 0) {
            close(fd);
            return mt_err_set(err, MT_E_IO, "cannot read '%s': file too large", path);
        }
        n = read(fd, out->p + out->len, out->cap - out->len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            e = errno;
            close(fd);
            return mt_err_sys(err, MT_E_IO, e, "cannot read '%s'", path);
        }
        if (n == 0)
            break;
        total += (size_t)n;
        out->len += (size_t)n;
        out->p[out->len] = '\0';
        if (total > max) {
            close(fd);
            return mt_err_set(err, MT_E_IO, "cannot read '%s': larger than %zu bytes", path, max);
        }
    }
    close(fd);
    return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int mt_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct mt_err *err)
{
    char *tmp = NULL, *dir = NULL, *slash;
    int fd = -1, dfd, e, rc = -1;
    size_t plen = strlen(path);

    tmp = malloc(plen + 16);
    dir = strdup(path);
    if (!tmp || !dir) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    snprintf(tmp, plen + 16, "%s.tmp-XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        mt_err_sys(err, MT_E_IO, errno, "cannot create temporary file for '%s'", path);
        free(tmp);
        tmp = NULL;
        goto out;
    }
    if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        e = errno;
        mt_err_sys(err, MT_E_IO, e, "cannot write '%s'", tmp);
        goto out;
    }
    if (close(fd) < 0) {
        fd = -1;
        mt_err_sys(err, MT_E_IO, errno, "cannot write '%s'", tmp);
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        mt_err_sys(err, MT_E_IO, errno, "cannot replace '%s'", path);
        goto out;
    }
    free(tmp);
    tmp = NULL;
    slash = strrchr(dir, '/');
    if (slash) {
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(dir);
    return rc;
}

int mt_mkdir_p(const char *path, mode_t mode, struct mt_err *err)
{
    char *p = strdup(path), *s;
    if (!p)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    for (s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST) {
            int e = errno;
            mt_err_sys(err, MT_E_IO, e, "cannot create directory '%s'", p);
            free(p);
            return -1;
        }
        *s = '/';
    }
    if (mkdir(p, mode) < 0 && errno != EEXIST) {
        int e = errno;
        mt_err_sys(err, MT_E_IO, e, "cannot create directory '%s'", p);
        free(p);
        return -1;
    }
    free(p);
    return 0;
}

const char *mt_home_dir(void)
{
    const char *h = getenv("HOME");
    struct passwd *pw;
    if (h && *h)
        return h;
    pw = getpwuid(getuid());
    if (pw && pw->pw_dir && *pw->pw_dir)
        return pw->pw_dir;
    return "/";
}

char *mt_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *r = malloc(la + lb + 2);
    if (!r)
        return NULL;
    memcpy(r, a, la);
    if (la && a[la - 1] == '/')
        la--;
    r[la] = '/';
    memcpy(r + la + 1, b, lb + 1);
    return r;
}

char *mt_expand_tilde(const char *path)
{
    if (!path)
        return NULL;
    if (path[0] == '~' && (path[1] == '\0' || path[1] == '/'))
        return path[1] ? mt_path_join(mt_home_dir(), path + 2) : strdup(mt_home_dir());
    return strdup(path);
}
