// A fresh company's reference data: chart of accounts, items, tax codes and tax rates per country.
import type { Country, EntityName, JsonObject } from './types.ts';

export interface SeedRow { Id: string; data: JsonObject }

const CURRENCY: Record<Country, { code: string; name: string }> = {
  US: { code: 'USD', name: 'United States Dollar' },
  UK: { code: 'GBP', name: 'British Pound Sterling' },
  CA: { code: 'CAD', name: 'Canadian Dollar' },
  AU: { code: 'AUD', name: 'Australian Dollar' },
};

export function currencyOf(country: Country): { code: string; name: string } {
  return CURRENCY[country];
}

const TAX_LIABILITY: Record<Country, string> = {
  US: 'Sales Tax Payable', UK: 'VAT Control', CA: 'GST/HST Payable', AU: 'GST Liabilities Payable',
};

// [Id, Name, AccountType, AccountSubType, Classification]
const ACCOUNTS: [string, string, string, string, string][] = [
  ['1', 'Services', 'Income', 'ServiceFeeIncome', 'Revenue'],
  ['3', 'Opening Balance Equity', 'Equity', 'OpeningBalanceEquity', 'Equity'],
  ['4', 'Undeposited Funds', 'Other Current Asset', 'UndepositedFunds', 'Asset'],
  ['7', 'Advertising', 'Expense', 'AdvertisingPromotional', 'Expense'],
  ['12', 'Legal & Professional Fees', 'Expense', 'LegalProfessionalFees', 'Expense'],
  ['15', 'Office Expenses', 'Expense', 'OfficeGeneralAdministrativeExpenses', 'Expense'],
  ['24', 'Utilities', 'Expense', 'Utilities', 'Expense'],
  ['33', 'Accounts Payable (A/P)', 'Accounts Payable', 'AccountsPayable', 'Liability'],
  ['35', 'Checking', 'Bank', 'Checking', 'Asset'],
  ['78', 'Purchases', 'Expense', 'SuppliesMaterials', 'Expense'],
  ['79', 'Sales of Product Income', 'Income', 'SalesOfProductIncome', 'Revenue'],
  ['80', 'Cost of Goods Sold', 'Cost of Goods Sold', 'SuppliesMaterialsCogs', 'Expense'],
  ['81', 'Inventory Asset', 'Other Current Asset', 'Inventory', 'Asset'],
  ['84', 'Accounts Receivable (A/R)', 'Accounts Receivable', 'AccountsReceivable', 'Asset'],
  ['89', '', 'Other Current Liability', 'GlobalTaxPayable', 'Liability'],
];

export function seedAccounts(country: Country): SeedRow[] {
  const cur = CURRENCY[country];
  return ACCOUNTS.map(([Id, name, AccountType, AccountSubType, Classification]) => {
    const Name = name || TAX_LIABILITY[country];
    return {
      Id,
      data: {
        Name, SubAccount: false, FullyQualifiedName: Name, Active: true, Classification, AccountType, AccountSubType,
        CurrentBalance: 0, CurrentBalanceWithSubAccounts: 0, CurrencyRef: { value: cur.code, name: cur.name },
      },
    };
  });
}

export function seedItems(): SeedRow[] {
  const item = (Id: string, Name: string, Type: string, income: [string, string], extra: JsonObject = {}): SeedRow => ({
    Id,
    data: {
      Name, FullyQualifiedName: Name, Active: true, Type, Taxable: true, UnitPrice: 0, PurchaseCost: 0, TrackQtyOnHand: false,
      IncomeAccountRef: { value: income[0], name: income[1] }, ...extra,
    },
  });
  return [
    item('1', 'Services', 'Service', ['1', 'Services']),
    item('2', 'Hours', 'Service', ['1', 'Services']),
    item('3', 'Sales', 'NonInventory', ['79', 'Sales of Product Income'], { ExpenseAccountRef: { value: '80', name: 'Cost of Goods Sold' } }),
  ];
}

// [TaxCode Id, Name, rate %]; the purchase TaxRate of code i is Id 3+2i, the sales one 4+2i.
const TAX_CODES: Record<Exclude<Country, 'US'>, [string, string, number][]> = {
  UK: [['2', '20.0% S', 20], ['3', '5.0% R', 5], ['4', '0.0% Z', 0], ['5', 'Exempt', 0], ['6', 'No VAT', 0]],
  CA: [['2', 'GST', 5], ['3', 'HST ON', 13], ['4', 'Zero-rated', 0], ['5', 'Exempt', 0]],
  AU: [['2', 'GST', 10], ['3', 'GST free', 0], ['4', 'Input taxed', 0], ['5', 'Out of scope', 0]],
};

export function seedTax(country: Country): { codes: SeedRow[]; rates: SeedRow[] } {
  if (country === 'US') {
    const code = (Id: string, Taxable: boolean): SeedRow => ({
      Id,
      data: { Name: Id, Description: Id, Active: true, Hidden: false, Taxable, TaxGroup: false,
        SalesTaxRateList: { TaxRateDetail: [] }, PurchaseTaxRateList: { TaxRateDetail: [] } },
    });
    return { codes: [code('TAX', true), code('NON', false)], rates: [] };
  }
  const codes: SeedRow[] = [];
  const rates: SeedRow[] = [];
  TAX_CODES[country].forEach(([Id, name, RateValue], i) => {
    const rate = (rid: string, kind: 'Sales' | 'Purchase'): SeedRow => ({
      Id: rid,
      data: {
        Name: `${name} (${kind})`, Description: `${name} (${kind})`, Active: true, RateValue, AgencyRef: { value: '1' },
        SpecialTaxType: RateValue > 0 ? 'NONE' : 'ZERO_RATE', DisplayType: 'ReadOnly',
        EffectiveTaxRate: [{ RateValue, EffectiveDate: '2000-01-01T00:00:00-08:00' }],
      },
    });
    const purchase = rate(String(3 + 2 * i), 'Purchase');
    const sales = rate(String(4 + 2 * i), 'Sales');
    rates.push(purchase, sales);
    const detail = (r: SeedRow): JsonObject => ({
      TaxRateDetail: [{ TaxRateRef: { value: r.Id, name: r.data.Name ?? '' }, TaxTypeApplicable: 'TaxOnAmount', TaxOrder: 0 }],
    });
    codes.push({
      Id,
      data: { Name: name, Description: name, Active: true, Hidden: false, Taxable: RateValue > 0, TaxGroup: true,
        SalesTaxRateList: detail(sales), PurchaseTaxRateList: detail(purchase) },
    });
  });
  return { codes, rates };
}

const TXN_ENTITIES = new Set<EntityName>(['Invoice', 'Bill', 'PurchaseOrder', 'Payment', 'CreditMemo', 'RefundReceipt']);

/** Entities with their own Id sequence (transactions share one, as in QuickBooks). */
export function idSequence(entity: EntityName): string {
  return TXN_ENTITIES.has(entity) ? 'Txn' : entity;
}
