// Test-side data helpers: records inserted directly (fast, all-or-nothing), validated as the API would.
import { buildData, checkFields, input, insert } from './entities.ts';
import { parseQboTime, QboError } from './qbo-format.ts';
import { withoutNulls } from './refs.ts';
import { serialize, table, wholeSecond } from './store.ts';
import type { CompanyState } from './store.ts';
import type { EntityName, EntityRecord, JsonObject } from './types.ts';

/** An entity body as sent to the API, plus an optional `Id` and `MetaData` times (ISO strings; default now). */
export interface SeedEntity {
  Id?: string;
  MetaData?: { CreateTime?: string; LastUpdatedTime?: string };
  [field: string]: unknown;
}

function time(v: string | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  const t = parseQboTime(v);
  if (t === null) throw new Error(`${what} ${v} is not a date-time`);
  return wholeSecond(t);
}

function itemData(s: CompanyState, d: JsonObject, selfId: string | undefined): JsonObject {
  if (typeof d.Name !== 'string' || !d.Name.trim()) throw new Error('an Item needs a Name');
  const name = d.Name.trim();
  const clash = [...table(s, 'Item').values()].find((r) => r.Id !== selfId && String(r.data.Name).toLowerCase() === name.toLowerCase());
  if (clash) throw new Error(`Duplicate Name Exists Error: Item "${name}" already exists (Id=${clash.Id})`);
  return {
    Active: true, Type: 'NonInventory', Taxable: true, UnitPrice: 0, PurchaseCost: 0, TrackQtyOnHand: false,
    IncomeAccountRef: { value: '79', name: 'Sales of Product Income' }, ...d, Name: name, FullyQualifiedName: name,
  };
}

/** Insert `list` into `entity`; throws (and inserts nothing) when any record fails validation. */
export function seedEntities(s: CompanyState, entity: EntityName, list: SeedEntity[], nowMs: number): JsonObject[] {
  const added: EntityRecord[] = [];
  const now = wholeSecond(nowMs);
  try {
    for (const raw of list) {
      const { Id, MetaData, ...body } = raw;
      if (Id !== undefined && table(s, entity).has(String(Id))) throw new Error(`${entity} ${String(Id)} already exists`);
      checkFields(entity, body as JsonObject);
      const fields = withoutNulls(input(body as JsonObject, entity));
      const data = entity === 'Item' ? itemData(s, fields, undefined) : buildData(s, entity, fields, undefined, nowMs);
      const createdMs = time(MetaData?.CreateTime, now, 'CreateTime');
      const updatedMs = time(MetaData?.LastUpdatedTime, Math.max(now, createdMs), 'LastUpdatedTime');
      added.push(insert(s, entity, data, { createdMs, updatedMs }, Id === undefined ? undefined : String(Id)));
    }
  } catch (e) {
    for (const rec of added) {
      table(s, entity).delete(rec.Id);
      const name = rec.data.DisplayName;
      if (typeof name === 'string') s.names.delete(name.trim().toLowerCase());
    }
    if (e instanceof QboError) throw new Error(`${entity}: ${e.message}`);
    throw e;
  }
  return added.map(serialize);
}

