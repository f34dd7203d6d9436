# What the host test suites share: tests/host/hostfile.c reads whole files and
# the kernel the tests use, which mk/vmlinuz.sh chooses (the image package
# linux-image-amd64 depends on). The script's absolute path is compiled in, so a
# suite finds the same kernel whether make check, make coverage or a shell runs it.

HOSTFILE_DEFS := -DHOST_VMLINUZ_SH='"$(abspath mk/vmlinuz.sh)"'
