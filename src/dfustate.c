#include <config.h>

#include <stddef.h>
#include <string.h>

#include "dfustate.h"

static const char *const status_names[] = {
	"OK", "errTARGET", "errFILE", "errWRITE", "errERASE", "errCHECK_ERASED",
	"errPROG", "errVERIFY", "errADDRESS", "errNOTDONE", "errFIRMWARE",
	"errVENDOR", "errUSBR", "errPOR", "errUNKNOWN", "errSTALLEDPKT",
};

/* dfu-util's spelling (dfu.c), which is the specification's. */
static const char *const state_names[] = {
	"appIDLE", "appDETACH", "dfuIDLE", "dfuDNLOAD-SYNC", "dfuDNBUSY", "dfuDNLOAD-IDLE",
	"dfuMANIFEST-SYNC", "dfuMANIFEST", "dfuMANIFEST-WAIT-RESET", "dfuUPLOAD-IDLE", "dfuERROR",
};

#define COUNT(a) (sizeof a / sizeof *a)

static int lookup(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	return -1;
}

int sf_dfu_status_from_name(const char *name)
{
	return lookup(status_names, COUNT(status_names), name);
}

const char *sf_dfu_status_name(int status)
{
	return status >= 0 && (size_t)status < COUNT(status_names) ? status_names[status] : NULL;
}

int sf_dfu_state_from_name(const char *name)
{
	return lookup(state_names, COUNT(state_names), name);
}

const char *sf_dfu_state_name(int state)
{
	return state >= 0 && (size_t)state < COUNT(state_names) ? state_names[state] : NULL;
}
