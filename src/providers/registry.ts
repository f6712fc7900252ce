import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { ProviderName } from '../db/schema.ts';
import type { RateGovernor } from './rate-governor.ts';
import type { Observability } from '../observability/index.ts';
import type { AccountingProvider } from './types.ts';
import { createQuickBooksOAuth } from './quickbooks/oauth.ts';
import { createQuickBooksProvider } from './quickbooks/provider.ts';
import { createXeroOAuth } from './xero/oauth.ts';
import { createXeroProvider } from './xero/provider.ts';

export type ProviderRegistry = Partial<Record<ProviderName, AccountingProvider>>;

export function callbackUrl(config: Config, provider: ProviderName): string {
  const configured = provider === 'xero' ? config.xero.redirectUri : config.quickbooks.redirectUri;
  return configured ?? `${config.publicUrl ?? `http://localhost:${config.http.port}`}/oauth/${provider}/callback`;
}

/** The providers this deployment has credentials for; a tenant can only connect to those. */
export function createProviders(config: Config, deps: { db: Database; governor: RateGovernor; logger: Logger; observability?: Observability }): ProviderRegistry {
  const registry: ProviderRegistry = {};
  if (config.xero.clientId && config.xero.clientSecret) {
    registry.xero = createXeroProvider({
      db: deps.db,
      governor: deps.governor,
      logger: deps.logger.child({ provider: 'xero' }),
      observability: deps.observability,
      apiUrl: config.xero.apiUrl,
      timeoutMs: config.push.requestTimeoutMs,
      maxGovernorWaitMs: 5_000,
      idempotencyWindowMs: config.xero.idempotencyWindowMinutes * 60_000,
      oauth: createXeroOAuth(config.xero, callbackUrl(config, 'xero'), deps.observability),
    });
  }
  if (config.quickbooks.clientId && config.quickbooks.clientSecret) {
    registry.quickbooks = createQuickBooksProvider({
      db: deps.db,
      governor: deps.governor,
      logger: deps.logger.child({ provider: 'quickbooks' }),
      observability: deps.observability,
      apiUrl: config.quickbooks.apiUrl,
      timeoutMs: config.push.requestTimeoutMs,
      maxGovernorWaitMs: 5_000,
      idempotencyWindowMs: config.quickbooks.requestIdWindowMinutes * 60_000,
      oauth: createQuickBooksOAuth(config.quickbooks, callbackUrl(config, 'quickbooks'), deps.observability),
    });
  }
  return registry;
}
