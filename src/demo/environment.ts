import type { DemoProvider } from './provider.ts';
import type { RunSecrets } from './secrets.ts';

/**
 * The environment record a demo or benchmark gateway is configured from (given to loadConfig,
 * never read from process.env): loopback only, the provider pointed at its sandbox, secrets of the run.
 */
export function gatewayEnvironment(opts: {
  readonly port: number;
  readonly provider: DemoProvider;
  readonly secrets: RunSecrets;
  readonly databaseUrl?: string;
  readonly extra?: Record<string, string>;
}): Record<string, string> {
  const origin = `http://127.0.0.1:${opts.port}`;
  return {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(opts.port),
    PUBLIC_URL: origin,
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    ...opts.secrets,
    ...opts.provider.environment(origin),
    ...opts.extra,
  };
}
