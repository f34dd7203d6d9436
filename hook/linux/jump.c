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
 *   PCI bus mastering off on every function (the PCI core does it only when
 *   kexec is in progress: a device may still DMA);
 *   interrupts off; every IO-APIC pin masked (clear_IO_APIC);
 *   the other CPUs stopped (smp_ops.stop_other_cpus, exported);
 *   this CPU's local APIC back in virtual-wire mode (lapic_shutdown, then
 *   disconnect_bsp_APIC's values);
 *   the 8259s masked (i8259A_shutdown, a syscore callback that runs after ours
 *   and so never would);
 *   the HPET stopped (hpet_disable);
 *   the IOMMU off, where there is one (x86_platform.iommu_shutdown);
 *   CET off if on; the hook's identity page tables; the jump into the loader,
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

static void ioapic_mask_all(void __iomem *io)
{
	unsigned int last, pin;

	writel(IOAPIC_VER, io + IOAPIC_SEL);
	last = (readl(io + IOAPIC_WIN) >> 16) & 0xff;
	for (pin = 0; pin <= last; pin++) {
		writel(IOAPIC_REDIR(pin), io + IOAPIC_SEL);
		writel(readl(io + IOAPIC_WIN) | IOAPIC_MASKED, io + IOAPIC_WIN);
	}
}

/* The local APIC as disconnect_bsp_APIC() leaves the boot CPU's: enabled with
 * spurious vector 0x0f, LINT0 ExtINT (the 8259 passes through), LINT1 NMI,
 * every other LVT masked. */
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
	asm volatile("mov %0, %%cr3" : : "r"(b.top_pa) : "memory");
	if (cr4 & X86_CR4_PCIDE)
		cr4_raw(cr4 & ~X86_CR4_PCIDE);	/* CR3's PCID is 0 now */
	/* A call, not a jmp (objtool takes an indirect jmp for a sibling call):
	 * the loader never returns and never reads the stack it came in on. */
	asm volatile(ANNOTATE_RETPOLINE_SAFE "call *%0" : : "r"(entry), "D"(handoff) : "memory");
	unreachable();
}

static void baton_shutdown(void)
{
	struct pci_dev *pdev = NULL;
	unsigned int i;

	if (system_state != SYSTEM_RESTART || !mutex_trylock(&b.lock))
		return;
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
		pci_clear_master(pdev);
	local_irq_disable();
	for (i = 0; i < b.nioapic; i++)
		if (b.ioapic[i])
			ioapic_mask_all(b.ioapic[i]);
	smp_ops.stop_other_cpus(1);
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
