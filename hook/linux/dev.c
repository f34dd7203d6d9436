// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * hook/linux/dev.c: /dev/baton, Viro's interface to Biederman's slot.
 *
 * 1. open(O_WRONLY): CAP_SYS_BOOT in the initial user namespace, not locked
 *    down for kexec (kexec_load's rule), not disabled; one writer (EBUSY).
 *    While armed, a writer needs O_TRUNC, which disarms. The kernel's memory
 *    map is read (arm.c:baton_map_build).
 * 2. pwrite(buf, len, dst): each destination page's bytes in an order-0 page of
 *    its own (baton_store, an xarray keyed by destination pfn); a page that
 *    ends up all zeros keeps no page, only a mark. A range that is not usable
 *    RAM by that map fails at once: EADDRNOTAVAIL and one `baton:` line.
 * 3. ioctl(BATON_IOC_COMMIT): the entry, zero and claim ranges, the timing
 *    slot and the console (include/baton/hook.h, docs/hook.md).
 * 4. close(): its flush seals and arms when a commit record came
 *    (arm.c:baton_seal); close() returns the verdict. A writer that closes
 *    without a record, or dies, frees everything (baton_release).
 * 5. /sys/kernel/baton/: state, bytes, pages, runs, ranges, entry; disarm,
 *    disabled. The reboot that follows an arm: jump.c.
 */
#define pr_fmt(fmt) "baton: " fmt

#include <linux/cc_platform.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kobject.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <xen/xen.h>
#include "baton.h"

static const char *const state_names[] = { "empty", "loading", "armed" };

/* hook.h repeats handoff.h's numbers for userspace: they must agree. */
static_assert(BATON_HOOK_MODE_LONG64 == BATON_MODE_LONG64);
static_assert(BATON_HOOK_MODE_PROT32 == BATON_MODE_PROT32);
static_assert(BATON_HOOK_REGS == BATON_REG_COUNT);
static_assert(BATON_HOOK_ZERO == BATON_L_ZERO);
static_assert(BATON_HOOK_CLAIM == BATON_L_CLAIM);
static_assert(sizeof(struct baton_hook_commit) == 0x80);

struct baton b = {
	.lock = __MUTEX_INITIALIZER(b.lock),
	.dst = XARRAY_INIT(b.dst, 0),
};

/* Drops every page and the record; the state becomes empty. Lock held. */
static void baton_free_all(void)
{
	unsigned long pfn;
	void *e;

	baton_unseal();
	xa_for_each(&b.dst, pfn, e) {
		if (!xa_is_value(e))
			__free_page(e);
	}
	xa_destroy(&b.dst);
	kfree(b.ranges);
	b.ranges = NULL;
	b.has_rec = false;
	b.bytes = b.pages = b.zero_pages = 0;
	b.state = BATON_EMPTY;
}

static void baton_disarm(const char *why)
{
	if (b.state == BATON_ARMED)
		pr_info("disarmed (%s): %llu source pages and %llu of the hook's freed\n", why,
			b.pages, b.nown);
	baton_free_all();
}

static int baton_open(struct inode *inode, struct file *f)
{
	int err = 0;

	if (!(f->f_mode & FMODE_WRITE) || (f->f_mode & FMODE_READ))
		return -EINVAL;	/* write only: state is in sysfs */
	if (!ns_capable(&init_user_ns, CAP_SYS_BOOT))
		return -EPERM;
	err = security_locked_down(LOCKDOWN_KEXEC);
	if (err)
		return err;
	if (cc_platform_has(CC_ATTR_MEM_ENCRYPT) || xen_pv_domain()) {
		/* The hook's page tables carry no encryption bit, and a Xen PV
		 * guest may not load CR3 itself: the jump cannot work here. */
		pr_err("open: memory encryption (SME, SEV, TDX) or a Xen PV guest: not supported\n");
		return -EOPNOTSUPP;
	}
	mutex_lock(&b.lock);
	if (b.disabled) {
		err = -EPERM;
	} else if (b.writer) {
		err = -EBUSY;
	} else if (b.state == BATON_ARMED && !(f->f_flags & O_TRUNC)) {
		err = -EBUSY;	/* armed: open with O_TRUNC, or write disarm */
	} else {
		if (f->f_flags & O_TRUNC)
			baton_disarm("open with O_TRUNC");
		err = baton_map_build();
		if (!err) {
			b.writer = true;
			b.state = BATON_LOADING;
		}
	}
	mutex_unlock(&b.lock);
	return err;
}

/* Stores one destination page's part [off, off + n) from user memory. Lock held. */
static int baton_store(unsigned long pfn, size_t off, const char __user *src, size_t n)
{
	void *e = xa_load(&b.dst, pfn);
	struct page *page;
	bool fresh = !e || xa_is_value(e);
	void *p;
	int err;

	if (fresh) {
		/* A new page, or one that was all zeros: zeros around the part. */
		page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN);
		if (!page)
			return -ENOMEM;
	} else {
		page = e;
	}
	p = kmap_local_page(page);
	err = copy_from_user(p + off, src, n) ? -EFAULT : 0;
	if (!err && !memchr_inv(p, 0, PAGE_SIZE)) {
		/* All zeros: keep a mark, not the page. */
		kunmap_local(p);
		err = xa_err(xa_store(&b.dst, pfn, BATON_ZERO_MARK, GFP_KERNEL));
		if (!err) {
			b.zero_pages += !e || !xa_is_value(e);
			b.pages -= !fresh;
		}
		if (!err || fresh)
			__free_page(page);	/* not when the xarray still holds it */
		return err;
	}
	kunmap_local(p);
	if (err || !fresh) {
		if (err && fresh)
			__free_page(page);
		return err;
	}
	err = xa_err(xa_store(&b.dst, pfn, page, GFP_KERNEL));
	if (err) {
		__free_page(page);
		return err;
	}
	b.pages++;
	b.zero_pages -= e != NULL;
	return 0;
}

