# The stage library's sources: stage/build.mk and every outgoing side that
# compiles them for a target of its own (efi/build.mk) read this list.
STAGE_C := stage/stage.c stage/seal.c stage/place.c stage/runs.c stage/list.c stage/linux.c stage/linux_place.c stage/bootinfo.c stage/handoff.c stage/errors.c \
	   fmt/fmt.c fmt/errors.c fmt/elf.c fmt/bzimage.c fmt/multiboot.c core/plan.c core/sort.c core/layout.c core/crc32.c \
	   core/check.c core/chain.c core/memmap.c core/verify.c
