import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { bearerCredentials, type BearerCredential } from '../helpers/hostile/auth.ts';
import { ADMIN_CREDENTIAL, caseArbitrary, describe as describeCase, materialize, sweepInputs, type CaseContext, type CaseInput, type Materialized } from '../helpers/hostile/cases.ts';
import { fingerprintChanges, leaks, refusalProblems, storeFingerprint, type Answer } from '../helpers/hostile/checks.ts';
import { BODY_LIMIT } from '../helpers/hostile/mutations.ts';
import { specOperations, type SpecOperation } from '../helpers/hostile/spec.ts';
import { buildWorld, QBO_VERIFIER_TOKEN, XERO_WEBHOOK_KEY, type World } from '../helpers/hostile/world.ts';
import { createSpecValidator, type SpecValidator } from '../helpers/openapi.ts';
import { sendRequest } from '../helpers/hostile/send.ts';
import { oauthRoundTrip } from '../helpers/oauth.ts';

/**
 * Proof under fire: every operation of openapi.yaml gets property-based hostile input — bodies
 * generated from its request schema and mutated, hostile path, query and header parameters,
 * forged, expired, replayed and foreign credentials, odd content types and oversize bodies.
 * Every answer is below 500 with no stack trace or file path; a refusal is a 4xx in the JSON
 * error envelope and stores nothing; what openapi.yaml calls invalid is always refused.
 *
 * HOSTILE_SEED replays a run (each operation's fast-check seed derives from it); HOSTILE_RUNS
 * scales the number of cases; HOSTILE_SHRINK=1 shrinks a failing case (slow with big bodies);
 * HOSTILE_REPORT=1 runs every case and reports every failure instead of stopping at the first;
 * HOSTILE_SLOW=<ms> prints the cases slower than that.
 *
 * Each operation first gets a sweep (every query, header and path parameter and every body field
 * with each value its schema should refuse, the body as a whole mutated, every credential kind),
 * then random cases: a body generated from its openapi.yaml schema and mutated, with random
 * parameters, credentials, content types and headers.
 */
const SEED = Number(process.env.HOSTILE_SEED ?? 20_261_121);
const SCALE = Number(process.env.HOSTILE_RUNS ?? 1);
const SHRINK = process.env.HOSTILE_SHRINK === '1';
const REPORT = process.env.HOSTILE_REPORT === '1';
const reported: string[] = [];

let world: World;
let app: ReturnType<typeof createApp>;
let validator: SpecValidator;
let ctx: CaseContext;
let bearer: BearerCredential[];
let fingerprint: Record<string, string>;

interface Tally { tried: number; passed: number; refused: number; accepted: number; statuses: Map<number, number> }
const tallies = new Map<string, Tally>();
let providerBusyCount = 0;
const tally = (key: string) => {
  let t = tallies.get(key);
  if (!t) tallies.set(key, (t = { tried: 0, passed: 0, refused: 0, accepted: 0, statuses: new Map() }));
  return t;
};

beforeAll(async () => {
  world = await buildWorld();
  app = createApp(world.h.ctx);
  validator = createSpecValidator();
  bearer = await bearerCredentials(world.a.tenantId, world.b.tenantId);
  if (bearer[ADMIN_CREDENTIAL]?.tenantId !== '*') throw new Error('ADMIN_CREDENTIAL must point at the platform-admin token of bearerCredentials()');
  const ids = (param: string, tenant: 'a' | 'b') => {
    const t = tenant === 'a' ? world.a : world.b;
    if (param === 'document_id') return t.documentIds;
    if (param === 'run_id') return t.runIds;
    if (param === 'session_id') return t.sessionIds;
    return [];
  };
  ctx = { tenantA: world.a.tenantId, tenantB: world.b.tenantId, bearer, ids, captured: world.a.captured, xeroKey: XERO_WEBHOOK_KEY, quickbooksToken: QBO_VERIFIER_TOKEN };
  fingerprint = await storeFingerprint(world.h);
}, 120_000);

afterAll(async () => {
  const all = [...tallies.values()];
  const sum = (f: (t: Tally) => number) => all.reduce((n, t) => n + f(t), 0);
  const byRoute = [...tallies.entries()].map(([key, t]) => `${key} ${t.tried}`).join(', ');
  console.log(`hostile inputs (HOSTILE_SEED=${SEED}): ${sum((t) => t.tried)} cases tried, ${sum((t) => t.passed)} passed (${sum((t) => t.refused)} refused with a 4xx, ${sum((t) => t.accepted)} accepted as valid, ${providerBusyCount} valid ones met a busy provider) — by route: ${byRoute}`);
  if (providerBusyCount > 0) console.log(`valid requests answered 502 provider_unavailable (the organisation's Xero rate budget spent by the suite): ${providerBusyCount}`);
  await world?.close();
});

/** One case's answer; a response openapi.yaml does not document is a failure (specError), 413s and routes outside paths included. */
function send(m: Materialized): Promise<Answer> {
  return sendRequest(app, validator, m);
}

