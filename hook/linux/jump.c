// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * hook/linux/jump.c: the reboot that ends in baton.
 *
 * A syscore_ops.shutdown callback (register_syscore_ops is exported to GPL
 * modules) runs on the reboot CPU after the kernel's own shutdown: reboot
 * notifiers and device_shutdown() have run, interrupts are still on
 * (shared:notes/linux-reboot-hook.md, beside the repository). When armed and the reboot is a
 * restart, it does what the kernel's kexec path would have done next and a
 * module cannot call (machine_shutdown() is not exported), by the hardware's
 * rules, in the kernel's order:
 *
 *   PCI bus mastering off on every function not in D3cold (the PCI core does
 *   it only when kexec is in progress: a device may still DMA);
 *   interrupts off; the other CPUs stopped (smp_ops.stop_other_cpus,
 *   exported; with reboot=force it returns at once: then no jump);
 *   every IO-APIC pin masked (clear_IO_APIC; after the stop, so no other CPU
 *   touches the IO-APIC's index register meanwhile);
 *   this CPU's local APIC back in virtual-wire mode (lapic_shutdown, then
 *   disconnect_bsp_APIC's values);
 *   the 8259s masked (i8259A_shutdown, a syscore callback that runs after ours
 *   and so never would);
 *   the HPET stopped: counter, legacy routing and every timer's interrupt off
 *   (hpet_disable() would restore the firmware's configuration instead);
 *   the IOMMU off, where there is one (x86_platform.iommu_shutdown);
 *   CET off if on; the hook's identity page tables; a call into the loader,
 *   RDI = the handoff. Everything else is the loader's.
 *
 * Other reboots (halt, power off, kexec) pass through untouched.
 */
#define pr_fmt(fmt) "baton: " fmt

#include <linux/io.h>
#include <linux/pci.h>
#include <linux/reboot.h>
#include <linux/security.h>
#include <linux/syscore_ops.h>
#include <asm/apic.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/smp.h>
#include <asm/special_insns.h>
#include <asm/x86_init.h>
#include "baton.h"

/* IO-APIC: an index register and a data window (82093AA datasheet). */
#define IOAPIC_SEL		0x00
#define IOAPIC_WIN		0x10
#define IOAPIC_VER		0x01		/* bits 23:16: the last redirection entry */
#define IOAPIC_REDIR(pin)	(0x10 + 2 * (pin))
#define IOAPIC_MODE		(7u << 8)	/* delivery mode */
#define IOAPIC_MODE_SMI		(2u << 8)
#define IOAPIC_IRR		(1u << 14)	/* Remote IRR */
#define IOAPIC_LEVEL		(1u << 15)
#define IOAPIC_MASKED		(1u << 16)

/* HPET (IA-PC HPET specification 1.0a, 2.3) */
#define HPET_CAP		0x000		/* bits 12:8: the last timer */
#define HPET_CFG		0x010
#define HPET_CFG_ENABLE		(1u << 0)
#define HPET_CFG_LEGACY		(1u << 1)
#define HPET_TN_CFG(n)		(0x100 + 0x20 * (n))
#define HPET_TN_INT_ENB		(1u << 2)

#define PIC1_DATA		0x21
#define PIC2_DATA		0xa1

static u32 ioapic_read(void __iomem *io, u32 reg)
{
	writel(reg, io + IOAPIC_SEL);
	return readl(io + IOAPIC_WIN);
}

static void ioapic_write(void __iomem *io, u32 reg, u32 v)
{
	writel(reg, io + IOAPIC_SEL);
	writel(v, io + IOAPIC_WIN);
}

/* Every pin masked, as clear_IO_APIC() leaves them: SMI pins are left alone,
 * and a level-triggered pin with Remote IRR set is made edge-triggered for a
 * moment, which clears it, so the next owner finds no interrupt in flight. */
static void ioapic_mask_all(void __iomem *io)
{
	unsigned int last = (ioapic_read(io, IOAPIC_VER) >> 16) & 0xff, pin;

	for (pin = 0; pin <= last; pin++) {
		u32 lo = ioapic_read(io, IOAPIC_REDIR(pin));

		if ((lo & IOAPIC_MODE) == IOAPIC_MODE_SMI)
			continue;
		ioapic_write(io, IOAPIC_REDIR(pin), lo | IOAPIC_MASKED);
		if ((lo & IOAPIC_LEVEL) && (lo & IOAPIC_IRR)) {
			ioapic_write(io, IOAPIC_REDIR(pin), (lo | IOAPIC_MASKED) & ~IOAPIC_LEVEL);
			ioapic_write(io, IOAPIC_REDIR(pin), lo | IOAPIC_MASKED);
		}
	}
}

/* The local APIC as lapic_shutdown() and disconnect_bsp_APIC() leave the boot
 * CPU's: enabled with spurious vector 0x0f, LINT0 ExtINT (the 8259 passes
 * through), LINT1 NMI, every other LVT masked. */
static void lapic_virtual_wire(void)
{
	u32 keep = ~(APIC_MODE_MASK | APIC_SEND_PENDING | APIC_INPUT_POLARITY |
		     APIC_LVT_REMOTE_IRR | APIC_LVT_LEVEL_TRIGGER | APIC_LVT_MASKED);
	u32 maxlvt = (apic_read(APIC_LVR) >> 16) & 0xff;

	apic_write(APIC_LVTT, APIC_LVT_MASKED);
	apic_write(APIC_LVTERR, APIC_LVT_MASKED);
	if (maxlvt >= 4)
		apic_write(APIC_LVTPC, APIC_LVT_MASKED);
	if (maxlvt >= 5)
		apic_write(APIC_LVTTHMR, APIC_LVT_MASKED);
	if (maxlvt >= 6)
		apic_write(APIC_LVTCMCI, APIC_LVT_MASKED);
	apic_write(APIC_SPIV, (apic_read(APIC_SPIV) & ~APIC_VECTOR_MASK) |
		   APIC_SPIV_APIC_ENABLED | 0xf);
	apic_write(APIC_LVT0, SET_APIC_DELIVERY_MODE((apic_read(APIC_LVT0) & keep) |
		   APIC_LVT_REMOTE_IRR | APIC_SEND_PENDING, APIC_MODE_EXTINT));
	apic_write(APIC_LVT1, SET_APIC_DELIVERY_MODE((apic_read(APIC_LVT1) & keep) |
		   APIC_LVT_REMOTE_IRR | APIC_SEND_PENDING, APIC_MODE_NMI));
}

static void hpet_stop(void __iomem *h)
{
	unsigned int last = (readl(h + HPET_CAP) >> 8) & 0x1f, n;

	writel(readl(h + HPET_CFG) & ~(HPET_CFG_ENABLE | HPET_CFG_LEGACY), h + HPET_CFG);
	for (n = 0; n <= last; n++)
		writel(readl(h + HPET_TN_CFG(n)) & ~HPET_TN_INT_ENB, h + HPET_TN_CFG(n));
}

static inline void cr4_raw(unsigned long v)
{
	/* Not native_write_cr4(): it would put back the bits the kernel pins. */
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* The last steps: own page tables, jump. Nothing may fault from here until
 * the loader has loaded its own IDT. */
static void __noreturn baton_jump(void)
{
	u64 *live = __va(__native_read_cr3() & CR3_ADDR_MASK);
	unsigned long cr4 = __read_cr4();
	u64 entry = b.res.entry, handoff = b.res.handoff;

	memcpy(b.top + 256, live + 256, 256 * sizeof(u64));	/* the kernel half */
	if (cr4 & X86_CR4_CET) {
		wrmsrl(MSR_IA32_S_CET, 0);
		cr4 &= ~X86_CR4_CET;
		cr4_raw(cr4);
	}
	cr4 &= ~X86_CR4_PGE;
	cr4_raw(cr4);
	/* CR3 holds PCID 0; CR4.PCIDE stays as it is until the loader loads its
	 * own tables and clears it (loader/paging.c): an NMI in between finds the
	 * kernel's NMI path as it expects (its CR3 switch sets NOFLUSH). */
	asm volatile("mov %0, %%cr3" : : "r"(b.top_pa) : "memory");
	/* A call, not a jmp (objtool takes an indirect jmp for a sibling call):
	 * the loader never returns and never reads the stack it came in on. */
	asm volatile(ANNOTATE_RETPOLINE_SAFE "call *%0" : : "r"(entry), "D"(handoff) : "memory");
	unreachable();
}

static void baton_shutdown(void)
{
	struct pci_dev *pdev = NULL;
	unsigned int i;

	if (system_state != SYSTEM_RESTART)
		return;
	mutex_lock(&b.lock);	/* syscore callbacks run in process context */
	if (b.state != BATON_ARMED) {
		mutex_unlock(&b.lock);
		return;
	}
	if (security_locked_down(LOCKDOWN_KEXEC)) {
		pr_warn("reboot: locked down since it was armed: not jumping\n");
		mutex_unlock(&b.lock);
		return;
	}
	pr_info("reboot: jumping to the loader at 0x%llx, handoff 0x%llx\n",
		b.res.entry, b.res.handoff);
	for_each_pci_dev(pdev)
		if (pdev->current_state <= PCI_D3hot)	/* as pci_device_shutdown() */
			pci_clear_master(pdev);
	local_irq_disable();
	smp_ops.stop_other_cpus(1);
	if (num_online_cpus() > 1) {
		/* reboot=force: stop_other_cpus() returned at once */
		pr_emerg("reboot: %u CPUs still online: not jumping, the firmware resets\n",
			 num_online_cpus());
		local_irq_enable();
		mutex_unlock(&b.lock);
		return;
	}
	for (i = 0; i < b.nioapic; i++)
		if (b.ioapic[i])
			ioapic_mask_all(b.ioapic[i]);
	lapic_virtual_wire();
	outb(0xff, PIC2_DATA);
	outb(0xff, PIC1_DATA);
	if (b.hpet)
		hpet_stop(b.hpet);
	if (x86_platform.iommu_shutdown)
		x86_platform.iommu_shutdown();
	baton_jump();
}

static struct syscore_ops baton_syscore = { .shutdown = baton_shutdown };

int baton_jump_init(void)
{
	register_syscore_ops(&baton_syscore);
	return 0;
}

void baton_jump_exit(void)
{
	unregister_syscore_ops(&baton_syscore);
}
