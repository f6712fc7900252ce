import type { GatewayClient } from './client.ts';
import type { ExpectedState } from './follow-ups.ts';

/** The parts of the documents API (openapi.yaml) the demo shows. */
export interface DocumentView {
  readonly id: string;
  readonly kind: 'sales_invoice' | 'supplier_bill' | 'credit_note' | 'payment' | 'refund';
  readonly source_id: string;
  readonly status: string;
  readonly synced_version: number | null;
  readonly amount_paid: string | null;
  readonly amount_due: string | null;
  readonly status_reason: string | null;
  readonly provider_number: string | null;
  readonly last_error: unknown;
}

export interface DocumentDetail extends DocumentView {
  readonly history: readonly { readonly to_status: string }[];
  readonly attempts: readonly { readonly outcome: string | null }[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls GET …/documents until every one of `ids` is synced. Throws on timeout, or as soon as one
 * of them fails (its reason is what the user needs to see).
 */
export async function waitUntilSynced(
  client: GatewayClient,
  tenantId: string,
  ids: readonly string[],
  opts: { timeoutMs: number; onProgress?: (counts: Record<string, number>) => void },
): Promise<Map<string, DocumentView>> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastSeen = '';
  for (;;) {
    const res = await client.api<{ data: DocumentView[] }>(tenantId, 'GET', '/documents?limit=200');
    if (res.status !== 200) throw new Error(`GET /documents answered ${res.status}: ${JSON.stringify(res.body)}`);
    const mine = new Map(res.body.data.filter((d) => ids.includes(d.id)).map((d) => [d.id, d]));
    const counts: Record<string, number> = {};
    for (const id of ids) {
      const status = mine.get(id)?.status ?? 'missing';
      counts[status] = (counts[status] ?? 0) + 1;
    }
    const seen = JSON.stringify(counts);
    if (seen !== lastSeen) opts.onProgress?.(counts);
    lastSeen = seen;
    const failed = [...mine.values()].find((d) => d.status === 'failed');
    if (failed) throw new Error(`document ${failed.source_id} failed: ${failed.status_reason ?? JSON.stringify(failed.last_error)}`);
    if (counts.synced === ids.length) return mine;
    if (Date.now() > deadline) {
      const pending = ids.map((id) => mine.get(id)).filter((d) => d && d.status !== 'synced');
      throw new Error(
        `not every document was synced within ${opts.timeoutMs / 1000} s: ${pending.map((d) => `${d!.source_id} is ${d!.status}${d!.status_reason ? ` (${d!.status_reason})` : ''}`).join('; ')}`,
      );
    }
    await sleep(250);
  }
}

/** Whether a document is where `want` says it should end up. */
function settled(doc: DocumentView | undefined, want: ExpectedState): boolean {
  if (!doc || doc.status !== want.status) return false;
  if (want.syncedVersion !== undefined && doc.synced_version !== want.syncedVersion) return false;
  return want.amountDue === undefined || doc.amount_due === want.amountDue;
}

/**
 * Polls GET …/documents until each document (by platform id) is as `expected` says: its status,
 * the version the provider holds, and what the provider reports as due once its payments were
 * read back. Throws on timeout, naming each one that is not there yet, or when one fails.
 */
export async function waitUntilSettled(
  client: GatewayClient,
  tenantId: string,
  expected: readonly ExpectedState[],
  opts: { timeoutMs: number; onProgress?: (line: string) => void },
): Promise<Map<string, DocumentView>> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastSeen = '';
  for (;;) {
    const res = await client.api<{ data: DocumentView[] }>(tenantId, 'GET', '/documents?limit=200');
    if (res.status !== 200) throw new Error(`GET /documents answered ${res.status}: ${JSON.stringify(res.body)}`);
    const bySource = new Map(res.body.data.map((d) => [d.source_id, d]));
    const pending = expected.filter((want) => !settled(bySource.get(want.sourceId), want));
    const seen = expected.map((want) => `${want.sourceId} ${bySource.get(want.sourceId)?.status ?? 'missing'}`).join(', ');
    if (seen !== lastSeen) opts.onProgress?.(seen);
    lastSeen = seen;
    const failed = expected.map((want) => bySource.get(want.sourceId)).find((d) => d?.status === 'failed');
    if (failed) throw new Error(`document ${failed.source_id} failed: ${failed.status_reason ?? JSON.stringify(failed.last_error)}`);
    if (pending.length === 0) return bySource;
    if (Date.now() > deadline) {
      const describe = (want: ExpectedState) => {
        const d = bySource.get(want.sourceId);
        if (!d) return `${want.sourceId} was never received`;
        return `${want.sourceId} is ${d.status}${d.status_reason ? ` (${d.status_reason})` : ''}, version ${d.synced_version ?? '-'} at the provider, ${d.amount_due ?? '-'} due; expected ${JSON.stringify(want)}`;
      };
      throw new Error(`not settled within ${opts.timeoutMs / 1000} s: ${pending.map(describe).join('; ')}`);
    }
    await sleep(250);
  }
}

export async function documentDetail(client: GatewayClient, tenantId: string, id: string): Promise<DocumentDetail> {
  const res = await client.api<DocumentDetail>(tenantId, 'GET', `/documents/${id}`);
  if (res.status !== 200) throw new Error(`GET /documents/${id} answered ${res.status}`);
  return res.body;
}
