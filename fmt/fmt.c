/* SPDX-License-Identifier: MIT */
/*
 * fmt/: format dispatch and error messages. Formats are tried in table order;
 * the first whose probe claims the image decides, even if its load then
 * fails: a damaged ELF should say what is wrong with it, not "unsupported".
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fmt/bzimage.h"
#include <stdarg.h>
#include <stdio.h>
#include "fmt/fmt.h"

/*
 * ELF64 first: it is what baton launches today. The table holds function
 * pointers, so in a position-independent build it needs R_X86_64_RELATIVE
 * relocations applied (or a non-PIE link) before fmt_load() is called.
 */
static const struct fmt_format fmt_formats[] = {
	{ "elf64", fmt_elf64_probe, fmt_elf64_load },
	{ "elf32", fmt_elf32_probe, fmt_elf32_load },
	{ NULL, NULL, NULL },
};

int fmt_load(const void *buf, uint64_t len, struct fmt_image *img)
{
	for (const struct fmt_format *f = fmt_formats; f->name; f++)
		if (f->probe(buf, len))
			return f->load(buf, len, img);
	memset(img, 0, sizeof(*img));	/* as every load does on error: nseg 0 */
	return FMT_E_UNSUPPORTED;
}

int fmt_fail(char *msg, size_t msglen, int err, const char *fmt, ...)
{
	va_list ap;

	if (msg && msglen) {
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return err;
}
