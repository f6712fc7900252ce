/** A plain-text table: every column left-aligned except those listed in `right`. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], opts: { right?: readonly number[]; indent?: string } = {}): string {
  const indent = opts.indent ?? '  ';
  const right = new Set(opts.right ?? []);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    indent + cells.map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), indent + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