static ssize_t baton_write(struct file *f, const char __user *buf, size_t len, loff_t *ppos)
{
	u64 dst = *ppos;
	size_t done = 0;
	int err = 0;

	if (!len)
		return 0;
	mutex_lock(&b.lock);
	if (b.state != BATON_LOADING)
		err = -EBUSY;	/* armed through a dup of this file: no more writes */
	else
		err = baton_fits(dst, len, "write");
	while (!err && done < len) {
		u64 at = dst + done;
		size_t off = offset_in_page(at);
		size_t n = min_t(size_t, PAGE_SIZE - off, len - done);

		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		err = baton_store(at >> PAGE_SHIFT, off, buf + done, n);
		if (err)
			break;
		done += n;
		cond_resched();
	}
	b.bytes += done;
	mutex_unlock(&b.lock);
	if (!done)
		return err;
	*ppos = dst + done;
	return done;
}

/* The commit record: checked for shape now, against the pages at close. */
static long baton_commit(const struct baton_hook_commit __user *urec)
{
	struct baton_hook_commit rec;
	struct baton_hook_range *r;
	u32 i;

	if (copy_from_user(&rec, urec, sizeof(rec)))
		return -EFAULT;
	if (rec.version != BATON_HOOK_VERSION || rec.size != sizeof(rec)) {
		pr_err("commit: record version %u size %u, this module takes version %u size %zu\n",
		       rec.version, rec.size, BATON_HOOK_VERSION, sizeof(rec));
		return -EINVAL;
	}
	if (rec.pad16 || rec.pad32 || rec.reserved[0] || rec.reserved[1] || rec.reserved[2]) {
		pr_err("commit: reserved fields are not zero\n");
		return -EINVAL;
	}
	if (rec.entry_mode != BATON_HOOK_MODE_LONG64 && rec.entry_mode != BATON_HOOK_MODE_PROT32) {
		pr_err("commit: entry mode %u is neither long64 (1) nor prot32 (2)\n", rec.entry_mode);
		return -EINVAL;
	}
	if (rec.range_count > BATON_HOOK_RANGES_MAX)
		return -E2BIG;
	r = NULL;
	if (rec.range_count) {
		r = memdup_user(u64_to_user_ptr(rec.ranges),
				array_size(rec.range_count, sizeof(*r)));
		if (IS_ERR(r))
			return PTR_ERR(r);
	}
	mutex_lock(&b.lock);
	for (i = 0; i < rec.range_count; i++) {
		if ((r[i].kind != BATON_HOOK_ZERO && r[i].kind != BATON_HOOK_CLAIM) || r[i].pad ||
		    !PAGE_ALIGNED(r[i].addr) || !r[i].pages || r[i].pages > U64_MAX >> PAGE_SHIFT) {
			pr_err("commit: range %u 0x%llx+%llu pages kind %u is malformed\n",
			       i, r[i].addr, r[i].pages, r[i].kind);
			mutex_unlock(&b.lock);
			kfree(r);
			return -EINVAL;
		}
		if (b.state == BATON_LOADING &&
		    baton_fits(r[i].addr, r[i].pages << PAGE_SHIFT, "commit: range")) {
			mutex_unlock(&b.lock);
			kfree(r);
			return -EADDRNOTAVAIL;
		}
	}
	if (b.state != BATON_LOADING) {
		mutex_unlock(&b.lock);
		kfree(r);
		return -EBUSY;
	}
	kfree(b.ranges);
	b.rec = rec;
	b.ranges = r;
	b.has_rec = true;
	mutex_unlock(&b.lock);
	return 0;
}

