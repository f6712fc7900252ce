import type { XeroSandbox } from '../sandbox/xero/index.ts';
import type { RunSecrets } from './secrets.ts';

/**
 * The environment record a demo or benchmark gateway is configured from (given to loadConfig,
 * never read from process.env): loopback only, Xero pointed at the sandbox, secrets of the run.
 */
export function gatewayEnvironment(opts: {
  readonly port: number;
  readonly sandbox: XeroSandbox;
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
    XERO_CLIENT_ID: opts.sandbox.clientId,
    XERO_CLIENT_SECRET: opts.sandbox.clientSecret,
    XERO_REDIRECT_URI: `${origin}/oauth/xero/callback`,
    XERO_API_URL: opts.sandbox.apiUrl,
    XERO_IDENTITY_URL: opts.sandbox.identityUrl,
    XERO_LOGIN_URL: opts.sandbox.loginUrl,
    ...opts.extra,
  };
}
