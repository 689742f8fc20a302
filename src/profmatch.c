#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "profmatch.h"

static bool has_id(const sf_profile *p, uint16_t vid, uint16_t pid, bool runtime)
{
	if (runtime)
		return p->has_runtime && p->runtime.vid == vid && p->runtime.pid == pid;
	return p->dfu.vid == vid && p->dfu.pid == pid;
}

static const char *listed_layout(const sf_dfu_device *d, int alt)
{
	for (size_t i = 0; i < d->nalts; i++)
		if ((int)d->alts[i].alt == alt)
			return d->alts[i].name;
	return NULL;
}

enum fit { FIT_NONE, FIT_GEOMETRY, FIT_EXACT };

/* How the device's alts fit the profile's: every alt the profile declares
 * must be listed; the device may have more. */
static enum fit fit_of(const sf_profile *p, const sf_dfu_device *d)
{
	enum fit f = FIT_EXACT;
	for (size_t i = 0; i < p->nalts; i++) {
		const char *got = listed_layout(d, p->alts[i].alt);
		if (!got)
			return FIT_NONE;
		if (!strcmp(got, p->alts[i].layout_text))
			continue;
		/* written another way is not "exactly": bootloaders of two
		 * families may spell one map differently ("128*002Kg" on an
		 * F105, "128*0002Kg" on an F303) */
		if (!p->layout_sizes_vary || !sf_layout_same_geometry(got, p->alts[i].layout_text))
			return FIT_NONE;
		f = FIT_GEOMETRY;
	}
	return f;
}

sf_match sf_profiles_match_device(const sf_profile *profiles, size_t n, const sf_dfu_device *d)
{
	sf_match m = { 0 };
	const sf_profile *exact = NULL, *geometry = NULL;
	size_t nexact = 0, ngeometry = 0;

	for (size_t i = 0; profiles && i < n; i++) {
		if (!has_id(&profiles[i], d->vid, d->pid, d->runtime))
			continue;
		if (!m.nshared++)
			m.first = &profiles[i];
	}
	if (m.nshared == 0)
		return m;
	if (m.nshared == 1) {
		m.kind = SF_MATCH_UNIQUE;
		m.profile = m.first;
		return m;
	}
	if (d->runtime) {
		m.kind = SF_MATCH_AMBIGUOUS;
		return m;
	}
	for (size_t i = 0; i < n; i++) {
		const sf_profile *p = &profiles[i];
		if (!has_id(p, d->vid, d->pid, false))
			continue;
		switch (fit_of(p, d)) {
		case FIT_EXACT:
			if (!nexact++)
				exact = p;
			break;
		case FIT_GEOMETRY:
			if (!ngeometry++)
				geometry = p;
			break;
		default:
			break;
		}
	}
	if (nexact == 1 || (nexact == 0 && ngeometry == 1)) {
		m.kind = nexact ? SF_MATCH_EXACT : SF_MATCH_GEOMETRY;
		m.profile = nexact ? exact : geometry;
	} else {
		m.kind = nexact || ngeometry ? SF_MATCH_AMBIGUOUS : SF_MATCH_UNKNOWN;
	}
	return m;
}

const sf_profile *sf_profiles_match_logged(const sf_profile *profiles, size_t n, const sf_dfu_list *list,
					   uint16_t vid, uint16_t pid)
{
	const sf_profile *p = NULL;
	bool seen = false;
	sf_dfu_device bare;
	sf_match m;
	for (size_t i = 0; list && i < list->n; i++) {
		const sf_dfu_device *d = &list->devs[i];
		const sf_profile *q;
		if (d->runtime || d->vid != vid || d->pid != pid)
			continue;
		q = sf_profiles_match_device(profiles, n, d).profile;
		if (seen && q != p)
			return NULL;
		seen = true;
		p = q;
	}
	if (seen)
		return p;
	memset(&bare, 0, sizeof bare);
	bare.vid = vid;
	bare.pid = pid;
	m = sf_profiles_match_device(profiles, n, &bare);
	if (m.kind == SF_MATCH_UNIQUE)
		return m.profile;
	if (m.kind != SF_MATCH_NONE)
		return NULL;
	bare.runtime = true;
	return sf_profiles_match_device(profiles, n, &bare).profile;
}

