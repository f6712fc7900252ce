// Sandbox clock shared by the provider simulators: real time, optionally sped up.

export interface SandboxClock {
  /** Sandbox time in epoch ms (scaled by timeScale since start). */
  now(): number;
  /** How many sandbox ms pass per real ms. */
  readonly scale: number;
  /** Convert a sandbox duration to a real duration (ms). */
  toRealMs(sandboxMs: number): number;
}

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

/** Resolves after `ms` real milliseconds (injected delays). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