/** Every problem with the answer to one case (empty: it passed). */
async function judge(m: Materialized, answer: Answer): Promise<string[]> {
  const problems: string[] = [];
  const code = (answer.body as { error?: { code?: string } } | undefined)?.error?.code;
  // A request openapi.yaml calls valid may find the provider unable to answer (the rate governor
  // keeps the organisation within Xero's limits, and the suite spends them): documented, not a failure.
  const providerBusy = answer.status === 502 && code === 'provider_unavailable' && m.mustRefuse.length === 0 && !answer.specError;
  if (providerBusy) providerBusyCount++;
  if (answer.status >= 500 && !providerBusy) problems.push(`answered ${answer.status}`);
  problems.push(...leaks(answer.text).map((l) => `leaks ${l}`));
  if (answer.specError) problems.push(`not as documented in openapi.yaml: ${answer.specError.slice(0, 1200)}`);
  const refused = answer.status >= 400 && !providerBusy;
  const bareUnauthorized = m.op.auth === 'xero' || m.op.auth === 'quickbooks';
  if (m.mustRefuse.length > 0 && !refused) problems.push(`accepted (${answer.status}) though ${m.mustRefuse.join('; ')}`);
  if ((refused || answer.status >= 300) && !providerBusy) problems.push(...refusalProblems(answer, { bareUnauthorized }));
  if (m.replay && answer.status < 300 && (answer.body as { duplicate?: boolean } | undefined)?.duplicate !== true) problems.push('a replayed delivery id was not answered as a duplicate');
  const after = await storeFingerprint(world.h);
  const changes = fingerprintChanges(fingerprint, after);
  fingerprint = after;
  const storesNothing = refused || providerBusy || m.replay || (answer.body as { duplicate?: boolean } | undefined)?.duplicate === true;
  if (storesNothing && changes.length > 0) problems.push(`stored something for a ${refused ? 'refused' : 'duplicate'} request: ${changes.join(', ')}`);
  return problems;
}

async function runCase(m: Materialized): Promise<void> {
  const t = tally(m.op.key);
  t.tried++;
  const started = performance.now();
  const answer = await send(m);
  if (process.env.HOSTILE_SLOW && performance.now() - started > Number(process.env.HOSTILE_SLOW)) console.log(`slow ${Math.round(performance.now() - started)}ms ${answer.status}: ${describeCase(m).slice(0, 400)}`);
  t.statuses.set(answer.status, (t.statuses.get(answer.status) ?? 0) + 1);
  const problems = await judge(m, answer);
  if (problems.length > 0) {
    if (REPORT) {
      reported.push(`${m.op.key}: ${problems.join(' | ').slice(0, 300)}\n    ${describeCase(m)}\n    answer: ${answer.status} ${answer.text.slice(0, 300)}`);
      return;
    }
    throw new Error(`${problems.join('\n  ')}\n  case:\n    ${describeCase(m)}\n  answer: ${answer.status} ${answer.text.slice(0, 600)}`);
  }
  t.passed++;
  if (answer.status >= 400 && answer.status < 500) t.refused++;
  else if (answer.status < 400) t.accepted++;
}

/** How many cases each operation gets: routes that read a body get the most. */
const runsFor = (op: SpecOperation) => Math.max(1, Math.round(SCALE * (op.body ? 150 : op.auth === 'none' && op.params.length === 0 ? 20 : 45)));
const seedFor = (op: SpecOperation) => [...op.key].reduce((h, ch) => (Math.imul(h, 31) + ch.charCodeAt(0)) | 0, SEED);

const operations = specOperations();

/** A valid DELETE /connection disconnects tenant A; the routes after it deserve a connected tenant too. */
async function ensureConnected() {
  const row = await world.h.database.db.selectFrom('connections').select('status').where('tenant_id', '=', world.a.tenantId).executeTakeFirst();
  if (row?.status === 'connected') return;
  world.sb.setConsent({ organisations: [world.a.orgId] });
  await oauthRoundTrip(world.h, world.a.tenantId, 'xero');
  fingerprint = await storeFingerprint(world.h);
}

