import type { DocumentOutcome, DocumentToPush, ProviderMessage } from '../types.ts';

/** Lanes other than `Invoices:create` carry their lane in the stored request, so sendBatch knows which calls to replay. */
export interface LaneRequest { readonly lane: string }

/**
 * The idempotency key of one call of a batch: the batch's key plus the call's place in it
 * (`-c`, `-a3`, `-p1`, `-d12`, …), derived only from the stored request (and Xero's answers to
 * its earlier calls, which a replay gets back unchanged), so a replay repeats every call with the same key.
 */
export function callKey(idempotencyKey: string, suffix: string): string {
  const key = `${idempotencyKey}-${suffix}`;
  if (key.length > 50) throw new Error(`derived idempotency key too long (${key.length} > 50): ${key}`);
  return key;
}

/** Xero's own words from one element of a summarizeErrors=false answer. */
export function elementMessages(element: { validationErrors?: { message?: string }[] } | undefined): ProviderMessage[] {
  return (element?.validationErrors ?? []).map((v) => ({ message: v.message ?? 'validation error' }));
}

export const failed = (documentId: string, errors: readonly ProviderMessage[]): DocumentOutcome => ({ documentId, status: 'failed', errors });

/** Where a payment or refund moves money: the platform's account, else the posting defaults'. */
export function bankAccountOf(doc: DocumentToPush): string | undefined {
  const source = doc.source as { bank_account_code?: string };
  return source.bank_account_code ?? doc.defaults.payments_bank_account ?? undefined;
}

export const NO_BANK_ACCOUNT: ProviderMessage = {
  field: 'bank_account',
  message: 'no bank account for this payment: the platform sent no bank_account_code and the posting defaults have no payments_bank_account',
};

/** Amounts as Xero takes them (numbers with 2 decimals) and as Ledgerport keeps them (decimal strings). */
export const money = (value: string | number): number => Math.round(Number(value) * 100) / 100;
export const decimalString = (value: number | undefined | null): string | null => (value === undefined || value === null ? null : money(value).toFixed(2));

/** Splits items into groups whose weights add up to at most `max` (one item is never split). */
export function groupsOf<T>(items: readonly T[], weight: (item: T) => number, max: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let sum = 0;
  for (const item of items) {
    const w = weight(item);
    if (current.length > 0 && sum + w > max) { groups.push(current); current = []; sum = 0; }
    current.push(item);
    sum += w;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
