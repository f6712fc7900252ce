import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateGovernor, type RateGovernor, type RateKey, type RateLimits } from '../src/providers/rate-governor.ts';
import { startHarness, type Harness } from './helpers/harness.ts';

let h: Harness;
let governor: RateGovernor;
beforeAll(async () => {
  h = await startHarness();
  governor = createRateGovernor(h.database.db);
});
afterAll(async () => {
  await h.close();
});

/** A fresh key per test so tests never see each other's calls. */
function rateKey(limits: RateLimits): RateKey {
  return { key: `test:${randomUUID()}`, limits };
}

/** Past calls, `agesMs` before the database clock. */
async function insertCalls(key: string, agesMs: readonly number[], weight = 1) {
  for (const age of agesMs) {
    await sql`insert into rate_calls (key, at, weight)
      values (${key}, clock_timestamp() - ${age}::integer * interval '1 millisecond', ${weight})`.execute(h.database.db);
  }
}

describe('rate governor', () => {
  it('grants up to perMinute, then refuses until the oldest call is out of the (61 s) window', async () => {
    const k = rateKey({ perMinute: 5 });
    // Three calls already in the window (oldest 50 s ago) and one that has slid out of it.
    // The window is 61 s: a second longer than the provider's, for the time a call takes to arrive.
    await insertCalls(k.key, [62_000, 50_000, 40_000, 30_000]);
    for (let i = 0; i < 2; i++) expect((await governor.tryAcquire([k])).granted).toBe(true);
    const refused = await governor.tryAcquire([k]);
    expect(refused).toMatchObject({ granted: false, reason: 'minute' });
    if (refused.granted) throw new Error('unreachable');
    // The 50 s old call leaves the window in about 11 s.
    expect(refused.waitMs).toBeGreaterThan(10_500);
    expect(refused.waitMs).toBeLessThanOrEqual(11_000);
    expect(await governor.usage(k.key)).toMatchObject({ lastMinute: 5, lastDay: 6, inFlight: 2 });
  });

  it('refuses the call after exactly perMinute grants, with the wait for the first to expire', async () => {
    const k = rateKey({ perMinute: 60 });
    for (let i = 0; i < 60; i++) {
      const r = await governor.tryAcquire([k]);
      expect(r.granted).toBe(true);
      if (r.granted) await r.lease.release();
    }
    const refused = await governor.tryAcquire([k]);
    expect(refused).toMatchObject({ granted: false, reason: 'minute' });
    if (!refused.granted) {
      expect(refused.waitMs).toBeGreaterThan(56_000);
      expect(refused.waitMs).toBeLessThanOrEqual(61_000);
    }
  });

  it('acquire() sleeps until the window slides, then grants', async () => {
    const k = rateKey({ perMinute: 2 });
    await insertCalls(k.key, [60_700, 60_600]);
    const started = Date.now();
    const r = await governor.acquire([k], { maxWaitMs: 5_000 });
    expect(r.granted).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('limits concurrency; released and expired leases free the slot', async () => {
    const k = rateKey({ concurrent: 2 });
    const a = await governor.tryAcquire([k]);
    const b = await governor.tryAcquire([k], { leaseMs: 300 });
    expect(a.granted && b.granted).toBe(true);
    const refused = await governor.tryAcquire([k]);
    expect(refused).toMatchObject({ granted: false, reason: 'concurrent' });
    if (!refused.granted) expect(refused.waitMs).toBeLessThanOrEqual(300);

    if (a.granted) await a.lease.release();
    const c = await governor.tryAcquire([k]);
    expect(c.granted).toBe(true);
    expect((await governor.tryAcquire([k])).granted).toBe(false);

    // b was never released (a crashed worker): it stops counting when it expires.
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await governor.usage(k.key)).inFlight).toBe(1);
    expect((await governor.tryAcquire([k])).granted).toBe(true);
  });

  it('acquire() waits for a release', async () => {
    const k = rateKey({ concurrent: 1 });
    const first = await governor.tryAcquire([k]);
    if (!first.granted) throw new Error('first acquire refused');
    setTimeout(() => void first.lease.release(), 300);
    const second = await governor.acquire([k], { maxWaitMs: 5_000 });
    expect(second.granted).toBe(true);
  });

  it('never over-grants when many processes race', async () => {
    const k = rateKey({ perMinute: 10 });
    // Two more pools stand in for other worker processes.
    const others = [0, 1].map(() => new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: h.dbUrl, max: 12 }) }) }));
    try {
      const governors = [governor, ...others.map((db) => createRateGovernor(db))];
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => governors[i % governors.length]!.tryAcquire([k])),
      );
      expect(results.filter((r) => r.granted)).toHaveLength(10);
      expect(results.filter((r) => !r.granted && r.reason === 'minute')).toHaveLength(40);
      expect((await governor.usage(k.key)).lastMinute).toBe(10);
    } finally {
      await Promise.all(others.map((db) => db.destroy()));
    }
  });

  it('is all or nothing over several keys', async () => {
    const org = rateKey({ concurrent: 5, perMinute: 60, perDay: 5_000 });
    const app = rateKey({ perMinute: 3 });
    await insertCalls(app.key, [1_000, 1_000, 1_000]);
    const refused = await governor.tryAcquire([org, app]);
    expect(refused).toMatchObject({ granted: false, reason: 'minute' });
    expect(await governor.usage(org.key)).toEqual({ lastMinute: 0, lastDay: 0, inFlight: 0, blockedUntil: null });
    expect((await governor.usage(app.key)).lastMinute).toBe(3);

    // And in the other order, with the org the one that refuses.
    const app2 = rateKey({ perMinute: 100 });
    const org2 = rateKey({ concurrent: 1 });
    const held = await governor.tryAcquire([org2]);
    expect(held.granted).toBe(true);
    expect(await governor.tryAcquire([app2, org2])).toMatchObject({ granted: false, reason: 'concurrent' });
    expect((await governor.usage(app2.key)).lastMinute).toBe(0);
  });

  it('reports the longest wait when several limits refuse', async () => {
    const k = rateKey({ perMinute: 1, perDay: 2 });
    await insertCalls(k.key, [3_600_000, 30_000]);
    const refused = await governor.tryAcquire([k]);
    expect(refused).toMatchObject({ granted: false, reason: 'day' });
    // The day window is a day and a minute: 24 h + 60 s − 1 h.
    if (!refused.granted) expect(Math.abs(refused.waitMs - 82_860_000)).toBeLessThan(1_000);
  });

  it('block() refuses until Retry-After has passed, and acquire() does not sleep past maxWaitMs', async () => {
    const k = rateKey({ perMinute: 60 });
    await governor.block(k.key, 5_000, 'minute');
    const refused = await governor.tryAcquire([k]);
    expect(refused).toMatchObject({ granted: false, reason: 'blocked' });
    if (!refused.granted) {
      expect(refused.waitMs).toBeGreaterThan(4_500);
      expect(refused.waitMs).toBeLessThanOrEqual(5_000);
    }
    // A shorter Retry-After never shortens the block.
    await governor.block(k.key, 100, 'minute');
    expect((await governor.usage(k.key)).blockedUntil!.getTime()).toBeGreaterThan(Date.now() + 4_000);

    const started = Date.now();
    const r = await governor.acquire([k], { maxWaitMs: 1_000 });
    expect(Date.now() - started).toBeLessThan(500);
    expect(r).toMatchObject({ granted: false, reason: 'blocked' });

    const short = rateKey({ perMinute: 60 });
    await governor.block(short.key, 300, 'minute');
    expect((await governor.acquire([short], { maxWaitMs: 2_000 })).granted).toBe(true);
  });

  it('counts weight as several calls', async () => {
    const k = rateKey({ perMinute: 10, concurrent: 5 });
    expect((await governor.tryAcquire([k], { weight: 6 })).granted).toBe(true);
    expect(await governor.tryAcquire([k], { weight: 5 })).toMatchObject({ granted: false, reason: 'minute' });
    expect((await governor.tryAcquire([k], { weight: 4 })).granted).toBe(true);
    expect(await governor.usage(k.key)).toMatchObject({ lastMinute: 10, inFlight: 2 });
    // A request that could never fit is an error, not an endless wait.
    await expect(governor.tryAcquire([k], { weight: 11 })).rejects.toThrow(RangeError);
  });

  it('waits for enough weight to leave the window', async () => {
    const k = rateKey({ perMinute: 10 });
    await insertCalls(k.key, [50_000], 4);
    await insertCalls(k.key, [40_000], 4);
    await insertCalls(k.key, [30_000], 2);
    // 7 must leave: the 50 s call frees 4, the 40 s call brings it to 8.
    const refused = await governor.tryAcquire([k], { weight: 7 });
    expect(refused).toMatchObject({ granted: false, reason: 'minute' });
    if (!refused.granted) {
      expect(refused.waitMs).toBeGreaterThan(20_500);
      expect(refused.waitMs).toBeLessThanOrEqual(21_000);
    }
  });

  it('prunes calls older than the retention now and then', async () => {
    const k = rateKey({ perMinute: 100 });
    await insertCalls(k.key, [120_000, 90_000, 30_000]);
    expect((await governor.tryAcquire([k])).granted).toBe(true);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from rate_calls where key = ${k.key}`.execute(h.database.db);
    expect(rows[0]!.n).toBe(2);
  });
});

/*
 * paceDelayMs reads the calls in the database with the database clock (RateGovernorOptions.now
 * only budgets acquire()'s waiting), so "later" is shown here by calls recorded further back.
 */
describe('rate governor paceDelayMs', () => {
  it('is 0 for a fresh key, and for a key without a per-minute limit however much is spent', async () => {
    expect(await governor.paceDelayMs([rateKey({ perMinute: 60 })])).toBe(0);
    const noMinute = rateKey({ concurrent: 5, perDay: 100 });
    await insertCalls(noMinute.key, [1_000], 90);
    expect(await governor.paceDelayMs([noMinute])).toBe(0);
  });

  it('is 0 while less than half the minute is spent; from half, spaces what is left until the oldest call leaves', async () => {
    const k = rateKey({ perMinute: 60 });
    await insertCalls(k.key, [1_000], 29);
    expect(await governor.paceDelayMs([k])).toBe(0);
    await insertCalls(k.key, [1_000]);
    // 30 left for the 60 s until the oldest (1 s old) leaves the 61 s window: one every 2 s,
    // the next 2 s after the latest call, which was 1 s ago.
    const half = await governor.paceDelayMs([k]);
    expect(half).toBeGreaterThan(500);
    expect(half).toBeLessThanOrEqual(1_000);

    // 10 left over the 51 s until the 10 s old call leaves: 5.1 s apart, the latest 1 s ago.
    const most = rateKey({ perMinute: 60 });
    await insertCalls(most.key, [10_000], 40);
    await insertCalls(most.key, [1_000], 10);
    const delay = await governor.paceDelayMs([most]);
    expect(delay).toBeGreaterThan(3_500);
    expect(delay).toBeLessThanOrEqual(4_100);
    // Advisory: asking counts no call.
    expect((await governor.usage(most.key)).lastMinute).toBe(50);
  });

  it('shrinks as the window moves on, to 0, and forgets calls that have left it', async () => {
    // The same 30 calls of 60, seen 1 s, 1.5 s and 2 s after they were made.
    const delays: number[] = [];
    for (const age of [1_000, 1_500, 2_000]) {
      const k = rateKey({ perMinute: 60 });
      await insertCalls(k.key, [age], 30);
      delays.push(await governor.paceDelayMs([k]));
    }
    expect(delays[0]).toBeGreaterThan(delays[1]!);
    expect(delays[1]).toBeGreaterThan(0);
    expect(delays[2]).toBe(0);

    // And as the database clock itself moves on.
    const k = rateKey({ perMinute: 60 });
    await insertCalls(k.key, [0], 30);
    const before = await governor.paceDelayMs([k]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await governor.paceDelayMs([k]);
    expect(before - after).toBeGreaterThanOrEqual(290);

    // Past the 61 s window calls no longer count towards the share.
    const gone = rateKey({ perMinute: 60 });
    await insertCalls(gone.key, [61_500], 40);
    await insertCalls(gone.key, [1_000], 20);
    expect(await governor.paceDelayMs([gone])).toBe(0);
  });

  it('counts only the last minute of a key that also has a per-day limit', async () => {
    // A per-day key keeps a day of calls (for perDay); 40 of them 10 minutes ago are not this minute's.
    const k = rateKey({ perMinute: 60, perDay: 5_000 });
    await insertCalls(k.key, [600_000], 40);
    await insertCalls(k.key, [1_000], 10);
    expect(await governor.paceDelayMs([k])).toBe(0);
    expect(await governor.usage(k.key)).toMatchObject({ lastMinute: 10, lastDay: 50 });
    // From half of this minute it paces, as a key without perDay does.
    await insertCalls(k.key, [1_000], 20);
    expect(await governor.paceDelayMs([k])).toBeGreaterThan(0);
  });

  it('is the longest of several keys, in either order', async () => {
    const org = rateKey({ concurrent: 5, perMinute: 60, perDay: 5_000 });
    const app = rateKey({ perMinute: 10 });
    await insertCalls(org.key, [1_000], 30); // about 1 s
    await insertCalls(app.key, [1_000], 5); // 5 left over 60 s: 12 s apart, so about 11 s
    for (const keys of [[org, app], [app, org]]) {
      const delay = await governor.paceDelayMs(keys);
      expect(delay).toBeGreaterThan(10_000);
      expect(delay).toBeLessThanOrEqual(11_000);
    }
  });
});
