// Looking documents up at QuickBooks Online by Id, DocNumber and reference: queries on Invoice,
// Bill and CreditMemo. QuickBooks cannot filter on PrivateNote (where Ledgerport writes
// "Reference …"), so references are matched here among the documents of the date range.
// Only reads: used to settle a write whose requestid QuickBooks may have forgotten, and by
// reconciliations.
import type { DocumentQuery, NumberedKind, ProviderDocument, ProviderDocumentState, ProviderSession } from '../types.ts';
import { qboLiteral, query, type QuickBooksClientDeps } from './client.ts';
import { ENTITY_OF } from './mapping.ts';
import { invoiceStatus } from './send.ts';

const PAGE_SIZE = 1000;
const IN_CHUNK = 30;

interface QboDocument {
  Id: string;
  DocNumber?: string;
  PrivateNote?: string;
  TxnDate?: string;
  TotalAmt?: number;
  Balance?: number;
  RemainingCredit?: number;
  CurrencyRef?: { value: string };
  CustomerRef?: { value: string; name?: string };
  VendorRef?: { value: string; name?: string };
  MetaData?: { LastUpdatedTime?: string };
}

/** The reference Ledgerport wrote into PrivateNote ("Reference SO-77"), else null. */
export function referenceOf(privateNote: string | undefined): string | null {
  const match = /^Reference (.+)$/s.exec(privateNote ?? '');
  return match?.[1]?.trim() || null;
}

const money = (n: number | undefined) => (n === undefined ? null : (Math.round(n * 100) / 100).toFixed(2));

function toDocument(kind: NumberedKind, d: QboDocument): ProviderDocument {
  let status: string;
  let state: ProviderDocumentState;
  const voided = /^Voided/.test(d.PrivateNote ?? '') && (d.TotalAmt ?? 0) === 0;
  if (kind === 'sales_invoice') {
    status = invoiceStatus(d);
    state = status === 'Voided' ? 'voided' : status === 'Paid' ? 'paid' : 'open';
  } else if (voided) {
    status = 'Voided';
    state = 'voided';
  } else {
    const left = kind === 'credit_note' ? d.RemainingCredit : d.Balance;
    const paid = left !== undefined && left <= 0 && (d.TotalAmt ?? 0) > 0;
    status = paid ? 'Paid' : 'Open';
    state = paid ? 'paid' : 'open';
  }
  return {
    providerId: d.Id,
    kind,
    number: d.DocNumber || null,
    reference: referenceOf(d.PrivateNote),
    contactName: (kind === 'supplier_bill' ? d.VendorRef?.name : d.CustomerRef?.name) ?? null,
    issueDate: d.TxnDate ?? null,
    currency: d.CurrencyRef?.value ?? null,
    total: money(d.TotalAmt),
    status,
    state,
    updatedAt: d.MetaData?.LastUpdatedTime ? new Date(d.MetaData.LastUpdatedTime) : null,
  };
}

export async function quickBooksFindDocuments(deps: QuickBooksClientDeps, session: ProviderSession, q: DocumentQuery): Promise<ProviderDocument[]> {
  const entity = ENTITY_OF[q.kind];
  const dates = [...(q.dateFrom ? [`TxnDate >= ${qboLiteral(q.dateFrom)}`] : []), ...(q.dateTo ? [`TxnDate <= ${qboLiteral(q.dateTo)}`] : [])];
  const select = async (conditions: string[]): Promise<QboDocument[]> => {
    const rows: QboDocument[] = [];
    const where = conditions.length > 0 ? ` where ${conditions.join(' and ')}` : '';
    for (let start = 1; ; start += PAGE_SIZE) {
      const page = await query<QboDocument>(deps, session, entity, `select * from ${entity}${where} orderby TxnDate STARTPOSITION ${start} MAXRESULTS ${PAGE_SIZE}`);
      rows.push(...page);
      if (page.length < PAGE_SIZE) return rows;
    }
  };
  const found = new Map<string, QboDocument>();
  const keep = (rows: QboDocument[]) => rows.forEach((r) => found.set(r.Id, r));
  const ids = q.ids ?? [];
  const numbers = q.numbers ?? [];
  const references = new Set(q.references ?? []);
  const selective = ids.length + numbers.length + references.size > 0;
  for (let i = 0; i < ids.length; i += IN_CHUNK) keep(await select([`Id in (${ids.slice(i, i + IN_CHUNK).map(qboLiteral).join(', ')})`, ...dates]));
  for (let i = 0; i < numbers.length; i += IN_CHUNK) keep(await select([`DocNumber in (${numbers.slice(i, i + IN_CHUNK).map(qboLiteral).join(', ')})`, ...dates]));
  if (!selective || references.size > 0) {
    // Every document of the range: all of them when nothing narrows it, else those with one of the references.
    const all = await select(dates);
    keep(selective ? all.filter((d) => { const r = referenceOf(d.PrivateNote); return r !== null && references.has(r); }) : all);
  }
  return [...found.values()].map((d) => toDocument(q.kind, d));
}
