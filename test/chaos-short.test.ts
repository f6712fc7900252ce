import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
/** The seed CI replays; a failure names the command that replays it locally. */
const SEED = '20261121';

/** `npm run bench:chaos -- --short` on the test server (the bench makes and drops its own database). */
function runChaos(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/chaos.ts', '--short', '--seed', SEED, '--database-url', inject('adminDatabaseUrl')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench:chaos -- --short (seeded)', () => {
  it(
    'loses no acknowledged webhook, holds every document once at the provider in its final state and lets no real 429 through, while processes are killed, backends terminated and the providers fail',
    { timeout: 300_000 },
    async () => {
      const { code, stdout, stderr } = await runChaos();
      // On failure the report (stdout) says which target was missed, and stderr how the run went.
      expect(code, `${stdout}\n--- progress ---\n${stderr.slice(-6_000)}`).toBe(0);
      expect(stdout).toMatch(/OK: every target met/);
      expect(stdout).toMatch(/accepted webhooks lost .* 0 of [\d,]+ acknowledged\s+PASS/);
      expect(stdout).toMatch(/rolling restarts: accepted webhooks lost = 0 .* 0 of [\d,]+ acknowledged\s+PASS/);
    },
  );
});
