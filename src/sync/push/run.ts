import type pg from 'pg';
import type { Logger } from 'pino';
import { ConnectionUnavailableError, openSession, type SessionDeps } from '../../connections/session.ts';
import type { Database } from '../../db/database.ts';
import type { ProviderName } from '../../db/schema.ts';
import { ProviderError, type AccountingProvider, type ProviderSession } from '../../providers/types.ts';
import { holdQueuedDocuments } from '../../documents/lifecycle.ts';
import { applyOutcomes } from './outcomes.ts';
import { claimBatch, deferBatch, markUncertain, openBatches, requeueDocuments, startReplayAttempts, storeRequest, type OpenBatch } from './batches.ts';
import { settleByLookup } from './look-up.ts';
import { batchReadiness } from './gather.ts';
import { tryLockPusher, unlockPusher } from './pusher-lock.ts';
import { pullPushForward } from '../../jobs.ts';
import { setTimeout as delay } from 'node:timers/promises';

export interface PushDeps extends SessionDeps {
  readonly pool: pg.Pool;
  /** A provider request is abandoned after this; a dead pusher's request is replayed only once it is over. */
  readonly requestTimeoutMs: number;
  readonly providers: Partial<Record<ProviderName, AccountingProvider>>;
  readonly logger: Logger;
  /** PUSH_DEBOUNCE_MS: how long a queued document may wait for others to fill its batch. */
  readonly pushDebounceMs?: number;
  /** PUSH_QUIET_MS: a tenant that sent no batch for this long sends a part-full one at once (gather.ts). */
  readonly pushQuietMs?: number;
}

export type PushRunResult =
  | { readonly kind: 'done'; readonly batches: number }
  | { readonly kind: 'reschedule'; readonly runAt: Date; readonly reason: string; readonly batches: number };

/** Longest pause for pacing held inside a push job (longer ones reschedule it), and the step it is taken in. */
const MAX_PACE_SLEEP_MS = 5_000;
const PACE_STEP_MS = 250;

