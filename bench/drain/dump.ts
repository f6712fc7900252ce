import { writeFileSync } from 'node:fs';
import type { RequestLogEntry } from '../../src/sandbox/xero/index.ts';

/** One JSON line per call, seconds from `from`: what a reader needs to see pacing and batch sizes. */
export function dumpCalls(file: string, requests: readonly RequestLogEntry[], from: number): void {
  const lines = requests.map((r) => {
    const body = r.body as { Invoices?: unknown[]; Contacts?: unknown[] } | undefined;
    return JSON.stringify({
      t: Number(((r.time - from) / 1000).toFixed(3)),
      method: r.method,
      path: r.path,
      query: r.query,
      status: r.status,
      ...(Array.isArray(body?.Invoices) ? { invoices: body.Invoices.length } : {}),
      ...(Array.isArray(body?.Contacts) ? { contacts: body.Contacts.length } : {}),
    });
  });
  writeFileSync(file, `${lines.join('\n')}\n`);
}
