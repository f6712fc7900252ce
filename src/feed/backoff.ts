const BASE_MS = 2_000;
const CAP_MS = 10 * 60_000;
const FLOOR_MS = 1_000;

/**
 * Delay before the next delivery attempt after `attempts` failed ones: exponential (2 s, 4 s, …
 * capped at 10 min) with full jitter, i.e. uniform below that ceiling, so tenants failing
 * together spread out; a 1 s floor keeps a retry from running back-to-back with the failure.
 */
export function deliveryBackoffMs(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  return Math.round(FLOOR_MS + random() * (ceiling - FLOOR_MS));
}
