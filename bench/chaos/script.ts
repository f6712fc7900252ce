import type { Delivery, Platform } from './platform.ts';
import { documentEvent, finalVersion, paymentEvent, type ChaosPlan, type DocumentPlan, type PaymentPlan } from './plan.ts';
import type { Rng } from './rng.ts';

/**
 * What the platform does over the chaos phase, by the plan: each document's version 1 at its
 * time (an early edit a moment behind it, before any answer, so the two may arrive in either
 * order), and the rest as the platform learns from the change feed that the document is synced:
 * a late edit once version 1 is, a void or the document's share of a payment once its last
 * edit is. Every delivery is retried until acknowledged (platform.ts).
 */
interface DocState {
  sent: number;
  synced: number;
  voidedSeen: boolean;
  ready: boolean;
}

export interface Script {
  start(): void;
  /** From the change feed: `document.synced` (version) or `document.voided`. */
  onFeed(tenantId: string, type: string, data: Record<string, unknown>): void;
  /** Deliveries the plan still has to make (not yet handed to the platform). */
  unsent(): { documents: number; payments: number; keys: string[] };
  /** Every version 1 was acknowledged. */
  createsAcknowledged(): boolean;
  readonly feedFailures: { key: string; data: Record<string, unknown> }[];
  readonly deliveries: Promise<unknown>[];
  stop(): void;
}

export function createScript(plan: ChaosPlan, platform: Platform, rng: Rng): Script {
  const byKey = new Map(plan.documents.map((d) => [d.key, d]));
  const state = new Map<string, DocState>(plan.documents.map((d) => [d.key, { sent: 0, synced: 0, voidedSeen: false, ready: false }]));
  const payments = new Map(plan.payments.map((p) => [p.key, p]));
  const paymentsSent = new Set<string>();
  const feedFailures: { key: string; data: Record<string, unknown> }[] = [];
  const deliveries: Promise<unknown>[] = [];
  const timers: NodeJS.Timeout[] = [];
  let createsAcked = 0;
  let stopped = false;

  const send = (delivery: Delivery) => {
    deliveries.push(platform.deliver(delivery));
  };
  const sendVersion = (doc: DocumentPlan, version: number, voided: boolean) => {
    const s = state.get(doc.key)!;
    s.sent = Math.max(s.sent, version);
    const p = platform.deliver({
      id: `msg_${doc.sourceId}_v${version}`,
      event: documentEvent(doc, version, voided),
      meta: { phase: 'chaos', tenantId: doc.tenant.id, kind: doc.kind, sourceId: doc.sourceId, version },
    });
    if (version === 1) void p.then((ack) => ack && createsAcked++);
    deliveries.push(p);
  };
  const sendPayment = (payment: PaymentPlan) => {
    paymentsSent.add(payment.key);
    send({
      id: `msg_${payment.sourceId}_v1`,
      event: paymentEvent(payment),
      meta: { phase: 'chaos', tenantId: payment.tenant.id, kind: 'payment', sourceId: payment.sourceId, version: 1 },
    });
  };
  const editVersion = (doc: DocumentPlan) => (doc.edit === 'none' ? 1 : 2);

  const advance = (doc: DocumentPlan) => {
    if (stopped) return;
    const s = state.get(doc.key)!;
    if (doc.edit === 'late' && s.sent === 1 && s.synced >= 1) {
      sendVersion(doc, 2, false);
      return;
    }
    if (s.synced < editVersion(doc) || s.sent !== editVersion(doc)) return;
    if (doc.voids) {
      sendVersion(doc, editVersion(doc) + 1, true);
      return;
    }
    if (doc.paymentKey && !s.ready) {
      s.ready = true;
      const payment = payments.get(doc.paymentKey)!;
      if (!paymentsSent.has(payment.key) && payment.invoices.every((inv) => state.get(inv.key)!.ready)) sendPayment(payment);
    }
  };

  return {
    feedFailures,
    deliveries,
    start() {
      for (const doc of plan.documents) {
        timers.push(setTimeout(() => !stopped && sendVersion(doc, 1, false), doc.sendAt));
        if (doc.edit === 'early') timers.push(setTimeout(() => !stopped && sendVersion(doc, 2, false), doc.sendAt + rng.int(0, 300)));
      }
    },
    onFeed(tenantId, type, data) {
      const key = `${tenantId}/${String(data.kind)}/${String(data.source_id)}`;
      if (type === 'document.failed') feedFailures.push({ key, data });
      const doc = byKey.get(key);
      if (!doc) return;
      const s = state.get(key)!;
      if (type === 'document.synced') s.synced = Math.max(s.synced, Number(data.version ?? 0));
      else if (type === 'document.voided') s.voidedSeen = true;
      else return;
      advance(doc);
    },
    unsent() {
      const keys: string[] = [];
      for (const doc of plan.documents) if (state.get(doc.key)!.sent < finalVersion(doc)) keys.push(doc.key);
      const docs = keys.length;
      for (const p of plan.payments) if (!paymentsSent.has(p.key)) keys.push(p.key);
      return { documents: docs, payments: keys.length - docs, keys };
    },
    createsAcknowledged: () => createsAcked === plan.documents.length,
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
    },
  };
}
