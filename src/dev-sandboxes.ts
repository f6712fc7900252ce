import type { Logger } from 'pino';
import { startQuickBooksSandbox } from './sandbox/quickbooks/index.ts';
import { startXeroSandbox } from './sandbox/xero/index.ts';

/**
 * `npm start` in development with no provider credentials: the loopback Xero and QuickBooks
 * sandboxes run in this process, each with one UK organisation (company) and a consent page a
 * person clicks through, so the console's "Connect" works on a fresh machine. The returned
 * settings point Ledgerport at them; nothing here is used in production.
 */
export interface DevSandboxes {
  /** XERO_* and QBO_* settings for a gateway whose public origin is the one given. */
  readonly environment: Record<string, string>;
  readonly urls: { readonly xero: string; readonly quickbooks: string };
  close(): Promise<void>;
}

export async function startDevSandboxes(opts: { logger: Logger; origin: string }): Promise<DevSandboxes> {
  const xero = await startXeroSandbox({ host: '127.0.0.1', limits: { concurrent: 5, perMinute: 60, perDay: 5_000 }, logger: opts.logger });
  const quickbooks = await startQuickBooksSandbox({ host: '127.0.0.1', limits: { concurrent: 10, perMinute: 500 }, logger: opts.logger });
  xero.addOrganisation({ name: 'Demo Trading Ltd', region: 'UK' });
  xero.setConsent({ page: true });
  quickbooks.addCompany({ name: 'Demo Trading Ltd', country: 'UK' });
  quickbooks.setConsent({ page: true });
  return {
    environment: {
      XERO_CLIENT_ID: xero.clientId,
      XERO_CLIENT_SECRET: xero.clientSecret,
      XERO_REDIRECT_URI: `${opts.origin}/oauth/xero/callback`,
      XERO_API_URL: xero.apiUrl,
      XERO_IDENTITY_URL: xero.identityUrl,
      XERO_LOGIN_URL: xero.loginUrl,
      QBO_CLIENT_ID: quickbooks.clientId,
      QBO_CLIENT_SECRET: quickbooks.clientSecret,
      QBO_REDIRECT_URI: `${opts.origin}/oauth/quickbooks/callback`,
      QBO_API_URL: quickbooks.apiUrl,
      QBO_OAUTH_URL: quickbooks.oauthUrl,
      QBO_AUTHORIZE_URL: quickbooks.authorizeUrl,
      QBO_WEBHOOK_VERIFIER_TOKEN: quickbooks.webhookVerifierToken,
    },
    urls: { xero: xero.url, quickbooks: quickbooks.url },
    close: async () => {
      await xero.close();
      await quickbooks.close();
    },
  };
}
