/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/* hook/linux/shim (stdint.h says why): vsnprintf and snprintf */
#include <linux/kernel.h>
