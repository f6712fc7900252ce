// The per-sandbox bundle of state handed to every route module (no module-level singletons).
import type { HttpBindings } from '@hono/node-server';
import type { SandboxCore } from '../shared/context.ts';
import type { Faults } from './faults.ts';
import type { IdTokenSigner } from './id-token.ts';
import type { Limiter } from './limits.ts';
import type { Grant, OAuthStore } from './oauth-store.ts';
import type { CompanyState, Store } from './store.ts';
import type { RequestLogEntry, TokenRequestLogEntry } from './types.ts';

/** What the next user on the consent page does: connect `realmId` (default: the first company) or deny. */
export type Consent = { realmId?: string; deny?: false; /** Show a consent page where a person picks the company and connects (browser tests, npm start). */ page?: boolean } | { deny: true };

export interface SandboxUrls {
  url: string;
  authorizeUrl: string;
  oauthUrl: string;
  apiUrl: string;
}

/** Shared core (clock, logger, logs, client, consent, idempotency) plus this sandbox's own state. */
export interface SandboxContext extends SandboxCore<RequestLogEntry, TokenRequestLogEntry, Consent> {
  store: Store;
  oauth: OAuthStore;
  idTokens: IdTokenSigner;
  limiter: Limiter;
  faults: Faults;
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
