// Test-side data helpers: bulk contacts inserted directly (fast enough for 5,000+), and changes
// "made at Xero" to contacts and purchase orders. Each change bumps UpdatedDateUTC strictly forward.
import { randomUUID } from 'node:crypto';
import { runBatch } from './batch.ts';
import { CONTACT_FIELDS, contactJson } from './contacts.ts';
import { purchaseOrderJson, upsertPurchaseOrder } from './purchase-orders.ts';
import type { OrgState } from './store.ts';
import type { ContactRecord, Json, JsonObject } from './types.ts';
import { parseInstant } from './xero-format.ts';

type Instant = string | number | Date;

/** A contact as Xero's JSON would show it; everything is optional. */
export interface SeedContact {
  ContactID?: string;
  Name?: string;
  ContactStatus?: ContactRecord['ContactStatus'];
  IsCustomer?: boolean;
  IsSupplier?: boolean;
  EmailAddress?: string;
  TaxNumber?: string;
  Phones?: JsonObject[];
  Addresses?: JsonObject[];
  /** Defaults to the sandbox's now. */
  UpdatedDateUTC?: Instant;
  [field: string]: unknown;
}

/** A purchase order as sent to PUT /PurchaseOrders, plus optional PurchaseOrderID and UpdatedDateUTC. */
export interface SeedPurchaseOrder {
  PurchaseOrderID?: string;
  UpdatedDateUTC?: Instant;
  [field: string]: unknown;
}

const OWN = new Set(['ContactID', 'Name', 'ContactStatus', 'IsCustomer', 'IsSupplier', 'UpdatedDateUTC', 'HasAttachments', 'HasValidationErrors']);
const STATUSES = new Set(['ACTIVE', 'ARCHIVED', 'GDPRREQUEST']);

function instant(v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  const t = parseInstant(v);
  if (t === null) throw new Error(`UpdatedDateUTC ${String(v)} is not a date`);
  return t;
}

function applyContact(base: ContactRecord, patch: SeedContact, updatedMs: number): ContactRecord {
  const fields: JsonObject = { ...base.fields };
  for (const [k, v] of Object.entries(patch)) {
    if (OWN.has(k)) continue;
    if (!CONTACT_FIELDS.has(k)) throw new Error(`unknown Contact field '${k}'`);
    if (v === null || v === undefined) delete fields[k];
    else fields[k] = v as Json;
  }
  const status = patch.ContactStatus ?? base.ContactStatus;
  if (!STATUSES.has(status)) throw new Error(`ContactStatus '${String(status)}' is not valid`);
  return {
    ContactID: base.ContactID,
    ContactStatus: status,
    Name: (patch.Name ?? base.Name).trim(),
    fields,
    IsCustomer: patch.IsCustomer ?? base.IsCustomer,
    IsSupplier: patch.IsSupplier ?? base.IsSupplier,
    updatedMs,
  };
}

const nameKey = (n: string): string => n.trim().toLowerCase();

/** Insert contacts directly (no API call, no per-item scan). Active names must stay unique, as at Xero. */
export function seedContacts(org: OrgState, list: SeedContact[], now: number): JsonObject[] {
  const active = new Set<string>();
  for (const c of org.contacts.values()) if (c.ContactStatus === 'ACTIVE') active.add(nameKey(c.Name));
  const records: ContactRecord[] = [];
  const ids = new Set<string>();
  list.forEach((input, i) => {
    const id = (input.ContactID ?? randomUUID()).toLowerCase();
    if (org.contacts.has(id) || ids.has(id)) throw new Error(`contact ${id} already exists`);
    ids.add(id);
    const base: ContactRecord = {
      ContactID: id, ContactStatus: 'ACTIVE', Name: input.Name ?? `Contact ${org.contacts.size + i + 1}`,
      fields: {}, IsCustomer: false, IsSupplier: false, updatedMs: now,
    };
    const rec = applyContact(base, input, instant(input.UpdatedDateUTC, now));
    if (rec.Name === '') throw new Error(`contact ${i}: the contact name must be specified`);
    if (rec.ContactStatus === 'ACTIVE') {
      if (active.has(nameKey(rec.Name))) throw new Error(`contact name '${rec.Name}' is already assigned to another active contact`);
      active.add(nameKey(rec.Name));
    }
    records.push(rec);
  });
  for (const r of records) org.contacts.set(r.ContactID, r);
  return records.map((r) => contactJson(r));
}

