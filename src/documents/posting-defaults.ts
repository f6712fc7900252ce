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
   * A reconciliation of the documents Ledgerport pushed (the last 90 days of issue dates) queued
   * by a cron: `daily`, `weekly`, or `off`. Absent means `off` (no default is filled in, so
   * settings saved before it existed read as they were).
   */
  reconcile_schedule: v.optional(v.picklist(['off', 'daily', 'weekly'])),
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
  /**
   * Where a provider's rounding difference goes (Xero: account code, e.g. its Rounding account
   * 860; QuickBooks: account id). A document whose total the provider's arithmetic cannot give
   * exactly (see documents/totals.ts) gets a rounding line to this account; absent, such a
   * document is refused before it is sent, with the difference as the reason.
   */
  rounding_account: v.optional(v.nullable(accountCode)),
  /** Line category (e.g. "materials") → account code. */
  account_mappings: v.optional(
    v.pipe(v.record(v.pipe(v.string(), v.minLength(1), v.maxLength(100)), accountCode), v.maxEntries(200)),
    {},
  ),
});

export type PostingDefaults = v.InferOutput<typeof PostingDefaultsInput>;

export const BUILT_IN_DEFAULTS: PostingDefaults = v.parse(PostingDefaultsInput, {});
