/* lock.c - the advisory lock that makes concurrent runs refresh once, and the cache file I/O
 * (edge). The lock is a flock on a side file (<sha1>.lock) in ~/.aws/sso/cache: the AWS CLI and
 * the SDKs take no lock, so ours only orders mytools processes; the files themselves are always
 * replaced atomically (temp + fsync + rename), so no reader ever sees a half-written file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "sso/sso_int.h"

static long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int mt_sso_cache_dir_check(const char *dir, struct mt_err *err)
{
    struct stat st;

    if (stat(dir, &st) < 0) {
        if (errno == ENOENT)
            return 0; /* created 0700 when something is written */
        return mt_err_sys(err, MT_E_IO, errno, "cannot use cache directory '%s'", dir);
    }
    if (!S_ISDIR(st.st_mode))
        return mt_err_set(err, MT_E_IO, "cannot use cache directory '%s': not a directory", dir);
    if (st.st_uid != geteuid()) {
        mt_err_set(err, MT_E_IO, "refusing cache directory '%s': it belongs to another user "
                   "(uid %lu), who could plant or read credentials", dir, (unsigned long)st.st_uid);
        return mt_err_hint(err, "remove it, or give it to yourself with mode 0700");
    }
    if (!(st.st_mode & 077))
        return 0;
    /* ours but open to others (an old umask, a copied HOME): make it private as the AWS CLI
     * creates it; if that is impossible, a writable one is refused */
    if (chmod(dir, 0700) == 0)
        return 0;
    if (!(st.st_mode & 022))
        return 0;
    mt_err_sys(err, MT_E_IO, errno, "refusing cache directory '%s': writable by other users "
               "(mode %04o) and cannot be made private", dir, (unsigned)(st.st_mode & 07777));
    return mt_err_hint(err, "run 'chmod 700 %s' where that is possible", dir);
}

int mt_sso_lock(const char *path, long timeout_ms, int *fd, struct mt_err *err)
{
    long deadline = mono_ms() + timeout_ms;
    struct stat st;
    int f;

    *fd = -1;
    /* O_NONBLOCK: a FIFO planted at the lock path must not hang the open */
    f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0600);
    if (f < 0)
        return mt_err_sys(err, MT_E_IO, errno, "cannot open lock file '%s'", path);
    if (fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(f);
        return mt_err_set(err, MT_E_IO, "cannot use lock file '%s': not a regular file", path);
    }
    for (;;) {
        struct timespec ts = {0, 20 * 1000000L};
        if (flock(f, LOCK_EX | LOCK_NB) == 0)
            break;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int e = errno;
            close(f);
            return mt_err_sys(err, MT_E_IO, e, "cannot lock '%s'", path);
        }
        if (mono_ms() > deadline) {
            close(f);
            return mt_err_set(err, MT_E_IO,
                              "timed out waiting for another mytools process holding '%s'", path);
        }
        nanosleep(&ts, NULL);
    }
    *fd = f;
    return 0;
}

void mt_sso_unlock(int fd)
{
    if (fd >= 0) {
        (void)flock(fd, LOCK_UN);
        close(fd);
    }
}

int mt_sso_write_file(const char *dir, const char *name, const void *data, size_t len,
                      struct mt_err *err)
{
    char *path;
    int rc;

    if (mt_mkdir_p(dir, 0700, err) < 0 || mt_sso_cache_dir_check(dir, err) < 0)
        return -1;
    path = mt_path_join(dir, name);
    if (!path)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    rc = mt_file_write_atomic(path, data, len, 0600, err);
    free(path);
    return rc;
}

int mt_sso_read_file(const char *dir, const char *name, struct mt_buf *out, struct mt_err *err)
{
    char *path = mt_path_join(dir, name);
    int rc;
    if (!path)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    rc = mt_file_read_ex(path, MT_SSO_MAX_FILE, MT_FILE_NOFOLLOW, out, err);
    free(path);
    return rc;
}
