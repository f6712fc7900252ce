// In-memory companies (realms) and their entities, kept in QuickBooks' JSON shape.
import { randomInt } from 'node:crypto';
import { qboTime } from './qbo-format.ts';
import { currencyOf, idSequence, seedAccounts, seedItems, seedTax } from './seed.ts';
import type { SeedRow } from './seed.ts';
import { ENTITY_NAMES } from './types.ts';
import type { Company, CompanyStats, Country, EntityName, EntityRecord, JsonObject, SandboxClock } from './types.ts';

export interface CompanyState {
  company: Company;
  createdMs: number;
  tables: Map<EntityName, Map<string, EntityRecord>>;
  nextId: Map<string, number>;
  /** Lower-cased DisplayName → owner, across Customer and Vendor (names are unique across both). */
  names: Map<string, { entity: EntityName; id: string }>;
  /** Next automatic DocNumber for invoices and purchase orders. */
  nextDocNumber: Map<EntityName, number>;
  stats: CompanyStats;
}

export interface AddCompanyInput {
  name: string;
  country?: Country;
  realmId?: string;
}

export interface Store {
  companies: Map<string, CompanyState>;
  addCompany(input: AddCompanyInput): Company;
  get(realmId: string): CompanyState | undefined;
  /** Drop customers, vendors, transactions and added items; reference data is re-seeded. Companies stay. */
  resetData(): void;
}

export function emptyStats(): CompanyStats {
  return { calls: 0, throttled: 0, batchOperations: 0 };
}

export function table(s: CompanyState, entity: EntityName): Map<string, EntityRecord> {
  const t = s.tables.get(entity);
  if (!t) throw new Error(`no table ${entity}`);
  return t;
}

/** Whole seconds, as QuickBooks keeps LastUpdatedTime. */
export function wholeSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

export function allocateId(s: CompanyState, entity: EntityName): string {
  const seq = idSequence(entity);
  const n = s.nextId.get(seq) ?? 1;
  s.nextId.set(seq, n + 1);
  return String(n);
}

/** Keep the Id sequence ahead of an explicitly chosen numeric Id. */
export function reserveId(s: CompanyState, entity: EntityName, id: string): void {
  const seq = idSequence(entity);
  if (/^\d+$/.test(id) && Number(id) >= (s.nextId.get(seq) ?? 1)) s.nextId.set(seq, Number(id) + 1);
}

export function serialize(rec: EntityRecord): JsonObject {
  if (rec.deleted) return { domain: 'QBO', status: 'Deleted', Id: rec.Id, MetaData: { LastUpdatedTime: qboTime(rec.updatedMs) } };
  return {
    ...rec.data,
    domain: 'QBO',
    sparse: false,
    Id: rec.Id,
    SyncToken: String(rec.syncToken),
    MetaData: { CreateTime: qboTime(rec.createdMs), LastUpdatedTime: qboTime(rec.updatedMs) },
  };
}

function seedTables(country: Country, createdMs: number): { tables: Map<EntityName, Map<string, EntityRecord>>; nextId: Map<string, number> } {
  const tables = new Map<EntityName, Map<string, EntityRecord>>(ENTITY_NAMES.map((e) => [e, new Map()]));
  const nextId = new Map<string, number>([['Customer', 1], ['Vendor', 1], ['Txn', 1]]);
  const put = (entity: EntityName, rows: SeedRow[]): void => {
    const t = tables.get(entity);
    for (const r of rows) {
      t?.set(r.Id, { Id: r.Id, syncToken: 0, createdMs, updatedMs: createdMs, data: r.data });
      const numeric = Number(r.Id);
      if (Number.isInteger(numeric) && numeric >= (nextId.get(entity) ?? 1)) nextId.set(entity, numeric + 1);
    }
  };
  put('Account', seedAccounts(country));
  put('Item', seedItems());
  const tax = seedTax(country);
  put('TaxCode', tax.codes);
  put('TaxRate', tax.rates);
  return { tables, nextId };
}

export function createStore(clock: SandboxClock): Store {
  const companies = new Map<string, CompanyState>();
  return {
    companies,
    get: (realmId) => companies.get(realmId),
    addCompany({ name, country = 'US', realmId }) {
      if (!['US', 'UK', 'CA', 'AU'].includes(country)) throw new Error(`unknown country ${String(country)}`);
      const id = realmId ?? `9130${String(randomInt(1e6)).padStart(6, '0')}${String(randomInt(1e6)).padStart(6, '0')}`;
      if (companies.has(id)) throw new Error(`company ${id} already exists`);
      const createdMs = wholeSecond(clock.now());
      const company: Company = { realmId: id, name, country, currency: currencyOf(country).code };
      companies.set(id, {
        company, createdMs, ...seedTables(country, createdMs), names: new Map(),
        nextDocNumber: new Map([['Invoice', 1001], ['PurchaseOrder', 1001]]), stats: emptyStats(),
      });
      return { ...company };
    },
    resetData() {
      for (const s of companies.values()) {
        const fresh = seedTables(s.company.country, s.createdMs);
        s.tables = fresh.tables;
        s.nextId = fresh.nextId;
        s.names.clear();
        s.nextDocNumber = new Map([['Invoice', 1001], ['PurchaseOrder', 1001]]);
        s.stats = emptyStats();
      }
    },
  };
}

/** CompanyInfo as `GET /v3/company/{realmId}/companyinfo/{realmId}` returns it. */
export function companyInfo(s: CompanyState): JsonObject {
  const c = s.company;
  const country = c.country === 'UK' ? 'GB' : c.country;
  return {
    CompanyName: c.name, LegalName: c.name, Country: country, SupportedLanguages: 'en', DefaultTimeZone: 'America/Los_Angeles',
    FiscalYearStartMonth: 'January', CompanyStartDate: qboTime(s.createdMs).slice(0, 10),
    CompanyAddr: { Id: '1', Line1: '1 Sandbox Way', City: 'Mountain View', Country: country, PostalCode: '94043' },
    Email: { Address: 'books@example.com' }, PrimaryPhone: {},
    NameValue: [{ Name: 'NeoEnabled', Value: 'true' }, { Name: 'OfferingSku', Value: 'QuickBooks Online Plus' }],
    domain: 'QBO', sparse: false, Id: '1', SyncToken: '0',
    MetaData: { CreateTime: qboTime(s.createdMs), LastUpdatedTime: qboTime(s.createdMs) },
  };
}
