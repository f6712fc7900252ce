import * as v from 'valibot';

/**
 * Posting defaults: what a tenant's documents post with at the provider (accounts, tax, send
 * mode, payments). Saved and versioned in sync/defaults.ts; providers read them from here.
 */

const accountCode = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(50));

export const TAX_TREATMENTS = ['output_tax', 'output_tax_reduced', 'zero_rated', 'exempt', 'no_tax'] as const;

export const PostingDefaultsInput = v.strictObject({
  sales_invoice_account: v.optional(v.nullable(accountCode), null),
  purchase_bill_account: v.optional(v.nullable(accountCode), null),
  tax_treatment: v.optional(v.picklist(TAX_TREATMENTS), 'output_tax'),
  send_as: v.optional(v.picklist(['draft', 'approved']), 'draft'),
  /** null: the provider's default (on for Xero, off for QuickBooks). */
  auto_push_invoices: v.optional(v.nullable(v.boolean()), null),
  auto_create_bills: v.optional(v.boolean(), true),
  /** Payments and refunds go through this bank account unless the platform names one (Xero: account code; QuickBooks: account id). */
  payments_bank_account: v.optional(v.nullable(accountCode), null),
  /** Whether payments and refunds recorded on the platform are sent at all (payments received at the provider are always read). */
  sync_payments: v.optional(v.boolean(), true),
  po_import_schedule: v.optional(v.picklist(['off', 'hourly', 'every_6_hours', 'daily']), 'off'),
  /**
   * QuickBooks: a line's tax rate (e.g. "20") → the company's TaxCode id. Without a mapping a
   * taxable document is refused (Xero maps tax_treatment onto its tax types instead).
   */
  tax_code_mappings: v.optional(
    v.pipe(
      v.record(v.pipe(v.string(), v.regex(/^\d{1,3}(\.\d{1,4})?$/, 'keys are tax rates such as "20" or "5.5"')), v.pipe(v.string(), v.minLength(1), v.maxLength(50))),
      v.maxEntries(50),
      // "20.0" and "20" are the same rate: keys are stored in their shortest form, as lines look them up.
      v.transform((mappings) => Object.fromEntries(Object.entries(mappings).map(([rate, code]) => [String(Number(rate)), code]))),
    ),
    {},
  ),
  /** Line category (e.g. "materials") → account code. */
  account_mappings: v.optional(
    v.pipe(v.record(v.pipe(v.string(), v.minLength(1), v.maxLength(100)), accountCode), v.maxEntries(200)),
    {},
  ),
});

export type PostingDefaults = v.InferOutput<typeof PostingDefaultsInput>;

export const BUILT_IN_DEFAULTS: PostingDefaults = v.parse(PostingDefaultsInput, {});
