/* aws_ini.h - the AWS shared config (~/.aws/config) and credentials (~/.aws/credentials) files.
 *
 * mt_ini_parse() and the accessors are pure. The parsing rules (where the SDKs disagree) are
 * listed at the top of aws_ini.c. mt_ini_load() and the mt_aws_*_path() helpers (load.c) are the
 * edge. Every string returned is borrowed from the struct mt_ini and lives until mt_ini_free(). */
#ifndef MT_CONFIG_AWS_INI_H
#define MT_CONFIG_AWS_INI_H

#include <stddef.h>

#include "common/err.h"

struct mt_ini; /* opaque */
struct mt_ini_section;

enum mt_ini_kind { MT_INI_CONFIG, MT_INI_CREDENTIALS };

/* Parses text (len bytes, need not be NUL-terminated). On success *out is a new object the caller
 * frees with mt_ini_free(); on failure *out is NULL. Errors: MT_E_CONFIG "FILE:LINE: ..."
 * (a line that is neither a comment, a section header nor `key = value`; a key before any
 * section; a duplicate key in one section), MT_E_NOMEM. filename NULL: "config"/"credentials". */
int mt_ini_parse(const char *text, size_t len, const char *filename, enum mt_ini_kind kind,
                 struct mt_ini **out, struct mt_err *err) MT_WUR;
/* An empty file's object (for a missing file). NULL on OOM. Free with mt_ini_free(). */
struct mt_ini *mt_ini_new_empty(enum mt_ini_kind kind, const char *filename);
/* NULL-safe. */
void mt_ini_free(struct mt_ini *ini);
/* The file name given to the parser. */
const char *mt_ini_filename(const struct mt_ini *ini);

/* A profile: config file `[default]` / `[profile NAME]` (`[profile default]` wins over
 * `[default]`), credentials file `[NAME]`. NULL if absent. */
const struct mt_ini_section *mt_ini_profile(const struct mt_ini *ini, const char *name);
/* A typed section of the config file: type "sso-session", "services", or any other first word;
 * "profile" works too. NULL if absent. */
const struct mt_ini_section *mt_ini_section(const struct mt_ini *ini, const char *type,
                                            const char *name);
/* A key's value (keys are case-insensitive); "" for a key that only opens sub-keys; NULL if
 * absent. s may be NULL (then NULL). */
const char *mt_ini_get(const struct mt_ini_section *s, const char *key);
/* A nested value: `s3 =` followed by indented `addressing_style = path`. NULL if absent. */
const char *mt_ini_get_sub(const struct mt_ini_section *s, const char *key, const char *subkey);
/* Line of the section's (first) header, for messages; 0 for NULL. */
int mt_ini_line(const struct mt_ini_section *s);
/* Line where key was set, or 0. */
int mt_ini_key_line(const struct mt_ini_section *s, const char *key);
/* The section's type ("profile", "sso-session", "services", "" for a bare [name]) and name. */
const char *mt_ini_section_type(const struct mt_ini_section *s);
const char *mt_ini_section_name(const struct mt_ini_section *s);

/* Iteration over profile names in file order, each name once ("default" included if either
 * form is present): for (i = 0; i < mt_ini_profile_count(ini); i++) mt_ini_profile_name(ini, i) */
size_t mt_ini_profile_count(const struct mt_ini *ini);
const char *mt_ini_profile_name(const struct mt_ini *ini, size_t i);
/* Iteration over every section in file order (duplicates included; look a name up with
 * mt_ini_section for the merged one): NULL past the end. */
size_t mt_ini_section_count(const struct mt_ini *ini);
const struct mt_ini_section *mt_ini_section_at(const struct mt_ini *ini, size_t i);
/* Iteration over the keys of a section in file order: returns 0 and sets *key / *value
 * (value "" for a sub-key opener), or -1 past the end. */
int mt_ini_entry(const struct mt_ini_section *s, size_t i, const char **key, const char **value);

/* ---- edge (load.c) ---- */

/* Reads and parses path; a missing file is an empty object, not an error. Other read failures and
 * parse errors are MT_E_CONFIG. Free *out with mt_ini_free(). */
int mt_ini_load(const char *path, enum mt_ini_kind kind, struct mt_ini **out,
                struct mt_err *err) MT_WUR;
/* $AWS_CONFIG_FILE (leading ~ expanded) or ~/.aws/config. Caller frees; NULL on OOM. */
char *mt_aws_config_path(void);
/* $AWS_SHARED_CREDENTIALS_FILE (leading ~ expanded) or ~/.aws/credentials. Caller frees. */
char *mt_aws_credentials_path(void);

#endif
