/**
 * CSV cells and records (RFC 4180), safe to open in a spreadsheet.
 *
 * Text that came from outside is neutralised against formula injection (OWASP "CSV Injection";
 * ASVS 1.2.10): a cell whose first character would make Excel, LibreOffice Calc or Google
 * Sheets read it as a formula is prefixed with a single quote, which they take as "this is
 * text". Numbers Ledgerport formats itself are written as they are, so "-12.50" stays a number.
 */

/** First characters that start a formula: = + - @, tab and carriage return (OWASP), NUL (ASVS). */
export const FORMULA_TRIGGERS: readonly string[] = ['=', '+', '-', '@', '\t', '\r', '\0'];

export function neutraliseFormula(value: string): string {
  return value.length > 0 && FORMULA_TRIGGERS.includes(value[0]!) ? `'${value}` : value;
}

const NEEDS_QUOTES = /[",\r\n]/;

/** RFC 4180 §2.6–2.7: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function quoteField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A text cell: neutralised, then quoted as needed. Absent values are empty cells. */
export function textCell(value: string | null | undefined): string {
  return value ? quoteField(neutraliseFormula(value)) : '';
}

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/** A number cell: a plain decimal is written as it is; anything else is treated as text. */
export function numberCell(value: string | null | undefined): string {
  if (!value) return '';
  return PLAIN_NUMBER.test(value) ? value : textCell(value);
}

/** One record, CRLF-terminated as RFC 4180 has it; cells are already encoded. */
export function csvRecord(cells: readonly string[]): string {
  return `${cells.join(',')}\r\n`;
}
