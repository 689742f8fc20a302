/* spark-cli's and particle-cli's named apps (`flash --usb tinker`), pure:
 * which names exist for which profile, and which file particle-cli shipped
 * for each (sparkflash ships none: the user puts them in an apps
 * directory as PROFILE/NAME.bin). Validated like any image. */
#ifndef SF_APPS_H
#define SF_APPS_H

#include <stdbool.h>
#include <stddef.h>

/* Whether `word` can name an app: letters, digits, '_' and '-' only (no
 * '/' and no '.': anything else is a file name). */
bool sf_app_word(const char *word);

/* Whether `name` is a named app of any profile. */
bool sf_app_known(const char *name);

/* The file particle-cli shipped for `name` on profile `profile_id`
 * ("photon_tinker.bin"), or NULL when that profile has no such app. */
const char *sf_app_origin(const char *name, const char *profile_id);

/* "tinker, doctor, voodoo": the apps of a profile ("" when none). */
void sf_app_list(const char *profile_id, char *buf, size_t size);

/* DIR/PROFILE/NAME.bin; false when it does not fit. */
bool sf_app_path(const char *dir, const char *profile_id, const char *name, char *buf, size_t size);

#endif
