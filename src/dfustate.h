/* DFU 1.1 state (bState) and status (bStatus) numbers and their names, as
 * dfu-util and the DFU specification spell them. Pure. */
#ifndef SF_DFUSTATE_H
#define SF_DFUSTATE_H

enum sf_dfu_state {
	SF_DFU_APP_IDLE = 0,
	SF_DFU_APP_DETACH = 1,
	SF_DFU_IDLE = 2,
	SF_DFU_DNLOAD_SYNC = 3,
	SF_DFU_DNBUSY = 4,
	SF_DFU_DNLOAD_IDLE = 5,
	SF_DFU_MANIFEST_SYNC = 6,
	SF_DFU_MANIFEST = 7,
	SF_DFU_MANIFEST_WAIT_RESET = 8,
	SF_DFU_UPLOAD_IDLE = 9,
	SF_DFU_ERROR = 10
};

enum sf_dfu_status {
	SF_DFU_OK = 0x00,
	SF_DFU_ERR_TARGET = 0x01,
	SF_DFU_ERR_FILE = 0x02,
	SF_DFU_ERR_WRITE = 0x03,
	SF_DFU_ERR_ERASE = 0x04,
	SF_DFU_ERR_CHECK_ERASED = 0x05,
	SF_DFU_ERR_PROG = 0x06,
	SF_DFU_ERR_VERIFY = 0x07,
	SF_DFU_ERR_ADDRESS = 0x08,
	SF_DFU_ERR_NOTDONE = 0x09,
	SF_DFU_ERR_FIRMWARE = 0x0A,
	SF_DFU_ERR_VENDOR = 0x0B,
	SF_DFU_ERR_USBR = 0x0C,
	SF_DFU_ERR_POR = 0x0D,
	SF_DFU_ERR_UNKNOWN = 0x0E,
	SF_DFU_ERR_STALLEDPKT = 0x0F
};

/* "errWRITE" -> 3 ("OK" -> 0); -1 when unknown. */
int sf_dfu_status_from_name(const char *name);
/* 3 -> "errWRITE" (static; "OK" for 0, NULL when out of range). */
const char *sf_dfu_status_name(int status);
/* "dfuDNLOAD-IDLE" -> 5; -1 when unknown. */
int sf_dfu_state_from_name(const char *name);
/* 5 -> "dfuDNLOAD-IDLE" (static; NULL when out of range). */
const char *sf_dfu_state_name(int state);

#endif
