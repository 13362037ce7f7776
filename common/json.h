/* json.h - the one wiper of cJSON copies of secrets (style.md 2.4 "third-party copies"). */
#ifndef MT_COMMON_JSON_H
#define MT_COMMON_JSON_H

struct cJSON;

/* Wipes the string of one string/raw node (a secret field) in place; NULL-safe. */
void mt_json_wipe_string(struct cJSON *item);
/* Wipes every string of a tree (values and member names, recursively) and cJSON_Delete()s it.
 * For any tree parsed from or built with a secret. NULL-safe. */
void mt_json_delete_wiped(struct cJSON *root);

#endif
