import type pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from '../src/db/database.ts';
import type { FetchLike } from '../src/feed/deliver.ts';
import type { FeedWriter } from '../src/feed/writer.ts';
import type { ProviderRegistry } from '../src/providers/registry.ts';
import type { TokenCipher } from '../src/security/token-crypto.ts';
import type { Observability } from '../src/observability/index.ts';

/** What tasks receive from the worker's context; passed explicitly, never imported. */
export interface TaskDeps {
  readonly db: Database;
  readonly pool: pg.Pool;
  readonly logger: Logger;
  readonly providers: ProviderRegistry;
  readonly cipher: TokenCipher;
  readonly now: () => Date;
  readonly pushDebounceMs: number;
  readonly pushQuietMs: number;
  readonly requestTimeoutMs: number;
  // --- change feed
  /** Appends change-feed events inside a task's own transactions (delivery decided by config). */
  readonly feed: FeedWriter;
  /** Where deliver_events sends the feed; both set or neither (config checks). */
  readonly platformWebhook: { readonly url?: string; readonly secret?: string };
  /** The HTTP client outbound webhooks use; injectable for tests. */
  readonly fetch: FetchLike;
  // --- end change feed
  /** Metrics and traces of this process (provider calls, token refreshes, deliveries). */
  readonly observability?: Observability;
}
