/* file.h - file plumbing: bounded reads, atomic 0600 writes, directories, paths. */
#ifndef MT_COMMON_FILE_H
#define MT_COMMON_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/err.h"

/* Reads a whole file (at most max bytes) into out (appending). On failure err->sys_errno holds
 * errno (ENOENT for a missing file) and code is MT_E_IO. */
int mt_file_read(const char *path, size_t max, struct mt_buf *out, struct mt_err *err) MT_WUR;
/* Writes data atomically: temp file in the same directory (mode), write, fsync, rename, fsync of
 * the directory. Either the old file or the complete new one exists afterwards. */
int mt_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct mt_err *err) MT_WUR;
/* mkdir -p with mode for each created component. */
int mt_mkdir_p(const char *path, mode_t mode, struct mt_err *err) MT_WUR;
/* $HOME, else the passwd entry; never NULL ("/" as last resort). Borrowed. */
const char *mt_home_dir(void);
/* Expands a leading "~" or "~/" to the home directory. Caller frees. NULL on OOM. */
char *mt_expand_tilde(const char *path);
/* a + "/" + b. Caller frees. */
char *mt_path_join(const char *a, const char *b);

#endif
