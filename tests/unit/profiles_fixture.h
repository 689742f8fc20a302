/* Hand-built profiles for the usb-area unit tests (independent of the JSON
 * schema): Spark Core, Photon and a made-up "widget" whose numbers appear
 * nowhere in the code. */
#ifndef SF_TEST_PROFILES_FIXTURE_H
#define SF_TEST_PROFILES_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "profile.h"

struct fx_alt { int alt; const char *layout; bool erase_none; };
struct fx_seg {
	const char *name; int alt; uint32_t address; uint32_t size; bool leave; bool prot;
	int addr_off, port_off; /* -1 = none */
};

static inline void fx_build(sf_profile *p, const char *id, int platform, uint32_t wp,
			    uint16_t vid, uint16_t pid, const struct fx_alt *alts, size_t nalts,
			    const struct fx_seg *segs, size_t nsegs)
{
	sf_err err;
	memset(p, 0, sizeof *p);
	p->id = strdup(id);
	p->name = strdup(id);
	p->platform_id = platform;
	p->write_padding = wp;
	p->dfu.vid = vid;
	p->dfu.pid = pid;
	p->alts = calloc(nalts, sizeof *p->alts);
	p->nalts = nalts;
	for (size_t i = 0; i < nalts; i++) {
		p->alts[i].alt = alts[i].alt;
		p->alts[i].layout_text = strdup(alts[i].layout);
		p->alts[i].erase_none = alts[i].erase_none;
		if (sf_layout_parse(alts[i].layout, &p->alts[i].layout, &err))
			abort();
	}
	p->segments = calloc(nsegs, sizeof *p->segments);
	p->nsegments = nsegs;
	for (size_t i = 0; i < nsegs; i++) {
		sf_segment *s = &p->segments[i];
		s->name = strdup(segs[i].name);
		s->alt = segs[i].alt;
		s->address = segs[i].address;
		s->size = segs[i].size;
		s->has_size = segs[i].size > 0;
		s->leave = segs[i].leave;
		s->is_protected = segs[i].prot;
		if (segs[i].prot) {
			s->key.present = true;
			strcpy(s->key.format, "der");
		}
		if (segs[i].addr_off >= 0) {
			s->key.has_address_offset = true;
			s->key.address_offset = (uint32_t)segs[i].addr_off;
		}
		if (segs[i].port_off >= 0) {
			s->key.has_port_offset = true;
			s->key.port_offset = (uint32_t)segs[i].port_off;
		}
	}
}

static inline void fx_free(sf_profile *p)
{
	for (size_t i = 0; i < p->nalts; i++) {
		free(p->alts[i].layout_text);
		sf_layout_free(&p->alts[i].layout);
	}
	for (size_t i = 0; i < p->nsegments; i++)
		free(p->segments[i].name);
	free(p->alts);
	free(p->segments);
	free(p->id);
	free(p->name);
	memset(p, 0, sizeof *p);
}

static inline void fx_core(sf_profile *p)
{
	static const struct fx_alt alts[] = {
		{ 0, "@Internal Flash  /0x08000000/20*001Ka,108*001Kg", false },
		{ 1, "@SPI Flash : SST25x/0x00000000/512*04Kg", false },
	};
	static const struct fx_seg segs[] = {
		{ "userFirmware", 0, 0x08005000, 0, true, false, -1, -1 },
		{ "factoryReset", 1, 0x00020000, 0x20000, false, false, -1, -1 },
		{ "tcpPrivateKey", 1, 0x00002000, 1024, false, true, -1, -1 },
		{ "tcpServerKey", 1, 0x00001000, 2048, false, true, 384, 450 },
	};
	fx_build(p, "core", 0, 2, 0x1d50, 0x607f, alts, 2, segs, 4);
}

static inline void fx_photon_like(sf_profile *p, const char *id, int platform, uint16_t pid,
				  uint32_t user, uint32_t factory, uint32_t sys2)
{
	static const struct fx_alt alts[] = {
		{ 0, "@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg", false },
		{ 1, "@DCT Flash   /0x00000000/01*016Kg", true },
	};
	struct fx_seg segs[] = {
		{ "userFirmware", 0, user, 0x20000, true, false, -1, -1 },
		{ "factoryReset", 0, factory, 0x20000, false, false, -1, -1 },
		{ "systemFirmwareOne", 0, 0x08020000, 0, false, false, -1, -1 },
		{ "systemFirmwareTwo", 0, sys2, 0, false, false, -1, -1 },
		{ "tcpPrivateKey", 1, 34, 612, false, true, -1, -1 },
		{ "tcpServerKey", 1, 2082, 512, false, true, 384, 450 },
		{ "udpPrivateKey", 1, 3106, 192, false, true, -1, -1 },
		{ "udpServerKey", 1, 3298, 320, false, true, 192, 258 },
		{ "transport", 1, 2977, 1, false, false, -1, -1 },
	};
	fx_build(p, id, platform, 1, 0x2b04, pid, alts, 2, segs, 9);
}

static inline void fx_photon(sf_profile *p)
{
	fx_photon_like(p, "photon", 6, 0xd006, 0x080A0000, 0x080E0000, 0x08060000);
}

static inline void fx_electron(sf_profile *p)
{
	fx_photon_like(p, "electron", 10, 0xd00a, 0x08080000, 0x080A0000, 0x08040000);
}

/* Made up: nothing here matches a real device. */
static inline void fx_widget(sf_profile *p)
{
	static const struct fx_alt alts[] = {
		{ 0, "@Code /0x00010000/04*002Ka,60*002Kg", false },
		{ 3, "@Vault/0x40000000/16*256Bg", false },
	};
	static const struct fx_seg segs[] = {
		{ "app", 0, 0x00012000, 0x4000, true, false, -1, -1 },
		{ "blob", 0, 0x00016000, 0, false, false, -1, -1 },
		{ "secret", 3, 0x40000300, 200, false, true, 16, 120 },
	};
	fx_build(p, "widget", 77, 2, 0x1234, 0xabcd, alts, 2, segs, 3);
}

#endif
