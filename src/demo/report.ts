import type { OrgStats, XeroSandbox } from '../sandbox/xero/index.ts';
import type { DocumentDetail } from './documents.ts';
import { callBreakdown, invoicesInRequest, type SandboxFacts } from './sandbox-facts.ts';
import { table } from './table.ts';

type Say = (line?: string) => void;

const money = (n: unknown) => (typeof n === 'number' ? n.toFixed(2) : String(n ?? ''));

/** Each document as Ledgerport shows it: status, Xero's number, and the path it took. */
export function printDocuments(say: Say, docs: readonly DocumentDetail[]): void {
  say(
    table(
      ['document', 'kind', 'status', 'Xero number', 'history'],
      docs.map((d) => [
        d.source_id,
        d.kind,
        d.status,
        d.provider_number ?? '-',
        ['received', ...d.history.map((h) => h.to_status)].filter((s, i, all) => s !== all[i - 1]).join(' → '),
      ]),
    ),
  );
}

/** What the sandbox holds and how it was asked: the invoices, every call, and the checks. */
export function printSandbox(say: Say, facts: SandboxFacts, stats: OrgStats, sandbox: XeroSandbox): void {
  say(
    table(
      ['Type', 'Number', 'Contact', 'Total', 'Status'],
      facts.invoices.map((i) => [
        String(i.Type),
        String(i.InvoiceNumber ?? ''),
        String((i.Contact as { Name?: string } | null)?.Name ?? ''),
        `${money(i.Total)} ${String(i.CurrencyCode ?? '')}`.trim(),
        String(i.Status),
      ]),
      { right: [3] },
    ),
  );
  say();
  const breakdown = [...callBreakdown(facts.requests)].map(([call, n]) => `${call} ×${n}`).join(', ');
  say(`  API calls: ${facts.requests.length} (${breakdown})`);
  say(
    `  create requests: ${facts.createRequests.length}, carrying ${facts.createRequests.map(invoicesInRequest).join(' + ')} invoice(s)` +
      ` (one request per batch of up to 50, not one per document)`,
  );
  say(`  rate-limited (429) answers: ${stats.rateLimited}`);
  say(`  duplicates at Xero: ${facts.duplicates.length}${facts.duplicates.length ? ` (${facts.duplicates.join(', ')})` : ''}`);
  say(`  contract violations: ${sandbox.contractViolations.length}`);
  for (const v of sandbox.contractViolations.slice(0, 5)) say(`    ${v.method} ${v.path}: ${v.kind} ${v.message}`);
}
