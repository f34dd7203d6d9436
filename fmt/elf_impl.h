/* SPDX-License-Identifier: MIT */
/*
 * One ELF class's probe and load. fmt/elf.c includes this file once per class
 * with ELF_BITS set to 64 or 32, after defining the structs and the helpers
 * shared by both (elf_has_magic, elf_probe, elf_range_ok, elf_in_buffer,
 * elf_add_segment, elf_finish). No include guard: included twice on purpose.
 *
 * The class-specific parts are only the struct types, the expected class and
 * machine, and the top of the address space (ELF32 segments must end at or
 * below 4 GiB: that is all a 32-bit entry can reach).
 */
#if ELF_BITS == 64
#define ELF_EHDR	struct elf64_ehdr
#define ELF_PHDR	struct elf64_phdr
#define ELF_CLASS	ELFCLASS64
#define ELF_MACHINE	EM_X86_64
#define ELF_KIND	FMT_KIND_ELF64
#define ELF_LIMIT	UINT64_MAX
#define ELF_FN(name)	fmt_elf64_##name
#elif ELF_BITS == 32
#define ELF_EHDR	struct elf32_ehdr
#define ELF_PHDR	struct elf32_phdr
#define ELF_CLASS	ELFCLASS32
#define ELF_MACHINE	EM_386
#define ELF_KIND	FMT_KIND_ELF32
#define ELF_LIMIT	(1ULL << 32)
#define ELF_FN(name)	fmt_elf32_##name
#else
#error "elf_impl.h: define ELF_BITS as 32 or 64 before including it"
#endif

int ELF_FN(probe)(const void *buf, uint64_t len)
{
	return elf_probe(buf, len, ELF_CLASS);
}

/* Identification, machine and type: everything judged from the ELF header alone. */
static int ELF_FN(check_ehdr)(const ELF_EHDR *eh)
{
	if (eh->e_ident[EI_CLASS] != ELF_CLASS ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_ident[EI_VERSION] != EV_CURRENT ||
	    eh->e_version != EV_CURRENT)
		return FMT_E_CLASS;
	if (eh->e_machine != ELF_MACHINE)
		return FMT_E_MACHINE;
	/* ET_DYN (PIE) would need relocating: baton places bytes, nothing more. */
	if (eh->e_type != ET_EXEC)
		return FMT_E_TYPE;
	return 0;
}

/*
 * The program header table must be whole inside the buffer, with entries of
 * exactly our struct's size: a larger e_phentsize is legal ELF in theory but
 * nothing produces it, and accepting it would mean stepping by a size we do
 * not parse. e_phnum * e_phentsize is u16 * u16, so it cannot overflow u64;
 * e_phoff + that can, hence elf_in_buffer().
 */
static int ELF_FN(check_phtab)(const ELF_EHDR *eh, uint64_t len)
{
	if (eh->e_phnum == 0)
		return 0;	/* no segments: elf_finish() reports it */
	if (eh->e_phentsize != sizeof(ELF_PHDR) || eh->e_phnum == PN_XNUM)
		return FMT_E_PHDR;
	if (!elf_in_buffer(eh->e_phoff, (uint64_t)eh->e_phnum * eh->e_phentsize, len))
		return FMT_E_PHDR;
	return 0;
}

/*
 * One PT_LOAD to a segment. Both the physical range (where the bytes go) and
 * the virtual one (used to translate the entry) must not wrap. A segment
 * without file bytes gets offset 0, so no consumer ever forms a pointer from
 * an offset nobody checked.
 */
static int ELF_FN(segment)(const ELF_PHDR *ph, uint64_t len, struct fmt_segment *s)
{
	memset(s, 0, sizeof(*s));
	if (ph->p_filesz > ph->p_memsz)
		return FMT_E_FILESZ;
	if (ph->p_memsz == 0)
		return 0;	/* occupies nothing: the caller skips it */
	if (ph->p_filesz && !elf_in_buffer(ph->p_offset, ph->p_filesz, len))
		return FMT_E_OFFSET;
	if (!elf_range_ok(ph->p_paddr, ph->p_memsz, ELF_LIMIT) ||
	    !elf_range_ok(ph->p_vaddr, ph->p_memsz, ELF_LIMIT))
		return FMT_E_OVERFLOW;
	s->paddr = ph->p_paddr;
	s->filesz = ph->p_filesz;
	s->memsz = ph->p_memsz;
	s->offset = ph->p_filesz ? ph->p_offset : 0;
	s->flags = ph->p_flags;
	return 0;
}

/*
 * e_entry is a virtual address; the loader jumps with paging as baton set it
 * up (identity), so it needs the physical one. The subtraction is unsigned:
 * an entry below p_vaddr wraps to a huge value and fails the test.
 */
static int ELF_FN(entry_in)(const ELF_EHDR *eh, const ELF_PHDR *ph, uint64_t *entry)
{
	uint64_t delta = (uint64_t)eh->e_entry - ph->p_vaddr;

	if (delta >= ph->p_memsz)
		return 0;
	*entry = ph->p_paddr + delta;	/* < p_paddr + p_memsz: checked not to wrap */
	return 1;
}

/* Walk the program headers, collecting segments and the entry's translation. */
static int ELF_FN(walk)(const uint8_t *p, uint64_t len, const ELF_EHDR *eh,
			struct fmt_image *img, int *have_entry)
{
	for (uint32_t i = 0; i < eh->e_phnum; i++) {
		struct fmt_segment seg;
		ELF_PHDR ph;
		int err;

		memcpy(&ph, p + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		err = ELF_FN(segment)(&ph, len, &seg);
		if (err)
			return err;
		if (seg.memsz == 0)
			continue;
		if (!*have_entry)
			*have_entry = ELF_FN(entry_in)(eh, &ph, &img->entry);
		err = elf_add_segment(img, &seg);
		if (err)
			return err;
	}
	return 0;
}

int ELF_FN(load)(const void *buf, uint64_t len, struct fmt_image *img)
{
	const uint8_t *p = buf;
	int have_entry = 0;
	ELF_EHDR eh;
	int err;

	memset(img, 0, sizeof(*img));
	if (!elf_has_magic(p, len))
		return FMT_E_UNSUPPORTED;
	if (len < sizeof(eh))
		return FMT_E_TRUNCATED;
	memcpy(&eh, p, sizeof(eh));	/* aligned copy: buf may be unaligned */
	err = ELF_FN(check_ehdr)(&eh);
	if (!err)
		err = ELF_FN(check_phtab)(&eh, len);
	if (!err)
		err = ELF_FN(walk)(p, len, &eh, img, &have_entry);
	if (!err)
		err = elf_finish(img);
	if (!err && !have_entry)
		err = FMT_E_ENTRY;
	if (err) {
		img->nseg = 0;	/* no half-filled list for a caller that ignores err */
		return err;
	}
	img->kind = ELF_KIND;
	return 0;
}

#undef ELF_EHDR
#undef ELF_PHDR
#undef ELF_CLASS
#undef ELF_MACHINE
#undef ELF_KIND
#undef ELF_LIMIT
#undef ELF_FN
