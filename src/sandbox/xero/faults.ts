// Injected faults for the Xero sandbox (failures, delays, dropped responses, forced 429s),
// built on the shared rule engine. Rules can target a path regex and/or query parameters
// (e.g. `{ path: /Contacts$/, query: { page: '3' } }`); a forced 429 names its rate-limit problem.
import { createFaultInjector } from '../shared/faults.ts';
import type { FaultInjector, FaultTarget } from '../shared/faults.ts';
import type { RateLimitProblem } from './types.ts';

export type { FaultQuery, FaultTarget, QueryMatch } from '../shared/faults.ts';

export interface FailOptions extends FaultTarget { status?: 500 | 502 | 503 }
export interface Force429Options extends FaultTarget { retryAfterSeconds?: number; problem?: RateLimitProblem }

type Forced429 = { problem: RateLimitProblem; retryAfterS: number };
export type Faults = FaultInjector<FailOptions, Force429Options, Forced429>;

export function createFaults(): Faults {
  return createFaultInjector<FailOptions, Force429Options, Forced429>((o) => ({ problem: o.problem ?? 'minute', retryAfterS: o.retryAfterSeconds ?? 60 }));
}
