// The provider-independent part of a sandbox: clock, logger, logs, client credentials, consent,
// idempotency store, and the handle members built from them. Each sandbox extends it with its own state.
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createClock } from './clock.ts';
import type { SandboxClock } from './clock.ts';
import { createIdempotencyCache } from './idempotency.ts';
import type { IdempotencyCache } from './idempotency.ts';
import type { SandboxServer } from './server.ts';

/** Options every sandbox accepts. */
export interface SandboxBaseOptions {
  port?: number;
  host?: string;
  /** Real clock in epoch ms (default Date.now). */
  clock?: () => number;
  /** Sandbox seconds per real second (default 1). */
  timeScale?: number;
  clientId?: string;
  clientSecret?: string;
  logger?: Logger;
  /** How long an idempotency key is kept from its first call, in sandbox ms (default: the provider's, see each sandbox). */
  idempotencyWindowMs?: number;
}

export interface SandboxCore<Req, TokenReq, Consent> {
  clock: SandboxClock;
  idempotency: IdempotencyCache;
  logger: Logger | undefined;
  requests: Req[];
  tokenRequests: TokenReq[];
  client: { clientId: string; clientSecret: string };
  consent: { current: Consent };
}

/** `name` is the provider ('xero', 'quickbooks'): the logger is `<name>-sandbox`. */
export function createSandboxCore<Req, TokenReq, Consent>(
  name: string,
  opts: SandboxBaseOptions,
  defaults: { clientId: string; clientSecret: string; consent: Consent; idempotencyWindowMs: number },
): SandboxCore<Req, TokenReq, Consent> & { logger: Logger } {
  const clock = createClock(opts.clock, opts.timeScale ?? 1);
  const logger = opts.logger ?? pino({ name: `${name}-sandbox`, level: 'info' });
  if (clock.scale !== 1) logger.info(`${name} sandbox clock scaled ×${clock.scale}`);
  return {
    clock,
    idempotency: createIdempotencyCache({ now: () => clock.now(), windowMs: opts.idempotencyWindowMs ?? defaults.idempotencyWindowMs }),
    logger,
    requests: [],
    tokenRequests: [],
    client: {
      clientId: opts.clientId ?? defaults.clientId,
      clientSecret: opts.clientSecret ?? defaults.clientSecret,
    },
    consent: { current: defaults.consent },
  };
}

/** Handle members every sandbox exposes. */
export interface SandboxHandleBase<Req, TokenReq, Consent> {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly requests: Req[];
  readonly tokenRequests: TokenReq[];
  now(): number;
  close(): Promise<void>;
  setConsent(consent: Consent): void;
}

export function sandboxHandleBase<Req, TokenReq, Consent>(
  core: SandboxCore<Req, TokenReq, Consent>,
  server: SandboxServer,
): SandboxHandleBase<Req, TokenReq, Consent> {
  return {
    clientId: core.client.clientId,
    clientSecret: core.client.clientSecret,
    requests: core.requests,
    tokenRequests: core.tokenRequests,
    now: () => core.clock.now(),
    close: () => server.close(),
    setConsent: (consent) => { core.consent.current = consent; },
  };
}

/** Clears the logs and the idempotency store (provider state is the caller's to reset). */
export function resetSandboxCore(core: SandboxCore<unknown, unknown, unknown>): void {
  core.requests.length = 0;
  core.tokenRequests.length = 0;
  core.idempotency.reset();
}
