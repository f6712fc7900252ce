import * as v from 'valibot';
import { PostingDefaultsInput, type PostingDefaults } from '../../documents/posting-defaults.ts';
import type { DefaultsProblem } from '../../providers/types.ts';

/**
 * The posting defaults form of the console, as data: what the form shows (always strings, so a
 * refused submission is shown again exactly as typed), how a submission becomes the same JSON
 * shape PUT /v1/tenants/{id}/defaults takes, and where each problem belongs on the form.
 */

export interface MappingRow {
  /** The map's key: a tax rate ("20") or a line category ("materials"). */
  readonly key: string;
  /** Its value: a QuickBooks tax code id, or an account code. */
  readonly code: string;
}

export interface DefaultsFormState {
  readonly sales_invoice_account: string;
  readonly purchase_bill_account: string;
  readonly tax_treatment: string;
  readonly send_as: string;
  /** '' (the provider's default), 'true' or 'false'. */
  readonly auto_push_invoices: string;
  readonly auto_create_bills: boolean;
  readonly payments_bank_account: string;
  readonly rounding_account: string;
  readonly sync_payments: boolean;
  readonly po_import_schedule: string;
  readonly reconcile_schedule: string;
  readonly tax_code_mappings: readonly MappingRow[];
  readonly account_mappings: readonly MappingRow[];
}

export type MapField = 'tax_code_mappings' | 'account_mappings';
export const MAP_FIELDS: readonly MapField[] = ['tax_code_mappings', 'account_mappings'];
/** The names of a row's two inputs: `tax_code_mappings[0][key]`, `tax_code_mappings[0][code]`. */
export const rowInputName = (field: MapField, index: number, part: 'key' | 'code') => `${field}[${index}][${part}]`;
/** The id of one control on the form (also what its error is keyed by). */
export const controlId = (field: string, index?: number, part?: 'key' | 'code') => (index === undefined ? `f-${field}` : `f-${field}-${index}-${part}`);

/** Field → messages. Keys: a top-level field ("sales_invoice_account"), a map ("account_mappings"), or a row's input ("account_mappings.2.code"). */
export type FieldErrors = Map<string, string[]>;
export const rowErrorKey = (field: MapField, index: number, part: 'key' | 'code') => `${field}.${index}.${part}`;

export function stateFromSettings(settings: PostingDefaults): DefaultsFormState {
  return {
    sales_invoice_account: settings.sales_invoice_account ?? '',
    purchase_bill_account: settings.purchase_bill_account ?? '',
    tax_treatment: settings.tax_treatment,
    send_as: settings.send_as,
    auto_push_invoices: settings.auto_push_invoices === null ? '' : String(settings.auto_push_invoices),
    auto_create_bills: settings.auto_create_bills,
    payments_bank_account: settings.payments_bank_account ?? '',
    rounding_account: settings.rounding_account ?? '',
    sync_payments: settings.sync_payments,
    po_import_schedule: settings.po_import_schedule,
    reconcile_schedule: settings.reconcile_schedule ?? 'off',
    tax_code_mappings: Object.entries(settings.tax_code_mappings).map(([key, code]) => ({ key, code })),
    account_mappings: Object.entries(settings.account_mappings).map(([key, code]) => ({ key, code })),
  };
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');
const checked = (value: unknown) => typeof value === 'string' && value !== '' && value !== 'false' && value !== '0';
/** More rows than any map allows: a longer list is refused by the schema's maxEntries anyway. */
const MAX_ROW_INDEX = 1000;

function rowsOf(form: Record<string, unknown>, field: MapField): MappingRow[] {
  const pattern = new RegExp(`^${field}\\[(\\d{1,4})\\]\\[(key|code)\\]$`);
  const byIndex = new Map<number, { key: string; code: string }>();
  for (const [name, value] of Object.entries(form)) {
    const match = pattern.exec(name);
    if (!match) continue;
    const index = Number(match[1]);
    if (index > MAX_ROW_INDEX) continue;
    const row = byIndex.get(index) ?? { key: '', code: '' };
    row[match[2] as 'key' | 'code'] = text(value).trim();
    byIndex.set(index, row);
  }
  // Rows left empty are the spare ones the form offers for adding.
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, row]) => row).filter((row) => row.key !== '' || row.code !== '');
}

/** What the browser sent, as the form shows it. An unticked checkbox is not sent: false. */
export function stateFromForm(form: Record<string, unknown>): DefaultsFormState {
  return {
    sales_invoice_account: text(form.sales_invoice_account).trim(),
    purchase_bill_account: text(form.purchase_bill_account).trim(),
    tax_treatment: text(form.tax_treatment),
    send_as: text(form.send_as),
    auto_push_invoices: text(form.auto_push_invoices),
    auto_create_bills: checked(form.auto_create_bills),
    payments_bank_account: text(form.payments_bank_account).trim(),
    rounding_account: text(form.rounding_account).trim(),
    sync_payments: checked(form.sync_payments),
    po_import_schedule: text(form.po_import_schedule),
    reconcile_schedule: text(form.reconcile_schedule) || 'off',
    tax_code_mappings: rowsOf(form, 'tax_code_mappings'),
    account_mappings: rowsOf(form, 'account_mappings'),
  };
}

const addError = (errors: FieldErrors, key: string, message: string) => {
  const list = errors.get(key) ?? [];
  if (!list.includes(message)) list.push(message);
  errors.set(key, list);
};

/** "20.0" and "20" are one rate, as the schema stores them. */
const normalRate = (rate: string) => (/^\d{1,3}(\.\d{1,4})?$/.test(rate) ? String(Number(rate)) : rate);

