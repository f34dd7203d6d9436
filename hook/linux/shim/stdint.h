/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/* hook/linux/shim: the few C library headers baton's shared code (core/, stage/)
 * includes, answered from the kernel's own headers when it is built into
 * baton.ko. Nothing is reimplemented here. */
#ifndef BATON_SHIM_STDINT_H
#define BATON_SHIM_STDINT_H
#include <linux/types.h>
#include <linux/limits.h>
#define UINT8_MAX	U8_MAX
#define UINT16_MAX	U16_MAX
#define UINT32_MAX	U32_MAX
#define UINT64_MAX	U64_MAX
#define INT32_MAX	S32_MAX
#define INT64_MAX	S64_MAX
#define SIZE_MAX	(~(size_t)0)
#endif
