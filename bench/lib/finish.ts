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
