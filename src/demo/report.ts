import type { DocumentDetail } from './documents.ts';
import { callBreakdown, type CallRecord, type MoneyHoldings, type ContractViolationView, type DemoProvider, type Holdings, type Throttling } from './provider.ts';
import { table } from './table.ts';

type Say = (line?: string) => void;

/** Each document as Ledgerport shows it: status, the provider's number, and the path it took. */
export function printDocuments(say: Say, docs: readonly DocumentDetail[], providerShort: string): void {
  say(
    table(
      ['document', 'kind', 'status', 'version', `${providerShort} number`, 'paid', 'due', 'history'],
      docs.map((d) => [
        d.source_id,
        d.kind,
        d.status,
        String(d.synced_version ?? '-'),
        d.provider_number ?? '-',
        d.amount_paid ?? '-',
        d.amount_due ?? '-',
        ['received', ...d.history.map((h) => h.to_status)].filter((s, i, all) => s !== all[i - 1]).join(' → '),
      ]),
      { right: [5, 6] },
    ),
  );
}

/** Payments and credit notes at the sandbox, and what each is applied to. */
export function printMoney(say: Say, money: MoneyHoldings): void {
  say(table(money.header, money.rows, { right: money.right }));
}

export interface SandboxSnapshot {
  readonly holdings: Holdings;
  readonly calls: readonly CallRecord[];
  readonly throttling: Throttling;
  readonly contractViolations: readonly ContractViolationView[] | undefined;
}

export function sandboxSnapshot(provider: DemoProvider, orgId: string): SandboxSnapshot {
  return { holdings: provider.holdings(orgId), calls: provider.calls(orgId), throttling: provider.throttling(orgId), contractViolations: provider.contractViolations() };
}

/** What the sandbox holds and how it was asked: the documents, every call, and the checks. */
export function printSandbox(say: Say, snapshot: SandboxSnapshot, provider: DemoProvider): void {
  const { holdings, calls, throttling, contractViolations } = snapshot;
  say(table(holdings.header, holdings.rows, { right: holdings.right }));
  say();
  const creates = calls.filter((c) => c.create);
  const breakdown = [...callBreakdown(calls)].map(([call, n]) => `${call} ×${n}`).join(', ');
  say(`  API calls: ${calls.length} (${breakdown})`);
  if (provider.name === 'xero') {
    say(
      `  create requests: ${creates.length}, carrying ${creates.map((c) => c.documents).join(' + ')} invoice(s)` +
        ` (one request per batch of up to ${provider.documentsPerRequest}, not one per document)`,
    );
  } else {
    say(
      `  batch requests (${provider.createCall}): ${creates.length}, carrying ${creates.map((c) => c.documents).join(' + ')} document(s)` +
        ` (one request per batch of up to ${provider.documentsPerRequest}, each with a requestid; not one per document)`,
    );
  }
  say(`  rate-limited (429) answers: ${throttling.throttled}`);
  say(`  duplicates at ${provider.short}: ${holdings.duplicates.length}${holdings.duplicates.length ? ` (${holdings.duplicates.join(', ')})` : ''}`);
  if (contractViolations) {
    say(`  contract violations: ${contractViolations.length}`);
    for (const v of contractViolations.slice(0, 5)) say(`    ${v.method} ${v.path}: ${v.kind} ${v.message}`);
  }
}
