import { writeFileSync } from 'node:fs';
import type { CallRecord } from '../../src/demo/provider.ts';

/** One JSON line per call, seconds from `from`: what a reader needs to see pacing and batch sizes. */
export function dumpCalls(file: string, calls: readonly CallRecord[], from: number): void {
  const lines = calls.map((c) =>
    JSON.stringify({
      t: Number(((c.time - from) / 1000).toFixed(3)),
      method: c.method,
      path: c.path,
      query: c.query,
      status: c.status,
      ...(c.create ? { documents: c.documents } : {}),
      ...(c.contacts === undefined ? {} : { contacts: c.contacts }),
    }),
  );
  writeFileSync(file, `${lines.join('\n')}\n`);
}
