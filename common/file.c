#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *type_name(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISCHR(m) || S_ISBLK(m))
        return "a device";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISLNK(m))
        return "a symbolic link";
    return "not a regular file";
}

int mt_file_open_regular(const char *path, unsigned flags, struct stat *st, struct mt_err *err)
{
    struct stat tmp, *sp = st ? st : &tmp;
    int fd, e;

    /* O_NONBLOCK: opening a FIFO with no writer (or a tty, a tape) must not wait forever */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
                        ((flags & MT_FILE_NOFOLLOW) ? O_NOFOLLOW : 0));
    if (fd < 0) {
        e = errno;
        if (e == ELOOP && (flags & MT_FILE_NOFOLLOW)) {
            mt_err_set(err, MT_E_IO, "cannot read '%s': a symbolic link, not a regular file",
                       path);
            if (err)
                err->sys_errno = ELOOP;
            return -1;
        }
        return mt_err_sys(err, MT_E_IO, e, "cannot read '%s'", path);
    }
    if (fstat(fd, sp) < 0) {
        e = errno;
        close(fd);
        return mt_err_sys(err, MT_E_IO, e, "cannot read '%s'", path);
    }
    /* /dev/null stands for "no file" (AWS_CONFIG_FILE=/dev/null is an SDK idiom): empty, never
     * blocks */
    if (S_ISCHR(sp->st_mode) && major(sp->st_rdev) == 1 && minor(sp->st_rdev) == 3)
        return fd;
    if (!S_ISREG(sp->st_mode)) {
        close(fd);
        mt_err_set(err, MT_E_IO, "cannot read '%s': %s, not a regular file", path,
                   type_name(sp->st_mode));
        if (err)
            err->sys_errno = EINVAL;
        return -1;
    }
    return fd;
}

int mt_file_read_fd(int fd, const char *path, size_t max, struct mt_buf *out, struct mt_err *err)
{
    size_t total = 0;
    ssize_t n;

    for (;;) {
        if (mt_buf_grow(out, 4096) < 0)
            return mt_err_set(err, MT_E_IO, "cannot read '%s': file too large", path);
        n = read(fd, out->p + out->len, out->cap - out->len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return mt_err_sys(err, MT_E_IO, errno, "cannot read '%s'", path);
        }
        if (n == 0)
            return 0;
        total += (size_t)n;
        out->len += (size_t)n;
        out->p[out->len] = '\0';
        if (total > max)
            return mt_err_set(err, MT_E_IO, "cannot read '%s': larger than %zu bytes", path, max);
    }
}

int mt_file_read_ex(const char *path, size_t max, unsigned flags, struct mt_buf *out,
                    struct mt_err *err)
{
    struct stat st;
    int fd, rc;

    if ((fd = mt_file_open_regular(path, flags, &st, err)) < 0)
        return -1;
    if (st.st_size > 0 && (size_t)st.st_size <= max && mt_buf_grow(out, (size_t)st.st_size + 1) < 0) {
        close(fd);
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    }
    rc = mt_file_read_fd(fd, path, max, out, err);
    close(fd);
    return rc;
}

int mt_file_read(const char *path, size_t max, struct mt_buf *out, struct mt_err *err)
{
    return mt_file_read_ex(path, max, 0, out, err);
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

char *mt_path_expand_home(const char *path, const char *home)
{
    size_t hl;
    const char *rest;
    char *r;

    if (!path)
        return NULL;
    if (!home || !*home || path[0] != '~' || (path[1] != '\0' && path[1] != '/'))
        return strdup(path);
    hl = strlen(home);
    while (hl > 1 && home[hl - 1] == '/')
        hl--;
    rest = path + 1;                       /* "" or "/..." */
    if (hl == 1 && home[0] == '/' && *rest) /* home "/": "~/x" is "/x", not "//x" */
        hl = 0;
    r = malloc(hl + strlen(rest) + 1);
    if (!r)
        return NULL;
    memcpy(r, home, hl);
    memcpy(r + hl, rest, strlen(rest) + 1);
    return r;
}

char *mt_expand_tilde(const char *path)
{
    return mt_path_expand_home(path, mt_home_dir());
}

char *mt_file_which(const char *prog)
{
    const char *path = getenv("PATH");
    size_t pl;

    if (!prog || !*prog)
        return NULL;
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0 ? strdup(prog) : NULL;
    if (!path || !*path)
        path = "/usr/bin:/bin";
    pl = strlen(prog);
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n) { /* an empty entry would mean the current directory: never searched */
            char *p = malloc(n + pl + 2);
            if (!p)
                return NULL;
            memcpy(p, path, n);
            p[n] = '/';
            memcpy(p + n + 1, prog, pl + 1);
            if (access(p, X_OK) == 0)
                return p;
            free(p);
        }
        path += n;
        if (*path == ':')
            path++;
    }
    return NULL;
}
