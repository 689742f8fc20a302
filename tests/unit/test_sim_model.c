/* Device model of the simulator (src/sim/model.c), under ASan. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/model.h"

static void test_fault_names(void **state)
{
	sf_sim_faults f;
	sf_err err = { 0, "" };
	(void)state;
	sf_sim_faults_init(&f);
	assert_int_equal(sf_sim_fault_parse("status=errWRITE@3", &f, &err), 0);
	assert_int_equal(f.status_code, SF_DFU_ERR_WRITE);
	assert_int_equal(f.status_at, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
