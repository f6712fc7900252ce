import type { GatewayClient } from './client.ts';

/** The parts of the documents API (openapi.yaml) the demo shows. */
export interface DocumentView {
  readonly id: string;
  readonly kind: 'sales_invoice' | 'supplier_bill';
  readonly source_id: string;
  readonly status: string;
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

export async function documentDetail(client: GatewayClient, tenantId: string, id: string): Promise<DocumentDetail> {
  const res = await client.api<DocumentDetail>(tenantId, 'GET', `/documents/${id}`);
  if (res.status !== 200) throw new Error(`GET /documents/${id} answered ${res.status}`);
  return res.body;
}
