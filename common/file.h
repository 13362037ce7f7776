/* file.h - file plumbing: bounded reads, atomic 0600 writes, directories, paths. */
#ifndef MT_COMMON_FILE_H
#define MT_COMMON_FILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/err.h"

#define MT_FILE_NOFOLLOW 1u /* refuse a symbolic link as the last component (our own caches) */

/* THE way mytools opens a file it reads: O_RDONLY|O_NONBLOCK (a FIFO or device cannot hang the
 * open), O_NOFOLLOW with MT_FILE_NOFOLLOW, then fstat (into st when not NULL); anything but a
 * regular file (except /dev/null, which reads as empty) is refused ("cannot read 'p': a FIFO, not
 * a regular file", sys_errno EINVAL).
 * Returns the fd, or -1 with MT_E_IO and err->sys_errno (ENOENT for a missing file). */
int mt_file_open_regular(const char *path, unsigned flags, struct stat *st, struct mt_err *err)
    MT_WUR;
/* Reads fd to its end (at most max bytes) into out (appending); path names it in errors. */
int mt_file_read_fd(int fd, const char *path, size_t max, struct mt_buf *out,
                    struct mt_err *err) MT_WUR;
/* Opens path with mt_file_open_regular(flags) and reads it whole (at most max bytes) into out
 * (appending). On failure err->sys_errno holds errno (ENOENT for a missing file), code MT_E_IO. */
int mt_file_read_ex(const char *path, size_t max, unsigned flags, struct mt_buf *out,
                    struct mt_err *err) MT_WUR;
/* mt_file_read_ex with flags 0 (a symbolic link is followed: dotfile managers link configs). */
int mt_file_read(const char *path, size_t max, struct mt_buf *out, struct mt_err *err) MT_WUR;
/* Writes data atomically: temp file in the same directory (mode), write, fsync, rename, fsync of
 * the directory. Either the old file or the complete new one exists afterwards. */
int mt_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct mt_err *err) MT_WUR;
/* mkdir -p with mode for each created component. */
int mt_mkdir_p(const char *path, mode_t mode, struct mt_err *err) MT_WUR;
/* $HOME, else the passwd entry; never NULL ("/" as last resort). Borrowed. */
const char *mt_home_dir(void);
/* THE tilde expander: a leading "~" or "~/" becomes home (trailing '/' dropped); any other path,
 * or an unset/empty home, is copied unchanged ("~user" is not expanded). Pure. Caller frees;
 * NULL on OOM (or when path is NULL). */
char *mt_path_expand_home(const char *path, const char *home);
/* mt_path_expand_home(path, mt_home_dir()). Caller frees. NULL on OOM. */
char *mt_expand_tilde(const char *path);
/* THE PATH walk: the first executable "DIR/prog" along $PATH ("/usr/bin:/bin" when unset or
 * empty; empty entries, i.e. the current directory, are skipped). A prog containing '/' is taken
 * as is when executable. Caller frees; NULL when not found (or on OOM). */
char *mt_file_which(const char *prog);
/* a + "/" + b. Caller frees. */
char *mt_path_join(const char *a, const char *b);

#endif
