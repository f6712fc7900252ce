import { Pool } from 'undici';
import type { Delivery } from './deliveries.ts';
import { bump, summarize, within, type LatencySummary } from './stats.ts';

export interface LoadResult {
  readonly seconds: number;
  readonly sent: number;
  readonly accepted: number;
  /** Every response that was not a 202, by status (or client error code). */
  readonly rejected: Map<string, number>;
  readonly firstRejection: string | undefined;
  /** Of the 202s only. Open loop: from the moment each request was due. */
  readonly latency: LatencySummary;
  /** Open loop only: of the 202s, from the moment each request was actually written. */
  readonly serviceLatency?: LatencySummary;
  readonly maxInFlight: number;
}

interface Outcome {
  readonly status: number;
  readonly detail?: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * undici's pool rather than node:http's agent: it spends about a third less CPU per request,
 * and this load generator shares the machine's two cores with the gateway and PostgreSQL.
 */
function createPool(target: URL, connections: number): Pool {
  return new Pool(target.origin, { connections, pipelining: 1, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
}

async function post(pool: Pool, delivery: Delivery): Promise<Outcome> {
  try {
    const res = await pool.request({ method: 'POST', path: '/webhooks/ops', headers: delivery.headers, body: delivery.body });
    if (res.statusCode === 202) {
      await res.body.dump();
      return { status: 202 };
    }
    return { status: res.statusCode, detail: (await res.body.text()).slice(0, 500) };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return { status: 0, detail: e.code ?? e.message };
  }
}

class Tally {
  sent = 0;
  accepted = 0;
  inFlight = 0;
  maxInFlight = 0;
  readonly rejected = new Map<string, number>();
  firstRejection: string | undefined;
  readonly latencies: number[] = [];
  readonly serviceLatencies: number[] = [];

  record(outcome: Outcome, latencyMs: number, serviceMs?: number) {
    if (outcome.status === 202) {
      this.accepted++;
      this.latencies.push(latencyMs);
      if (serviceMs !== undefined) this.serviceLatencies.push(serviceMs);
      return;
    }
    bump(this.rejected, outcome.status === 0 ? `error ${outcome.detail}` : `HTTP ${outcome.status}`);
    this.firstRejection ??= `${outcome.status} ${outcome.detail ?? ''}`.trim();
  }
}

/** `concurrency` workers each send, wait for the answer, and send again, for `seconds`. */
export async function closedLoop(opts: { target: URL; concurrency: number; seconds: number; next: () => Delivery }): Promise<LoadResult> {
  const pool = createPool(opts.target, opts.concurrency);
  const tally = new Tally();
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (performance.now() < deadline) {
          const delivery = opts.next();
          const t0 = performance.now();
          tally.sent++;
          const outcome = await post(pool, delivery);
          tally.record(outcome, performance.now() - t0);
        }
      }),
    );
  } finally {
    await pool.destroy();
  }
  return finish(tally, (performance.now() - started) / 1000, false);
}

/**
 * Sends `rate` requests per second for `seconds` on a timer, whatever the answers do. Latency
 * counts from when each request was due, so a stalled server cannot hide its queue (coordinated
 * omission); the service latency from when it was written is reported beside it.
 */
export async function openLoop(opts: { target: URL; rate: number; seconds: number; next: () => Delivery; maxSockets: number }): Promise<LoadResult> {
  const pool = createPool(opts.target, opts.maxSockets);
  const tally = new Tally();
  const total = Math.round(opts.rate * opts.seconds);
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const fire = (due: number) => {
    const delivery = opts.next();
    const writtenAt = performance.now();
    tally.sent++;
    tally.maxInFlight = Math.max(tally.maxInFlight, ++tally.inFlight);
    const request = post(pool, delivery).then((outcome) => {
      const now = performance.now();
      tally.inFlight--;
      tally.record(outcome, now - due, now - writtenAt);
      inFlight.delete(request);
    });
    inFlight.add(request);
  };
  try {
    await new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - started) * opts.rate) / 1000) + 1);
        while (tally.sent < due) fire(started + (tally.sent * 1000) / opts.rate);
        if (tally.sent >= total) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, 1);
      tick();
    });
    const sendWindow = (performance.now() - started) / 1000;
    await within(Promise.all(inFlight), REQUEST_TIMEOUT_MS + 1_000);
    return finish(tally, sendWindow, true);
  } finally {
    await pool.destroy();
  }
}

function finish(tally: Tally, seconds: number, open: boolean): LoadResult {
  return {
    seconds,
    sent: tally.sent,
    accepted: tally.accepted,
    rejected: tally.rejected,
    firstRejection: tally.firstRejection,
    latency: summarize(tally.latencies),
    serviceLatency: open ? summarize(tally.serviceLatencies) : undefined,
    maxInFlight: open ? tally.maxInFlight : 0,
  };
}
