// Change data capture (`/cdc`) and the batch endpoint (`/batch`, ≤ 30 operations).
import { entityByName, writeEntity } from './entities.ts';
import { err, parseQboTime, QboError } from './qbo-format.ts';
import { runQuery } from './query.ts';
import { isObject } from './refs.ts';
import { serialize, table } from './store.ts';
import type { CompanyState } from './store.ts';
import type { EntityName, JsonObject } from './types.ts';

export const MAX_BATCH_ITEMS = 30;
const CDC_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
const CDC_MAX_PER_ENTITY = 1000;

/** `GET /cdc?entities=Customer,Vendor&changedSince=...`: changes (including deletions) since a time, oldest first. */
export function runCdc(s: CompanyState, entitiesParam: string | undefined, changedSince: string | undefined, nowMs: number): JsonObject {
  if (!entitiesParam) throw err.required('entities');
  if (!changedSince) throw err.required('changedSince');
  const since = parseQboTime(changedSince);
  if (since === null) throw err.invalid('changedSince', `${changedSince} is not a valid date-time`);
  if (nowMs - since > CDC_MAX_AGE_MS) throw err.invalid('changedSince', 'must be within the last 30 days');
  const entities: EntityName[] = entitiesParam.split(',').map((n) => {
    const e = entityByName(n.trim());
    if (!e) throw new QboError('4001', 'Invalid query', `QueryValidationError: Invalid context declaration : ${n.trim()}`);
    return e;
  });
  const responses = entities.map((entity): JsonObject => {
    const changed = [...table(s, entity).values()].filter((r) => r.updatedMs >= since).sort((a, b) => a.updatedMs - b.updatedMs)
      .slice(0, CDC_MAX_PER_ENTITY).map(serialize);
    return changed.length === 0 ? {} : { [entity]: changed, startPosition: 1, maxResults: changed.length };
  });
  return { CDCResponse: [{ QueryResponse: responses }] };
}

const BATCH_ENTITIES: EntityName[] = ['Invoice', 'Bill', 'Customer', 'Vendor', 'PurchaseOrder', 'Payment', 'CreditMemo', 'RefundReceipt'];

/** `POST /batch`: each item succeeds or fails on its own; answers 200 unless the envelope is invalid. */
export function runBatch(s: CompanyState, body: unknown, nowMs: number): JsonObject {
  if (!isObject(body) || !Array.isArray(body.BatchItemRequest)) throw err.required('BatchItemRequest');
  const items = body.BatchItemRequest;
  if (items.length > MAX_BATCH_ITEMS) {
    throw new QboError('2010', 'Request has invalid or unsupported property',
      `Property Name:BatchItemRequest has ${items.length} items; the maximum is ${MAX_BATCH_ITEMS} per batch request`, 'BatchItemRequest');
  }
  s.stats.batchOperations += items.length;
  const out = items.map((item, idx): JsonObject => {
    const bId = isObject(item) && typeof item.bId === 'string' ? item.bId : String(idx + 1);
    try {
      if (!isObject(item)) throw err.invalid('BatchItemRequest', 'items must be objects');
      if (typeof item.Query === 'string') return { bId, QueryResponse: runQuery(s, item.Query) };
      const keys = BATCH_ENTITIES.filter((e) => item[e] !== undefined);
      const entity = keys[0];
      if (keys.length !== 1 || !entity) throw err.invalid('BatchItemRequest', `each item needs exactly one entity (${BATCH_ENTITIES.join(', ')}) or a Query`);
      const op = typeof item.operation === 'string' ? item.operation : 'create';
      // `optionsData: 'void'` on an update voids (payments; invoices also take operation 'void').
      const options = typeof item.optionsData === 'string' ? item.optionsData : undefined;
      return { bId, ...writeEntity(s, entity, item[entity], op, nowMs, options) };
    } catch (e) {
      if (!(e instanceof QboError)) throw e;
      return { bId, Fault: { Error: e.errors.map((x) => ({ ...x })), type: 'ValidationFault' } };
    }
  });
  return { BatchItemResponse: out };
}
