/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_VERSION_H
#define _L4LB_VERSION_H

/* Keep in step with PACKAGE_VERSION in dkms.conf (make check compares them). */
#define L4LB_VERSION "0.1.0"

#endif /* _L4LB_VERSION_H */
