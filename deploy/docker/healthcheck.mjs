// The image's HEALTHCHECK (slim images have no curl): exit 0 when this container's process answers.
//   web, all: GET /readyz on PORT (database reachable, migrations applied)
//   worker:   GET /metrics on METRICS_PORT (the worker's own listener; no HTTP on PORT)
// The role is the argument, or else read from the container's main process (PID 1) command line.
import { readFileSync } from 'node:fs';

function containerRole() {
  try {
    // `node … src/main.ts worker`, or `npm run start:worker` as the container's command.
    const args = readFileSync('/proc/1/cmdline', 'utf8').split('\0').map((arg) => arg.replace(/^start:/, ''));
    return ['worker', 'web', 'all'].find((role) => args.includes(role)) ?? 'all';
  } catch {
    return 'all';
  }
}

const role = process.argv[2] ?? containerRole();
const env = process.env;
// The listener binds HOST (default 0.0.0.0); a wildcard address is reached over loopback.
const bound = !env.HOST || ['0.0.0.0', '::', '[::]'].includes(env.HOST) ? '127.0.0.1' : env.HOST;
const host = bound.includes(':') && !bound.startsWith('[') ? `[${bound}]` : bound;
const target =
  role === 'worker'
    ? { url: `http://${host}:${env.METRICS_PORT || 9464}/metrics`, token: env.METRICS_TOKEN }
    : { url: `http://${host}:${env.PORT || 8080}/readyz`, token: undefined };

try {
  const response = await fetch(target.url, {
    headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
    signal: AbortSignal.timeout(2_500),
  });
  await response.body?.cancel();
  if (!response.ok) console.error(`${target.url}: ${response.status}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`${target.url}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
