/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/* hook/linux/shim (stdint.h says why) */
#include <linux/string.h>
