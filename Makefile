# SPDX-License-Identifier: GPL-2.0
# acall: the one entry point. "make help" lists the targets.

ifeq ($(origin KDIR),undefined)
KDIR	:= $(shell scripts/kernels.sh default-kdir)
endif
OUT	?= build
PREFIX	?= /usr/local
# Where the libraries and acall.pc go; Debian's packages use the multiarch
# directory (/usr/lib/x86_64-linux-gnu).
LIBDIR	?= $(PREFIX)/lib

KREL	:= $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)

# The module is built outside the source tree, one directory per kernel, so
# several kernels' objects never mix. ACALL_INJECT=1 builds the test-only
# variant that can inject kernel bugs (see kmod/inject.h).
KMOD_OUT := $(OUT)/kmod/$(KREL)$(if $(filter 1,$(ACALL_INJECT)),-inject)
KMOD_SRC := Kbuild $(wildcard kmod/*.c kmod/*.h) uapi/linux/acall.h

# Userspace: C11, warnings are errors.
CC	?= gcc
WARN	:= -Wall -Wextra -Werror
CFLAGS	?= -O2 -g
# libacall's submission queue is liburcu's wait-free queue (liburcu-cds, or
# the two library names when pkg-config is missing). Static users of
# libacall need these libraries too; acall.pc says so.
URCU_PC     := liburcu-cds
URCU_CFLAGS := $(shell pkg-config --cflags $(URCU_PC) 2>/dev/null)
URCU_LIBS   := $(or $(shell pkg-config --libs $(URCU_PC) 2>/dev/null),-lurcu-common -lurcu-cds)
LIB_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -fPIC -fvisibility=hidden \
	      -Iuapi -Ilibacall/include $(URCU_CFLAGS) $(CPPFLAGS) $(CFLAGS)
# -z nodelete: dlclose() must not unmap code its threads may still run.
LIB_LDFLAGS := -Wl,--no-undefined -Wl,--as-needed -Wl,-z,nodelete \
	       $(URCU_LIBS) -lpthread

# Selftests run under ASan and UBSan unless SANITIZE=0. The kselftest
# harness's macros leave parameters unused and compare mixed signedness,
# hence those two exceptions.
SANITIZE ?= 1
comma := ,
SAN_FLAGS := $(if $(filter 1,$(SANITIZE)),-fsanitize=address$(comma)undefined \
	     -fno-sanitize-recover=all -fno-omit-frame-pointer)
KSFT_DIR := $(OUT)/ksrc-6.12/tools/testing/selftests
TEST_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) -Wno-unused-parameter -Wno-sign-compare -Iuapi -Ikmod -Ilibacall/include \
	       -I$(KSFT_DIR) $(SAN_FLAGS) $(CFLAGS)
TEST_LDFLAGS := $(SAN_FLAGS) -L$(OUT)/lib -Wl,-rpath,'$$ORIGIN/../lib' -lacall -lpthread

# debian/changelog carries the same version ("make deb" checks).
VERSION     := 1.3.0
LIB_VERSION := $(VERSION)
LIB_SONAME  := libacall.so.1
LIB_SRC  := $(wildcard libacall/*.c)
LIB_OBJ  := $(LIB_SRC:libacall/%.c=$(OUT)/lib/obj/%.o)

TEST_C   := $(wildcard selftests/*_test.c)
TEST_BIN := $(TEST_C:selftests/%.c=$(OUT)/selftests/%)
TEST_SH  := $(wildcard selftests/*_test.sh) selftests/run_tests.sh
TEST_SH_OUT := $(TEST_SH:selftests/%=$(OUT)/selftests/%)

.PHONY: all module lib selftests pipeline-tools examples bench-tools bench bench-full install install-udev setup check check-under-load \
	lint vmtest demo debug-kernel deb clean help

all: module lib selftests examples bench-tools

help:
	@echo "make [all]        build acall.ko (KDIR=...), libacall and the selftests"
	@echo "make module       build acall.ko for KDIR (default: $(KDIR))"
	@echo "make lib          build libacall.so, libacall.a and acall.pc"
	@echo "make selftests    build the selftests"
	@echo "make install      install-lib, install-man, install-module and install-posixaio"
	@echo "make install-lib  install libacall, its headers and acall.pc under PREFIX"
	@echo "make install-man  install the manual pages under PREFIX/share/man"
	@echo "make install-module  install acall.ko for KDIR's kernel, then depmod"
	@echo "make install-posixaio  install libacall-posixaio.so (LD_PRELOAD) under PREFIX"
	@echo "make install-dkms install the module's sources for DKMS and build it"
	@echo "make install-udev install the udev rule giving the kvm group /dev/acall"
	@echo "make deb          Debian packages into $(OUT)/deb: acall-dkms, libacall1, libacall-dev, libacall-posixaio"
	@echo "make setup        install the Debian packages everything needs"
	@echo "make lint         W=1, sparse, checkpatch --strict, and the man pages"
	@echo "make vmtest K=6.1|6.12|6.12-rt|debug   run the selftests in a VM on one kernel"
	@echo "make check        setup, lint and the selftests on every kernel (what CI runs)"
	@echo "make check-under-load [ROUNDS=3]  the selftests on every kernel beside stress-ng"
	@echo "make soak [DURATION=min]  fuzz, stress, kill storms, faults on the debug kernel"
	@echo "make demo         the demonstration, in a VM"
	@echo "make bench-tools  build the benchmark (acall-bench, hotread, ordercost, handoff)"
	@echo "make bench        the quick benchmark profile in a VM: tables, JSON, charts"
	@echo "make bench-full   the full benchmark matrix in a VM"
	@echo "make debug-kernel build (once, cached) the KASAN/lockdep/kmemleak kernel"
	@echo "make posixaio-fio fio on glibc's POSIX AIO and on acall's, side by side (K=6.12)"
	@echo "make fio-engine   build/fio/libacall-fio.so, fio's ioengine=external:PATH for acall"
	@echo "make qemu         QEMU's qemu-img, qemu-io, qemu-nbd, qemu-storage-daemon with aio=acall (qemu/), built once, cached"
	@echo "make qemu-bench   qemu-img bench with aio=threads, native, io_uring and acall side by side, in a VM"
	@echo "make qemu-iotests QEMU's tests/qemu-iotests (raw, qcow2; group auto) on aio=acall and aio=io_uring, in a VM"

# ---- the module -----------------------------------------------------------

module: $(KMOD_OUT)/acall.ko

# The kernel's own build: one rebuilt under the same release (the debug
# kernel after a change of its configuration) must not keep a module built
# for the old one, whose structure layouts may differ.
KMOD_KERNEL := $(wildcard $(KDIR)/Module.symvers)

$(KMOD_OUT)/acall.ko: $(KMOD_SRC) $(KMOD_KERNEL)
	@test -n "$(KREL)" || { echo "no kernel build tree at KDIR=$(KDIR)"; exit 1; }
	@if [ -n "$(KMOD_KERNEL)" ] && [ -e $@ ] && [ $(KMOD_KERNEL) -nt $@ ]; then \
		rm -rf $(KMOD_OUT); fi
	@mkdir -p $(KMOD_OUT)
	@cp -p --parents $(KMOD_SRC) $(KMOD_OUT)/
	$(MAKE) -C $(KDIR) M=$(abspath $(KMOD_OUT)) ACALL_INJECT=$(ACALL_INJECT) \
		$(if $(W),W=$(W)) $(if $(C),C=$(C)) modules

# ---- libacall -------------------------------------------------------------

lib: $(OUT)/lib/libacall.so $(OUT)/lib/libacall.a $(OUT)/lib/acall.pc posixaio

$(OUT)/lib/obj/%.o: libacall/%.c $(wildcard libacall/*.h libacall/include/*.h) uapi/linux/acall.h
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -c $< -o $@

$(OUT)/lib/libacall.so.$(LIB_VERSION): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) -o $@ $^ $(LDFLAGS) $(LIB_LDFLAGS)

$(OUT)/lib/libacall.so: $(OUT)/lib/libacall.so.$(LIB_VERSION)
	ln -sf libacall.so.$(LIB_VERSION) $(OUT)/lib/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $@

$(OUT)/lib/libacall.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

# acall.pc, for PREFIX and LIBDIR (relative to ${prefix} when under it);
# installed as acall.pc and as libacall.pc, the library's name.
PC_LIBDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(PC_LIBDIR)|' \
	     -e 's|@VERSION@|$(LIB_VERSION)|'
$(OUT)/lib/acall.pc: libacall/acall.pc.in
	@mkdir -p $(dir $@)
	$(PC_SED) $< > $@

# The library, its headers and acall.pc (for the PREFIX given here), and the
# module for the kernel at KDIR.
install: install-lib install-module

install-lib: lib
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include/linux
	install -m 644 libacall/include/acall.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 uapi/linux/acall.h $(DESTDIR)$(PREFIX)/include/linux/
	install -m 755 $(OUT)/lib/libacall.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/
	cp -P $(OUT)/lib/$(LIB_SONAME) $(OUT)/lib/libacall.so $(DESTDIR)$(LIBDIR)/
	install -m 644 $(OUT)/lib/libacall.a $(DESTDIR)$(LIBDIR)/
	$(PC_SED) libacall/acall.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/acall.pc
	$(PC_SED) libacall/acall.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libacall.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/acall.pc $(DESTDIR)$(LIBDIR)/pkgconfig/libacall.pc
	$(if $(DESTDIR),,ldconfig)

# acall.ko into /lib/modules/KREL/updates (under DESTDIR, if given) for the
# kernel at KDIR, then depmod, so that "modprobe acall" finds it. Unsigned:
# a distribution's signing key is not on the machine (DKMS signs with its
# own machine owner key where Secure Boot needs one).
install-module: module
	$(MAKE) -C $(KDIR) M=$(abspath $(KMOD_OUT)) CONFIG_MODULE_SIG_ALL= \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(abspath $(DESTDIR))) \
		INSTALL_MOD_DIR=updates modules_install
	depmod $(if $(DESTDIR),-b $(abspath $(DESTDIR))) $(KREL)

# The module's sources in /usr/src/acall-VERSION with dkms.conf; without
# DESTDIR also registered with DKMS (replacing an earlier registration of
# the same version, so that a new checkout's sources are the ones built)
# and built and installed for KDIR's kernel; DKMS then builds it for every
# kernel installed later.
DKMS_SRC = $(DESTDIR)/usr/src/acall-$(VERSION)
install-dkms:
	@$(if $(DESTDIR),,! dpkg -S /usr/src/acall-$(VERSION) >/dev/null 2>&1 || \
		{ echo "acall-dkms $(VERSION) is installed as a package:" \
		       "remove it first (apt remove acall-dkms)" >&2; exit 1; })
	$(if $(DESTDIR),,! dkms status -m acall -v $(VERSION) | grep -q . || \
		dkms remove -m acall -v $(VERSION) --all)
	install -d $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi/linux
	install -m 644 Kbuild $(DKMS_SRC)/
	install -m 644 $(filter-out kmod/inject.%,$(wildcard kmod/*.c kmod/*.h)) kmod/inject.h $(DKMS_SRC)/kmod/
	install -m 644 uapi/linux/acall.h $(DKMS_SRC)/uapi/linux/
	sed 's|@VERSION@|$(VERSION)|' dkms.conf > $(DKMS_SRC)/dkms.conf
	$(if $(DESTDIR),,dkms add -m acall -v $(VERSION))
	$(if $(DESTDIR),,dkms install -m acall -v $(VERSION) -k $(KREL))

# /dev/acall for the kvm group (udev/60-acall.rules); then "udevadm trigger".
UDEV_RULES_DIR ?= /etc/udev/rules.d
install-udev:
	install -D -m 644 udev/60-acall.rules $(DESTDIR)$(UDEV_RULES_DIR)/60-acall.rules

# The manual pages: libacall's functions (3), the device (4), the model (7).
# "scripts/man-check.sh" checks them. The .so link pages are installed as
# they are; man(1) resolves them from the top of MANDIR.
MANDIR ?= $(PREFIX)/share/man
install: install-man
.PHONY: install-man
install-man:
	install -d $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man4 $(DESTDIR)$(MANDIR)/man7
	install -m 644 man/man3/*.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 644 man/man4/*.4 $(DESTDIR)$(MANDIR)/man4/
	install -m 644 man/man7/*.7 $(DESTDIR)$(MANDIR)/man7/

# ---- selftests ------------------------------------------------------------

selftests: $(TEST_BIN) $(TEST_SH_OUT)

$(KSFT_DIR)/kselftest_harness.h:
	scripts/kernel-source.sh 6.12 $(OUT)/ksrc-6.12 \
		tools/testing/selftests/kselftest_harness.h \
		tools/testing/selftests/kselftest.h

$(OUT)/selftests/%: selftests/%.c $(KSFT_DIR)/kselftest_harness.h \
		  $(wildcard selftests/*.h) $(OUT)/lib/libacall.so
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(TEST_LDFLAGS)

# The WAIT test that needs task work gets it from an io_uring read.
$(OUT)/selftests/eventfd_wait_test: TEST_LDFLAGS += -luring

$(OUT)/selftests/%.sh: selftests/%.sh
	@mkdir -p $(dir $@)
	install -m 755 $< $@

# ---- hardening: fuzzer, stress, kill storm, fault injection (issue 7) ------
# Tools the *_test.sh selftests and "make soak" run in the VM, built like the
# selftests (ASan, UBSan) into the same directory, named acall-NAME so that
# run_tests.sh does not take them for tests.
HARDEN_C   := $(wildcard selftests/hardening/*.c)
HARDEN_BIN := $(HARDEN_C:selftests/hardening/%.c=$(OUT)/selftests/acall-%)

selftests: $(HARDEN_BIN) $(OUT)/selftests/hardening.sh

$(OUT)/selftests/acall-%: selftests/hardening/%.c $(wildcard selftests/hardening/*.h) \
		       selftests/task_state.h $(OUT)/lib/libacall.so
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(TEST_LDFLAGS)

$(OUT)/selftests/hardening.sh: selftests/hardening/hardening.sh
	@mkdir -p $(dir $@)
	install -m 644 $< $@

# "make soak [DURATION=minutes]": the long versions on the debug kernel; the
# README's table of what they survived is rewritten from the run.
DURATION ?= 40
.PHONY: soak
soak:
	scripts/soak.sh $(DURATION)
# ---- end of hardening --------------------------------------------------------

# Tools of the pipeline's own check (scripts/pipeline-test.sh), kept out of
# the suite: a test that fails on purpose and a kernel-bug injector.
pipeline-tools: $(OUT)/pipeline/fail_test $(OUT)/pipeline/inject

$(OUT)/pipeline/%: selftests/pipeline/%.c $(KSFT_DIR)/kselftest_harness.h kmod/inject.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(SAN_FLAGS)

# ---- libacall-posixaio ----------------------------------------------------
# POSIX AIO on acall, for LD_PRELOAD (Documentation/posixaio.rst). One
# file: libacall's own objects are linked in, and only the aio_*/lio_*
# functions are exported (exports.map).

PA_SRC := $(wildcard libacall/posixaio/*.c)
PA_OBJ := $(PA_SRC:libacall/posixaio/%.c=$(OUT)/lib/obj/posixaio/%.o)
PA_MAP := libacall/posixaio/exports.map
PA_LIB := $(OUT)/lib/libacall-posixaio.so

.PHONY: posixaio
posixaio: $(PA_LIB)

# -fexceptions, as glibc builds its own cancellation points: a thread
# canceled in aio_suspend() runs the compiler's cleanups (suspend.c).
$(OUT)/lib/obj/posixaio/%.o: libacall/posixaio/%.c libacall/posixaio/posixaio.h \
			     libacall/include/acall.h uapi/linux/acall.h
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -fexceptions -c $< -o $@

$(PA_LIB): $(PA_OBJ) $(LIB_OBJ) $(PA_MAP)
	$(CC) -shared -Wl,-soname,libacall-posixaio.so -Wl,--version-script=$(PA_MAP) \
		-o $@ $(PA_OBJ) $(LIB_OBJ) $(LDFLAGS) $(LIB_LDFLAGS)

# The fio comparison goes to the VM with the selftests, which use it too.
selftests: $(OUT)/selftests/posixaio-fio.sh
$(OUT)/selftests/posixaio-fio.sh: scripts/posixaio-fio.sh
	@mkdir -p $(dir $@)
	install -m 755 $< $@

# PA_LIBDIR: Debian's package puts it in a directory of its own, as a
# preloaded object without a versioned soname belongs.
PA_LIBDIR ?= $(LIBDIR)
install: install-posixaio
.PHONY: install-posixaio
install-posixaio: $(PA_LIB)
	install -d $(DESTDIR)$(PA_LIBDIR)
	install -m 755 $(PA_LIB) $(DESTDIR)$(PA_LIBDIR)/

# fio on glibc's POSIX AIO and on acall's, side by side, in a VM (K=6.12).
.PHONY: posixaio-fio
posixaio-fio:
	scripts/vmtest.sh $(or $(K),6.12) \
		'ACALL_POSIXAIO_FIO_FULL=1 sh selftests/run_tests.sh posixaio_fio_test.sh'

# Its selftests link it directly: ASan refuses to run under LD_PRELOAD.
PA_TEST_BIN := $(filter $(OUT)/selftests/posixaio_%,$(TEST_BIN))
$(PA_TEST_BIN): $(PA_LIB)
$(PA_TEST_BIN): TEST_LDFLAGS += -lacall-posixaio

# ASan's allocator (GCC 12's) takes none of its locks across fork(): a
# child forked while another thread allocates waits forever for a lock
# that thread held. The fork test, whose parent has libacall-posixaio's
# threads, runs with UBSan alone; glibc's malloc is fork-safe.
NO_ASAN = $(subst -fsanitize=address$(comma)undefined,-fsanitize=undefined,$(1))
$(OUT)/selftests/posixaio_fork_test: TEST_CFLAGS := $(call NO_ASAN,$(TEST_CFLAGS))
$(OUT)/selftests/posixaio_fork_test: TEST_LDFLAGS := $(call NO_ASAN,$(TEST_LDFLAGS)) -lacall-posixaio
# ASan does not see a canceled thread's stack unwound (glibc's forced
# unwinding): it reports the stack's red zones when the thread exits.
$(OUT)/selftests/posixaio_thread_cancel_test: TEST_CFLAGS := $(call NO_ASAN,$(TEST_CFLAGS))
$(OUT)/selftests/posixaio_thread_cancel_test: TEST_LDFLAGS := $(call NO_ASAN,$(TEST_LDFLAGS)) -lacall-posixaio

# ---- the fio engine -------------------------------------------------------
# fio's ioengine=external:$(OUT)/fio/libacall-fio.so (Documentation/fio.rst),
# built against the headers of the installed fio's own source
# (scripts/fio-source.sh fetches and configures it once, then reuses it), or
# of the configured fio tree FIO_SRC=DIR. libacall is linked in and kept
# private: the engine exports its ioengine_ops alone. fio's functions it
# calls are the running fio's, hence no --no-undefined. GNU C11: fio's
# atomics (lib/seqlock.h, arch/) are written with typeof.

FIO_ENGINE := $(OUT)/fio/libacall-fio.so
FIO_ENGINE_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) -fPIC -fvisibility=hidden \
		     -Iuapi -Ilibacall/include $(CFLAGS)

.PHONY: fio-engine FORCE
fio-engine: $(FIO_ENGINE)

# The tree's path, rewritten only when it changes (a new fio version), so
# that the engine is rebuilt then and only then.
$(OUT)/fio/fio-source: FORCE
	@mkdir -p $(dir $@)
	@src=$$($(if $(FIO_SRC),echo $(abspath $(FIO_SRC)),scripts/fio-source.sh)) && \
		test -f "$$src/config-host.h" -a -f "$$src/FIO-VERSION-FILE" || \
		{ echo "fio-engine: no configured fio tree ($$src)" >&2; exit 1; }; \
		echo "$$src" > $@.new; \
		if cmp -s $@.new $@; then rm -f $@.new; else mv -f $@.new $@; fi

$(FIO_ENGINE): fio/acall-engine.c $(OUT)/fio/fio-source $(OUT)/lib/libacall.a \
		libacall/include/acall.h uapi/linux/acall.h
	@mkdir -p $(dir $@)
	src=$$(cat $(OUT)/fio/fio-source) && \
	ver=$$(sed -n 's/^FIO_VERSION = //p' "$$src/FIO-VERSION-FILE") && \
	$(CC) $(FIO_ENGINE_CFLAGS) -isystem "$$src" -include "$$src/config-host.h" \
		-DACALL_FIO_VERSION="\"$$ver\"" -shared -o $@ $< \
		$(OUT)/lib/libacall.a -Wl,--exclude-libs,libacall.a -Wl,--as-needed \
		-Wl,-z,nodelete $(LDFLAGS) $(URCU_LIBS) -lpthread

# ---- examples -------------------------------------------------------------

EXAMPLES := $(patsubst examples/%.c,$(OUT)/examples/%,$(wildcard examples/*.c))

examples: $(EXAMPLES)

$(OUT)/examples/%: examples/%.c $(OUT)/lib/libacall.a
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -Iuapi -Ilibacall/include $(CFLAGS) \
		$< -o $@ $(OUT)/lib/libacall.a $(URCU_LIBS) -lpthread

# ---- the benchmark --------------------------------------------------------
# bench-tools builds them; bench runs the quick profile in a VM, bench-full
# the full matrix (scripts/bench.sh, Documentation/bench.rst).

BENCH_TOOL_SRC := $(wildcard bench/acall-bench/*.c)
BENCH_TOOLS := $(patsubst bench/%.c,$(OUT)/bench/%,$(wildcard bench/*.c)) \
	       $(OUT)/bench/acall-bench $(OUT)/bench/profile.sh \
	       $(OUT)/bench/hotread-compare.sh $(OUT)/bench/perf-engines.sh \
	       $(OUT)/bench/bench-compare.sh \
	       $(OUT)/bench/guest-ext4.sh

bench-tools: $(BENCH_TOOLS)

$(OUT)/bench/%: bench/%.c $(OUT)/lib/libacall.a
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -Iuapi -Ilibacall/include $(CFLAGS) \
		$< -o $@ $(OUT)/lib/libacall.a $(URCU_LIBS) $(BENCH_LIBS) -lpthread

# hotread compares with io_uring.
$(OUT)/bench/hotread: BENCH_LIBS := -luring

$(OUT)/bench/acall-bench: $(BENCH_TOOL_SRC) $(wildcard bench/acall-bench/*.h) \
			   $(OUT)/lib/libacall.a
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -Iuapi -Ilibacall/include $(CFLAGS) \
		$(BENCH_TOOL_SRC) -o $@ $(OUT)/lib/libacall.a $(URCU_LIBS) \
		-luring -laio -lpthread

$(OUT)/bench/%.sh: bench/%.sh
	@mkdir -p $(dir $@)
	install -m 755 $< $@

bench: setup
	scripts/bench.sh quick

bench-full: setup
	scripts/bench.sh full

# ---- Debian packages ------------------------------------------------------
# debian/ builds acall-dkms, libacall1, libacall-dev and libacall-posixaio
# with debhelper, from a copy of the tree under $(OUT)/deb (the packages land
# beside it, in $(OUT)/deb; their debug symbols in $(OUT)/deb/dbgsym), so
# nothing is written outside $(OUT).
# scripts/deb-check.sh installs them on a clean root and runs a program.
DEB_OUT := $(OUT)/deb
deb:
	@v=$$(dpkg-parsechangelog -S Version) && [ "$$v" = "$(VERSION)" ] || \
		{ echo "deb: debian/changelog says $$v, the Makefile $(VERSION)" >&2; exit 1; }
	rm -rf $(DEB_OUT)
	mkdir -p $(DEB_OUT)/acall-$(VERSION)
	tar -c --exclude-vcs --exclude=./build --exclude=./$(OUT) -f - . | \
		tar -x -C $(DEB_OUT)/acall-$(VERSION)
	cd $(DEB_OUT)/acall-$(VERSION) && dpkg-buildpackage -us -uc -b
	mkdir -p $(DEB_OUT)/dbgsym
	find $(DEB_OUT) -maxdepth 1 -name '*-dbgsym_*.deb' -exec mv -t $(DEB_OUT)/dbgsym {} +
	@ls $(DEB_OUT)/*.deb

# ---- checks ---------------------------------------------------------------

setup:
	scripts/setup.sh

lint:
	scripts/lint.sh

vmtest: all
	scripts/vmtest.sh $(or $(K),6.12)

check:
	scripts/check.sh

check-under-load:
	scripts/load-test.sh $(or $(ROUNDS),3)

demo:
	scripts/demo.sh

debug-kernel:
	scripts/debug-kernel.sh

# QEMU's block tools with aio=acall: Debian's QEMU source with qemu/patches,
# built once and cached (scripts/qemu-build.sh, which prints where); the
# selftest qemu_io_test.sh runs them in the VM once they are cached.
.PHONY: qemu
qemu: setup lib
	scripts/qemu-build.sh

# qemu-img bench with each aio mode, side by side, in one VM run on the 6.12
# kernel (scripts/qemu-bench.sh; results in build/bench-results/qemu/).
.PHONY: qemu-bench
qemu-bench: setup lib
	scripts/qemu-bench.sh

# QEMU's own iotests with -i acall and -i io_uring, in one VM run on the
# 6.12 kernel (scripts/qemu-iotests.sh; results in build/qemu-iotests/).
.PHONY: qemu-iotests
qemu-iotests: setup lib
	scripts/qemu-iotests.sh

clean:
	rm -rf $(OUT)
