// Injected faults for the QuickBooks sandbox (failures, delays, dropped responses, forced 429s),
// built on the shared rule engine. Rules can target a path regex and/or query parameters
// (e.g. `{ path: /\/query$/, query: { query: /Invoice/ } }`).
import { createFaultInjector } from '../shared/faults.ts';
import type { FaultInjector, FaultQuery, FaultTarget } from '../shared/faults.ts';

export type { FaultQuery, FaultTarget, QueryMatch } from '../shared/faults.ts';

export interface FailOptions extends FaultTarget { status?: 500 | 502 | 503 | 504 }

export interface Faults extends Omit<FaultInjector<FailOptions, FaultTarget, true>, 'take429'> {
  take429(path: string, query?: FaultQuery): boolean;
}

export function createFaults(): Faults {
  const f = createFaultInjector<FailOptions, FaultTarget, true>(() => true);
  return { ...f, take429: (p, q) => f.take429(p, q) === true };
}
