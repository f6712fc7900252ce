import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { createFeedWriter, type FeedWriter } from './feed/writer.ts';
import { createProviders, type ProviderRegistry } from './providers/registry.ts';
import { createTokenCipher, type TokenCipher } from './security/token-crypto.ts';
import { createRateGovernor, type RateGovernor } from './providers/rate-governor.ts';
import type { Observability } from './observability/index.ts';
import { governorObserver, observeProviders } from './observability/providers.ts';

/** The parts shared by the web and worker roles, built over one database handle. */
export interface Services {
  readonly cipher: TokenCipher;
  readonly feed: FeedWriter;
  readonly governor: RateGovernor;
  readonly providers: ProviderRegistry;
}

export function createServices(config: Config, deps: { db: Database; logger: Logger; observability?: Observability }): Services {
  const governor = createRateGovernor(deps.db, { onWait: governorObserver(deps.observability) });
  return {
    cipher: createTokenCipher(config.tokenEncryptionKeys),
    feed: createFeedWriter(config.platformWebhook),
    governor,
    providers: observeProviders(createProviders(config, { db: deps.db, governor, logger: deps.logger, observability: deps.observability }), deps.observability),
  };
}