static long baton_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	if (cmd == BATON_IOC_COMMIT)
		return baton_commit((const struct baton_hook_commit __user *)arg);
	return -ENOTTY;
}

/*
 * Arms from the writer's close(): close() returns this. The entry must lie in
 * a written page, a 32-bit entry's address and registers below 4 GiB; then
 * the seal (arm.c). Lock held.
 */
static int baton_arm(void)
{
	const struct baton_hook_commit *r = &b.rec;
	const struct stage_result *res = &b.res;
	void *e = xa_load(&b.dst, r->entry_addr >> PAGE_SHIFT);
	int i, err;

	if (!e || xa_is_value(e)) {
		pr_err("close: entry 0x%llx is not inside a written page\n", r->entry_addr);
		return -EINVAL;
	}
	if (r->entry_mode == BATON_HOOK_MODE_PROT32) {
		bool high = r->entry_addr > U32_MAX;

		for (i = 0; i < BATON_HOOK_REGS; i++)
			high |= r->regs[i] > U32_MAX;
		if (high) {
			pr_err("close: 32-bit entry 0x%llx or a register lies above 4 GiB\n",
			       r->entry_addr);
			return -EINVAL;
		}
	}
	err = security_locked_down(LOCKDOWN_KEXEC);	/* raised since open */
	if (err) {
		pr_err("close: the kernel was locked down since open: not arming\n");
		return err;
	}
	err = baton_seal();
	if (err)
		return err;
	b.state = BATON_ARMED;
	pr_info("armed: %llu bytes in %llu pages (%llu copy, %llu zero, %llu claim runs), %llu list pages, loader 0x%llx, handoff 0x%llx, work area 0x%llx+%llu KiB, %s entry 0x%llx\n",
		b.bytes, res->image_pages, res->copy_runs, res->zero_runs, res->claim_runs,
		res->list_pages, res->loader_base, res->handoff, res->work_base,
		res->work_size >> 10, r->entry_mode == BATON_HOOK_MODE_LONG64 ? "64-bit" : "32-bit",
		r->entry_addr);
	return 0;
}

/*
 * close() of the writer: arm if a commit record came. Not when the writer is
 * exiting: a process killed after its ioctl arms nothing (its files are closed
 * by do_exit with PF_EXITING set).
 */
static int baton_flush(struct file *f, fl_owner_t id)
{
	int err = 0;

	mutex_lock(&b.lock);
	if (b.state == BATON_LOADING && b.has_rec && !(current->flags & PF_EXITING)) {
		err = baton_arm();
		if (err)
			baton_free_all();
	}
	mutex_unlock(&b.lock);
	return err;
}

static int baton_release(struct inode *inode, struct file *f)
{
	mutex_lock(&b.lock);
	if (b.state != BATON_ARMED)
		baton_free_all();
	b.writer = false;
	mutex_unlock(&b.lock);
	return 0;
}

static const struct file_operations baton_fops = {
	.owner = THIS_MODULE,
	.open = baton_open,
	.write = baton_write,
	.unlocked_ioctl = baton_ioctl,
	.flush = baton_flush,
	.release = baton_release,
	.llseek = default_llseek,	/* lseek() + write() works as pwrite() */
};

static struct miscdevice baton_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "baton",
	.fops = &baton_fops,
	.mode = 0200,
};

/* ---- /sys/kernel/baton/ ---------------------------------------------------- */

