import type { QuickBooksSandbox } from '../../src/sandbox/quickbooks/index.ts';
import type { XeroSandbox } from '../../src/sandbox/xero/index.ts';
import type { Rng } from './rng.ts';

/**
 * Probabilistic faults through the sandboxes' own fault controls (failNext, dropAfterWrite,
 * force429). Those count down per matching request and match a rule's `path` with
 * `RegExp#test`; a rule here has a practically endless count and a path matcher that decides per
 * call, with the seeded stream, whether this call is the one, and counts it when it is. So "10%
 * of calls" is exact per call, each injected fault is counted where it happens, and the 429s the
 * sandbox answered that were not forced are exactly its own limit accounting's.
 */
export interface FaultRates {
  /** Share of API calls answered 5xx (after the sandbox counted the call against its limits). */
  readonly fail: number;
  /** Share of writes applied whose response is then dropped (socket destroyed). */
  readonly drop: number;
  /** Share of API calls answered 429 before reaching the limiter. */
  readonly force429: number;
}

export interface InjectedCounts {
  failed: number;
  dropped: number;
  forced429: number;
  byStatus: Map<number, number>;
}

export interface FaultSwitch {
  readonly counts: InjectedCounts;
  /** When the last fault was injected (performance.now()), or undefined. */
  lastAt(): number | undefined;
  enable(): void;
  disable(): void;
}

const ENDLESS = 1_000_000_000;

/** A RegExp whose test() matches `scope` and then says yes with the decider's answer. */
class Decided extends RegExp {
  readonly #scope: RegExp;
  readonly #decide: (path: string) => boolean;
  constructor(scope: RegExp, decide: (path: string) => boolean) {
    super(scope.source, scope.flags);
    this.#scope = scope;
    this.#decide = decide;
  }
  override test(path: string): boolean {
    return this.#scope.test(path) && this.#decide(path);
  }
}

interface FaultControls {
  failNext(n: number, opts: { path: RegExp; status: number }): void;
  dropAfterWrite(n: number, opts: { path: RegExp }): void;
  force429(n: number, opts: { path: RegExp }): void;
}

function arm(controls: FaultControls, scope: RegExp, statuses: readonly number[], rates: FaultRates, rng: Rng, force429: (path: RegExp) => void): FaultSwitch {
  let enabled = false;
  let last: number | undefined;
  const counts: InjectedCounts = { failed: 0, dropped: 0, forced429: 0, byStatus: new Map() };
  const hit = () => {
    last = performance.now();
  };
  // One failure rule per status; the first rule asked rolls once per call and picks the status,
  // the others answer from that roll (take() asks them in order, synchronously, for one call).
  let pending: number | undefined;
  statuses.forEach((status, i) => {
    controls.failNext(ENDLESS, {
      status,
      path: new Decided(scope, () => {
        if (i === 0) pending = enabled && rng.chance(rates.fail) ? rng.pick(statuses) : undefined;
        if (pending !== status) return false;
        pending = undefined;
        counts.failed++;
        counts.byStatus.set(status, (counts.byStatus.get(status) ?? 0) + 1);
        hit();
        return true;
      }),
    });
  });
  controls.dropAfterWrite(ENDLESS, {
    path: new Decided(scope, () => {
      if (!enabled || !rng.chance(rates.drop)) return false;
      counts.dropped++;
      hit();
      return true;
    }),
  });
  force429(
    new Decided(scope, () => {
      if (!enabled || !rng.chance(rates.force429)) return false;
      counts.forced429++;
      hit();
      return true;
    }),
  );
  return {
    counts,
    lastAt: () => last,
    enable: () => {
      enabled = true;
    },
    disable: () => {
      enabled = false;
    },
  };
}

/** Xero: the accounting API only (not /connections or the OAuth hosts); forced 429s say "minute" with a short Retry-After. */
export function armXeroFaults(sandbox: XeroSandbox, rates: FaultRates, rng: Rng, retryAfterSeconds: number): FaultSwitch {
  return arm(sandbox as unknown as FaultControls, /^\/api\.xro\/2\.0\//, [500, 502, 503], rates, rng, (path) =>
    sandbox.force429(ENDLESS, { path, retryAfterSeconds, problem: 'minute' }),
  );
}

/** QuickBooks: the company API (/v3/company/…); its 429 carries no Retry-After. */
export function armQuickBooksFaults(sandbox: QuickBooksSandbox, rates: FaultRates, rng: Rng): FaultSwitch {
  return arm(sandbox as unknown as FaultControls, /^\/v3\/company\//, [500, 502, 503, 504], rates, rng, (path) => sandbox.force429(ENDLESS, { path }));
}
