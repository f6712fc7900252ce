import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';

/** The one place that reads process.env. Everything else receives a frozen Config. */

const optionalString = v.optional(v.pipe(v.string(), v.trim(), v.minLength(1)));
const optionalUrl = v.optional(v.pipe(v.string(), v.trim(), v.url('must be a URL')));
const urlWithDefault = (fallback: string) =>
  v.optional(v.pipe(v.string(), v.trim(), v.url('must be a URL')), fallback);
const intInRange = (fallback: number, min: number, max: number) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.trim(),
    v.regex(/^\d+$/, 'must be a whole number'),
    v.transform(Number),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );
const spaceSeparated = <T extends v.GenericSchema<string>>(item: T) =>
  v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.transform((s) => s.split(/\s+/).filter(Boolean)),
      v.minLength(1, 'needs at least one value'),
      v.array(item),
    ),
  );

const whsecSecret = v.pipe(
  v.string(),
  v.regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'each secret must look like whsec_<base64>'),
  v.check((s) => Buffer.from(s.slice(6), 'base64').length >= 24, 'each secret needs at least 24 bytes of key'),
);
const encryptionKey = v.pipe(
  v.string(),
  v.check((s) => Buffer.from(s, 'base64url').length === 32, 'each key must be 32 bytes, base64url-encoded'),
);

