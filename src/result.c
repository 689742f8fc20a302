#include <config.h>

#include <stdio.h>

#include "cloud_devices.h"
#include "jsontext.h"
#include "result.h"
#include "sf_error.h"

void sf_result_device_init(sf_result_device *d)
{
	*d = (sf_result_device){ .platform_id = -1, .listed = -1 };
}

static json_t *text_or_null(const char *s)
{
	return s && *s ? sf_json_text(s) : json_null();
}

json_t *sf_result_device_json(const sf_result_device *d)
{
	char id[16];
	const char *pname = d->platform_id >= 0 ? sf_cloud_platform_name(d->platform_id) : NULL;
	json_t *j = json_object();
	snprintf(id, sizeof id, "%04x:%04x", d->vid, d->pid);
	json_object_set_new(j, "given", text_or_null(d->given));
	json_object_set_new(j, "id", text_or_null(d->id));
	json_object_set_new(j, "name", text_or_null(d->name));
	json_object_set_new(j, "platform", text_or_null(pname));
	json_object_set_new(j, "platform_id", d->platform_id >= 0 ? json_integer(d->platform_id) : json_null());
	json_object_set_new(j, "profile", text_or_null(d->profile));
	json_object_set_new(j, "vid_pid", d->has_usb_id ? json_string(id) : json_null());
	json_object_set_new(j, "serial", text_or_null(d->serial));
	json_object_set_new(j, "path", text_or_null(d->path));
	json_object_set_new(j, "listed", d->listed < 0 ? json_null() : json_boolean(d->listed));
	return j;
}

json_t *sf_result_base(int exit_code, const char *message)
{
	json_t *j = json_object();
	json_object_set_new(j, "ok", json_boolean(exit_code == 0));
	json_object_set_new(j, "exit_code", json_integer(exit_code));
	if (exit_code)
		json_object_set_new(j, "error", json_string(sf_exit_name(exit_code)));
	json_object_set_new(j, "message",
			    message && *message ? sf_json_text(message)
						: json_string(exit_code ? sf_exit_name(exit_code) : "ok"));
	return j;
}

json_t *sf_result_json(int exit_code, const char *message, json_t *device, json_t *operations,
		       bool dry_run)
{
	json_t *j = sf_result_base(exit_code, message);
	if (!device) {
		sf_result_device d;
		sf_result_device_init(&d);
		device = sf_result_device_json(&d);
	}
	json_object_set_new(j, "device", device);
	json_object_set_new(j, "operations", operations ? operations : json_array());
	json_object_set_new(j, "dry_run", json_boolean(dry_run));
	/* the USB commands replace these with the judge's (with warnings, and
	 * the diagnosis ids); a cloud command has no dfu-util run to judge */
	json_object_set_new(j, "verdict", json_string(exit_code == 0 ? "success" :
						       exit_code > SF_EXIT_SIGNAL_BASE ? "interrupted" : "failure"));
	json_object_set_new(j, "diagnoses", json_array());
	return j;
}
