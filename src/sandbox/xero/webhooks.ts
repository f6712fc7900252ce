// Sends webhook deliveries the way Xero does: a JSON body of events signed with
// base64(HMAC-SHA256(raw body, webhook key)) in `x-xero-signature`, plus the intent-to-receive probe.
// Xero's rules for receivers: answer within 5 s, 200 for a correctly signed payload and 401 otherwise,
// no response body and no cookies.
import { randomBytes, randomInt } from 'node:crypto';
import { deliverWebhook, hmacSign } from '../shared/webhooks.ts';
import type { WebhookDelivery } from '../shared/webhooks.ts';

export type WebhookEventCategory = 'CONTACT' | 'INVOICE' | 'CREDITNOTE' | 'SUBSCRIPTION';

export interface WebhookEventInput {
  tenantId: string;
  eventCategory: WebhookEventCategory;
  eventType: 'CREATE' | 'UPDATE';
  resourceId: string;
  /** Defaults to the sandbox's now, formatted as Xero does (`2024-06-21T01:15:39.902`). */
  eventDateUtc?: string;
  /** CREDITNOTE events carry `{ Type, Status }`; defaults to `{ Type: 'ACCRECCREDIT', Status: 'AUTHORISED' }`. */
  data?: Record<string, unknown>;
}

export interface SendWebhookOptions {
  /** Signing key (default: the sandbox's webhookKey). */
  key?: string;
  /** Alter the body after signing, so the signature no longer matches. */
  tamper?: boolean;
  /** Give up after this many ms (default 5000, Xero's limit); a timeout reports status 0. */
  timeoutMs?: number;
}

/** The receiver's answer; `setCookie` is reported because Xero requires receivers to set none. */
export type WebhookResult = WebhookDelivery;

export interface IntentToReceiveResult extends WebhookResult {
  /** 200 for a correctly signed probe, 401 for a wrongly signed one. */
  expected: 200 | 401;
  /** True when the receiver answered as Xero requires (status, ≤ 5 s, no body, no cookies). */
  ok: boolean;
  /** Why `ok` is false (empty when ok). */
  problems: string[];
}

export const XERO_WEBHOOK_TIMEOUT_MS = 5000;

const RESOURCE_PATH: Record<WebhookEventCategory, string> = {
  CONTACT: '/api.xro/2.0/Contacts/',
  INVOICE: '/api.xro/2.0/Invoices/',
  CREDITNOTE: '/api.xro/2.0/CreditNotes/',
  SUBSCRIPTION: '/appstore/2.0/subscriptions/',
};

export function sign(body: Buffer | string, key: string): string {
  return hmacSign(body, key);
}

/** Xero's entropy strings are 20 upper-case letters. */
export function entropy(): string {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return Array.from({ length: 20 }, () => A[randomInt(A.length)] ?? 'X').join('');
}

/** `2024-06-21T01:15:39.902` (UTC, no zone), as in Xero's payloads. */
export function eventDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23);
}

export interface WebhookSender {
  send(targetUrl: string, events: WebhookEventInput[], opts?: SendWebhookOptions): Promise<WebhookResult>;
  intentToReceive(targetUrl: string, opts: { valid: boolean; timeoutMs?: number }): Promise<IntentToReceiveResult>;
  /** Sequence number of the last event sent (0 before any). */
  readonly lastSequence: number;
}

function deliver(targetUrl: string, body: Buffer, signature: string, timeoutMs: number): Promise<WebhookResult> {
  return deliverWebhook(targetUrl, body, signature, { headers: { 'x-xero-signature': signature }, timeoutMs, reportCookie: true });
}

export function createWebhookSender(o: { apiUrl: string; webhookKey: string; now: () => number }): WebhookSender {
  let sequence = 0;
  return {
    get lastSequence() { return sequence; },
    async send(targetUrl, events, opts = {}) {
      if (events.length === 0) throw new Error('sendWebhook needs at least one event (use sendIntentToReceive for the empty probe)');
      const first = sequence + 1;
      sequence += events.length;
      const when = eventDate(o.now());
      const payload = {
        events: events.map((e) => ({
          resourceUrl: `${o.apiUrl}${RESOURCE_PATH[e.eventCategory]}${e.resourceId}`,
          resourceId: e.resourceId,
          eventDateUtc: e.eventDateUtc ?? when,
          eventType: e.eventType,
          eventCategory: e.eventCategory,
          tenantId: e.tenantId,
          // Subscription events are about the app, not an organisation (xero-webhooks.yaml).
          tenantType: e.eventCategory === 'SUBSCRIPTION' ? 'APPLICATION' : 'ORGANISATION',
          ...(e.eventCategory === 'CREDITNOTE' ? { data: e.data ?? { Type: 'ACCRECCREDIT', Status: 'AUTHORISED' } } : {}),
        })),
        firstEventSequence: first,
        lastEventSequence: sequence,
        entropy: entropy(),
      };
      const body = Buffer.from(JSON.stringify(payload), 'utf8');
      const signature = sign(body, opts.key ?? o.webhookKey);
      // Tampering: the receiver gets different bytes from the ones that were signed.
      const sent = opts.tamper ? Buffer.from(body.toString('utf8').replace(/"entropy":"[A-Z]/, '"entropy":"!'), 'utf8') : body;
      return deliver(targetUrl, sent, signature, opts.timeoutMs ?? XERO_WEBHOOK_TIMEOUT_MS);
    },
    async intentToReceive(targetUrl, opts) {
      const body = Buffer.from(JSON.stringify({ events: [], firstEventSequence: 0, lastEventSequence: 0, entropy: entropy() }), 'utf8');
      const key = opts.valid ? o.webhookKey : randomBytes(48).toString('base64');
      const limit = opts.timeoutMs ?? XERO_WEBHOOK_TIMEOUT_MS;
      const r = await deliver(targetUrl, body, sign(body, key), limit);
      const expected = opts.valid ? 200 : 401;
      const problems: string[] = [];
      if (r.timedOut) problems.push(`no answer within ${limit} ms`);
      else if (r.ms > XERO_WEBHOOK_TIMEOUT_MS) problems.push(`answered after ${Math.round(r.ms)} ms (Xero allows ${XERO_WEBHOOK_TIMEOUT_MS})`);
      if (!r.timedOut && r.status !== expected) problems.push(`answered ${r.status || r.error || 'nothing'}, expected ${expected}`);
      if (r.body !== '') problems.push('response has a body');
      if (r.setCookie) problems.push('response sets cookies');
      return { ...r, expected, ok: problems.length === 0, problems };
    },
  };
}
