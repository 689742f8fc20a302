/* The result event shape shared by the USB and cloud commands. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "result.h"
#include "sf_error.h"

/* "k1,k2,..." of an object, in order */
static void keys(const json_t *o, char *buf, size_t size)
{
	const char *k;
	json_t *v;
	size_t used = 0;
	buf[0] = '\0';
	json_object_foreach((json_t *)o, k, v) {
		int w = snprintf(buf + used, size - used, "%s%s", used ? "," : "", k);
		assert_true(w > 0 && (size_t)w < size - used);
		used += (size_t)w;
	}
}

static void device_keys_always_present(void **state)
{
	sf_result_device usb, cloud, none;
	json_t *a, *b, *c;
	char ka[256], kb[256], kc[256];
	(void)state;
	sf_result_device_init(&usb);
	usb.profile = "core";
	usb.has_usb_id = true;
	usb.vid = 0x1d50;
	usb.pid = 0x607f;
	usb.serial = "6D92487A5151";
	usb.path = "1-1";
	usb.listed = 1;
	usb.platform_id = 0;
	sf_result_device_init(&cloud);
	cloud.given = "photon1";
	cloud.id = "0123456789abcdef01234567";
	cloud.name = "photon1";
	cloud.platform_id = 6;
	sf_result_device_init(&none);
	a = sf_result_device_json(&usb);
	b = sf_result_device_json(&cloud);
	c = sf_result_device_json(&none);
	keys(a, ka, sizeof ka);
	keys(b, kb, sizeof kb);
	keys(c, kc, sizeof kc);
	assert_string_equal(ka, "given,id,name,platform,platform_id,profile,vid_pid,serial,path,listed");
	assert_string_equal(ka, kb);
	assert_string_equal(ka, kc);
	assert_string_equal(json_string_value(json_object_get(a, "vid_pid")), "1d50:607f");
	assert_string_equal(json_string_value(json_object_get(a, "platform")), "core");
	assert_true(json_is_true(json_object_get(a, "listed")));
	assert_true(json_is_null(json_object_get(a, "id")));
	assert_string_equal(json_string_value(json_object_get(b, "platform")), "photon");
	assert_int_equal(json_integer_value(json_object_get(b, "platform_id")), 6);
	assert_true(json_is_null(json_object_get(b, "vid_pid")));
	assert_true(json_is_null(json_object_get(b, "listed")));
	/* unknown: null, also for an empty string and a platform without a name */
	usb.serial = "";
	usb.platform_id = 88;
	json_decref(a);
	a = sf_result_device_json(&usb);
	assert_true(json_is_null(json_object_get(a, "serial")));
	assert_true(json_is_null(json_object_get(a, "platform")));
	assert_int_equal(json_integer_value(json_object_get(a, "platform_id")), 88);
	{
		const char *k;
		json_t *v;
		json_object_foreach(c, k, v)
			assert_true(json_is_null(v));
	}
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void error_class_only_on_failure(void **state)
{
	json_t *ok, *bad, *bare;
	char k1[256], k2[256];
	(void)state;
	ok = sf_result_json(0, "flashed fw.bin", NULL, NULL, false);
	bad = sf_result_json(SF_EXIT_VERIFY, "verification failed: 1 byte differs", NULL, NULL, false);
	bare = sf_result_json(SF_EXIT_NO_DEVICE, NULL, NULL, NULL, true);
	keys(ok, k1, sizeof k1);
	keys(bad, k2, sizeof k2);
	assert_string_equal(k1, "ok,exit_code,message,device,operations,dry_run,verdict,diagnoses");
	assert_string_equal(k2, "ok,exit_code,error,message,device,operations,dry_run,verdict,diagnoses");
	assert_string_equal(json_string_value(json_object_get(ok, "verdict")), "success");
	assert_string_equal(json_string_value(json_object_get(bad, "verdict")), "failure");
	assert_true(json_is_true(json_object_get(ok, "ok")));
	assert_null(json_object_get(ok, "error"));
	assert_string_equal(json_string_value(json_object_get(ok, "message")), "flashed fw.bin");
	assert_true(json_is_false(json_object_get(bad, "ok")));
	assert_int_equal(json_integer_value(json_object_get(bad, "exit_code")), 7);
	assert_string_equal(json_string_value(json_object_get(bad, "error")), "verify");
	assert_string_equal(json_string_value(json_object_get(bad, "message")), "verification failed: 1 byte differs");
	/* the error is a class, the text is the message */
	assert_string_equal(json_string_value(json_object_get(bare, "error")), "no-device");
	assert_string_equal(json_string_value(json_object_get(bare, "message")), "no-device");
	assert_true(json_is_true(json_object_get(bare, "dry_run")));
	assert_true(json_is_object(json_object_get(bare, "device")));
	assert_true(json_is_array(json_object_get(bare, "operations")));
	{
		json_t *stopped = sf_result_json(130, NULL, NULL, NULL, false);
		assert_string_equal(json_string_value(json_object_get(stopped, "verdict")), "interrupted");
		assert_string_equal(json_string_value(json_object_get(stopped, "error")), "interrupted");
		json_decref(stopped);
	}
	json_decref(ok);
	json_decref(bad);
	json_decref(bare);
}

/* The class ids are an interface: they never change. */
static void class_names_stable(void **state)
{
	static const char *const want[] = {
		"ok", "internal", "usage", "refused", "no-device", "permission", "transfer",
		"verify", "dfu-util", "timeout", "cloud-auth", "cloud-device", "cloud-network",
		"cloud-compile",
	};
	(void)state;
	for (int i = 0; i < 14; i++)
		assert_string_equal(sf_exit_name(i), want[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(device_keys_always_present),
		cmocka_unit_test(error_class_only_on_failure),
		cmocka_unit_test(class_names_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
