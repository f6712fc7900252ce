import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../src/security/standard-webhooks.ts';
import { createDatabase } from '../src/db/database.ts';
import { createAppContext } from '../src/context.ts';
import { createApp } from '../src/http/app.ts';
import { createTestDatabase } from './helpers/db.ts';
import { OPS_SECRET, shippedInvoice, startHarness, type Harness } from './helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('health, errors and logs', () => {
  it('GET /healthz says the process is up; GET /readyz checks the database and migrations', async () => {
    expect((await h.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await h.request('GET', '/readyz')).body).toEqual({ status: 'ready' });
  });

  it('GET /readyz is 503 when migrations are missing', async () => {
    const empty = await createTestDatabase();
    // A database with the tables of a newer release than this one: more migrations expected than applied.
    const database = createDatabase({ connectionString: empty.url, poolSize: 2, logger: h.ctx.logger });
    const ctx = createAppContext({ config: h.config, logger: h.ctx.logger, db: database.db, pool: database.pool, migrationCount: 999 });
    const res = await createApp(ctx).request('/readyz');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_ready');
    await database.close();
    await empty.drop();
  });

  it('serves openapi.yaml', async () => {
    const res = await h.request('GET', '/openapi.yaml');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('yaml');
    expect(res.text).toContain('openapi: 3.1');
  });

  it('answers unknown routes with the JSON envelope and a request id', async () => {
    const res = await h.request('GET', '/nowhere');
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: 'route_not_found', message: 'no route for GET /nowhere', request_id: res.headers.get('x-request-id') });
  });

  it('echoes a caller-supplied request id', async () => {
    const res = await h.request('GET', '/nowhere', { headers: { 'x-request-id': 'req-abc-123' } });
    expect(res.body.error.request_id).toBe('req-abc-123');
  });

  it('limits bodies on every route to 1 MiB', async () => {
    const token = await h.token('org_limit');
    const res = await h.request('PUT', '/v1/tenants/org_limit/defaults', { token, rawBody: `{"x":"${'a'.repeat(1_100_000)}"}`, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  describe('over a real socket', () => {
    let server: { url: string; close: () => Promise<void> };
    beforeAll(async () => {
      server = await h.listen();
    });
    afterAll(async () => {
      await server.close();
    });

    /** Sends `body` as-is; without `contentLength` it goes chunked, its size unknown until read. */
    const send = (body: string, headers: Record<string, string>, contentLength: boolean) =>
      new Promise<{ status: number; body: { error?: { code: string }; document_id?: string } }>((resolve, reject) => {
        const req = http.request(`${server.url}/webhooks/ops`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers, ...(contentLength ? { 'content-length': String(Buffer.byteLength(body)) } : { 'transfer-encoding': 'chunked' }) },
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
        });
        // The server may answer 413 and close before the whole body is written.
        req.on('error', reject);
        if (contentLength) req.end(body);
        else {
          for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.slice(i, i + 64 * 1024));
          req.end();
        }
      });
    const signed = (id: string, body: string) => {
      const timestamp = Math.floor(Date.now() / 1000);
      return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(OPS_SECRET, id, timestamp, body) };
    };

    for (const contentLength of [true, false]) {
      const how = contentLength ? 'with a Content-Length' : 'chunked';
      it(`accepts a signed delivery sent ${how}`, async () => {
        const body = JSON.stringify(shippedInvoice({ tenantId: 'org_socket', id: `inv_socket_${contentLength}` }));
        const res = await send(body, signed(`msg_socket_${contentLength}`, body), contentLength);
        expect(res.status).toBe(202);
        const stored = await h.database.db.selectFrom('inbound_events').select(['document_id', 'payload']).where('delivery_id', '=', `msg_socket_${contentLength}`).executeTakeFirstOrThrow();
        expect(stored.document_id).toBe(res.body.document_id);
        expect(stored.payload).toEqual(JSON.parse(body));
      });

      it(`413 payload_too_large for a body over 1 MiB sent ${how}, nothing stored`, async () => {
        const body = JSON.stringify(shippedInvoice({ tenantId: 'org_socket_huge', lines: Array.from({ length: 6000 }, () => ({ description: 'x'.repeat(200), quantity: '1', unit_price: '1.00' })) }));
        const res = await send(body, signed(`msg_socket_huge_${contentLength}`, body), contentLength).catch((error: NodeJS.ErrnoException) => ({ status: -1, body: { error: { code: error.code ?? 'socket' } } }));
        expect(res.status).toBe(413);
        expect(res.body.error?.code).toBe('payload_too_large');
        expect(await h.database.db.selectFrom('inbound_events').select('id').where('tenant_id', '=', 'org_socket_huge').execute()).toEqual([]);
      });
    }
  });

  it('never logs the Authorization header, tokens or webhook signatures', async () => {
    const token = await h.token('org_logs');
    await h.request('GET', '/v1/tenants/org_logs/documents', { token });
    await h.sendOps(shippedInvoice({ tenantId: 'org_logs' }));
    h.ctx.logger.info({ authorization: `Bearer ${token}`, headers: { authorization: 'x' }, access_token: 'secret-access' }, 'redaction check');
    const text = h.logs.text;
    expect(text).toContain('redaction check');
    expect(text).not.toContain(token);
    expect(text).not.toContain('secret-access');
    expect(text).not.toContain('v1,');
    expect(h.logs.lines.some((l) => l.msg === 'request' && l.path === '/v1/tenants/org_logs/documents' && l.status === 404)).toBe(true);
  });
});

describe('openapi.yaml', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const { assertSpecIsValid } = await import('./helpers/openapi.ts');
    await expect(assertSpecIsValid()).resolves.toBeUndefined();
  });
});
