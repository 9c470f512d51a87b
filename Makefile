# SPDX-License-Identifier: GPL-2.0
#
# l4lb: the module (kmod/), l4lbadm (tools/l4lbadm/) and their tests.
#
#   make              build l4lb.ko and l4lbadm
#   make demo         boot a guest, balance traffic through a service
#   make check        every test: W=1, sparse, checkpatch, KUnit, guest
#   make kunit        KUnit suites under UML (with KASAN and lockdep)
#   make guest-tests  the end-to-end tests in a guest kernel
#   make dkms-check   DKMS build and install, then modprobe in a guest
#   make import-check import-keepalived's samples (on the host)
#   make dkms-install install the module with DKMS (as root)
#   make deb          Debian packages l4lb-dkms and l4lbadm, in .deb/
#   make deps         install the Debian packages all of this needs
#   make bench        KUnit micro-benchmarks, then two guest boots under
#                     QEMU icount measuring l4lb against IPVS, nftables and
#                     plain forwarding in instructions (Documentation/bench/)
#   make bench-guard  the short icount run of make check: fails when l4lb's
#                     work over IPVS's (in their hooks; a request's above
#                     plain forwarding) grew by more than 3 to 8% over
#                     tests/bench/baseline.json

# The headers of the running kernel where there are some, else those that
# Debian's linux-headers-amd64 points at (a build machine for a guest).
KVER ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then uname -r; \
	else dpkg-query -W -f='$${Depends}' linux-headers-amd64 2>/dev/null | \
	sed -n 's/.*linux-headers-\([^ ,]*\).*/\1/p'; fi)
KDIR ?= /lib/modules/$(KVER)/build

all: module tools

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools/l4lbadm
	$(MAKE) -C tests/tools

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tools/l4lbadm clean
	$(MAKE) -C tests/tools clean

# Warnings are errors here: W=1, sparse and modpost ("WARNING: modpost:
# ...") must stay silent. The build's own status counts too (pipefail).
check-build: SHELL := /bin/bash
check-build: .SHELLFLAGS := -o pipefail -c
check-build:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 C=2 modules 2>&1 | tee .build.log
	@! grep -iE 'warning:|error:' .build.log

checkpatch:
	tests/checkpatch.sh

kunit:
	tests/kunit/run.sh

spec-check:
	/usr/bin/python3 tests/spec/check.py
	/usr/bin/python3 tests/spec/ecmp_docs.py

guest-tests: all
	tests/guest/run-tests.sh

bench:
	tests/bench/run.sh

bench-guard: all
	tests/bench/guard.sh

bench-baseline: all
	tests/bench/guard.sh --baseline

demo: all
	tests/guest/vm.sh tests/demo.sh

dkms-check:
	tests/dkms.sh check

# import-keepalived on the host: keepalived's parser takes every sample,
# the lines come out byte for byte, healthd takes the checks.
import-check: tools
	tests/import/keepalived.sh
	tests/import/ipvsadm.sh

# The guest tests come last: their closing line counts them.
check: check-build checkpatch spec-check tools import-check kunit dkms-check deb \
	bench-guard guest-tests

dkms-install: tools
	tests/dkms.sh install $(KVER)

deps:
	tests/deps.sh

# Built from a copy of the tree: dpkg-buildpackage writes to its parent.
deb:
	rm -rf .deb
	mkdir -p .deb/l4lb
	cp -a Kbuild Makefile dkms.conf README.md kmod include tools debian \
		.deb/l4lb/
	cd .deb/l4lb && dpkg-buildpackage -us -uc -b
	rm -rf .deb/l4lb
	ls .deb/*.deb

.PHONY: all module tools clean check-build checkpatch kunit guest-tests \
	demo bench bench-guard bench-baseline check spec-check dkms-check \
	import-check \
	dkms-install deps deb
