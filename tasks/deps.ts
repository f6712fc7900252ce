import type pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from '../src/db/database.ts';
import type { ProviderRegistry } from '../src/providers/registry.ts';
import type { TokenCipher } from '../src/security/token-crypto.ts';

/** What tasks receive from the worker's context; passed explicitly, never imported. */
export interface TaskDeps {
  readonly db: Database;
  readonly pool: pg.Pool;
  readonly logger: Logger;
  readonly providers: ProviderRegistry;
  readonly cipher: TokenCipher;
  readonly now: () => Date;
  readonly pushDebounceMs: number;
  readonly requestTimeoutMs: number;
}