void sf_profiles_sharing(const sf_profile *profiles, size_t n, uint16_t vid, uint16_t pid, char *buf,
			 size_t size)
{
	size_t used = 0;
	if (!size)
		return;
	buf[0] = '\0';
	for (size_t i = 0; profiles && i < n && used < size - 1; i++) {
		int w;
		if (!has_id(&profiles[i], vid, pid, false))
			continue;
		w = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", profiles[i].id);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

void sf_match_describe_unknown(const sf_match *m, uint16_t vid, uint16_t pid, char *buf, size_t size)
{
	const char *family = m && m->first && m->first->family ? m->first->family : NULL;
	const char *what = m && m->kind == SF_MATCH_AMBIGUOUS ? "family not told apart" : "unknown family";
	if (family)
		snprintf(buf, size, "%04x:%04x (%s, %s)", vid, pid, family, what);
	else
		snprintf(buf, size, "%04x:%04x (%s)", vid, pid, m && m->nshared > 1 ? what : "unknown device");
}

/* One past the last byte of the mapped run containing addr (regions that
 * follow each other without a gap), or 0 when addr is unmapped. */
static uint64_t run_end(const sf_layout *l, uint32_t addr)
{
	uint64_t end = 0;
	for (size_t i = 0; i < l->nregions; i++) {
		const sf_region *r = &l->regions[i];
		if (!end && addr >= r->start && addr < r->end)
			end = r->end;
		else if (end && r->start == end)
			end = r->end;
	}
	return end;
}

int sf_profile_adopt_layouts(sf_profile *p, const sf_dfu_alt *alts, size_t nalts, sf_err *err)
{
	char **text;
	sf_layout *lay;
	bool *keep;
	size_t changed = 0, kept = 0;

	if (!p->layout_sizes_vary || !p->nalts)
		return 0;
	text = calloc(p->nalts, sizeof *text);
	lay = calloc(p->nalts, sizeof *lay);
	keep = calloc(p->nsegments ? p->nsegments : 1, sizeof *keep);
	if (!text || !lay || !keep)
		goto oom;
	for (size_t i = 0; i < p->nalts; i++) {
		const char *got = NULL;
		for (size_t k = 0; k < nalts; k++)
			if ((int)alts[k].alt == p->alts[i].alt)
				got = alts[k].name;
		if (!got || !strcmp(got, p->alts[i].layout_text) ||
		    !sf_layout_same_geometry(got, p->alts[i].layout_text))
			continue;
		if (!(text[i] = strdup(got)))
			goto oom;
		if (sf_layout_parse(got, &lay[i], NULL)) { /* parsed by same_geometry: cannot fail */
			free(text[i]);
			text[i] = NULL;
			continue;
		}
		changed++;
	}
	/* segments on a changed alt end with the device's memory */
	for (size_t s = 0; s < p->nsegments; s++) {
		sf_segment *seg = &p->segments[s];
		keep[s] = true;
		for (size_t i = 0; i < p->nalts; i++) {
			uint64_t end, new_end;
			if (!text[i] || p->alts[i].alt != seg->alt)
				continue;
			new_end = run_end(&lay[i], seg->address);
			if (!new_end) {
				keep[s] = false;
			} else if (seg->has_size) {
				end = (uint64_t)seg->address + seg->size;
				if (new_end < end)
					seg->size = (uint32_t)(new_end - seg->address);
			}
		}
	}
	for (size_t s = 0; s < p->nsegments; s++) {
		if (keep[s]) {
			p->segments[kept++] = p->segments[s];
		} else {
			free(p->segments[s].name);
		}
	}
	p->nsegments = kept;
	for (size_t i = 0; i < p->nalts; i++) {
		if (!text[i])
			continue;
		free(p->alts[i].layout_text);
		sf_layout_free(&p->alts[i].layout);
		p->alts[i].layout_text = text[i];
		p->alts[i].layout = lay[i];
	}
	free(text);
	free(lay);
	free(keep);
	return (int)changed;
oom:
	for (size_t i = 0; text && lay && i < p->nalts; i++) {
		free(text[i]);
		sf_layout_free(&lay[i]);
	}
	free(text);
	free(lay);
	free(keep);
	sf_err_set(err, SF_EXIT_INTERNAL, "out of memory");
	return -1;
}
