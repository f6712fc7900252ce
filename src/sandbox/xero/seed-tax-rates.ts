// Realistic default tax rates per Xero region (names and codes as Xero ships them).
import type { Region, TaxRate } from './types.ts';

type Dir = 'rev' | 'exp' | 'both';
type Row = [taxType: string, name: string, rate: number, dir: Dir, report: string];

const ROWS: Record<Region, Row[]> = {
  UK: [
    ['OUTPUT2', '20% (VAT on Income)', 20, 'rev', 'OUTPUT'],
    ['RROUTPUT', '5% (VAT on Income)', 5, 'rev', 'OUTPUT'],
    ['ZERORATEDOUTPUT', 'Zero Rated Income', 0, 'rev', 'OUTPUT'],
    ['EXEMPTOUTPUT', 'Exempt Income', 0, 'rev', 'EXEMPTOUTPUT'],
    ['NONE', 'No VAT', 0, 'both', 'NONE'],
    ['INPUT2', '20% (VAT on Expenses)', 20, 'exp', 'INPUT'],
    ['RRINPUT', '5% (VAT on Expenses)', 5, 'exp', 'INPUT'],
    ['ZERORATEDINPUT', 'Zero Rated Expenses', 0, 'exp', 'INPUT'],
    ['EXEMPTINPUT', 'Exempt Expenses', 0, 'exp', 'EXEMPTINPUT'],
  ],
  AU: [
    ['OUTPUT', 'GST on Income', 10, 'rev', 'OUTPUT'],
    ['EXEMPTOUTPUT', 'GST Free Income', 0, 'rev', 'EXEMPTOUTPUT'],
    ['INPUTTAXED', 'Input Taxed', 0, 'both', 'INPUTTAXED'],
    ['BASEXCLUDED', 'BAS Excluded', 0, 'both', 'BASEXCLUDED'],
    ['INPUT', 'GST on Expenses', 10, 'exp', 'INPUT'],
    ['EXEMPTEXPENSES', 'GST Free Expenses', 0, 'exp', 'EXEMPTEXPENSES'],
    ['GSTONIMPORTS', 'GST on Imports', 0, 'exp', 'GSTONIMPORTS'],
  ],
  NZ: [
    ['OUTPUT2', '15% GST on Income', 15, 'rev', 'OUTPUT'],
    ['INPUT2', '15% GST on Expenses', 15, 'exp', 'INPUT'],
    ['ZERORATED', 'Zero Rated', 0, 'both', 'NONE'],
    ['NONE', 'No GST', 0, 'both', 'NONE'],
    ['GSTONIMPORTS', 'GST on Imports', 0, 'exp', 'GSTONIMPORTS'],
  ],
  US: [
    ['TAX001', 'Sales Tax', 8.25, 'rev', 'USSALESTAX'],
    ['OUTPUT', 'Tax on Sales', 0, 'rev', 'OUTPUT'],
    ['INPUT', 'Tax on Purchases', 0, 'exp', 'INPUT'],
    ['NONE', 'Tax Exempt', 0, 'both', 'NONE'],
  ],
};

const COMPONENT_NAME: Record<Region, string> = { UK: 'VAT', AU: 'GST', NZ: 'GST', US: 'State Tax' };

export function seedTaxRates(region: Region): TaxRate[] {
  return ROWS[region].map(([TaxType, Name, rate, dir, ReportTaxType]) => ({
    Name,
    TaxType,
    ReportTaxType,
    CanApplyToAssets: true,
    CanApplyToEquity: true,
    CanApplyToExpenses: dir !== 'rev',
    CanApplyToLiabilities: true,
    CanApplyToRevenue: dir !== 'exp',
    DisplayTaxRate: rate,
    EffectiveRate: rate,
    Status: 'ACTIVE',
    TaxComponents: [{ Name: COMPONENT_NAME[region], Rate: rate, IsCompound: false, IsNonRecoverable: false }],
  }));
}
