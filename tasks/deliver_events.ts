import type { Task } from 'graphile-worker';
import * as v from 'valibot';
import { deliveryJobKey } from '../src/feed/append.ts';
import { deliverTenantEvents } from '../src/feed/deliver.ts';
import type { TaskDeps } from './deps.ts';
import { parsePayload } from './payload.ts';

const Payload = v.object({ tenant_id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)) });

/**
 * Delivers a tenant's change-feed events to the platform as signed webhooks, in order. When it
 * must wait (backoff after a failure, another run active, shutdown) it schedules its own
 * continuation instead of holding a worker slot or throwing.
 */
export function deliverEventsTask(deps: TaskDeps): Task {
  return async (raw, helpers) => {
    const payload = parsePayload(Payload, raw, helpers);
    if (!payload) return;
    const { url, secret } = deps.platformWebhook;
    if (!url || !secret) {
      deps.logger.debug({ tenantId: payload.tenant_id }, 'PLATFORM_WEBHOOK_URL is not configured; nothing to deliver');
      return;
    }
    const result = await deliverTenantEvents(deps, { url, secret }, payload.tenant_id, { signal: helpers.abortSignal });
    if (result.kind === 'reschedule') {
      // Replace (not preserve): the event's next_attempt_at is the authority; this is its wake-up.
      await helpers.addJob('deliver_events', { tenant_id: payload.tenant_id }, {
        jobKey: deliveryJobKey(payload.tenant_id),
        runAt: result.runAt,
      });
      deps.logger.debug({ tenantId: payload.tenant_id, runAt: result.runAt, reason: result.reason }, 'event delivery continues later');
    }
  };
}
