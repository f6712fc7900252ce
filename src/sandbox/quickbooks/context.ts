// The per-sandbox bundle of state handed to every route module (no module-level singletons).
import type { HttpBindings } from '@hono/node-server';
import type { Logger } from 'pino';
import type { Faults } from './faults.ts';
import type { IdempotencyCache } from './idempotency.ts';
import type { IdTokenSigner } from './id-token.ts';
import type { Limiter } from './limits.ts';
import type { Grant, OAuthStore } from './oauth-store.ts';
import type { CompanyState, Store } from './store.ts';
import type { RequestLogEntry, SandboxClock, TokenRequestLogEntry } from './types.ts';

/** What the next user on the consent page does: connect `realmId` (default: the first company) or deny. */
export type Consent = { realmId?: string; deny?: false } | { deny: true };

export interface SandboxUrls {
  url: string;
  authorizeUrl: string;
  oauthUrl: string;
  apiUrl: string;
}

export interface SandboxContext {
  clock: SandboxClock;
  store: Store;
  oauth: OAuthStore;
  idTokens: IdTokenSigner;
  limiter: Limiter;
  faults: Faults;
  idempotency: IdempotencyCache;
  logger: Logger | undefined;
  requests: RequestLogEntry[];
  tokenRequests: TokenRequestLogEntry[];
  client: { clientId: string; clientSecret: string };
  consent: { current: Consent };
  urls: SandboxUrls;
}

/** Hono environment for API routes: node bindings plus values set by the API pipeline. */
export type ApiEnv = {
  Bindings: HttpBindings;
  Variables: {
    grant: Grant;
    company: CompanyState;
    body: unknown;
    logEntry: RequestLogEntry;
  };
};