/** Exponential backoff with jitter for settling uncertain batches: 5 s, 10 s, … capped at 10 min. */
export function uncertainBackoffMs(attempts: number): number {
  const base = Math.min(10 * 60_000, 5_000 * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/**
 * Pushes a tenant's queued documents, one provider request per batch, until none are left.
 * One pusher per tenant across all processes (a session advisory lock, released by Postgres if
 * the process dies); it first settles batches a dead or interrupted pusher left open, by
 * replaying their stored request with the same idempotency key, before sending anything new.
 */
export async function pushTenantDocuments(deps: PushDeps, tenantId: string, opts: { signal?: AbortSignal; maxBatches?: number } = {}): Promise<PushRunResult> {
  const log = deps.logger.child({ tenantId, subsystem: 'push' });
  const client = await deps.pool.connect();
  let batches = 0;
  // The queue was found empty: documents queued after that, while this pusher held the lock, were
  // turned away by it (their job rescheduled itself 2 s later) and are pushed once this one ends.
  let drained = false;
  const reschedule = (ms: number, reason: string): PushRunResult => ({ kind: 'reschedule', runAt: new Date(deps.now().getTime() + ms), reason, batches });
  try {
    if (!(await tryLockPusher(client, tenantId))) return reschedule(2_000, 'another process is pushing for this tenant');
    try {
      const connection = await deps.db.selectFrom('connections').select(['provider', 'status']).where('tenant_id', '=', tenantId).executeTakeFirst();
      if (!connection || connection.status !== 'connected') return { kind: 'done', batches };
      const provider = deps.providers[connection.provider];
      if (!provider) {
        log.error({ provider: connection.provider }, 'provider is not configured in this process; documents stay queued');
        return reschedule(60_000, 'provider not configured');
      }
      let session: ProviderSession;
      try {
        session = await openSession(deps, provider, tenantId);
      } catch (error) {
        if (error instanceof ConnectionUnavailableError) return { kind: 'done', batches };
        throw error;
      }

      for (const open of await openBatches(deps.db, tenantId)) {
        const settled = await settleOpenBatch(deps, provider, session, open, log);
        if (settled) return settled;
      }

      const policy = { full: provider.capabilities.maxDocumentsPerRequest, debounceMs: deps.pushDebounceMs ?? 0, quietMs: deps.pushQuietMs ?? 0 };
      while (!opts.signal?.aborted && batches < (opts.maxBatches ?? Number.POSITIVE_INFINITY)) {
        const readiness = await batchReadiness(deps.db, tenantId, policy, deps.now());
        if (readiness.kind === 'empty') {
          drained = true;
          return { kind: 'done', batches };
        }
        if (readiness.kind === 'gathering') {
          // Rescheduled rather than waited for here, so routing jobs keep this worker slot meanwhile.
          log.debug({ queued: readiness.queued, until: readiness.until, why: readiness.why }, 'more documents are on their way; gathering a fuller batch');
          return { kind: 'reschedule', runAt: readiness.until, reason: 'gathering a fuller batch', batches };
        }
        const paced = await waitForPace(provider, session);
        if (paced) return paced;
        if (opts.signal?.aborted) break;
        const batch = await claimBatch(deps.db, tenantId, provider.name, provider.capabilities.maxDocumentsPerRequest);
        if (!batch) {
          drained = true;
          return { kind: 'done', batches };
        }
        batches++;
        const ids = batch.documents.map((d) => d.documentId);
        let prepared;
        try {
          prepared = await provider.prepareBatch(session, batch.documents);
        } catch (error) {
          // Nothing was created yet (look-ups and idempotent contact creation only): requeue.
          const handled = await handleFailure(deps, tenantId, batch.id, ids, error, log, { sent: false });
          return handled ?? reschedule(5_000, 'batch preparation failed');
        }
        if (prepared.refused.length > 0) await applyOutcomes(deps.db, deps.feed, batch.id, prepared.refused, { closeBatch: prepared.documentIds.length === 0 });
        if (prepared.documentIds.length === 0) continue;
        if (!(await storeRequest(deps.db, batch.id, prepared.request, prepared.documentIds))) {
          // This pusher lost its lock (its connection died) and another settled the batch: stop.
          log.warn({ batchId: batch.id }, 'batch settled by another process before it was sent; not sending it');
          return reschedule(2_000, 'another process took over pushing for this tenant');
        }
        try {
          const outcomes = await provider.sendBatch(session, { request: prepared.request, documentIds: prepared.documentIds }, batch.idempotencyKey);
          await applyOutcomes(deps.db, deps.feed, batch.id, outcomes, { closeBatch: true });
          log.info({ batchId: batch.id, documents: outcomes.length, synced: outcomes.filter((o) => o.status === 'synced').length }, 'batch pushed');
        } catch (error) {
          const handled = await handleFailure(deps, tenantId, batch.id, prepared.documentIds, error, log, { sent: true, attempts: 1 });
          if (handled) return handled;
        }
      }
      return reschedule(0, 'stopped early (shutdown or batch limit); continuing');
    } finally {
      await unlockPusher(client, tenantId);
      if (drained) await pushLateArrivals(client);
    }
  } finally {
    client.release();
  }

  /**
   * A batch that would not be full waits while the organisation's minute budget is being spent
   * faster than it lasts (RateGovernor.paceDelayMs), gathering the documents that arrive
   * meanwhile: spent call by call, Xero's 60 a minute last 6 s at 10 invoices a second and the
   * rest wait a minute (npm run bench:latency). A full batch goes at once, so drains are not slowed.
   */
  async function waitForPace(provider: AccountingProvider, session: ProviderSession): Promise<PushRunResult | undefined> {
    if (!provider.paceDelayMs) return undefined;
    const full = provider.capabilities.maxDocumentsPerRequest;
    for (;;) {
      const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from (select 1 from documents where tenant_id = $1 and status = 'queued' limit $2) q`, [tenantId, full]);
      const queued = rows[0]?.n ?? 0;
      if (queued === 0 || queued >= full) return undefined;
      const wait = await provider.paceDelayMs(session);
      if (wait <= 0) return undefined;
      if (wait > MAX_PACE_SLEEP_MS) return reschedule(wait, 'pacing a partial batch to the rate limit');
      // In steps, so a batch that fills up meanwhile goes at once.
      try {
        await delay(Math.min(wait, PACE_STEP_MS), undefined, opts.signal ? { signal: opts.signal } : undefined);
      } catch {
        return undefined; // aborted (shutdown): the loop stops and continues later
      }
    }
  }

  /** Schedules the tenant's push for documents queued after the last claim now, not 2 s later. */
  async function pushLateArrivals(db: pg.PoolClient): Promise<void> {
    try {
      const { rows } = await db.query(`select 1 from documents where tenant_id = $1 and status = 'queued' limit 1`, [tenantId]);
      // The job decides again then whether they go at once or gather (gather.ts).
      if (rows.length > 0) await pullPushForward(deps.db, tenantId, deps.now());
    } catch (error) {
      // The rescheduled job (and the sweep) still push them.
      log.warn({ err: (error as Error).message }, 'could not schedule the push of documents queued during this one');
    }
  }

  async function settleOpenBatch(deps: PushDeps, provider: AccountingProvider, session: ProviderSession, open: OpenBatch, log: Logger): Promise<PushRunResult | undefined> {
    if (!open.request) {
      // Its pusher stopped before the request was stored, so it was never sent; unless that pusher
      // still runs (its lock connection died, which let this one in) and stores it now.
      if (await deferBatch(deps.db, deps.feed, open.id, open.documentIds, 'interrupted before sending; queued again', 'queued', { unsentOnly: true })) {
        log.warn({ batchId: open.id }, 'batch interrupted before sending; documents queued again');
        return undefined;
      }
      return reschedule(deps.requestTimeoutMs + 5_000, 'its pusher is still sending it');
    }
    if (open.status === 'sending') {
      // Its pusher died mid-request. That request may still be running at the provider; replaying
      // the key alongside it could create the document twice, so wait until it must be over.
      const settledAt = open.updatedAt.getTime() + deps.requestTimeoutMs + 5_000;
      const wait = settledAt - deps.now().getTime();
      if (wait > 0) return reschedule(wait, 'an interrupted request may still be in flight');
    }
    const keyAgeMs = deps.now().getTime() - open.createdAt.getTime();
    if (keyAgeMs >= provider.idempotencyWindowMs) return settleExpiredBatch(deps, provider, session, open, keyAgeMs, log);
    log.info({ batchId: open.id, attempts: open.attempts }, 'settling a batch with an unknown outcome by replaying its idempotency key');
    await startReplayAttempts(deps.db, open.id, open.request.documentIds);
    try {
      const outcomes = await provider.sendBatch(session, { request: open.request.body, documentIds: open.request.documentIds }, open.idempotencyKey);
      await applyOutcomes(deps.db, deps.feed, open.id, outcomes, { closeBatch: true });
      return undefined;
    } catch (error) {
      return handleFailure(deps, session.tenantId, open.id, open.request.documentIds, error, log, { sent: true, attempts: open.attempts + 1, replay: true });
    }
  }

  /**
   * The provider no longer keeps the batch's key, so a replay would be a new request: its
   * documents are looked up instead (look-up.ts). Found ones are synced with the provider's ids,
   * those not there are queued again for a new batch with a new key, and what cannot be looked
   * up is failed for a person to check. A look-up that fails leaves the batch uncertain.
   */
  async function settleExpiredBatch(deps: PushDeps, provider: AccountingProvider, session: ProviderSession, open: OpenBatch, keyAgeMs: number, log: Logger): Promise<PushRunResult | undefined> {
    const ids = open.request!.documentIds;
    log.info({ batchId: open.id, attempts: open.attempts, keyAgeMs }, 'the idempotency key of a batch with an unknown outcome has expired; looking its documents up instead of replaying');
    const rows = await deps.db.selectFrom('documents').select(['id', 'kind', 'provider_id', 'source_version', 'source']).where('id', 'in', ids).execute();
    const claimed = new Map((open.documents ?? []).map((d) => [d.id, d]));
    const documents = rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      providerId: r.provider_id,
      claimed: claimed.get(r.id) ?? { id: r.id, version: r.source_version, operation: r.provider_id ? ('update' as const) : ('create' as const), source: r.source as Record<string, unknown> },
    }));
    await startReplayAttempts(deps.db, open.id, ids);
    let settlement;
    try {
      settlement = await settleByLookup(provider, session, documents, keyAgeMs);
    } catch (error) {
      if (error instanceof ConnectionUnavailableError) return { kind: 'done', batches };
      const message = `looking the documents up at the provider failed: ${(error as Error).message}`;
      await markUncertain(deps.db, deps.feed, open.id, ids, message);
      if (!(error instanceof ProviderError)) throw error;
      log.warn({ batchId: open.id, err: error.message }, 'look-up of an expired batch failed; it stays uncertain');
      return reschedule(error.kind === 'rate_limited' ? (error.retryAfterMs ?? 1_000) : uncertainBackoffMs(open.attempts + 1), 'look-up failed');
    }
    await requeueDocuments(deps.db, open.id, settlement.requeue);
    await applyOutcomes(deps.db, deps.feed, open.id, [...settlement.found, ...settlement.failed], { closeBatch: true, reasons: settlement.foundReasons });
    log.info({ batchId: open.id, found: settlement.found.length, requeued: settlement.requeue.size, failed: settlement.failed.length }, 'batch with an expired key settled by look-up');
    return undefined;
  }

  async function handleFailure(
    deps: PushDeps,
    tenantId: string,
    batchId: string,
    ids: readonly string[],
    error: unknown,
    log: Logger,
    // replay: the batch's outcome is unknown (an earlier send may have been applied), so a
    // refusal of the replay leaves it open, to be replayed with the same key later; deferring it
    // would close it and strand its documents (or send them again under a new key).
    ctx: { sent: boolean; attempts?: number; replay?: boolean },
  ): Promise<PushRunResult | undefined> {
    if (error instanceof ConnectionUnavailableError) {
      if (!ctx.replay) await deferBatch(deps.db, deps.feed, batchId, ids, 'the accounting connection needs to be reauthorised', 'held');
      return { kind: 'done', batches };
    }
    if (!(error instanceof ProviderError)) {
      if (ctx.sent) await markUncertain(deps.db, deps.feed, batchId, ids, `unexpected error: ${(error as Error).message}`);
      else await deferBatch(deps.db, deps.feed, batchId, ids, `unexpected error before sending: ${(error as Error).message}`);
      throw error;
    }
    switch (error.kind) {
      case 'rate_limited':
        if (ctx.replay) {
          log.info({ batchId, retryAfterMs: error.retryAfterMs, problem: error.problem }, 'replay rate limited; the batch stays open');
          return reschedule(error.retryAfterMs ?? 1_000, 'rate limited');
        }
        // Refused, not applied: the documents wait without spending an attempt.
        await deferBatch(deps.db, deps.feed, batchId, ids, `rate limited (${error.problem ?? 'limit'}); waiting ${Math.ceil((error.retryAfterMs ?? 1000) / 1000)} s`);
        log.info({ batchId, retryAfterMs: error.retryAfterMs, problem: error.problem }, 'rate limited; batch deferred');
        return reschedule(error.retryAfterMs ?? 1_000, 'rate limited');
      case 'forbidden':
      case 'unauthorized':
        await deps.db.transaction().execute(async (tx) => {
          await tx
            .updateTable('connections')
            .set({ status: 'needs_reauth', status_reason: error.message, updated_at: new Date() })
            .where('tenant_id', '=', tenantId)
            .execute();
          const held = await holdQueuedDocuments(tx, tenantId, 'connection_needs_reauth');
          await deps.feed.appendEvent(tx, tenantId, 'connection.needs_reauth', { reason: error.message, documents_held: held });
        });
        // A refused token means the request was not applied: the documents wait for reconnection.
        if (!ctx.replay) await deferBatch(deps.db, deps.feed, batchId, ids, 'the accounting connection needs to be reauthorised', 'held');
        log.warn({ batchId, err: error.message }, 'provider refused the connection; needs reauthorisation');
        return { kind: 'done', batches };
      case 'validation':
        await applyOutcomes(deps.db, deps.feed, batchId, ids.map((documentId) => ({ documentId, status: 'failed' as const, errors: error.details.length ? error.details : [{ message: error.message }] })), { closeBatch: true });
        return undefined;
      case 'transient':
      case 'unreachable': {
        if (!ctx.sent) {
          await deferBatch(deps.db, deps.feed, batchId, ids, `provider unavailable before sending: ${error.message}`);
          return reschedule(uncertainBackoffMs(1), 'provider unavailable');
        }
        await markUncertain(deps.db, deps.feed, batchId, ids, error.message);
        const wait = uncertainBackoffMs(ctx.attempts ?? 1);
        log.warn({ batchId, err: error.message, retryInMs: wait }, 'outcome unknown; will replay the same idempotency key');
        return reschedule(wait, 'outcome unknown');
      }
    }
  }
}