const EnvSchema = v.object({
  NODE_ENV: v.optional(v.picklist(['development', 'production', 'test']), 'development'),
  LOG_LEVEL: v.optional(v.picklist(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), 'info'),
  PORT: intInRange(8080, 0, 65535),
  HOST: v.optional(v.string(), '0.0.0.0'),
  DATABASE_URL: v.optional(
    v.pipe(v.string(), v.trim(), v.regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')),
  ),
  DATABASE_POOL_SIZE: intInRange(10, 2, 200),
  LEDGERPORT_DATA_DIR: v.optional(v.string(), '.ledgerport'),
  EMBEDDED_PG_PORT: intInRange(54329, 1024, 65535),
  WORKER_CONCURRENCY: intInRange(8, 1, 100),
  PUSH_DEBOUNCE_MS: intInRange(1_000, 0, 60_000),
  PUSH_QUIET_MS: intInRange(250, 0, 60_000),
  PROVIDER_REQUEST_TIMEOUT_MS: intInRange(30_000, 1_000, 300_000),
  INGEST_MAX_BATCH: intInRange(100, 1, 1_000),
  INGEST_MAX_IN_FLIGHT: intInRange(2, 1, 32),
  SHUTDOWN_TIMEOUT_MS: intInRange(25_000, 1_000, 600_000),
  OPS_WEBHOOK_SECRETS: spaceSeparated(whsecSecret),
  AUTH_JWT_SECRET: v.optional(v.pipe(v.string(), v.minLength(32, 'must be at least 32 characters'))),
  AUTH_JWKS_URL: optionalUrl,
  AUTH_JWT_ISSUER: optionalString,
  AUTH_JWT_AUDIENCE: optionalString,
  TOKEN_ENCRYPTION_KEYS: spaceSeparated(encryptionKey),
  PUBLIC_URL: optionalUrl,
  /** Development without provider credentials: start loopback Xero and QuickBooks sandboxes in-process (npm start). */
  DEV_SANDBOXES: v.optional(v.picklist(['on', 'off']), 'on'),
  /** Who may embed the console in a frame: CSP frame-ancestors sources, e.g. "https://app.example.com". */
  CONSOLE_FRAME_ANCESTORS: spaceSeparated(v.pipe(v.string(), v.regex(/^('self'|'none'|https?:\/\/[^\s;,']+)$/, "each must be 'self', 'none' or an http(s) origin"))),
  XERO_CLIENT_ID: optionalString,
  XERO_CLIENT_SECRET: optionalString,
  XERO_REDIRECT_URI: optionalUrl,
  XERO_WEBHOOK_KEY: optionalString,
  XERO_API_URL: urlWithDefault('https://api.xero.com'),
  XERO_IDENTITY_URL: urlWithDefault('https://identity.xero.com'),
  XERO_LOGIN_URL: urlWithDefault('https://login.xero.com'),
  /**
   * How long a write's idempotency key is trusted to be kept by the provider, in minutes. Xero
   * keeps an Idempotency-Key 6 minutes from its first call ("keys are stored for 6 minutes from
   * the time of the first call, after which they expire":
   * https://developer.xero.com/documentation/guides/idempotent-requests/idempotency/); the default
   * leaves a minute for clock differences. Intuit documents what a repeated requestid does but not
   * for how long it is kept (https://blogs.intuit.com/2015/04/06/15346/), so QuickBooks gets the
   * same short default. An unknown outcome older than this is settled by looking the documents
   * up at the provider, never by replaying the key; 0 always looks up.
   */
  XERO_IDEMPOTENCY_WINDOW_MINUTES: intInRange(5, 0, 10_080),
  QBO_CLIENT_ID: optionalString,
  QBO_CLIENT_SECRET: optionalString,
  QBO_REDIRECT_URI: optionalUrl,
  QBO_WEBHOOK_VERIFIER_TOKEN: optionalString,
  QBO_API_URL: urlWithDefault('https://quickbooks.api.intuit.com'),
  QBO_OAUTH_URL: urlWithDefault('https://oauth.platform.intuit.com'),
  QBO_AUTHORIZE_URL: urlWithDefault('https://appcenter.intuit.com/connect/oauth2'),
  QBO_REQUESTID_WINDOW_MINUTES: intInRange(5, 0, 10_080),
  // change feed: outbound webhooks to the platform (both or neither)
  PLATFORM_WEBHOOK_URL: optionalUrl,
  PLATFORM_WEBHOOK_SECRET: v.optional(whsecSecret),
  // metrics and traces (README "Metrics and traces")
  /** The worker role's own /metrics listener; web and all serve /metrics on PORT. */
  METRICS_PORT: intInRange(9464, 0, 65535),
  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: v.optional(v.pipe(v.string(), v.trim(), v.minLength(16, 'must be at least 16 characters'), v.regex(/^\S+$/, 'must not contain spaces'))),
  /** OTLP/HTTP base URL (…/v1/traces is appended); traces are off without it. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_EXPORTER_OTLP_HEADERS: v.optional(
    v.pipe(v.string(), v.trim(), v.regex(/^[^=,\s]+=[^,]*(,\s*[^=,\s]+=[^,]*)*$/, 'must be key=value pairs separated by commas')),
  ),
  OTEL_SERVICE_NAME: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1)), 'ledgerport'),
  OTEL_TRACES_SAMPLER: v.optional(
    v.picklist(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']),
    'parentbased_always_on',
  ),
  OTEL_TRACES_SAMPLER_ARG: v.pipe(
    v.optional(v.string(), '1'),
    v.trim(),
    v.regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, 'must be a number from 0 to 1'),
    v.transform(Number),
  ),
});

type Env = v.InferOutput<typeof EnvSchema>;

export interface Config {
  readonly env: Env['NODE_ENV'];
  readonly logLevel: Env['LOG_LEVEL'];
  readonly http: { readonly port: number; readonly host: string; readonly bodyLimitBytes: number };
  readonly database: {
    /** Absent: an embedded PostgreSQL is started in `embedded.dataDir`. */
    readonly url: string | undefined;
    readonly poolSize: number;
    readonly embedded: { readonly dataDir: string; readonly port: number };
  };
  readonly worker: { readonly concurrency: number };
  /**
   * Batching of pushes (sync/push/gather.ts): while a tenant's documents stream in, a part-full
   * batch waits up to debounceMs to fill; a tenant that sent no batch for quietMs sends at once.
   */
  readonly push: { readonly debounceMs: number; readonly quietMs: number; readonly requestTimeoutMs: number };
  /** Group commit of webhook ingress: events per transaction, transactions at once. */
  readonly ingest: { readonly maxBatch: number; readonly maxInFlight: number };
  readonly shutdownTimeoutMs: number;
  readonly dataDir: string;
  readonly opsWebhookSecrets: readonly string[];
  readonly auth:
    | { readonly kind: 'secret'; readonly secret: string; readonly issuer?: string; readonly audience?: string }
    | { readonly kind: 'jwks'; readonly jwksUrl: string; readonly issuer?: string; readonly audience?: string };
  readonly tokenEncryptionKeys: readonly string[];
  readonly publicUrl: string | undefined;
  /** The browser console: frame-ancestors sources; its cookie is Secure outside development and test. */
  readonly console: { readonly frameAncestors: readonly string[]; readonly secureCookie: boolean };
  /** npm start in development with no provider credentials runs against in-process sandboxes. */
  readonly devSandboxes: boolean;
  readonly xero: {
    readonly clientId?: string;
    readonly clientSecret?: string;
    readonly redirectUri?: string;
    readonly webhookKey?: string;
    readonly apiUrl: string;
    readonly identityUrl: string;
    readonly loginUrl: string;
    /** How long Xero is trusted to keep an Idempotency-Key (XERO_IDEMPOTENCY_WINDOW_MINUTES). */
    readonly idempotencyWindowMinutes: number;
  };
  readonly quickbooks: {
    readonly clientId?: string;
    readonly clientSecret?: string;
    readonly redirectUri?: string;
    readonly webhookVerifierToken?: string;
    readonly apiUrl: string;
    readonly oauthUrl: string;
    readonly authorizeUrl: string;
    /** How long QuickBooks is trusted to keep a requestid (QBO_REQUESTID_WINDOW_MINUTES). */
    readonly requestIdWindowMinutes: number;
  };
  /** Set when development secrets were generated because none were configured. */
  readonly generatedSecretsFile: string | undefined;
  /** Change feed delivery: both set (webhooks are sent, signed with `secret`) or neither. */
  readonly platformWebhook: { readonly url?: string; readonly secret?: string };
  /** Prometheus metrics: GET /metrics on PORT (web, all) or on `port` (the worker role); bearer `token` when set. */
  readonly metrics: { readonly port: number; readonly token: string | undefined };
  /** OpenTelemetry traces over OTLP/HTTP, on when `endpoint` is set (OTEL_* variables, as the OpenTelemetry spec names them). */
  readonly tracing: {
    readonly endpoint: string | undefined;
    readonly headers: Readonly<Record<string, string>>;
    readonly serviceName: string;
    readonly sampler: Env['OTEL_TRACES_SAMPLER'];
    /** The ratio of the traceidratio samplers. */
    readonly samplerArg: number;
  };
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const DEV_SECRET_NAMES = ['OPS_WEBHOOK_SECRETS', 'AUTH_JWT_SECRET', 'TOKEN_ENCRYPTION_KEYS'] as const;

/**
 * Outside production a missing secret is generated once and kept in the data folder, so the
 * quick start needs no setup; production must configure every secret explicitly.
 */
function devSecrets(dataDir: string, env: Record<string, string | undefined>) {
  const file = path.resolve(dataDir, 'dev-secrets.env');
  let stored: Record<string, string> = {};
  try {
    stored = Object.fromEntries(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const generated: Record<string, string> = {
    OPS_WEBHOOK_SECRETS: stored.OPS_WEBHOOK_SECRETS ?? `whsec_${randomBytes(32).toString('base64')}`,
    AUTH_JWT_SECRET: stored.AUTH_JWT_SECRET ?? randomBytes(32).toString('base64url'),
    TOKEN_ENCRYPTION_KEYS: stored.TOKEN_ENCRYPTION_KEYS ?? randomBytes(32).toString('base64url'),
  };
  const missing = DEV_SECRET_NAMES.filter(
    (name) => !env[name] && !(name === 'AUTH_JWT_SECRET' && env.AUTH_JWKS_URL),
  );
  if (missing.length === 0) return { overrides: {}, file: undefined };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, DEV_SECRET_NAMES.map((n) => `${n}=${generated[n]}`).join('\n') + '\n', { mode: 0o600 });
  return { overrides: Object.fromEntries(missing.map((n) => [n, generated[n]])), file };
}

/** Parses the environment once; throws ConfigError listing every problem. */
/** The process environment with some settings replaced (the development sandboxes' URLs). */
export function loadConfigWith(overrides: Record<string, string>): Config {
  return loadConfig({ ...process.env, ...overrides });
}

export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, as most deploy tools cannot unset a variable.
  const raw = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const isProduction = raw.NODE_ENV === 'production';
  const dev = isProduction ? { overrides: {}, file: undefined } : devSecrets(raw.LEDGERPORT_DATA_DIR ?? '.ledgerport', raw);
  const result = v.safeParse(EnvSchema, { ...raw, ...dev.overrides });
  const problems: string[] = [];
  if (!result.success) {
    for (const issue of result.issues) {
      const key = v.getDotPath(issue) ?? '(environment)';
      const shown = key.split('.')[0];
      problems.push(`${shown}: ${issue.message}`);
    }
  }
  // Presence rules span variables, so they are checked on the raw input beside the schema.
  const given = { ...raw, ...dev.overrides } as Record<string, string | undefined>;
  if (!given.OPS_WEBHOOK_SECRETS) problems.push('OPS_WEBHOOK_SECRETS: required (one or more whsec_ secrets)');
  if (!given.AUTH_JWT_SECRET && !given.AUTH_JWKS_URL) problems.push('AUTH_JWT_SECRET or AUTH_JWKS_URL: one is required');
  if (given.AUTH_JWT_SECRET && given.AUTH_JWKS_URL) problems.push('AUTH_JWT_SECRET and AUTH_JWKS_URL: set only one');
  if (!given.TOKEN_ENCRYPTION_KEYS) problems.push('TOKEN_ENCRYPTION_KEYS: required (one or more 32-byte base64url keys)');
  // The embedded PostgreSQL is for a laptop; a production image does not carry it.
  if (isProduction && !given.DATABASE_URL) problems.push('DATABASE_URL: required in production (the embedded PostgreSQL is for development)');
  if (Boolean(given.PLATFORM_WEBHOOK_URL) !== Boolean(given.PLATFORM_WEBHOOK_SECRET)) {
    problems.push('PLATFORM_WEBHOOK_URL and PLATFORM_WEBHOOK_SECRET: set both (to deliver the change feed as webhooks) or neither');
  }
  if (problems.length > 0 || !result.success) throw new ConfigError([...new Set(problems)]);
  const env = result.output;

  const issuer = env.AUTH_JWT_ISSUER;
  const audience = env.AUTH_JWT_AUDIENCE;
  const config: Config = {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    http: { port: env.PORT, host: env.HOST, bodyLimitBytes: 1024 * 1024 },
    database: {
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      embedded: { dataDir: path.resolve(env.LEDGERPORT_DATA_DIR, 'pg'), port: env.EMBEDDED_PG_PORT },
    },
    worker: { concurrency: env.WORKER_CONCURRENCY },
    push: { debounceMs: env.PUSH_DEBOUNCE_MS, quietMs: env.PUSH_QUIET_MS, requestTimeoutMs: env.PROVIDER_REQUEST_TIMEOUT_MS },
    ingest: { maxBatch: env.INGEST_MAX_BATCH, maxInFlight: env.INGEST_MAX_IN_FLIGHT },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    dataDir: path.resolve(env.LEDGERPORT_DATA_DIR),
    opsWebhookSecrets: env.OPS_WEBHOOK_SECRETS ?? [],
    auth: env.AUTH_JWKS_URL
      ? { kind: 'jwks', jwksUrl: env.AUTH_JWKS_URL, issuer, audience }
      : { kind: 'secret', secret: env.AUTH_JWT_SECRET ?? '', issuer, audience },
    tokenEncryptionKeys: env.TOKEN_ENCRYPTION_KEYS ?? [],
    publicUrl: env.PUBLIC_URL,
    console: { frameAncestors: env.CONSOLE_FRAME_ANCESTORS ?? ["'self'"], secureCookie: env.NODE_ENV === 'production' },
    devSandboxes: env.NODE_ENV === 'development' && env.DEV_SANDBOXES === 'on' && !env.XERO_CLIENT_ID && !env.QBO_CLIENT_ID,
    xero: {
      clientId: env.XERO_CLIENT_ID,
      clientSecret: env.XERO_CLIENT_SECRET,
      redirectUri: env.XERO_REDIRECT_URI,
      webhookKey: env.XERO_WEBHOOK_KEY,
      apiUrl: env.XERO_API_URL.replace(/\/+$/, ''),
      identityUrl: env.XERO_IDENTITY_URL.replace(/\/+$/, ''),
      loginUrl: env.XERO_LOGIN_URL.replace(/\/+$/, ''),
      idempotencyWindowMinutes: env.XERO_IDEMPOTENCY_WINDOW_MINUTES,
    },
    quickbooks: {
      clientId: env.QBO_CLIENT_ID,
      clientSecret: env.QBO_CLIENT_SECRET,
      redirectUri: env.QBO_REDIRECT_URI,
      webhookVerifierToken: env.QBO_WEBHOOK_VERIFIER_TOKEN,
      apiUrl: env.QBO_API_URL.replace(/\/+$/, ''),
      oauthUrl: env.QBO_OAUTH_URL.replace(/\/+$/, ''),
      authorizeUrl: env.QBO_AUTHORIZE_URL.replace(/\/+$/, ''),
      requestIdWindowMinutes: env.QBO_REQUESTID_WINDOW_MINUTES,
    },
    generatedSecretsFile: dev.file,
    platformWebhook: { url: env.PLATFORM_WEBHOOK_URL, secret: env.PLATFORM_WEBHOOK_SECRET },
    metrics: { port: env.METRICS_PORT, token: env.METRICS_TOKEN },
    tracing: {
      endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
      headers: otlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS),
      serviceName: env.OTEL_SERVICE_NAME,
      sampler: env.OTEL_TRACES_SAMPLER,
      samplerArg: env.OTEL_TRACES_SAMPLER_ARG,
    },
  };
  return deepFreeze(config);
}

/** OTEL_EXPORTER_OTLP_HEADERS: `key=value,key2=value2`, values percent-decoded (the OpenTelemetry spec's format). */
function otlpHeaders(raw: string | undefined): Record<string, string> {
  if (!raw) return {};
  return Object.fromEntries(
    raw.split(',').map((pair) => {
      const at = pair.indexOf('=');
      const value = pair.slice(at + 1).trim();
      let decoded = value;
      try {
        decoded = decodeURIComponent(value);
      } catch {
        // Not percent-encoded after all: sent as written.
      }
      return [pair.slice(0, at).trim(), decoded];
    }),
  );
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
