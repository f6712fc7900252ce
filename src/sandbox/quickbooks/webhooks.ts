// Sends webhook deliveries the way Intuit does: the legacy `eventNotifications` payload or the newer
// CloudEvents array, signed with `intuit-signature: base64(HMAC-SHA256(raw body, verifier token))`.
import { randomUUID } from 'node:crypto';
import { deliverWebhook, hmacSign } from '../shared/webhooks.ts';
import type { WebhookDelivery } from '../shared/webhooks.ts';

export type WebhookOperation = 'Create' | 'Update' | 'Delete' | 'Merge' | 'Void' | 'Emailed';

export interface WebhookEventInput {
  realmId: string;
  /** Entity name as QuickBooks spells it: `Customer`, `Vendor`, `Invoice`, `Bill`, `PurchaseOrder`, ... */
  name: string;
  id: string;
  operation: WebhookOperation;
  /** ISO time of the change; defaults to the sandbox's now (`2026-03-01T10:15:00.000Z`). */
  lastUpdated?: string;
  /** Merge events: the id of the record merged away. */
  deletedId?: string;
}

export interface SendWebhookOptions {
  /** `legacy` (default): `{"eventNotifications":[...]}`; `cloudevents`: a JSON array of CloudEvents. */
  format?: 'legacy' | 'cloudevents';
  /** Alter the body after signing, so the signature no longer matches (the body stays valid JSON). */
  tamper?: boolean;
  /** Signing key (default: the sandbox's webhookVerifierToken). */
  verifierToken?: string;
  /** Give up after this many ms (default 3000); a timeout reports status 0. */
  timeoutMs?: number;
}

/** The receiver's answer (QuickBooks deliveries do not report Set-Cookie). */
export type WebhookResult = Omit<WebhookDelivery, 'setCookie'>;

export const QBO_WEBHOOK_TIMEOUT_MS = 3000;

const PAST: Record<WebhookOperation, string> = {
  Create: 'created', Update: 'updated', Delete: 'deleted', Merge: 'merged', Void: 'voided', Emailed: 'emailed',
};

export function sign(body: Buffer | string, verifierToken: string): string {
  return hmacSign(body, verifierToken);
}

export function legacyPayload(events: WebhookEventInput[], now: string): unknown {
  const byRealm = new Map<string, object[]>();
  for (const e of events) {
    const list = byRealm.get(e.realmId) ?? [];
    list.push({ name: e.name, id: e.id, operation: e.operation, lastUpdated: e.lastUpdated ?? now, ...(e.deletedId ? { deletedId: e.deletedId } : {}) });
    byRealm.set(e.realmId, list);
  }
  return { eventNotifications: [...byRealm].map(([realmId, entities]) => ({ realmId, dataChangeEvent: { entities } })) };
}

export function cloudEventsPayload(events: WebhookEventInput[], now: string): unknown {
  return events.map((e) => ({
    specversion: '1.0',
    id: randomUUID(),
    source: 'intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=',
    type: `qbo.${e.name.toLowerCase()}.${PAST[e.operation]}.v1`,
    datacontenttype: 'application/json',
    time: e.lastUpdated ?? now,
    intuitentityid: e.id,
    intuitaccountid: e.realmId,
    data: e.deletedId ? { deletedId: e.deletedId } : {},
  }));
}

function deliver(targetUrl: string, body: Buffer, signature: string, timeoutMs: number): Promise<WebhookResult> {
  return deliverWebhook(targetUrl, body, signature, {
    headers: { 'intuit-signature': signature, 'user-agent': 'Intuit-Webhooks/1.0 (sandbox)' },
    timeoutMs,
  });
}

export interface WebhookSender {
  send(targetUrl: string, events: WebhookEventInput[], opts?: SendWebhookOptions): Promise<WebhookResult>;
}

export function createWebhookSender(o: { verifierToken: string; now: () => number }): WebhookSender {
  return {
    async send(targetUrl, events, opts = {}) {
      if (events.length === 0) throw new Error('sendWebhook needs at least one event');
      const now = new Date(o.now()).toISOString();
      const payload = opts.format === 'cloudevents' ? cloudEventsPayload(events, now) : legacyPayload(events, now);
      const body = Buffer.from(JSON.stringify(payload), 'utf8');
      const signature = sign(body, opts.verifierToken ?? o.verifierToken);
      // Tampering: the receiver gets different (still valid JSON) bytes from the ones that were signed.
      const sent = opts.tamper ? Buffer.from(body.toString('utf8').replace(/^([[{])/, '$1 '), 'utf8') : body;
      return deliver(targetUrl, sent, signature, opts.timeoutMs ?? QBO_WEBHOOK_TIMEOUT_MS);
    },
  };
}
