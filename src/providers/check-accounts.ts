import type { PostingDefaults } from '../documents/posting-defaults.ts';
import type { DefaultsProblem, ProviderAccount } from './types.ts';

/** Every account code the defaults name must be an active account of the organisation. */
export function accountProblems(defaults: PostingDefaults, accounts: readonly ProviderAccount[]): DefaultsProblem[] {
  const byCode = new Map(accounts.map((a) => [a.code, a]));
  const named: [string, string | null][] = [
    ['sales_invoice_account', defaults.sales_invoice_account],
    ['purchase_bill_account', defaults.purchase_bill_account],
    ...Object.entries(defaults.account_mappings).map(([category, code]): [string, string] => [`account_mappings.${category}`, code]),
  ];
  const problems: DefaultsProblem[] = [];
  for (const [field, code] of named) {
    if (code === null) continue;
    const account = byCode.get(code);
    if (!account) problems.push({ field, message: `the organisation has no account with code "${code}"` });
    else if (account.status !== 'active') problems.push({ field, message: `account "${code}" (${account.name}) is archived in the organisation` });
  }
  return problems;
}
