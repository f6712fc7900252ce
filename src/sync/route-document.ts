import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { DocumentKind, DocumentStatus } from '../db/schema.ts';
import { enqueuePush, pendingPush, pullPushForward } from '../jobs.ts';
import { batchReadiness } from './push/gather.ts';
import { pusherRunning } from './push/pusher-lock.ts';
import { CAPABILITIES } from '../providers/capabilities.ts';
import type { ProviderName } from '../db/schema.ts';
import { type PostingDefaults } from '../documents/posting-defaults.ts';
import { currentDefaults } from './defaults.ts';
import { HOLD_REASONS, PAYMENTS_OFF_REASON, transition, type HoldReason } from '../documents/lifecycle.ts';
import { operationOf, referencesOf, resolveReferences } from './operations.ts';

/** Whether documents of this kind go to the provider without someone pushing them. */
function automatic(kind: DocumentKind, settings: PostingDefaults, provider: ProviderName): boolean | 'payments_off' {
  switch (kind) {
    case 'supplier_bill':
      return settings.auto_create_bills;
    case 'payment':
    case 'refund':
      return settings.sync_payments ? true : 'payments_off';
    default:
      return settings.auto_push_invoices ?? CAPABILITIES[provider].autoPushInvoicesDefault;
  }
}

/**
 * Decides where a received document goes: held (and why), voided without being sent, or queued
 * for push with the posting defaults snapshot it will keep for every retry. Runs in a job, so
 * ingress stays minimal.
 */
export async function routeDocument(
  db: Database,
  documentId: string,
  logger: Logger,
  opts: { pushDebounceMs: number; pushQuietMs: number },
): Promise<DocumentStatus | undefined> {
  return db.transaction().execute(async (tx) => {
    const doc = await tx
      .selectFrom('documents')
      .select(['id', 'tenant_id', 'kind', 'status', 'defaults_version', 'source', 'source_version', 'provider_id', 'synced_version'])
      .where('id', '=', documentId)
      .forUpdate()
      .executeTakeFirst();
    if (!doc) {
      logger.warn({ documentId }, 'route: document not found');
      return undefined;
    }
    if (doc.status !== 'received') return doc.status; // already routed by an earlier run of this job
    const log = logger.child({ documentId, tenantId: doc.tenant_id, kind: doc.kind });

    const operation = operationOf(doc);
    if (operation === 'cancel') {
      await transition(tx, doc, 'voided', { reason: 'voided before it reached the provider; nothing was sent' });
      log.info('document voided before any push; nothing sent');
      return 'voided' as const;
    }
    if (operation === 'nothing') {
      await transition(tx, doc, 'synced', { reason: `the provider already holds version ${doc.synced_version}` });
      return 'synced' as const;
    }

    const connection = await tx
      .selectFrom('connections')
      .select(['provider', 'status'])
      .where('tenant_id', '=', doc.tenant_id)
      .executeTakeFirst();
    const hold = async (reason: HoldReason | string, waitsFor?: string[]) => {
      const text = reason in HOLD_REASONS ? HOLD_REASONS[reason as HoldReason] : reason;
      await transition(tx, doc, 'held', { reason: text, ...(waitsFor ? { patch: { waits_for: waitsFor } } : {}) });
      log.info({ reason: text }, 'document held');
      return 'held' as const;
    };
    if (!connection || connection.status === 'pending' || connection.status === 'disconnected') return hold('no_connection');
    if (connection.status === 'needs_reauth') return hold('connection_needs_reauth');

    const defaults = await currentDefaults(tx, doc.tenant_id);
    // Someone already decided to send this document: its updates and voids follow it automatically.
    if (operation === 'create') {
      const auto = automatic(doc.kind, defaults.settings, connection.provider);
      if (auto === 'payments_off') return hold(PAYMENTS_OFF_REASON);
      if (!auto) return hold('manual_push');
    }
    if (operation !== 'void') {
      const { waiting } = await resolveReferences(tx, doc.tenant_id, referencesOf(doc.kind, doc.source as Record<string, unknown>));
      if (waiting) return hold(waiting.reason, waiting.keys);
    }

    // The snapshot is taken the first time a document is queued and never replaced.
    const patch =
      doc.defaults_version === null
        ? { defaults_version: defaults.version, defaults_snapshot: JSON.stringify(defaults.settings) }
        : {};
    await transition(tx, doc, 'queued', { reason: operation === 'create' ? null : `to ${operation} at the provider`, patch });
    // At once, or a while later with others of a burst (push/gather.ts); the push job looks again.
    // A push already due takes this document too: no need to ask (most of a backlog's routing).
    const pending = await pendingPush(tx, doc.tenant_id);
    if (!pending || pending.run_at.getTime() > Date.now()) {
      const policy = { full: CAPABILITIES[connection.provider].maxDocumentsPerRequest, debounceMs: opts.pushDebounceMs, quietMs: opts.pushQuietMs };
      const readiness = await batchReadiness(tx, doc.tenant_id, policy, new Date());
      if (readiness.kind === 'gathering') await enqueuePush(tx, doc.tenant_id, readiness.until);
      // Not while a pusher runs: it takes what is queued itself, and a job brought forward would be
      // turned away by its lock, and brought forward again by the next routed document.
      else await pullPushForward(tx, doc.tenant_id, new Date(), { running: () => pusherRunning(tx, doc.tenant_id) });
    }
    log.info({ operation, defaultsVersion: defaults.version }, 'document queued');
    return 'queued' as const;
  });
}
