import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptOpsEvents, type AcceptOutcome, type OpsEvent } from '../src/ingest/accept-ops-events.ts';
import { GroupCommitter } from '../src/ingest/group-commit.ts';
import { parseOpsEnvelope } from '../src/ingest/ops-envelope.ts';
import { shippedInvoice, startHarness, type Harness } from './helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

function opsEvent(tenantId: string, id: string): OpsEvent {
  const payload = shippedInvoice({ tenantId: 'placeholder', id });
  const parsed = parseOpsEnvelope(payload);
  if (!parsed.ok) throw new Error('fixture invalid');
  return { deliveryId: `msg_${tenantId.slice(0, 20)}_${id}`, tenantId, type: parsed.type, payload, document: parsed.document };
}

describe('group commit', () => {
  it('batches concurrent submissions into few transactions', async () => {
    const batchSizes: number[] = [];
    const committer = new GroupCommitter<OpsEvent, AcceptOutcome>({
      write: (events) => {
        batchSizes.push(events.length);
        return acceptOpsEvents(h.database.db, events);
      },
      maxBatch: 50,
      maxInFlight: 1,
    });
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => committer.submit(opsEvent('org_batch', `inv_b${i}`))));
    expect(outcomes.every((o) => o.kind === 'accepted')).toBe(true);
    expect(batchSizes.reduce((a, b) => a + b, 0)).toBe(60);
    expect(batchSizes.length).toBeLessThan(60);
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
  });

  it('one event the database refuses never fails its neighbours', async () => {
    const errors: unknown[] = [];
    const committer = new GroupCommitter<OpsEvent, AcceptOutcome>({
      write: (events) => acceptOpsEvents(h.database.db, events),
      maxBatch: 50,
      maxInFlight: 1,
      onBatchError: (error) => errors.push(error),
    });
    // Bypasses HTTP validation on purpose: tenants.id is limited to 200 characters by a CHECK.
    const events = Array.from({ length: 10 }, (_, i) => opsEvent(i === 4 ? 'x'.repeat(300) : 'org_neighbours', `inv_n${i}`));
    // Occupy the only in-flight slot so all ten form one batch.
    const blocker = committer.submit(opsEvent('org_neighbours', 'inv_blocker'));
    const results = await Promise.allSettled(events.map((e) => committer.submit(e)));
    await blocker;
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(9);
    expect(results[4]!.status).toBe('rejected');
    expect(errors.length).toBeGreaterThan(0);
    const stored = await h.database.db.selectFrom('documents').select('source_id').where('tenant_id', '=', 'org_neighbours').execute();
    expect(stored.map((d) => d.source_id).sort()).toEqual(['inv_blocker', ...Array.from({ length: 10 }, (_, i) => `inv_n${i}`).filter((_, i) => i !== 4)].sort());
  });

  it('drain() waits for everything submitted', async () => {
    const committer = new GroupCommitter<number, number>({
      write: async (items) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return items.map((i) => i * 2);
      },
      maxBatch: 3,
      maxInFlight: 1,
    });
    const settled: number[] = [];
    for (let i = 0; i < 7; i++) void committer.submit(i).then((v) => settled.push(v));
    await committer.drain();
    await Promise.resolve();
    expect(settled.sort((a, b) => a - b)).toEqual([0, 2, 4, 6, 8, 10, 12]);
  });
});
