#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds a UML kernel from Debian's linux-source-6.1 with l4lb grafted in as
# net/l4lb/ and runs l4lb's KUnit suites under KASAN and lockdep
# (tests/kunit/kunitconfig). The unpacked tree and the build folder live in
# the cache ($L4LB_CACHE), so later runs rebuild only what changed.
#
#   run.sh [ARGS]          the test suites (make kunit)
#   run.sh --bench [ARGS]  only the micro-benchmarks (make bench), in a
#                          kernel of their own without KASAN and lockdep,
#                          which would time themselves, not l4lb
# ARGS go to kunit.py run. The kernel's log stays in BUILD/test.log.

set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"

config=kunitconfig
build=kunit-build
filter=()
if [ "${1:-}" = --bench ]; then
	shift
	config=bench.kunitconfig
	build=kunit-bench-build
	filter=(l4lb_bench)
fi

tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || die "install linux-source-6.1"
src=$L4LB_CACHE/linux-source-6.1
stamp=$(dpkg-query -W -f='${Version}' linux-source-6.1)

mkdir -p "$L4LB_CACHE"
if [ "$(cat "$src/.l4lb-stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "kunit: unpacking $tarball" >&2
	rm -rf "$src" "$L4LB_CACHE/kunit-build" "$L4LB_CACHE/kunit-bench-build"
	tar -C "$L4LB_CACHE" -xf "$tarball"
	echo "$stamp" > "$src/.l4lb-stamp"
fi

# Graft: a copy of the sources only (an O= build must not find the objects
# of an out-of-tree build in its source tree). A file is copied (with a new
# modification time) only when its content changed since the last graft, so
# unchanged files are not rebuilt, and a tree whose files are older than
# the objects another tree built (a second checkout) is rebuilt all the same.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
(cd "$L4LB_REPO" && find Kbuild kmod include tests/kunit \
	\( -name '*.[ch]' -o -name Kbuild -o -name Kconfig \) -print |
	cpio -pd --quiet "$stage")
mkdir -p "$src/net/l4lb"
(cd "$stage" && find . -type f) | while read -r f; do
	cmp -s "$stage/$f" "$src/net/l4lb/$f" && continue
	mkdir -p "$(dirname "$src/net/l4lb/$f")"
	cp "$stage/$f" "$src/net/l4lb/$f"
done
(cd "$src/net/l4lb" && find . -type f) | while read -r f; do
	[ -e "$stage/$f" ] || rm -f "$src/net/l4lb/$f"
done
grep -q 'net/l4lb/kmod/Kconfig' "$src/net/Kconfig" ||
	sed -i '/source "net\/netfilter\/Kconfig"/a source "net/l4lb/kmod/Kconfig"' \
		"$src/net/Kconfig"
grep -q 'l4lb/' "$src/net/Makefile" ||
	echo 'obj-$(CONFIG_L4LB) += l4lb/' >> "$src/net/Makefile"

cd "$src"
rm -f "$L4LB_CACHE/$build/test.log"
rc=0
python3 tools/testing/kunit/kunit.py run \
	--kunitconfig "$L4LB_REPO/tests/kunit/$config" \
	--build_dir "$L4LB_CACHE/$build" \
	--jobs "$(nproc)" --timeout 900 "$@" "${filter[@]}" || rc=$?

# KUnit in 6.1 fails a test on UBSAN's reports but not on KASAN's, lockdep's
# or a WARN: whatever the verdicts, the kernel's log must have none.
bad='BUG:|WARNING:|Oops|KASAN|UBSAN|lockdep|possible recursive locking|circular locking|ODEBUG|rcu.*stall|general protection'
if grep -En "$bad" "$L4LB_CACHE/$build/test.log" >&2; then
	echo "kunit: the kernel log ($L4LB_CACHE/$build/test.log) has the lines above" >&2
	[ "$rc" != 0 ] || rc=1
fi
exit "$rc"
