/* json.c - wiping cJSON copies of secrets before cJSON frees them. */
#include "common/json.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "common/mem.h"

void mt_json_wipe_string(cJSON *item)
{
    if ((cJSON_IsString(item) || cJSON_IsRaw(item)) && item->valuestring)
        mt_memzero(item->valuestring, strlen(item->valuestring));
}

static void wipe_tree(cJSON *n)
{
    for (; n; n = n->next) {
        mt_json_wipe_string(n);
        if (n->string)
            mt_memzero(n->string, strlen(n->string));
        wipe_tree(n->child);
    }
}

void mt_json_delete_wiped(cJSON *root)
{
    if (!root)
        return;
    wipe_tree(root);
    cJSON_Delete(root);
}
