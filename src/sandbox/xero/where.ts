// A small interpreter for Xero's `where` query parameter (a subset of its Dynamic LINQ syntax):
//   Name=="ABC" AND ContactStatus=="ACTIVE"   Contact.ContactID==Guid("...")   Type=="ACCREC" OR Status!="PAID"
//   EmailAddress!=null&&EmailAddress.StartsWith("boom")   Date>=DateTime(2024, 01, 31)   IsCustomer==true
// String comparisons are case-insensitive, like Xero's database-backed filters.

type Value = string | number | boolean | null;
type Node =
  | { k: 'or' | 'and'; a: Node; b: Node }
  | { k: 'not'; a: Node }
  | { k: 'cmp'; path: string[]; op: string; v: Value }
  | { k: 'call'; path: string[]; fn: string; v: Value }
  | { k: 'bool'; path: string[] };

export class WhereParseError extends Error {}

const TOKEN = /\s*(?:(\(|\)|==|!=|>=|<=|>|<|&&|\|\||!|,|\.)|("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*))/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw new WhereParseError(`Syntax error at position ${pos} in '${src}'`);
    out.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? '');
    pos = TOKEN.lastIndex;
  }
  return out;
}

export function parseWhere(src: string, knownFields: ReadonlySet<string>): (obj: Record<string, unknown>) => boolean {
  const t = tokenize(src);
  let i = 0;
  const peek = (): string | undefined => t[i];
  const next = (): string => {
    const v = t[i++];
    if (v === undefined) throw new WhereParseError(`Unexpected end of expression '${src}'`);
    return v;
  };
  const expect = (s: string): void => {
    const v = next();
    if (v !== s) throw new WhereParseError(`'${s}' expected, found '${v}'`);
  };
  const isWord = (s: string | undefined, w: string): boolean => s?.toUpperCase() === w;

  const value = (): Value => {
    const v = next();
    if (v.startsWith('"')) return JSON.parse(v) as string;
    if (/^-?\d/.test(v)) return Number(v);
    if (v === 'true' || v === 'false') return v === 'true';
    if (v === 'null') return null;
    if (v === 'Guid') { expect('('); const g = value(); expect(')'); return String(g).toLowerCase(); }
    if (v === 'DateTime') {
      expect('(');
      const parts: number[] = [Number(value())];
      while (peek() === ',') { next(); parts.push(Number(value())); }
      expect(')');
      const [y = 1970, m = 1, d = 1, hh = 0, mm = 0, ss = 0] = parts;
      return Date.UTC(y, m - 1, d, hh, mm, ss);
    }
    throw new WhereParseError(`Expression expected, found '${v}'`);
  };

  const primary = (): Node => {
    const tok = peek();
    if (tok === '(') { next(); const n = or(); expect(')'); return n; }
    if (tok === '!' || isWord(tok, 'NOT')) { next(); return { k: 'not', a: primary() }; }
    const path = [next()];
    if (!/^[A-Za-z_]/.test(path[0] ?? '')) throw new WhereParseError(`Identifier expected, found '${path[0]}'`);
    if (!knownFields.has(path[0] ?? '')) {
      throw new WhereParseError(`No property or field '${path[0]}' exists in type`);
    }
    while (peek() === '.') {
      next();
      const name = next();
      if (peek() === '(') {
        next();
        const v = value();
        expect(')');
        if (!['StartsWith', 'EndsWith', 'Contains'].includes(name)) throw new WhereParseError(`Method '${name}' not supported`);
        return { k: 'call', path, fn: name, v };
      }
      path.push(name);
    }
    const op = peek();
    if (op && ['==', '!=', '>=', '<=', '>', '<'].includes(op)) { next(); return { k: 'cmp', path, op, v: value() }; }
    return { k: 'bool', path };
  };
  const and = (): Node => {
    let n = primary();
    while (peek() === '&&' || isWord(peek(), 'AND')) { next(); n = { k: 'and', a: n, b: primary() }; }
    return n;
  };
  const or = (): Node => {
    let n = and();
    while (peek() === '||' || isWord(peek(), 'OR')) { next(); n = { k: 'or', a: n, b: and() }; }
    return n;
  };
  const root = or();
  if (i < t.length) throw new WhereParseError(`Syntax error near '${t[i]}'`);
  return (obj) => evaluate(root, obj);
}

function lookup(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (!cur || typeof cur !== 'object') return null;
    const rec = cur as Record<string, unknown>;
    const key = Object.keys(rec).find((k) => k.toLowerCase() === p.toLowerCase());
    cur = key === undefined ? null : rec[key];
  }
  return cur ?? null;
}

function norm(v: unknown): Value {
  if (typeof v === 'string') {
    const d = v.match(/^\/Date\((-?\d+)/);
    if (d?.[1] !== undefined) return Number(d[1]);
    return v.toLowerCase();
  }
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  return null;
}

function evaluate(n: Node, obj: Record<string, unknown>): boolean {
  switch (n.k) {
    case 'or': return evaluate(n.a, obj) || evaluate(n.b, obj);
    case 'and': return evaluate(n.a, obj) && evaluate(n.b, obj);
    case 'not': return !evaluate(n.a, obj);
    case 'bool': return lookup(obj, n.path) === true;
    case 'call': {
      const s = lookup(obj, n.path);
      if (typeof s !== 'string' || typeof n.v !== 'string') return false;
      const [a, b] = [s.toLowerCase(), n.v.toLowerCase()];
      return n.fn === 'StartsWith' ? a.startsWith(b) : n.fn === 'EndsWith' ? a.endsWith(b) : a.includes(b);
    }
    case 'cmp': {
      const a = norm(lookup(obj, n.path));
      const b = typeof n.v === 'string' ? n.v.toLowerCase() : n.v;
      switch (n.op) {
        case '==': return a === b;
        case '!=': return a !== b;
        default: {
          if (a === null || b === null) return false;
          if (n.op === '>') return a > b;
          if (n.op === '<') return a < b;
          if (n.op === '>=') return a >= b;
          return a <= b;
        }
      }
    }
  }
}
