// Contact validation, storage and Xero-shaped output.
import { randomUUID } from 'node:crypto';
import type { ItemResult } from './batch.ts';
import type { OrgState } from './store.ts';
import type { ContactRecord, Json, JsonObject } from './types.ts';
import { msDate } from './xero-format.ts';

const WRITABLE = new Set([
  'ContactNumber', 'AccountNumber', 'FirstName', 'LastName', 'CompanyNumber', 'EmailAddress', 'ContactPersons',
  'BankAccountDetails', 'TaxNumber', 'TaxNumberType', 'AccountsReceivableTaxType', 'AccountsPayableTaxType', 'Addresses',
  'Phones', 'SalesDefaultLineAmountType', 'PurchasesDefaultLineAmountType', 'DefaultCurrency', 'XeroNetworkKey',
  'SalesDefaultAccountCode', 'PurchasesDefaultAccountCode', 'SalesTrackingCategories', 'PurchasesTrackingCategories',
  'TrackingCategoryName', 'TrackingCategoryOption', 'PaymentTerms', 'ContactGroups', 'BrandingTheme',
]);

export const CONTACT_FIELDS: ReadonlySet<string> = new Set([
  ...WRITABLE, 'ContactID', 'ContactStatus', 'Name', 'IsSupplier', 'IsCustomer', 'UpdatedDateUTC', 'HasAttachments',
  'HasValidationErrors', 'Website', 'Discount', 'Balances', 'MergedToContactID',
]);

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function findActiveByName(org: OrgState, name: string, exceptId?: string): ContactRecord | undefined {
  const n = name.trim().toLowerCase();
  for (const c of org.contacts.values()) {
    if (c.ContactStatus === 'ACTIVE' && c.ContactID !== exceptId && c.Name.trim().toLowerCase() === n) return c;
  }
  return undefined;
}

export function findByNumber(org: OrgState, num: string): ContactRecord | undefined {
  for (const c of org.contacts.values()) if (c.fields.ContactNumber === num) return c;
  return undefined;
}

function mergeTyped(existing: Json | undefined, incoming: Json, typeKey: string): Json {
  if (!Array.isArray(existing) || !Array.isArray(incoming)) return incoming;
  const out = existing.map((e) => ({ ...(e as JsonObject) }));
  for (const inc of incoming) {
    const t = (inc as JsonObject)[typeKey];
    const idx = out.findIndex((e) => e[typeKey] === t);
    if (idx >= 0) out[idx] = { ...out[idx], ...(inc as JsonObject) };
    else out.push(inc as JsonObject);
  }
  return out;
}

const DEFAULT_ADDRESSES: Json = [
  { AddressType: 'POBOX', City: '', Region: '', PostalCode: '', Country: '' },
  { AddressType: 'STREET', City: '', Region: '', PostalCode: '', Country: '' },
];
const DEFAULT_PHONES: Json = ['DEFAULT', 'DDI', 'FAX', 'MOBILE'].map((PhoneType) => ({
  PhoneType, PhoneNumber: '', PhoneAreaCode: '', PhoneCountryCode: '',
}));

/** Validate `input` as a create (existing undefined) or update, and save it. */
export function upsertContact(org: OrgState, input: JsonObject, existing: ContactRecord | undefined, now: number): ItemResult {
  const errors: string[] = [];
  const name = str(input.Name) ?? existing?.Name;
  const status = (str(input.ContactStatus) ?? existing?.ContactStatus ?? 'ACTIVE') as ContactRecord['ContactStatus'];
  if (!name || name.trim() === '') errors.push('The contact name must be specified.');
  else if (status === 'ACTIVE' && findActiveByName(org, name, existing?.ContactID)) {
    errors.push(`The contact name ${name} is already assigned to another contact. The contact name must be unique across all active contacts.`);
  }
  const email = str(input.EmailAddress);
  if (email !== undefined && email !== '' && !EMAIL.test(email)) errors.push('Email address must be valid.');
  if (!['ACTIVE', 'ARCHIVED', 'GDPRREQUEST'].includes(status)) errors.push(`ContactStatus '${status}' is not valid.`);
  if (errors.length > 0) return { ok: false, errors, echo: { ...input } };

  const fields: JsonObject = { ...(existing?.fields ?? {}) };
  for (const [k, v] of Object.entries(input)) {
    if (!WRITABLE.has(k) || v === null) continue;
    if (k === 'Addresses') fields[k] = mergeTyped(fields[k] ?? DEFAULT_ADDRESSES, v, 'AddressType');
    else if (k === 'Phones') fields[k] = mergeTyped(fields[k] ?? DEFAULT_PHONES, v, 'PhoneType');
    else fields[k] = v;
  }
  const record: ContactRecord = {
    ContactID: existing?.ContactID ?? randomUUID(),
    ContactStatus: status,
    Name: (name ?? '').trim(),
    fields,
    IsSupplier: existing?.IsSupplier ?? false,
    IsCustomer: existing?.IsCustomer ?? false,
    updatedMs: now,
  };
  org.contacts.set(record.ContactID, record);
  return { ok: true, out: contactJson(record) };
}

/** Mark a contact as customer/supplier once a document uses it (immutable update). */
export function flagContact(org: OrgState, id: string, flag: 'IsCustomer' | 'IsSupplier', now: number): void {
  const c = org.contacts.get(id);
  if (c && !c[flag]) org.contacts.set(id, { ...c, [flag]: true, updatedMs: now });
}

export function contactJson(c: ContactRecord, summary = false): JsonObject {
  const f = c.fields;
  const out: JsonObject = {
    ContactID: c.ContactID,
    ...(f.ContactNumber !== undefined ? { ContactNumber: f.ContactNumber } : {}),
    ...(f.AccountNumber !== undefined ? { AccountNumber: f.AccountNumber } : {}),
    ContactStatus: c.ContactStatus,
    Name: c.Name,
    ...(f.FirstName !== undefined ? { FirstName: f.FirstName } : {}),
    ...(f.LastName !== undefined ? { LastName: f.LastName } : {}),
    ...(f.CompanyNumber !== undefined ? { CompanyNumber: f.CompanyNumber } : {}),
    EmailAddress: f.EmailAddress ?? '',
    BankAccountDetails: f.BankAccountDetails ?? '',
  };
  if (summary) return { ...out, UpdatedDateUTC: msDate(c.updatedMs), IsSupplier: c.IsSupplier, IsCustomer: c.IsCustomer };
  for (const [k, v] of Object.entries(f)) if (!(k in out)) out[k] = v;
  return {
    ...out,
    Addresses: f.Addresses ?? DEFAULT_ADDRESSES,
    Phones: f.Phones ?? DEFAULT_PHONES,
    UpdatedDateUTC: msDate(c.updatedMs),
    ContactGroups: f.ContactGroups ?? [],
    IsSupplier: c.IsSupplier,
    IsCustomer: c.IsCustomer,
    ContactPersons: f.ContactPersons ?? [],
    HasAttachments: false,
    HasValidationErrors: false,
  };
}
