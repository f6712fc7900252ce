import type pg from 'pg';
import type { Ack } from './platform.ts';
import { finalVersion, linesOf, totalPence, type ChaosPlan } from './plan.ts';
import { heldDocuments, heldPayments, type Sandboxes } from './sandboxes.ts';

/**
 * The checks after the chaos phase settled, each against an independent witness: what the
 * platform got a 2xx for (its own record), what Ledgerport stored (its database), and what the
 * provider holds (the sandbox's own records, by document number and payment reference).
 */
export interface DocRow {
  tenant_id: string;
  kind: string;
  source_id: string;
  status: string;
  source_version: number;
  synced_version: number | null;
  status_reason: string | null;
}

export async function readDocuments(db: pg.Client, tenants: readonly string[]): Promise<Map<string, DocRow>> {
  const { rows } = await db.query<DocRow>(
    'select tenant_id, kind, source_id, status, source_version, synced_version, status_reason from documents where tenant_id = any($1)',
    [tenants],
  );
  return new Map(rows.map((r) => [`${r.tenant_id}/${r.kind}/${r.source_id}`, r]));
}

/** Acknowledged deliveries whose event or document is not in the database (or holds an older version than acknowledged). */
export async function lostDeliveries(db: pg.Client, acks: Iterable<Ack>, docs: Map<string, DocRow>): Promise<{ accepted: number; lost: { id: string; why: string }[] }> {
  const list = [...acks];
  const { rows } = await db.query<{ delivery_id: string }>("select delivery_id from inbound_events where source = 'ops' and delivery_id = any($1)", [list.map((a) => a.id)]);
  const stored = new Set(rows.map((r) => r.delivery_id));
  const lost: { id: string; why: string }[] = [];
  for (const ack of list) {
    const doc = docs.get(`${ack.meta.tenantId}/${ack.meta.kind}/${ack.meta.sourceId}`);
    if (!stored.has(ack.id)) lost.push({ id: ack.id, why: `answered ${ack.status} but no inbound event` });
    else if (!doc) lost.push({ id: ack.id, why: `answered ${ack.status} but no document ${ack.meta.kind} ${ack.meta.sourceId}` });
    else if (doc.source_version < ack.meta.version) lost.push({ id: ack.id, why: `answered ${ack.status} for version ${ack.meta.version}, document holds ${doc.source_version}` });
  }
  return { accepted: list.length, lost };
}

export interface ChaosFindings {
  readonly sourceDocuments: { invoices: number; bills: number; payments: number };
  /** Source documents (a Xero payment: each allocation) held exactly once, not at all, more than once. */
  readonly exactlyOnce: number;
  readonly missing: string[];
  readonly duplicated: string[];
  readonly notFinal: { key: string; why: string }[];
  readonly voided: number;
}

