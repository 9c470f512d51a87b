#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch.pl --strict (from linux-source-6.1) over every kernel source
# file of the project; any complaint fails.

set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

cp=$L4LB_CACHE/linux-source-6.1/scripts/checkpatch.pl
if [ ! -x "$cp" ]; then
	mkdir -p "$L4LB_CACHE/checkpatch"
	tar -C "$L4LB_CACHE/checkpatch" --strip-components=2 -xf \
		/usr/src/linux-source-6.1.tar.xz \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	cp=$L4LB_CACHE/checkpatch/checkpatch.pl
fi
cd "$L4LB_REPO"
files=$(ls kmod/*.[ch] include/uapi/linux/*.h tests/kunit/*.[ch])
# No kernel tree here: don't look for one; SPDX and the rest still apply.
"$cp" --strict --no-tree --terse --show-types \
	-f $files
echo "checkpatch: $(echo "$files" | wc -w) files clean"
