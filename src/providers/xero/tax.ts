import type { PostingDefaults } from '../../documents/posting-defaults.ts';

/** The parts of a Xero TaxRate the mapping needs (as cached in provider_catalog). */
export interface XeroTaxRate {
  readonly taxType: string;
  readonly name: string;
  readonly status: string;
  readonly effectiveRate: number;
  readonly canApplyToRevenue: boolean;
  readonly canApplyToExpenses: boolean;
}

export type TaxTreatment = PostingDefaults['tax_treatment'];

const NO_TAX_TYPES = new Set(['NONE', 'BASEXCLUDED']);
const isExempt = (r: XeroTaxRate) => /EXEMPT/i.test(r.taxType) || /exempt/i.test(r.name);
const isZeroRated = (r: XeroTaxRate) => /ZERORATED/i.test(r.taxType) || /zero[- ]?rated/i.test(r.name);
const isNoTax = (r: XeroTaxRate) => NO_TAX_TYPES.has(r.taxType) || /^no (vat|gst|tax)|bas excluded/i.test(r.name);

/**
 * Maps the tenant's tax treatment (and the line's own rate, when the platform sends one) onto
 * the organisation's own tax types, whatever its region: Xero's types differ per country (UK
 * OUTPUT2 20%, AU OUTPUT 10%, …), so they are chosen from its TaxRates, never hard-coded.
 */
export function chooseTaxType(
  rates: readonly XeroTaxRate[],
  opts: { treatment: TaxTreatment; side: 'revenue' | 'expenses'; lineRate?: string },
): { taxType: string } | { error: string } {
  const usable = rates.filter(
    (r) => r.status === 'ACTIVE' && (opts.side === 'revenue' ? r.canApplyToRevenue : r.canApplyToExpenses),
  );
  const pick = (candidates: XeroTaxRate[], what: string) =>
    candidates[0]
      ? { taxType: candidates[0].taxType }
      : { error: `the organisation has no active ${opts.side === 'revenue' ? 'sales' : 'purchase'} tax rate for ${what}` };
  const taxed = usable.filter((r) => r.effectiveRate > 0).sort((a, b) => b.effectiveRate - a.effectiveRate);
  const zero = usable.filter((r) => r.effectiveRate === 0);

  switch (opts.treatment) {
    case 'no_tax':
      return pick(zero.filter(isNoTax), 'no tax');
    case 'exempt':
      return pick(zero.filter(isExempt), 'exempt supplies');
    case 'zero_rated':
      return pick([...zero.filter(isZeroRated), ...zero.filter(isExempt)], 'zero-rated supplies');
    case 'output_tax':
    case 'output_tax_reduced': {
      if (opts.lineRate !== undefined) {
        const rate = Number(opts.lineRate);
        if (rate === 0) return pick([...zero.filter(isZeroRated), ...zero.filter(isExempt)], 'a 0% line');
        const exact = taxed.filter((r) => Math.abs(r.effectiveRate - rate) < 0.0001);
        return pick(exact, `${opts.lineRate}% (rates available: ${taxed.map((r) => `${r.effectiveRate}%`).join(', ') || 'none'})`);
      }
      if (opts.treatment === 'output_tax') return pick(taxed, 'the standard rate');
      const standard = taxed[0]?.effectiveRate;
      return pick(taxed.filter((r) => r.effectiveRate < (standard ?? 0)), 'a reduced rate');
    }
  }
}
