import type { PostingDefaults } from '../documents/posting-defaults.ts';
import type { DefaultsProblem, ProviderAccount } from './types.ts';

/** Every account code the defaults name must be an active account of the organisation. */
export function accountProblems(defaults: PostingDefaults, accounts: readonly ProviderAccount[]): DefaultsProblem[] {
  const byCode = new Map(accounts.map((a) => [a.code, a]));
  const named: [string, string | null][] = [
    ['sales_invoice_account', defaults.sales_invoice_account],
    ['purchase_bill_account', defaults.purchase_bill_account],
    ['rounding_account', defaults.rounding_account ?? null],
    ...Object.entries(defaults.account_mappings).map(([category, code]): [string, string] => [`account_mappings.${category}`, code]),
  ];
  const problems: DefaultsProblem[] = [];
  for (const [field, code] of named) {
    if (code === null) continue;
    const account = byCode.get(code);
    if (!account) problems.push({ field, message: `the organisation has no account with code "${code}"` });
    else if (account.status !== 'active') problems.push({ field, message: `account "${code}" (${account.name}) is archived in the organisation` });
  }
  // Payments and refunds move money through it: a bank account (QuickBooks also takes Undeposited Funds, an other current asset).
  const bank = defaults.payments_bank_account === null ? undefined : byCode.get(defaults.payments_bank_account);
  if (defaults.payments_bank_account !== null) {
    const code = defaults.payments_bank_account;
    if (!bank) problems.push({ field: 'payments_bank_account', message: `the organisation has no account with code "${code}"` });
    else if (bank.status !== 'active') problems.push({ field: 'payments_bank_account', message: `account "${code}" (${bank.name}) is archived in the organisation` });
    else if (!PAYMENT_ACCOUNT_TYPES.has(bank.type.toLowerCase())) problems.push({ field: 'payments_bank_account', message: `account "${code}" (${bank.name}) is not a bank account` });
  }
  return problems;
}

const PAYMENT_ACCOUNT_TYPES: ReadonlySet<string> = new Set(['bank', 'other current asset']);
