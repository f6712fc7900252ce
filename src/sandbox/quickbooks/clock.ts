import type { SandboxClock } from './types.ts';

/**
 * Sandbox clock: `base()` supplies real epoch ms (injectable for tests); the
 * sandbox time runs `timeScale` times faster than it from the moment of creation.
 */
export function createClock(base: () => number = Date.now, timeScale = 1): SandboxClock {
  if (!(timeScale > 0)) throw new Error('timeScale must be > 0');
  const origin = base();
  return {
    scale: timeScale,
    now: () => origin + (base() - origin) * timeScale,
    toRealMs: (sandboxMs) => sandboxMs / timeScale,
  };
}
