import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { DocumentStatus } from '../db/schema.ts';
import { enqueuePush } from '../jobs.ts';
import { CAPABILITIES } from '../providers/capabilities.ts';
import { currentDefaults } from './defaults.ts';
import { HOLD_REASONS, transition, type HoldReason } from './lifecycle.ts';

/**
 * Decides where a received document goes: held (and why) or queued for push with the posting
 * defaults snapshot it will keep for every retry. Runs in a job, so ingress stays minimal.
 */
export async function routeDocument(
  db: Database,
  documentId: string,
  logger: Logger,
  opts: { pushDebounceMs: number },
): Promise<DocumentStatus | undefined> {
  return db.transaction().execute(async (tx) => {
    const doc = await tx
      .selectFrom('documents')
      .select(['id', 'tenant_id', 'kind', 'status', 'defaults_version'])
      .where('id', '=', documentId)
      .forUpdate()
      .executeTakeFirst();
    if (!doc) {
      logger.warn({ documentId }, 'route: document not found');
      return undefined;
    }
    if (doc.status !== 'received') return doc.status; // already routed by an earlier run of this job

    const connection = await tx
      .selectFrom('connections')
      .select(['provider', 'status'])
      .where('tenant_id', '=', doc.tenant_id)
      .executeTakeFirst();
    const hold = async (reason: HoldReason) => {
      await transition(tx, doc, 'held', { reason: HOLD_REASONS[reason] });
      logger.info({ documentId, tenantId: doc.tenant_id, reason }, 'document held');
      return 'held' as const;
    };
    if (!connection || connection.status === 'pending' || connection.status === 'disconnected') return hold('no_connection');
    if (connection.status === 'needs_reauth') return hold('connection_needs_reauth');

    const defaults = await currentDefaults(tx, doc.tenant_id);
    const automatic =
      doc.kind === 'supplier_bill'
        ? defaults.settings.auto_create_bills
        : (defaults.settings.auto_push_invoices ?? CAPABILITIES[connection.provider].autoPushInvoicesDefault);
    if (!automatic) return hold('manual_push');

    // The snapshot is taken the first time a document is queued and never replaced.
    const patch =
      doc.defaults_version === null
        ? { defaults_version: defaults.version, defaults_snapshot: JSON.stringify(defaults.settings) }
        : {};
    await transition(tx, doc, 'queued', { reason: null, patch });
    // Documents of a burst gather for a moment so they go up in full batches.
    await enqueuePush(tx, doc.tenant_id, new Date(Date.now() + opts.pushDebounceMs));
    logger.info({ documentId, tenantId: doc.tenant_id, defaultsVersion: defaults.version }, 'document queued');
    return 'queued' as const;
  });
}