/** Change a contact as a Xero user would; fields given as null are removed. */
export function patchContact(org: OrgState, contactId: string, patch: SeedContact, now: number): JsonObject {
  const existing = org.contacts.get(contactId.toLowerCase());
  if (!existing) throw new Error(`unknown contact ${contactId}`);
  const rec = applyContact(existing, patch, instant(patch.UpdatedDateUTC, Math.max(now, existing.updatedMs + 1)));
  if (rec.ContactStatus === 'ACTIVE') {
    const key = nameKey(rec.Name);
    for (const c of org.contacts.values()) {
      if (c.ContactID !== rec.ContactID && c.ContactStatus === 'ACTIVE' && nameKey(c.Name) === key) {
        throw new Error(`contact name '${rec.Name}' is already assigned to another active contact`);
      }
    }
  }
  org.contacts.set(rec.ContactID, rec);
  return contactJson(rec);
}

function failed(body: JsonObject): Error {
  const els = Array.isArray(body.Elements) ? body.Elements : [];
  const msgs = els.flatMap((e) => {
    const errs = (e as JsonObject).ValidationErrors;
    return Array.isArray(errs) ? errs.map((x) => String((x as JsonObject).Message)) : [];
  });
  return new Error(`purchase order rejected: ${msgs.join('; ')}`);
}

/** Create purchase orders with Xero's validation (any status allowed); all or none. */
export function seedPurchaseOrders(org: OrgState, list: SeedPurchaseOrder[], now: number): JsonObject[] {
  const stamps: (number | undefined)[] = list.map((p) => (p.UpdatedDateUTC === undefined ? undefined : instant(p.UpdatedDateUTC, now)));
  const items = list.map(({ UpdatedDateUTC: _u, PurchaseOrderID: _id, ...rest }) => rest);
  const ids: string[] = [];
  const res = runBatch(org, 'PurchaseOrders', items, true, now, (item, i) => {
    const newId = list[i]?.PurchaseOrderID;
    if (newId !== undefined && org.purchaseOrders.has(newId.toLowerCase())) return { ok: false, errors: [`purchase order ${newId} already exists`], echo: item };
    const r = upsertPurchaseOrder(org, item, undefined, { now: stamps[i] ?? now, unitdp: 4, anyStatus: true, ...(newId ? { newId } : {}) });
    if (r.ok) ids.push(String(r.out.PurchaseOrderID));
    return r;
  });
  if (res.status !== 200) throw failed(res.body);
  return ids.map((id) => {
    const po = org.purchaseOrders.get(id);
    if (!po) throw new Error(`purchase order ${id} vanished`);
    return purchaseOrderJson(org, po);
  });
}

/** Change a purchase order as a Xero user would (e.g. `{ Status: 'BILLED' }`), bumping UpdatedDateUTC. */
export function patchPurchaseOrder(org: OrgState, id: string, patch: SeedPurchaseOrder, now: number): JsonObject {
  const existing = org.purchaseOrders.get(id.toLowerCase());
  if (!existing) throw new Error(`unknown purchase order ${id}`);
  const { UpdatedDateUTC: stamp, PurchaseOrderID: _id, ...rest } = patch;
  const at = instant(stamp, Math.max(now, existing.updatedMs + 1));
  const res = runBatch(org, 'PurchaseOrders', [rest], true, at, (item) => upsertPurchaseOrder(org, item, existing, { now: at, unitdp: 4, anyStatus: true }));
  if (res.status !== 200) throw failed(res.body);
  const po = org.purchaseOrders.get(existing.PurchaseOrderID);
  if (!po) throw new Error(`purchase order ${id} vanished`);
  return purchaseOrderJson(org, po);
}