/** Per source document: how many provider records, and whether Ledgerport and the provider both hold its final state. */
export function checkDocuments(plan: ChaosPlan, acks: Iterable<Ack>, docs: Map<string, DocRow>, sandboxes: Sandboxes): ChaosFindings {
  const acked = new Map<string, number>();
  for (const a of acks) {
    const key = `${a.meta.tenantId}/${a.meta.kind}/${a.meta.sourceId}`;
    acked.set(key, Math.max(acked.get(key) ?? 0, a.meta.version));
  }
  const held = new Map(plan.tenants.map((t) => [t.id, heldDocuments(sandboxes, t)]));
  const paid = new Map(plan.tenants.map((t) => [t.id, heldPayments(sandboxes, t)]));
  const missing: string[] = [];
  const duplicated: string[] = [];
  const notFinal: { key: string; why: string }[] = [];
  let exactlyOnce = 0;
  let voided = 0;
  const lp = (key: string) => {
    const d = docs.get(key);
    return d ? `${d.status} v${d.source_version}${d.synced_version ? ` (provider has v${d.synced_version})` : ''}${d.status_reason ? `: ${d.status_reason.slice(0, 160)}` : ''}` : 'absent';
  };

  for (const doc of plan.documents) {
    const version = acked.get(doc.key) ?? 0;
    const expectVoid = doc.voids && version === finalVersion(doc);
    if (expectVoid) voided++;
    const records = held.get(doc.tenant.id)!.get(`${doc.kind}:${doc.number}`) ?? [];
    if (records.length === 1) exactlyOnce++;
    else if (records.length === 0) missing.push(`${doc.key} (${doc.number}; Ledgerport: ${lp(doc.key)})`);
    else duplicated.push(`${doc.key} (${doc.number} ×${records.length})`);

    const row = docs.get(doc.key);
    const why: string[] = [];
    if (version < finalVersion(doc)) why.push(`the platform got no 2xx beyond version ${version} of ${finalVersion(doc)}`);
    if (!row) why.push('not in Ledgerport');
    else if (expectVoid ? row.status !== 'voided' || row.source_version !== version : row.status !== 'synced' || row.synced_version !== version) why.push(`Ledgerport: ${lp(doc.key)}`);
    if (records.length === 1) {
      const r = records[0]!;
      if (expectVoid && r.state === 'live') why.push('live at the provider, should be voided');
      if (!expectVoid && r.state !== 'live') why.push(`${r.state} at the provider`);
      const want = totalPence(linesOf(doc, version));
      if (!expectVoid && r.state === 'live' && r.totalPence !== want) why.push(`provider total ${(r.totalPence / 100).toFixed(2)}, version ${version} totals ${(want / 100).toFixed(2)}`);
    }
    if (why.length > 0) notFinal.push({ key: doc.key, why: why.join('; ') });
  }

  let paymentSources = 0;
  for (const payment of plan.payments) {
    const records = paid.get(payment.tenant.id)!.get(payment.reference) ?? [];
    const numbers = payment.invoices.map((i) => i.number);
    const why: string[] = [];
    if (payment.tenant.provider === 'xero') {
      // One Xero payment per allocation: each allocation is a provider document of its own.
      for (const number of numbers) {
        paymentSources++;
        const n = records.filter((r) => r.invoiceNumbers.includes(number)).length;
        if (n === 1) exactlyOnce++;
        else if (n === 0) missing.push(`${payment.key} on ${number} (Ledgerport: ${lp(payment.key)})`);
        else duplicated.push(`${payment.key} on ${number} ×${n}`);
      }
      if (records.some((r) => r.pence !== Math.round(Number(payment.perInvoice) * 100))) why.push('a Xero payment has the wrong amount');
    } else {
      paymentSources++;
      if (records.length === 1) exactlyOnce++;
      else if (records.length === 0) missing.push(`${payment.key} (Ledgerport: ${lp(payment.key)})`);
      else duplicated.push(`${payment.key} ×${records.length}`);
      if (records.length === 1 && [...records[0]!.invoiceNumbers].sort().join(',') !== [...numbers].sort().join(',')) why.push(`applied to ${records[0]!.invoiceNumbers.join(', ')}, not ${numbers.join(', ')}`);
    }
    const row = docs.get(payment.key);
    if (!acked.has(payment.key)) why.push('never acknowledged (or never sent)');
    if (!row || row.status !== 'synced') why.push(`Ledgerport: ${lp(payment.key)}`);
    if (why.length > 0) notFinal.push({ key: payment.key, why: why.join('; ') });
  }

  const invoices = plan.documents.filter((d) => d.kind === 'sales_invoice').length;
  return {
    sourceDocuments: { invoices, bills: plan.documents.length - invoices, payments: paymentSources },
    exactlyOnce,
    missing,
    duplicated,
    notFinal,
    voided,
  };
}

/** Documents of the planned set that Ledgerport does not yet show in their final state (cheap: database only; for the settle loop). */
export function pendingInLedgerport(plan: ChaosPlan, acks: Iterable<Ack>, docs: Map<string, DocRow>): number {
  const acked = new Map<string, number>();
  for (const a of acks) {
    const key = `${a.meta.tenantId}/${a.meta.kind}/${a.meta.sourceId}`;
    acked.set(key, Math.max(acked.get(key) ?? 0, a.meta.version));
  }
  let pending = 0;
  for (const doc of plan.documents) {
    const version = acked.get(doc.key) ?? 0;
    const row = docs.get(doc.key);
    const expectVoid = doc.voids && version === finalVersion(doc);
    if (version < finalVersion(doc) || !row) pending++;
    else if (expectVoid ? row.status !== 'voided' : row.status !== 'synced' || row.synced_version !== version) pending++;
  }
  for (const p of plan.payments) if (docs.get(p.key)?.status !== 'synced') pending++;
  return pending;
}

export function statusCounts(docs: Map<string, DocRow>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of docs.values()) counts[d.status] = (counts[d.status] ?? 0) + 1;
  return counts;
}
