// Reference (`{ "value": "1", "name": "..." }`) helpers shared by entity code.
import { err } from './qbo-format.ts';
import { table } from './store.ts';
import type { CompanyState } from './store.ts';
import type { EntityName, EntityRecord, Json, JsonObject } from './types.ts';

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The `value` of a reference, or undefined when absent/blank. */
export function refValue(v: Json | undefined): string | undefined {
  if (!isObject(v)) return undefined;
  const value = v.value;
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Live (not deleted, active) record behind a reference; throws 2500 when it is missing or inactive. */
export function resolveRef(s: CompanyState, entity: EntityName, field: string, v: Json | undefined): EntityRecord {
  const id = refValue(v);
  if (id === undefined) throw err.required(field);
  const rec = table(s, entity).get(id);
  if (!rec || rec.deleted || rec.data.Active === false) throw err.badRef(field, id);
  return rec;
}

/** A reference as QuickBooks echoes it: value plus the referenced record's name. */
export function ref(rec: EntityRecord): JsonObject {
  const name = rec.data.DisplayName ?? rec.data.Name ?? '';
  return { value: rec.Id, name };
}

/** Copy of `input` without nulls (a null clears a field). */
export function withoutNulls(input: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(input)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

export function numberField(v: Json | undefined, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw err.invalid(field, 'is not a valid number');
  return n;
}
