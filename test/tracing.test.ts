import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObservability } from '../src/observability/index.ts';
import { createTracing, type Tracing } from '../src/observability/tracing.ts';
import { startXeroSandbox, type XeroSandbox } from '../src/sandbox/xero/index.ts';
import { shippedInvoice, startHarness, type Harness } from './helpers/harness.ts';
import { CALLBACK, connectXero } from './helpers/xero.ts';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let h: Harness;
let sb: XeroSandbox;

beforeAll(async () => {
  sb = await startXeroSandbox({ host: '127.0.0.1' });
  tracing = await createTracing({ endpoint: undefined, headers: {}, serviceName: 'ledgerport-test', sampler: 'parentbased_always_on', samplerArg: 1 }, { exporter });
  h = await startHarness({
    env: {
      XERO_CLIENT_ID: sb.clientId,
      XERO_CLIENT_SECRET: sb.clientSecret,
      XERO_REDIRECT_URI: CALLBACK,
      XERO_API_URL: sb.apiUrl,
      XERO_IDENTITY_URL: sb.identityUrl,
      XERO_LOGIN_URL: sb.loginUrl,
    },
    observability: createObservability({ logger: pino({ level: 'silent' }), tracing, defaultMetrics: false }),
  });
});
afterAll(async () => {
  await h.close();
  await sb.close();
  await tracing.shutdown();
});

const spanId = (s: ReadableSpan) => s.spanContext().spanId;
const traceId = (s: ReadableSpan) => s.spanContext().traceId;
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('traces', () => {
  it('one trace from the ops webhook through its jobs to the provider call, for one document', async () => {
    const tenantId = 'org_traced';
    const { token } = await connectXero(h, sb, tenantId);
    await h.request('PUT', `/v1/tenants/${tenantId}/defaults`, { token, body: { sales_invoice_account: '200', purchase_bill_account: '300' } });
    await h.runJobs();
    exporter.reset();

    const res = await h.sendOps(shippedInvoice({ tenantId, id: 'inv_traced' }), { id: 'msg_traced' });
    expect(res.status).toBe(202);
    const documentId: string = res.body.document_id;
    // The routing job was enqueued inside accept_ops_events with the request's trace context.
    const { rows: jobs } = await sql<{ payload: { document_id: string; traceparent?: string } }>`
      select j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'route_document' and j.payload->>'document_id' = ${documentId}`.execute(h.database.db);
    expect(jobs).toHaveLength(1);
    await h.runJobs();
    await h.runJobs();
    expect((await h.request('GET', `/v1/tenants/${tenantId}/documents/${documentId}`, { token })).body.status).toBe('synced');

    const spans = exporter.getFinishedSpans();
    const byId = new Map(spans.map((s) => [spanId(s), s]));
    const one = (name: string, where: (s: ReadableSpan) => boolean = () => true) => {
      const found = spans.filter((s) => s.name === name && where(s));
      expect(found.map((s) => s.name), `spans named ${name}: ${spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
      return found[0]!;
    };

    const webhook = one('POST /webhooks/ops');
    expect(webhook.kind).toBe(SpanKind.SERVER);
    expect(webhook.attributes).toMatchObject({ 'http.route': '/webhooks/ops', 'http.response.status_code': 202, 'ledgerport.document_id': documentId, 'ledgerport.webhook.outcome': 'accepted' });
    const trace = traceId(webhook);
    expect(jobs[0]!.payload.traceparent).toBe(`00-${trace}-${spanId(webhook)}-01`);

    const route = one('job route_document', (s) => s.attributes['ledgerport.document_id'] === documentId);
    expect(route.kind).toBe(SpanKind.CONSUMER);
    expect(traceId(route)).toBe(trace);
    expect(parentOf(route)).toBe(spanId(webhook));

    const push = one('job push_documents');
    expect(push.attributes['ledgerport.tenant_id']).toBe(tenantId);
    expect(traceId(push)).toBe(trace);
    expect(parentOf(push)).toBe(spanId(route));

    const batch = one('xero send batch');
    expect(batch.attributes['ledgerport.document_ids']).toEqual([documentId]);
    expect(traceId(batch)).toBe(trace);

    const call = one('xero createInvoices');
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(call.attributes).toMatchObject({ 'ledgerport.provider': 'xero', 'ledgerport.operation': 'createInvoices', 'http.response.status_code': 200 });
    expect(traceId(call)).toBe(trace);
    // The provider call's ancestry runs back to the webhook: call → send batch → push job → route job → webhook.
    const ancestry: string[] = [];
    for (let s: ReadableSpan | undefined = call; s; s = byId.get(parentOf(s) ?? '')) ancestry.push(s.name);
    expect(ancestry).toEqual(['xero createInvoices', 'xero send batch', 'job push_documents', 'job route_document', 'POST /webhooks/ops']);

    // The group commit is a span of its own, linked to the request it carried.
    const commit = one('ingest accept_ops_events', (s) => s.links.some((l) => l.context.spanId === spanId(webhook)));
    expect(commit.attributes['ledgerport.batch.size']).toBe(1);

    // Log lines written inside those spans carry their trace id.
    const lines = h.logs.lines.filter((l) => l.trace_id === trace);
    expect(lines.some((l) => l.msg === 'request' && l.path === '/webhooks/ops' && l.span_id === spanId(webhook))).toBe(true);
    expect(lines.some((l) => l.msg === 'document queued' && l.span_id === spanId(route))).toBe(true);
    expect(lines.some((l) => l.msg === 'batch pushed' && l.span_id === spanId(push))).toBe(true);
  });

  it('continues a trace the caller sent in traceparent', async () => {
    exporter.reset();
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await h.sendOps(shippedInvoice({ tenantId: 'org_traced_in', id: 'inv_in' }), { headers: { traceparent: parent } });
    expect(res.status).toBe(202);
    const webhook = exporter.getFinishedSpans().find((s) => s.name === 'POST /webhooks/ops')!;
    expect(webhook.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(webhook.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });
});

describe('OTLP export', () => {
  it('sends spans to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces with the configured headers', async () => {
    const received: { method: string; url: string; headers: Record<string, string | string[] | undefined>; bytes: number }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, headers: req.headers, bytes: Buffer.concat(chunks).length });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`;
      const otlp = await createTracing({ endpoint, headers: { 'x-collector-key': 'k1' }, serviceName: 'ledgerport-otlp-test', sampler: 'always_on', samplerArg: 1 });
      expect(otlp.enabled).toBe(true);
      await otlp.span('exported span', {}, async () => {});
      await otlp.shutdown();
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ method: 'POST', url: '/v1/traces', headers: expect.objectContaining({ 'x-collector-key': 'k1' }) });
      expect(received[0]!.bytes).toBeGreaterThan(0);
    } finally {
      await new Promise<void>((resolve) => collector.close(() => resolve()));
    }
  });

  it('is off without an endpoint: spans are not made', async () => {
    const off = await createTracing({ endpoint: undefined, headers: {}, serviceName: 'x', sampler: 'always_on', samplerArg: 1 });
    expect(off.enabled).toBe(false);
    expect(await off.span('nothing', {}, async (span) => span.isRecording())).toBe(false);
  });
});
