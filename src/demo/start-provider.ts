import type { Logger } from 'pino';
import type { DemoProvider, ProviderName } from './provider.ts';
import { startQuickBooksProvider } from './quickbooks-provider.ts';
import { startXeroProvider } from './xero-provider.ts';

/** Starts the named provider's sandbox on loopback, with the provider's real limits. */
export function startDemoProvider(name: ProviderName, opts: { logger: Logger }): Promise<DemoProvider> {
  return name === 'quickbooks' ? startQuickBooksProvider(opts) : startXeroProvider(opts);
}
