import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { serve } from '@hono/node-server';
import { runOnce } from 'graphile-worker';
import { SignJWT } from 'jose';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config.ts';
import { createAppContext, type AppContext } from '../../src/context.ts';
import { createDatabase, type DatabaseHandle } from '../../src/db/database.ts';
import { readMigrations } from '../../src/db/migrate.ts';
import { createApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/logger.ts';
import { signWebhook } from '../../src/security/standard-webhooks.ts';
import type { Observability } from '../../src/observability/index.ts';
import { graphileLogger, taskDeps, workerTaskList } from '../../src/worker.ts';
import { createTestDatabase } from './db.ts';
import { checkedResponse, createSpecValidator, type SpecCheckedResponse } from './openapi.ts';

export const OPS_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const OPS_SECRET_NEXT = 'whsec_dGVzdC1yb3RhdGlvbi1zZWNyZXQtMzItYnl0ZXMhIQ==';
export const JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';
export const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64url');

export function testEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '8',
    // Tests run jobs on demand (runJobs), so a push job scheduled in the future would not run.
    // Batches fill by routing, never by the clock: a push waits only while the tenant's documents
    // are being routed (runJobs routes them all), and goes at once otherwise (no quiet period).
    PUSH_DEBOUNCE_MS: '30000',
    PUSH_QUIET_MS: '0',
    OPS_WEBHOOK_SECRETS: `${OPS_SECRET} ${OPS_SECRET_NEXT}`,
    AUTH_JWT_SECRET: JWT_SECRET,
    TOKEN_ENCRYPTION_KEYS: ENCRYPTION_KEY,
    ...extra,
  };
}

/** Captures log lines so tests can assert on what was (and was not) logged. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) this.lines.push(JSON.parse(line));
    callback();
  }
  get text() {
    return this.lines.map((l) => JSON.stringify(l)).join('\n');
  }
}

export interface Harness {
  readonly config: Config;
  readonly ctx: AppContext;
  readonly database: DatabaseHandle;
  readonly logs: LogCapture;
  readonly dbUrl: string;
  /** Serves the app on 127.0.0.1 (for callers that need real HTTP, like provider webhooks). */
  listen(): Promise<{ url: string; close: () => Promise<void> }>;
  /** Calls the app in-process and checks the response against openapi.yaml. */
  request(method: string, path: string, init?: { body?: unknown; rawBody?: string | Uint8Array; headers?: Record<string, string>; token?: string }): Promise<SpecCheckedResponse>;
  token(tenantId: string, opts?: { expiresIn?: string; secret?: string }): Promise<string>;
  sendOps(event: unknown, opts?: { id?: string; timestamp?: number; secret?: string; headers?: Record<string, string> }): Promise<SpecCheckedResponse>;
  runJobs(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(opts: { env?: Record<string, string>; now?: () => Date; observability?: Observability } = {}): Promise<Harness> {
  const testDb = await createTestDatabase();
  const config = loadConfig(testEnv(testDb.url, opts.env));
  const logs = new LogCapture();
  const logger = createLogger({ level: config.logLevel, destination: logs });
  const database = createDatabase({ connectionString: testDb.url, poolSize: config.database.poolSize, logger });
  const migrationCount = (await readMigrations()).length;
  const ctx = createAppContext({ config, logger, db: database.db, pool: database.pool, migrationCount, now: opts.now, observability: opts.observability });
  const app = createApp(ctx);
  const validator = createSpecValidator();
  const now = opts.now ?? (() => new Date());

  const request: Harness['request'] = async (method, path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    let body: string | Uint8Array | undefined = init.rawBody;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await app.request(path, { method, headers, body });
    return checkedResponse(validator, method, path, res);
  };

  return {
    config,
    ctx,
    database,
    logs,
    dbUrl: testDb.url,
    request,
    listen: () =>
      new Promise((resolve) => {
        const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
          resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise<void>((done) => server.close(() => done())) }),
        );
      }),
    token: (tenantId, tokenOpts = {}) =>
      new SignJWT({ tenant_id: tenantId })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('test')
        .setIssuedAt()
        .setExpirationTime(tokenOpts.expiresIn ?? '5m')
        .sign(new TextEncoder().encode(tokenOpts.secret ?? JWT_SECRET)),
    sendOps: (event, sendOpts = {}) => {
      const raw = typeof event === 'string' ? event : JSON.stringify(event);
      const id = sendOpts.id ?? `msg_${randomUUID()}`;
      const timestamp = sendOpts.timestamp ?? Math.floor(now().getTime() / 1000);
      return request('POST', '/webhooks/ops', {
        rawBody: raw,
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(sendOpts.secret ?? OPS_SECRET, id, timestamp, raw),
          ...sendOpts.headers,
        },
      });
    },
    runJobs: () =>
      runOnce({
        pgPool: database.pool,
        taskList: workerTaskList(taskDeps(config, { pool: database.pool, db: database.db, logger, now, observability: ctx.observability })),
        logger: graphileLogger(pino({ level: 'warn' })),
      }),
    close: async () => {
      await ctx.opsIngest.drain();
      await database.close();
      await testDb.drop();
    },
  };
}

/** The DESIGN.md example event, with overrides. */
export function shippedInvoice(overrides: { tenantId?: string; id?: string; version?: number; type?: string; lines?: unknown[] } = {}) {
  return {
    type: overrides.type ?? 'sales_order.shipped',
    tenant_id: overrides.tenantId ?? 'org_123',
    occurred_at: '2026-11-21T10:00:00Z',
    data: {
      invoice: {
        id: overrides.id ?? 'inv_1001',
        version: overrides.version ?? 1,
        number: 'INV-1001',
        reference: 'SO-77',
        issue_date: '2026-11-21',
        due_date: '2026-12-21',
        currency: 'GBP',
        amounts_are: 'exclusive',
        customer: { id: 'cus_9', name: 'Acme Ltd', email: 'ap@acme.test' },
        lines: overrides.lines ?? [
          { description: 'Widget', quantity: '2', unit_price: '10.00', tax_rate: '20', item_code: 'W-1', category: 'sales' },
        ],
      },
    },
  };
}

export function requestedBill(overrides: { tenantId?: string; id?: string; version?: number } = {}) {
  return {
    type: 'supplier_bill.requested',
    tenant_id: overrides.tenantId ?? 'org_123',
    occurred_at: '2026-11-21T10:00:00Z',
    data: {
      bill: {
        id: overrides.id ?? 'bill_501',
        version: overrides.version ?? 1,
        number: 'PO-501',
        reference: 'PO-501',
        purchase_order_id: 'po_501',
        supplier_invoice_number: 'SUP-88',
        issue_date: '2026-11-20',
        due_date: '2026-12-20',
        currency: 'GBP',
        amounts_are: 'exclusive',
        supplier: { id: 'sup_3', name: 'Bolt Supplies', email: 'ar@bolt.test' },
        lines: [{ description: 'Bolts', quantity: '100', unit_price: '0.25', tax_rate: '20', category: 'materials' }],
      },
    },
  };
}
