# SPDX-License-Identifier: GPL-2.0
# Paths and versions shared by the host-side scripts (sourced, not run).

L4LB_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
L4LB_CACHE=${L4LB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/l4lb}

# The guest kernel is the one Debian's linux-headers-amd64 points at, so the
# module built against those headers loads into it.
l4lb_kver() {
	if [ -n "${L4LB_KVER:-}" ]; then
		echo "$L4LB_KVER"
		return
	fi
	dpkg-query -W -f='${Depends}' linux-headers-amd64 |
		sed -n 's/.*linux-headers-\([^ ,]*\).*/\1/p'
}

die() {
	echo "error: $*" >&2
	exit 1
}
