// Customer and Vendor ("name list" entities): DisplayName rules and defaults.
import { QboError } from './qbo-format.ts';
import { isObject } from './refs.ts';
import { currencyOf } from './seed.ts';
import type { CompanyState } from './store.ts';
import type { JsonObject } from './types.ts';

export type NameEntity = 'Customer' | 'Vendor';

const nameKey = (n: string): string => n.trim().toLowerCase();

function derivedName(d: JsonObject): string | undefined {
  const parts = ['Title', 'GivenName', 'MiddleName', 'FamilyName', 'Suffix'].map((k) => d[k]).filter((v) => typeof v === 'string' && v.trim());
  if (parts.length > 0) return parts.join(' ');
  return typeof d.CompanyName === 'string' && d.CompanyName.trim() ? d.CompanyName : undefined;
}

/** Error 6240 when `name` belongs to another customer or vendor. */
export function checkName(s: CompanyState, entity: NameEntity, selfId: string | undefined, name: string): void {
  const owner = s.names.get(nameKey(name));
  if (owner && !(owner.entity === entity && owner.id === selfId)) {
    throw new QboError('6240', 'Duplicate Name Exists Error',
      `The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name. Id=${owner.id}`, 'DisplayName');
  }
}

export function claimName(s: CompanyState, entity: NameEntity, id: string, oldName: string | undefined, newName: string): void {
  if (oldName !== undefined) {
    const key = nameKey(oldName);
    const owner = s.names.get(key);
    if (owner?.entity === entity && owner.id === id) s.names.delete(key);
  }
  s.names.set(nameKey(newName), { entity, id });
}

/** Full data for a customer or vendor from a write body (already merged with the stored data for sparse updates). */
export function buildName(s: CompanyState, entity: NameEntity, d: JsonObject, selfId: string | undefined, base?: JsonObject): JsonObject {
  const display = typeof d.DisplayName === 'string' && d.DisplayName.trim() ? d.DisplayName.trim() : derivedName(d);
  if (display === undefined) {
    throw new QboError('6000', 'A business validation error has occurred while processing your request',
      'Business Validation Error: You must fill out at least one of the name fields (DisplayName, GivenName, FamilyName, CompanyName).', 'DisplayName');
  }
  if (display.length > 500) throw new QboError('2050', 'String length specified does not match the supported length', 'DisplayName: Max:500', 'DisplayName');
  if (d.PrimaryEmailAddr !== undefined && !(isObject(d.PrimaryEmailAddr) && typeof d.PrimaryEmailAddr.Address === 'string')) {
    throw new QboError('2010', 'Request has invalid or unsupported property', 'Property Name:PrimaryEmailAddr must be { "Address": "..." }', 'PrimaryEmailAddr');
  }
  checkName(s, entity, selfId, display);
  const cur = currencyOf(s.company.country);
  const out: JsonObject = {
    ...d,
    DisplayName: display,
    FullyQualifiedName: display,
    PrintOnCheckName: typeof d.PrintOnCheckName === 'string' ? d.PrintOnCheckName : (typeof d.CompanyName === 'string' ? d.CompanyName : display),
    Active: d.Active ?? true,
    Balance: base?.Balance ?? 0,
    CurrencyRef: d.CurrencyRef ?? { value: cur.code, name: cur.name },
  };
  if (entity === 'Customer') {
    Object.assign(out, {
      Taxable: d.Taxable ?? s.company.country === 'US', Job: d.Job ?? false, BillWithParent: d.BillWithParent ?? false,
      BalanceWithJobs: base?.BalanceWithJobs ?? 0, PreferredDeliveryMethod: d.PreferredDeliveryMethod ?? 'Print',
    });
  } else {
    Object.assign(out, { Vendor1099: d.Vendor1099 ?? false });
  }
  return out;
}
