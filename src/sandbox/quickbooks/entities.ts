// Create, update (full or sparse), delete and read of entities, with SyncToken checks.
import { READ_ONLY, unknownField, WRITABLE } from './fields.ts';
import { deleteRecord, voidRecord } from './lifecycle.ts';
import { applyLinks, relink, targetsOf } from './links.ts';
import { buildName, claimName } from './names.ts';
import { buildPayment } from './payments.ts';
import type { NameEntity } from './names.ts';
import { err, QboError } from './qbo-format.ts';
import { isObject, withoutNulls } from './refs.ts';
import { allocateId, reserveId, serialize, table, wholeSecond } from './store.ts';
import type { CompanyState } from './store.ts';
import { buildTransaction } from './transactions.ts';
import type { TxnEntity } from './transactions.ts';
import type { EntityName, EntityRecord, JsonObject } from './types.ts';

/** URL segment (`/v3/company/{realmId}/invoice`) → entity, for entities that can be read. */
export const READABLE: Record<string, EntityName> = {
  account: 'Account', taxcode: 'TaxCode', taxrate: 'TaxRate', item: 'Item', customer: 'Customer', vendor: 'Vendor',
  invoice: 'Invoice', bill: 'Bill', purchaseorder: 'PurchaseOrder', payment: 'Payment', creditmemo: 'CreditMemo',
  refundreceipt: 'RefundReceipt',
};
/** Entities the API writes (create/update, and delete for transactions). */
export const WRITE_ENTITIES = new Set<EntityName>(['Customer', 'Vendor', 'Item', 'Invoice', 'Bill', 'PurchaseOrder', 'Payment',
  'CreditMemo', 'RefundReceipt']);

export type Operation = 'create' | 'update' | 'delete' | 'void';

export function entityByName(name: string): EntityName | undefined {
  return READABLE[name.toLowerCase()];
}

/** Build the stored data for `entity` (validation included). */
export function buildData(s: CompanyState, entity: EntityName, d: JsonObject, selfId: string | undefined, nowMs: number, base?: JsonObject): JsonObject {
  if (entity === 'Customer' || entity === 'Vendor') return buildName(s, entity, d, selfId, base);
  if (entity === 'Payment') return buildPayment(s, d, selfId, nowMs);
  if (entity === 'Invoice' || entity === 'Bill' || entity === 'PurchaseOrder' || entity === 'CreditMemo' || entity === 'RefundReceipt') {
    const data = buildTransaction(s, entity, d, selfId, nowMs);
    if (entity === 'Invoice' || entity === 'CreditMemo') applyLinks(s, entity, data, selfId);
    return data;
  }
  return { ...base, ...d };
}

export function checkFields(entity: EntityName, body: JsonObject): void {
  const writable = WRITABLE[entity];
  for (const k of Object.keys(body)) {
    if (writable?.has(k) || READ_ONLY.has(k)) continue;
    const u = unknownField(entity, k);
    throw new QboError(u.code, u.message, u.detail, k);
  }
}

/** The fields a write sets: read-only echoes dropped (TotalAmt is read-only except on a Payment, where it is the amount received). */
export function input(body: JsonObject, entity?: EntityName): JsonObject {
  const writable = entity ? WRITABLE[entity] : undefined;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(body)) if (!READ_ONLY.has(k) || writable?.has(k)) out[k] = v;
  return out;
}

/** Record a change: new data, SyncToken + 1, LastUpdatedTime = `updatedMs`. */
export function commit(s: CompanyState, entity: EntityName, rec: EntityRecord, data: JsonObject, updatedMs: number): void {
  if (entity === 'Customer' || entity === 'Vendor') {
    claimName(s, entity as NameEntity, rec.Id, rec.data.DisplayName as string | undefined, String(data.DisplayName));
  }
  rec.data = data;
  rec.syncToken++;
  rec.updatedMs = updatedMs;
}

export function insert(s: CompanyState, entity: EntityName, data: JsonObject, times: { createdMs: number; updatedMs: number }, id?: string): EntityRecord {
  const Id = id ?? allocateId(s, entity);
  if (id !== undefined) reserveId(s, entity, id);
  const rec: EntityRecord = { Id, syncToken: 0, createdMs: times.createdMs, updatedMs: times.updatedMs, data };
  table(s, entity).set(Id, rec);
  if (entity === 'Customer' || entity === 'Vendor') claimName(s, entity, Id, undefined, String(data.DisplayName));
  return rec;
}

function current(s: CompanyState, entity: EntityName, body: JsonObject): EntityRecord {
  if (body.Id === undefined || body.Id === null || body.Id === '') throw err.required('Id');
  const id = String(body.Id);
  const rec = table(s, entity).get(id);
  if (!rec || rec.deleted) throw err.notFound(entity, id);
  if (body.SyncToken === undefined || body.SyncToken === null) throw err.required('SyncToken');
  if (String(body.SyncToken) !== String(rec.syncToken)) throw err.stale(entity, id);
  return rec;
}