/**
 * The form as the JSON body of PUT …/defaults. Rows with only one half filled in, and a key
 * given twice, are refused here: a JSON object could not say either.
 */
function toInput(state: DefaultsFormState, errors: FieldErrors): Record<string, unknown> {
  const auto = state.auto_push_invoices;
  const maps: Record<MapField, Record<string, string>> = { tax_code_mappings: {}, account_mappings: {} };
  for (const field of MAP_FIELDS) {
    const seen = new Map<string, number>();
    state[field].forEach((row, index) => {
      const keyWord = field === 'tax_code_mappings' ? 'tax rate' : 'line category';
      const codeWord = field === 'tax_code_mappings' ? 'tax code' : 'account';
      if (row.key === '') return addError(errors, rowErrorKey(field, index, 'key'), `Enter the ${keyWord} for this ${codeWord}, or clear the row.`);
      if (row.code === '') return addError(errors, rowErrorKey(field, index, 'code'), `Choose the ${codeWord} for ${keyWord} "${row.key}", or clear the row.`);
      const same = field === 'tax_code_mappings' ? normalRate(row.key) : row.key;
      const earlier = seen.get(same);
      if (earlier !== undefined) return addError(errors, rowErrorKey(field, index, 'key'), `${keyWord[0]!.toUpperCase()}${keyWord.slice(1)} "${row.key}" is already in row ${earlier + 1}.`);
      seen.set(same, index);
      maps[field][row.key] = row.code;
    });
  }
  return {
    sales_invoice_account: state.sales_invoice_account === '' ? null : state.sales_invoice_account,
    purchase_bill_account: state.purchase_bill_account === '' ? null : state.purchase_bill_account,
    tax_treatment: state.tax_treatment,
    send_as: state.send_as,
    auto_push_invoices: auto === '' ? null : auto === 'true' ? true : auto === 'false' ? false : auto,
    auto_create_bills: state.auto_create_bills,
    payments_bank_account: state.payments_bank_account === '' ? null : state.payments_bank_account,
    ...(state.rounding_account === '' ? {} : { rounding_account: state.rounding_account }),
    sync_payments: state.sync_payments,
    po_import_schedule: state.po_import_schedule,
    ...(state.reconcile_schedule === 'off' ? {} : { reconcile_schedule: state.reconcile_schedule }),
    tax_code_mappings: maps.tax_code_mappings,
    account_mappings: maps.account_mappings,
  };
}

/** Valibot's wording, in words for the person at the form. */
function issueWords(issue: v.BaseIssue<unknown>, field: string, inKey: boolean): string {
  const requirement = (issue as { requirement?: unknown }).requirement;
  switch (issue.type) {
    case 'min_length':
      return 'Enter a value.';
    case 'max_length':
      return `Use at most ${String(requirement)} characters.`;
    case 'picklist':
    case 'boolean':
      return 'Choose one of the options offered.';
    case 'max_entries':
      return `At most ${String(requirement)} rows.`;
    case 'regex':
      return inKey && field === 'tax_code_mappings' ? 'Enter a tax rate as a number, such as 20 or 5.5.' : issue.message;
    default:
      return issue.message;
  }
}

/** Where in the form a problem with map entry `key` of `field` belongs (its value unless said otherwise). */
function rowOf(state: DefaultsFormState, field: MapField, key: string): number {
  const rows = state[field];
  const exact = rows.findIndex((r) => r.key === key);
  if (exact >= 0 || field !== 'tax_code_mappings') return exact;
  return rows.findIndex((r) => normalRate(r.key) === key);
}

const sentence = (message: string) => {
  const trimmed = message.trim();
  const capital = `${trimmed.charAt(0).toUpperCase()}${trimmed.slice(1)}`;
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
};

/** Validates the form with the REST API's schema: the settings to check further, or the problems by field. */
export function parseDefaultsForm(state: DefaultsFormState): { settings: PostingDefaults; errors: FieldErrors } | { settings: null; errors: FieldErrors } {
  const errors: FieldErrors = new Map();
  const input = toInput(state, errors);
  const parsed = v.safeParse(PostingDefaultsInput, input);
  if (!parsed.success) {
    for (const issue of parsed.issues) {
      const [top, entry] = issue.path ?? [];
      const field = typeof top?.key === 'string' ? top.key : 'form';
      const inKey = (entry as { origin?: string } | undefined)?.origin === 'key';
      const words = issueWords(issue, field, inKey);
      if ((field === 'tax_code_mappings' || field === 'account_mappings') && typeof entry?.key === 'string') {
        const index = rowOf(state, field, entry.key);
        if (index >= 0) {
          addError(errors, rowErrorKey(field, index, inKey ? 'key' : 'code'), words);
          continue;
        }
      }
      addError(errors, field, words);
    }
  }
  if (errors.size > 0 || !parsed.success) return { settings: null, errors };
  return { settings: parsed.output, errors };
}

/** The organisation's objections (defaultsProblems), put beside the fields they name. */
export function problemErrors(state: DefaultsFormState, problems: readonly DefaultsProblem[]): FieldErrors {
  const errors: FieldErrors = new Map();
  for (const problem of problems) {
    const dot = problem.field.indexOf('.');
    const field = dot < 0 ? problem.field : problem.field.slice(0, dot);
    const key = dot < 0 ? undefined : problem.field.slice(dot + 1);
    if ((field === 'tax_code_mappings' || field === 'account_mappings') && key !== undefined) {
      const index = rowOf(state, field, key);
      if (index >= 0) {
        addError(errors, rowErrorKey(field, index, 'code'), sentence(problem.message));
        continue;
      }
    }
    addError(errors, field, sentence(problem.message));
  }
  return errors;
}
