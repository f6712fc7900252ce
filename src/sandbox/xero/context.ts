// The per-sandbox bundle of state handed to every route module (no module-level singletons).
import type { HttpBindings } from '@hono/node-server';
import type { SandboxCore } from '../shared/context.ts';
import type { ContractChecker } from './contract.ts';
import type { Faults } from './faults.ts';
import type { TokenSigner } from './jwt.ts';
import type { Limiter } from './limits.ts';
import type { Grant, OAuthStore } from './oauth-store.ts';
import type { OrgState, Store } from './store.ts';
import type { RequestLogEntry, TokenRequestLogEntry } from './types.ts';

export type Consent =
  | { organisations?: string[]; userId?: string; deny?: false; /** Show a consent page where a person ticks organisations and allows (browser tests, npm start). */ page?: boolean }
  | { deny: true };

export interface SandboxUrls {
  url: string;
  loginUrl: string;
  identityUrl: string;
  apiUrl: string;
}

/** Shared core (clock, logger, logs, client, consent, idempotency) plus this sandbox's own state. */
export interface SandboxContext extends SandboxCore<RequestLogEntry, TokenRequestLogEntry, Consent> {
  store: Store;
  oauth: OAuthStore;
  signer: TokenSigner;
  limiter: Limiter;
  faults: Faults;
  contract: ContractChecker;
  urls: SandboxUrls;
}

/** Hono environment for API routes: node bindings plus values set by the API pipeline. */
export type ApiEnv = {
  Bindings: HttpBindings;
  Variables: {
    grant: Grant;
    org: OrgState;
    body: unknown;
    logEntry: RequestLogEntry;
  };
};
