// Realistic default chart of accounts per Xero region (codes follow Xero's demo charts).
import { randomUUID } from 'node:crypto';
import type { Account, Region } from './types.ts';

type Cls = Account['Class'];
interface Row {
  code: string;
  name: string;
  type: string;
  cls: Cls;
  tax: 'rev' | 'exp' | 'none' | 'exempt';
  system?: string;
  archived?: boolean;
  bank?: boolean;
  reporting: string;
}

const CHART: Row[] = [
  { code: '090', name: 'Business Bank Account', type: 'BANK', cls: 'ASSET', tax: 'none', bank: true, reporting: 'ASS.CUR.CAS.CAS' },
  { code: '200', name: 'Sales', type: 'REVENUE', cls: 'REVENUE', tax: 'rev', reporting: 'REV.TRA.GOO' },
  { code: '260', name: 'Other Revenue', type: 'REVENUE', cls: 'REVENUE', tax: 'rev', reporting: 'REV.OTH' },
  { code: '270', name: 'Interest Income', type: 'OTHERINCOME', cls: 'REVENUE', tax: 'exempt', reporting: 'REV.INV.INT' },
  { code: '300', name: 'Purchases', type: 'DIRECTCOSTS', cls: 'EXPENSE', tax: 'exp', reporting: 'EXP.COS.PUR' },
  { code: '310', name: 'Cost of Goods Sold', type: 'DIRECTCOSTS', cls: 'EXPENSE', tax: 'exp', reporting: 'EXP.COS' },
  { code: '400', name: 'Advertising', type: 'OVERHEADS', cls: 'EXPENSE', tax: 'exp', reporting: 'EXP.ADV' },
  { code: '404', name: 'Bank Fees', type: 'OVERHEADS', cls: 'EXPENSE', tax: 'exempt', reporting: 'EXP.BAN' },
  { code: '429', name: 'General Expenses', type: 'OVERHEADS', cls: 'EXPENSE', tax: 'exp', reporting: 'EXP' },
  { code: '461', name: 'Printing & Stationery', type: 'OVERHEADS', cls: 'EXPENSE', tax: 'exp', reporting: 'EXP.PRI' },
  { code: '495', name: 'Old Marketing Costs', type: 'OVERHEADS', cls: 'EXPENSE', tax: 'exp', archived: true, reporting: 'EXP' },
  { code: '610', name: 'Accounts Receivable', type: 'CURRENT', cls: 'ASSET', tax: 'none', system: 'DEBTORS', reporting: 'ASS.CUR.REC.TRA' },
  { code: '800', name: 'Accounts Payable', type: 'CURRLIAB', cls: 'LIABILITY', tax: 'none', system: 'CREDITORS', reporting: 'LIA.CUR.PAY.TRA' },
  { code: '820', name: 'Sales Tax', type: 'CURRLIAB', cls: 'LIABILITY', tax: 'none', system: 'GST', reporting: 'LIA.CUR.TAX' },
  { code: '960', name: 'Retained Earnings', type: 'EQUITY', cls: 'EQUITY', tax: 'none', system: 'RETAINEDEARNINGS', reporting: 'EQU.RET' },
];

const TAX: Record<Region, Record<Row['tax'], string>> = {
  UK: { rev: 'OUTPUT2', exp: 'INPUT2', none: 'NONE', exempt: 'EXEMPTOUTPUT' },
  AU: { rev: 'OUTPUT', exp: 'INPUT', none: 'BASEXCLUDED', exempt: 'EXEMPTOUTPUT' },
  NZ: { rev: 'OUTPUT2', exp: 'INPUT2', none: 'NONE', exempt: 'NONE' },
  US: { rev: 'TAX001', exp: 'INPUT', none: 'NONE', exempt: 'NONE' },
};

const TAX_LIABILITY_NAME: Record<Region, string> = { UK: 'VAT', AU: 'GST', NZ: 'GST', US: 'Sales Tax' };

export function seedAccounts(region: Region, currency: string, updated: string): Account[] {
  return CHART.map((r) => {
    let tax = TAX[region][r.tax];
    // Expense-side "exempt" accounts need an expense tax type.
    if (r.tax === 'exempt' && r.cls === 'EXPENSE') {
      tax = { UK: 'EXEMPTINPUT', AU: 'EXEMPTEXPENSES', NZ: 'NONE', US: 'NONE' }[region];
    }
    const account: Account = {
      AccountID: randomUUID(),
      Code: r.code,
      Name: r.code === '820' ? TAX_LIABILITY_NAME[region] : r.name,
      Type: r.type,
      TaxType: tax,
      Status: r.archived ? 'ARCHIVED' : 'ACTIVE',
      Class: r.cls,
      EnablePaymentsToAccount: false,
      ShowInExpenseClaims: r.cls === 'EXPENSE',
      ReportingCode: r.reporting,
      ReportingCodeName: r.name,
      HasAttachments: false,
      AddToWatchlist: false,
      UpdatedDateUTC: updated,
    };
    if (r.system) account.SystemAccount = r.system;
    if (r.bank) {
      account.BankAccountNumber = '12-3456-7890123-00';
      account.BankAccountType = 'BANK';
      account.CurrencyCode = currency;
    }
    return account;
  });
}
