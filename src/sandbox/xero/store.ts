// In-memory accounting data for every organisation (tenant) in one sandbox.
import { randomUUID } from 'node:crypto';
import { seedAccounts } from './seed-accounts.ts';
import { seedTaxRates } from './seed-tax-rates.ts';
import { msDate } from './xero-format.ts';
import type {
  Account, AllocationRecord, ContactRecord, CreditNoteRecord, InvoiceRecord, Organisation, OrgStats, OverpaymentRecord, PaymentRecord,
  PurchaseOrderRecord, Region, SandboxClock, TaxRate,
} from './types.ts';

export interface OrgState {
  org: Organisation;
  accounts: Account[];
  taxRates: TaxRate[];
  contacts: Map<string, ContactRecord>;
  invoices: Map<string, InvoiceRecord>;
  nextInvoiceNumber: number;
  purchaseOrders: Map<string, PurchaseOrderRecord>;
  nextPurchaseOrderNumber: number;
  creditNotes: Map<string, CreditNoteRecord>;
  nextCreditNoteNumber: number;
  allocations: Map<string, AllocationRecord>;
  payments: Map<string, PaymentRecord>;
  overpayments: Map<string, OverpaymentRecord>;
  stats: OrgStats;
}

export interface AddOrganisationInput {
  name: string;
  region: Region;
  tenantId?: string;
}

const REGION: Record<Region, { currency: string; country: string; tz: string; fyMonth: number; basis: string; period: string }> = {
  UK: { currency: 'GBP', country: 'GB', tz: 'GMTSTANDARDTIME', fyMonth: 3, basis: 'ACCRUAL', period: 'QUARTERLY1' },
  AU: { currency: 'AUD', country: 'AU', tz: 'AUSEASTERNSTANDARDTIME', fyMonth: 6, basis: 'ACCRUALS', period: 'QUARTERLY1' },
  NZ: { currency: 'NZD', country: 'NZ', tz: 'NEWZEALANDSTANDARDTIME', fyMonth: 3, basis: 'INVOICE', period: 'TWOMONTHS' },
  US: { currency: 'USD', country: 'US', tz: 'EASTERNSTANDARDTIME', fyMonth: 12, basis: 'NONE', period: 'NONE' },
};

export function emptyStats(): OrgStats {
  return { calls: 0, rateLimited: 0, byProblem: { minute: 0, day: 0, concurrent: 0, appminute: 0 } };
}

export interface Store {
  orgs: Map<string, OrgState>;
  addOrganisation(input: AddOrganisationInput): Organisation;
  get(tenantId: string): OrgState | undefined;
  /** Drop all data written through the API (contacts, invoices, credit notes, payments, overpayments, purchase orders, stats); organisations stay. */
  resetData(): void;
}

export function createStore(clock: SandboxClock): Store {
  const orgs = new Map<string, OrgState>();
  return {
    orgs,
    get: (id) => orgs.get(id.toLowerCase()),
    addOrganisation({ name, region, tenantId }) {
      const r = REGION[region];
      if (!r) throw new Error(`unknown region ${String(region)}`);
      const id = (tenantId ?? randomUUID()).toLowerCase();
      if (orgs.has(id)) throw new Error(`organisation ${id} already exists`);
      const created = msDate(clock.now());
      const org: Organisation = {
        OrganisationID: id,
        APIKey: randomUUID().replace(/-/g, '').slice(0, 30).toUpperCase(),
        Name: name,
        LegalName: name,
        PaysTax: true,
        Version: region,
        OrganisationType: 'COMPANY',
        BaseCurrency: r.currency,
        CountryCode: r.country,
        IsDemoCompany: false,
        OrganisationStatus: 'ACTIVE',
        TaxNumber: region === 'UK' ? 'GB123456789' : '123456789',
        FinancialYearEndDay: 31,
        FinancialYearEndMonth: r.fyMonth,
        SalesTaxBasis: r.basis,
        SalesTaxPeriod: r.period,
        DefaultSalesTax: 'Tax Exclusive',
        DefaultPurchasesTax: 'Tax Exclusive',
        CreatedDateUTC: created,
        Timezone: r.tz,
        OrganisationEntityType: 'COMPANY',
        ShortCode: `!${id.slice(0, 5)}`,
        Class: 'PREMIUM',
        Edition: 'BUSINESS',
        LineOfBusiness: 'Software',
        Addresses: [],
        Phones: [],
        ExternalLinks: [],
        PaymentTerms: {},
      };
      orgs.set(id, {
        org,
        accounts: seedAccounts(region, r.currency, created),
        taxRates: seedTaxRates(region),
        contacts: new Map(),
        invoices: new Map(),
        nextInvoiceNumber: 1,
        purchaseOrders: new Map(),
        nextPurchaseOrderNumber: 1,
        creditNotes: new Map(),
        nextCreditNoteNumber: 1,
        allocations: new Map(),
        payments: new Map(),
        overpayments: new Map(),
        stats: emptyStats(),
      });
      return org;
    },
    resetData() {
      for (const s of orgs.values()) {
        s.contacts.clear();
        s.invoices.clear();
        s.nextInvoiceNumber = 1;
        s.purchaseOrders.clear();
        s.nextPurchaseOrderNumber = 1;
        s.creditNotes.clear();
        s.nextCreditNoteNumber = 1;
        s.allocations.clear();
        s.payments.clear();
        s.overpayments.clear();
        s.stats = emptyStats();
      }
    },
  };
}