describe('hostile input on every route of openapi.yaml', () => {
  beforeEach(ensureConnected);

  for (const op of operations) {
    it(`${op.key}: a sweep and ${runsFor(op)} random hostile requests, none answered 5xx, refusals store nothing`, async () => {
      const seed = seedFor(op);
      const arbitrary = caseArbitrary(op);
      // First every parameter and body field swept with the values its schema should refuse, then random cases.
      const firstBearer = operations.find((o) => o.auth === 'bearer') === op;
      const examples = sweepInputs(op, fc.sample(arbitrary, { numRuns: 1, seed })[0]!, { bearer, allBearerKinds: firstBearer }).map((input) => [input] as [CaseInput]);
      const details = await fc.check(fc.asyncProperty(arbitrary, async (input) => runCase(materialize(op, input, ctx))), {
        seed,
        numRuns: examples.length + runsFor(op),
        examples,
        endOnFailure: !SHRINK,
      });
      if (REPORT && reported.length > 0) {
        const found = reported.splice(0);
        throw new Error(`${found.length} failing case(s):\n${found.join('\n')}`);
      }
      if (details.failed) {
        const error = details.errorInstance as Error | undefined;
        throw new Error(
          `${op.key} failed after ${details.numRuns} case(s): ${error?.message ?? 'unknown'}\n` +
            `replay: HOSTILE_SEED=${SEED} npx vitest run test/hostile/hostile-inputs.test.ts (fast-check seed ${details.seed}, path ${details.counterexamplePath})`,
        );
      }
    }, 120_000);
  }

  it('an undocumented method on every documented path is 404 route_not_found, storing nothing', async () => {
    const documented = new Set(operations.map((o) => o.key));
    for (const template of new Set(operations.map((o) => o.template))) {
      const method = ['PATCH', 'DELETE', 'PUT', 'POST'].find((m) => !documented.has(`${m} ${template}`))!;
      const path = template.replace('{tenant_id}', world.a.tenantId).replace('{provider}', 'xero').replace(/\{[^}]+\}/g, world.a.documentIds[0]!);
      const m: Materialized = {
        op: { ...operations.find((o) => o.template === template)!, key: 'undocumented methods' },
        method, path, headers: { authorization: `Bearer ${world.a.token}`, 'content-type': 'application/json' }, body: new TextEncoder().encode('{}'),
        mustRefuse: ['undocumented method'], replay: false, authKind: 'tenant token', bodyKind: '{}',
      };
      await runCase(m);
    }
  });

  it('a body over 1 MiB is refused with 413 before it is read, over a real socket (Content-Length and chunked)', async () => {
    const server = await world.h.listen();
    try {
      const withBody = operations.filter((o) => o.method !== 'GET');
      for (const op of withBody) {
        for (const chunked of [false, true]) {
          const path = op.template.replace('{tenant_id}', world.a.tenantId).replace('{provider}', 'xero').replace(/\{[^}]+\}/g, world.a.documentIds[0]!);
          const body = `{"pad":"${'a'.repeat(BODY_LIMIT)}"}`;
          const t = tally(`${op.key}`);
          t.tried++;
          const res = await new Promise<{ status: number; text: string; headers: Headers }>((resolve, reject) => {
            const req = http.request(`${server.url}${path}`, {
              method: op.method,
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${world.a.token}`,
                ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(Buffer.byteLength(body)) }),
              },
            });
            req.on('response', (r) => {
              const chunks: Buffer[] = [];
              r.on('data', (c: Buffer) => chunks.push(c));
              r.on('end', () => resolve({ status: r.statusCode ?? 0, text: Buffer.concat(chunks).toString(), headers: new Headers(r.headers as Record<string, string>) }));
            });
            req.on('error', reject);
            for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.slice(i, i + 64 * 1024));
            req.end();
          });
          const parsed: unknown = res.text ? JSON.parse(res.text) : undefined;
          let specError: string | undefined;
          try {
            validator.check(op.method, path, res.status, res.headers.get('content-type'), parsed, res.headers);
          } catch (error) {
            specError = (error as Error).message;
          }
          const answer: Answer = { ...res, body: parsed, specError };
          expect(answer.status, `${op.key} ${chunked ? 'chunked' : 'with Content-Length'}`).toBe(413);
          expect(answer.specError, `${op.key} ${chunked ? 'chunked' : 'with Content-Length'}`).toBeUndefined();
          expect(refusalProblems(answer)).toEqual([]);
          expect((answer.body as { error: { code: string } }).error.code).toBe('payload_too_large');
          const after = await storeFingerprint(world.h);
          expect(fingerprintChanges(fingerprint, after)).toEqual([]);
          fingerprint = after;
          t.passed++;
          t.refused++;
        }
      }
    } finally {
      await server.close();
    }
  });

  it('exercised every operation of openapi.yaml, at least 2,000 cases in all', () => {
    expect(reported).toEqual([]);
    const missing = operations.filter((o) => (tallies.get(o.key)?.tried ?? 0) < runsFor(o)).map((o) => o.key);
    expect(missing).toEqual([]);
    const total = [...tallies.values()].reduce((n, t) => n + t.tried, 0);
    if (SCALE >= 1) expect(total).toBeGreaterThanOrEqual(2_000);
  });

  it('logged no unhandled error, and GET /readyz still answers 200', async () => {
    // 502 provider_unavailable answers (a busy provider, see above) are logged as failed requests too; they are not errors of the gateway.
    const unhandled = world.h.logs.lines.filter((l) => l.msg === 'unhandled error' || (typeof l.status === 'number' && l.status >= 500 && l.status !== 502));
    expect(unhandled.map((l) => `${String(l.path)}: ${JSON.stringify(l.err ?? l).slice(0, 300)}`)).toEqual([]);
    const ready = await world.h.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
  });
});