#define SHOW(name, fmt, ...)							\
static ssize_t name##_show(struct kobject *k, struct kobj_attribute *a, char *buf) \
{										\
	ssize_t n;								\
	mutex_lock(&b.lock);							\
	n = sysfs_emit(buf, fmt, __VA_ARGS__);					\
	mutex_unlock(&b.lock);							\
	return n;								\
}

SHOW(state, "%s\n", state_names[b.state])
SHOW(bytes, "%llu\n", b.bytes)
SHOW(pages, "%llu\n", b.pages)
SHOW(ranges, "%u\n", b.has_rec ? b.rec.range_count : 0)
SHOW(runs, "%llu copy %llu zero %llu claim\n", b.res.copy_runs, b.res.zero_runs, b.res.claim_runs)
SHOW(disabled, "%d\n", b.disabled)

static ssize_t entry_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	ssize_t n;

	mutex_lock(&b.lock);
	if (b.state != BATON_ARMED)
		n = sysfs_emit(buf, "none\n");
	else
		n = sysfs_emit(buf, "%s 0x%llx rsi 0x%llx rdi 0x%llx\n",
			       b.rec.entry_mode == BATON_HOOK_MODE_LONG64 ? "long64" : "prot32",
			       b.rec.entry_addr, b.rec.regs[4], b.rec.regs[5]);
	mutex_unlock(&b.lock);
	return n;
}

static ssize_t disarm_store(struct kobject *k, struct kobj_attribute *a,
			    const char *buf, size_t len)
{
	int err = 0;

	if (!capable(CAP_SYS_BOOT))
		return -EPERM;
	mutex_lock(&b.lock);
	if (b.state == BATON_LOADING)
		err = -EBUSY;	/* a writer is loading: it disarms by closing */
	else
		baton_disarm("sysfs");
	mutex_unlock(&b.lock);
	return err ? err : len;
}

/* Writing 1 refuses every later open for writing, until the next boot. */
static ssize_t disabled_store(struct kobject *k, struct kobj_attribute *a,
			      const char *buf, size_t len)
{
	bool on;
	int err;

	if (!capable(CAP_SYS_BOOT))
		return -EPERM;
	err = kstrtobool(buf, &on);
	if (err)
		return err;
	mutex_lock(&b.lock);
	if (!on && b.disabled)
		err = -EPERM;	/* one way */
	else if (on && !b.disabled) {
		b.disabled = true;
		pr_info("disabled until the next boot\n");
	}
	mutex_unlock(&b.lock);
	return err ? err : len;
}

static struct kobj_attribute state_attr = __ATTR_RO(state);
static struct kobj_attribute bytes_attr = __ATTR_RO(bytes);
static struct kobj_attribute pages_attr = __ATTR_RO(pages);
static struct kobj_attribute ranges_attr = __ATTR_RO(ranges);
static struct kobj_attribute entry_attr = __ATTR_RO(entry);
static struct kobj_attribute runs_attr = __ATTR_RO(runs);
static struct kobj_attribute disarm_attr = __ATTR_WO(disarm);
static struct kobj_attribute disabled_attr = __ATTR_RW_MODE(disabled, 0644);

static struct attribute *baton_attrs[] = {
	&state_attr.attr, &bytes_attr.attr, &pages_attr.attr, &ranges_attr.attr,
	&entry_attr.attr, &runs_attr.attr, &disarm_attr.attr, &disabled_attr.attr, NULL,
};
static const struct attribute_group baton_group = { .attrs = baton_attrs };
static struct kobject *baton_kobj;

static int __init baton_init(void)
{
	int err;

	baton_kobj = kobject_create_and_add("baton", kernel_kobj);
	if (!baton_kobj)
		return -ENOMEM;
	err = sysfs_create_group(baton_kobj, &baton_group);
	if (!err)
		err = misc_register(&baton_dev);
	if (err) {
		kobject_put(baton_kobj);
		return err;
	}
	baton_jump_init();
	pr_info("/dev/baton ready: an armed load runs at the next reboot\n");
	return 0;
}

static void __exit baton_exit(void)
{
	baton_jump_exit();
	misc_deregister(&baton_dev);
	kobject_put(baton_kobj);
	mutex_lock(&b.lock);
	baton_disarm("module unloaded");
	kfree(b.map);
	mutex_unlock(&b.lock);
}

module_init(baton_init);
module_exit(baton_exit);
MODULE_DESCRIPTION("baton: hand the machine to the next kernel through a page list");
MODULE_LICENSE("Dual MIT/GPL");
