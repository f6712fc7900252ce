/**
 * Aborts the run on SIGINT, SIGTERM or after `maxSeconds`: cleanup, then exit 1. Returns the
 * watchdog timer for finishBench to clear.
 */
export function guardRun(opts: { maxSeconds: number; cleanup: () => Promise<void>; progress: (message: string) => void }): NodeJS.Timeout {
  const abort = async (reason: string) => {
    opts.progress(`aborting: ${reason}`);
    await opts.cleanup();
    process.exit(1);
  };
  const watchdog = setTimeout(() => void abort(`the run exceeded --max-seconds ${opts.maxSeconds}`), opts.maxSeconds * 1000);
  watchdog.unref();
  process.once('SIGINT', () => void abort('interrupted'));
  process.once('SIGTERM', () => void abort('terminated'));
  return watchdog;
}

/**
 * Runs a benchmark's main function and sets the exit code: 1 when integrity failed or the run
 * crashed, 3 when --strict and a target was missed, else 0. Cleanup always runs.
 */
export async function finishBench(opts: {
  main: () => Promise<{ integrityOk: boolean; targetsMet: boolean }>;
  cleanup: () => Promise<void>;
  watchdog: NodeJS.Timeout;
  strict: boolean;
  progress: (message: string) => void;
  startedAt: number;
}): Promise<void> {
  try {
    const verdict = await opts.main();
    await opts.cleanup();
    clearTimeout(opts.watchdog);
    opts.progress(`done in ${((performance.now() - opts.startedAt) / 1000).toFixed(0)} s`);
    process.exitCode = !verdict.integrityOk ? 1 : opts.strict && !verdict.targetsMet ? 3 : 0;
  } catch (error) {
    opts.progress(`failed: ${(error as Error).stack ?? String(error)}`);
    await opts.cleanup();
    clearTimeout(opts.watchdog);
    process.exitCode = 1;
  }
}
