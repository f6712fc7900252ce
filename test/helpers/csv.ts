/**
 * A strict RFC 4180 reader for tests: CRLF record ends, quoted fields with doubled quotes. It
 * refuses what a conforming writer never produces (a bare CR or LF outside quotes, a quote in
 * an unquoted field, text after a closing quote), so a test reading a file with it checks the
 * writer too.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let state: 'start' | 'plain' | 'quoted' | 'closed' = 'start';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (state === 'quoted') {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else state = 'closed';
      continue;
    }
    if (c === ',') {
      row.push(field);
      field = '';
      state = 'start';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      state = 'start';
      i++;
    } else if (state === 'closed') {
      throw new Error(`text after a closing quote at ${i}`);
    } else if (c === '"') {
      if (state !== 'start') throw new Error(`a quote inside an unquoted field at ${i}`);
      state = 'quoted';
    } else if (c === '\r' || c === '\n') {
      throw new Error(`a bare line break outside quotes at ${i}`);
    } else {
      field += c;
      state = 'plain';
    }
  }
  if (state === 'quoted') throw new Error('unterminated quoted field');
  if (state !== 'start' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
