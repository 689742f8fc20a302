# usb: sources, commands and tests of this area
libsfcore_a_SOURCES += \
	src/plan.c src/plan.h \
	src/dfuargv.c src/dfuargv.h \
	src/keyimg.c src/keyimg.h \
	src/keyfmt.c src/keyfmt.h \
	src/verify.c src/verify.h \
	src/runpolicy.c src/runpolicy.h \
	src/pagediff.c src/pagediff.h \
	src/images.c src/images.h \
	src/fleet.c src/fleet.h

sparkflash_SOURCES += \
	src/devsel.c src/devsel.h \
	src/usbop.c src/usbop.h \
	src/flashdev.c src/flashdev.h \
	src/fanout.c src/fanout.h \
	src/cmd_flash.c src/cmd_read.c src/cmd_keys.c

EXTRA_DIST += tests/unit/profiles_fixture.h

if HAVE_CMOCKA
usb_unit_tests = tests/unit/test_plan tests/unit/test_dfuargv tests/unit/test_keyimg \
	tests/unit/test_keyfmt tests/unit/test_plan_profiles tests/unit/test_verify \
	tests/unit/test_runpolicy tests/unit/test_pagediff tests/unit/test_images tests/unit/test_fleet
check_PROGRAMS += $(usb_unit_tests)
TESTS += $(usb_unit_tests)
usb_unit_cppflags = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) $(CMOCKA_CFLAGS)
usb_unit_ldadd = libsfcore.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(LIBCRYPTO_LIBS) $(CMOCKA_LIBS)
tests_unit_test_plan_SOURCES = tests/unit/test_plan.c
tests_unit_test_plan_CPPFLAGS = $(usb_unit_cppflags)
tests_unit_test_plan_LDADD = $(usb_unit_ldadd)
tests_unit_test_dfuargv_SOURCES = tests/unit/test_dfuargv.c
tests_unit_test_dfuargv_CPPFLAGS = $(usb_unit_cppflags)
tests_unit_test_dfuargv_LDADD = $(usb_unit_ldadd)
tests_unit_test_keyimg_SOURCES = tests/unit/test_keyimg.c
tests_unit_test_keyimg_CPPFLAGS = $(usb_unit_cppflags)
tests_unit_test_keyimg_LDADD = $(usb_unit_ldadd)
tests_unit_test_keyfmt_SOURCES = tests/unit/test_keyfmt.c
tests_unit_test_keyfmt_CPPFLAGS = $(usb_unit_cppflags) -DSF_KEY_FIXTURES='"$(abs_top_srcdir)/tests/fixtures/keys"' \
	-DSF_PROFILES_SRC='"$(abs_top_srcdir)/profiles"'
tests_unit_test_keyfmt_LDADD = $(usb_unit_ldadd)
tests_unit_test_verify_SOURCES = tests/unit/test_verify.c
tests_unit_test_verify_CPPFLAGS = $(usb_unit_cppflags)
tests_unit_test_verify_LDADD = $(usb_unit_ldadd)
tests_unit_test_runpolicy_SOURCES = tests/unit/test_runpolicy.c
tests_unit_test_runpolicy_CPPFLAGS = $(usb_unit_cppflags)
tests_unit_test_runpolicy_LDADD = $(usb_unit_ldadd)
tests_unit_test_pagediff_SOURCES = tests/unit/test_pagediff.c
tests_unit_test_pagediff_CPPFLAGS = $(usb_unit_cppflags)
tests_unit_test_pagediff_LDADD = $(usb_unit_ldadd)
tests_unit_test_images_SOURCES = tests/unit/test_images.c
tests_unit_test_images_CPPFLAGS = $(usb_unit_cppflags)
tests_unit_test_images_LDADD = $(usb_unit_ldadd)
tests_unit_test_fleet_SOURCES = tests/unit/test_fleet.c
tests_unit_test_fleet_CPPFLAGS = $(usb_unit_cppflags)
tests_unit_test_fleet_LDADD = $(usb_unit_ldadd)
tests_unit_test_plan_profiles_SOURCES = tests/unit/test_plan_profiles.c
tests_unit_test_plan_profiles_CPPFLAGS = $(usb_unit_cppflags) -DSF_PROFILES_SRC='"$(abs_top_srcdir)/profiles"'
tests_unit_test_plan_profiles_LDADD = $(usb_unit_ldadd)
endif

usb_shell_tests = tests/t050-usb-validate.sh tests/t051-usb-roundtrip.sh \
	tests/t052-usb-files.sh tests/t053-usb-json.sh \
	tests/t054-usb-faults.sh tests/t055-usb-layout-letters.sh \
	tests/t056-usb-unopenable.sh tests/t057-usb-verify.sh \
	tests/t081-usb-fleet.sh tests/t082-usb-wait.sh tests/t083-usb-retries.sh \
	tests/t084-usb-diff.sh tests/t085-usb-images.sh tests/t086-usb-deadline.sh \
	tests/t090-keys-forms.sh tests/t091-keys-send.sh tests/t092-keys-doctor.sh
TESTS += $(usb_shell_tests)
dist_check_SCRIPTS += $(usb_shell_tests)
EXTRA_DIST += tests/fixtures/keys/README $(key_fixtures)
key_fixtures = tests/fixtures/keys/cert.pem \
	tests/fixtures/keys/ec-p256-pkcs8.der tests/fixtures/keys/ec-p256-pkcs8.pem \
	tests/fixtures/keys/ec-p256-sec1.der tests/fixtures/keys/ec-p256-sec1.pem \
	tests/fixtures/keys/ec-p256.pub.der tests/fixtures/keys/ec-p256.pub.pem \
	tests/fixtures/keys/ec-p384.pem tests/fixtures/keys/rsa1024-e3.pem \
	tests/fixtures/keys/rsa1024-encrypted-legacy.pem tests/fixtures/keys/rsa1024-encrypted.pem \
	tests/fixtures/keys/rsa1024-pkcs1.der tests/fixtures/keys/rsa1024-pkcs1.pem \
	tests/fixtures/keys/rsa1024-pkcs1.pub.der tests/fixtures/keys/rsa1024-pkcs1.pub.pem \
	tests/fixtures/keys/rsa1024-pkcs8.der tests/fixtures/keys/rsa1024-pkcs8.pem \
	tests/fixtures/keys/rsa1024.pub.der tests/fixtures/keys/rsa1024.pub.pem \
	tests/fixtures/keys/rsa1536.pem tests/fixtures/keys/rsa2048.pem \
	tests/fixtures/keys/rsa2048.pub.der tests/fixtures/keys/rsa2048.pub.pem
EXTRA_DIST += tests/fixtures/profiles/widget.json \
	tests/fixtures/profiles/variants/photon-dct-ke.json