/**
 * One API write. Returns the body QuickBooks answers with (`{ [entity]: ... }` without `time`).
 * `include` is `?include=` on the entity endpoint or `optionsData` in a batch item: `void` turns an
 * update into a void (Payment, Invoice).
 */
export function writeEntity(s: CompanyState, entity: EntityName, body: unknown, operation: string | undefined, nowMs: number, include?: string): JsonObject {
  if (!WRITE_ENTITIES.has(entity)) throw err.invalid('operation', `writes to ${entity} are not supported by the sandbox`);
  if (!isObject(body)) throw err.invalid(entity, 'the request body must be a JSON object');
  checkFields(entity, body);
  let op = operation ?? (body.Id !== undefined && body.Id !== null ? 'update' : 'create');
  if (op === 'update' && include === 'void') op = 'void';
  const now = wholeSecond(nowMs);
  if (op === 'create') {
    const data = buildData(s, entity, withoutNulls(input(body, entity)), undefined, nowMs);
    const rec = insert(s, entity, data, { createdMs: now, updatedMs: now });
    if (entity === 'Payment') relink(s, targetsOf(rec.data), nowMs);
    return { [entity]: serialize(rec) };
  }
  if (op === 'update') {
    const rec = current(s, entity, body);
    if (rec.voided) throw err.business(`This ${entity} has been voided and can't be changed.`);
    const given = input(body, entity);
    let merged: JsonObject;
    if (body.sparse === true) {
      merged = { ...rec.data, ...given };
      for (const [k, v] of Object.entries(given)) if (v === null) delete merged[k];
    } else {
      merged = withoutNulls(given);
    }
    const before = entity === 'Payment' ? targetsOf(rec.data) : [];
    const data = buildData(s, entity, merged, rec.Id, nowMs, rec.data);
    commit(s, entity, rec, data, Math.max(now, rec.updatedMs));
    if (entity === 'Payment') relink(s, [...before, ...targetsOf(rec.data)], nowMs);
    return { [entity]: serialize(rec) };
  }
  if (op === 'void') {
    const rec = current(s, entity, body);
    voidRecord(s, entity, rec, nowMs);
    return { [entity]: serialize(rec) };
  }
  if (op === 'delete') {
    const rec = current(s, entity, body);
    deleteRecord(s, entity, rec, nowMs);
    return { [entity]: { status: 'Deleted', domain: 'QBO', Id: rec.Id } };
  }
  throw err.invalid('operation', `${op} is not one of create, update, delete, void`);
}

/** `GET /v3/company/{realmId}/{entity}/{id}`. */
export function readEntity(s: CompanyState, entity: EntityName, id: string): JsonObject {
  const rec = table(s, entity).get(id);
  if (!rec || rec.deleted) throw err.notFound(entity, id);
  return { [entity]: serialize(rec) };
}

/**
 * A change made "in QuickBooks" (test control): sparse merge, validation as for the API, SyncToken + 1,
 * LastUpdatedTime moved strictly forward (at least one second past the previous value).
 */
export function patchEntity(s: CompanyState, entity: EntityName, id: string, patch: JsonObject, nowMs: number): JsonObject {
  const rec = table(s, entity).get(id);
  if (!rec || rec.deleted) throw new Error(`no ${entity} ${id}`);
  if (WRITABLE[entity]) checkFields(entity, patch);
  const merged: JsonObject = { ...rec.data, ...input(patch, entity) };
  for (const [k, v] of Object.entries(patch)) if (v === null) delete merged[k];
  const before = entity === 'Payment' ? targetsOf(rec.data) : [];
  const data = buildData(s, entity, merged, rec.Id, nowMs, rec.data);
  commit(s, entity, rec, data, Math.max(wholeSecond(nowMs), rec.updatedMs + 1000));
  if (entity === 'Payment') relink(s, [...before, ...targetsOf(rec.data)], nowMs, true);
  return serialize(rec);
}

/** Delete a transaction "in QuickBooks" (test control); it stays as a tombstone for CDC. */
export function removeEntity(s: CompanyState, entity: EntityName, id: string, nowMs: number): void {
  const rec = table(s, entity).get(id);
  if (!rec || rec.deleted) throw new Error(`no ${entity} ${id}`);
  try {
    deleteRecord(s, entity, rec, nowMs, true);
  } catch (e) {
    throw e instanceof QboError ? new Error(`${entity} ${id} cannot be deleted in QuickBooks: ${e.message}`) : e;
  }
}

/** Void a transaction "in QuickBooks" (test control): zero amounts, "Voided" in PrivateNote. */
export function voidEntity(s: CompanyState, entity: EntityName, id: string, nowMs: number): JsonObject {
  const rec = table(s, entity).get(id);
  if (!rec || rec.deleted) throw new Error(`no ${entity} ${id}`);
  voidRecord(s, entity, rec, nowMs, true);
  return serialize(rec);
}
