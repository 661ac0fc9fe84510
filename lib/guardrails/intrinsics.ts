/**
 * What strings can a CloudFormation value be assembled from? Every rule asks this of a value
 * instead of looking at one JSON leaf at a time, so a secret split over the pieces of an
 * `Fn::Join`, the variables of an `Fn::Sub`, the branches of an `Fn::If` or a mapping looked up
 * with `Fn::FindInMap` is seen whole.
 *
 * Parts the template does not give literally (`Ref`, `Fn::GetAtt`, `Fn::ImportValue`, a `${Var}`
 * of an `Fn::Sub` that is not in its variable map, ...) are written as {@link TOKEN_PLACEHOLDER},
 * which no "secret-looking literal" pattern counts as literal text.
 */
import { SECRET_DYNAMIC_REFERENCE_SPAN, TOKEN_PLACEHOLDER } from './secret-patterns';

/** What a value can be assembled from. */
export interface AssembledStrings {
  /** Every literal string the value is built from, as written in the template (pieces, variables, branches). */
  readonly fragments: readonly string[];
  /**
   * The value's possible texts: literal parts joined as CloudFormation would join them, with
   * {@link TOKEN_PLACEHOLDER} for each part the template does not give. Several when the value
   * depends on a condition, a list index or a mapping key; empty when the value is not a string
   * (an object, or `AWS::NoValue`).
   */
  readonly texts: readonly string[];
  /** False when there were more than {@link MAX_TEXTS} possible texts: `texts` holds the first ones, `fragments` all pieces. */
  readonly complete: boolean;
}

/** The template sections the assembly looks values up in. */
export interface TemplateContext {
  readonly Mappings?: unknown;
  readonly [section: string]: unknown;
}

/** At most this many possible texts per value (a product of conditions can grow fast). */
export const MAX_TEXTS = 64;

const P = TOKEN_PLACEHOLDER;

/** Every string `value` can be assembled from. Pure. */
export function assembleStrings(value: unknown, template: TemplateContext = {}): AssembledStrings {
  const fragments: string[] = [];
  let complete = true;

  const cap = (xs: string[]): string[] => {
    const u = [...new Set(xs)];
    if (u.length > MAX_TEXTS) {
      complete = false;
      return u.slice(0, MAX_TEXTS);
    }
    return u;
  };

  /** Joins one candidate from each set, in every combination (capped). */
  const product = (sets: readonly string[][], separator: readonly string[] = ['']): string[] => {
    let acc: string[] = [''];
    sets.forEach((set, i) => {
      const seps = i === 0 ? [''] : separator;
      const next: string[] = [];
      for (const a of acc) for (const s of seps) for (const b of set) next.push(a + s + b);
      acc = cap(next);
    });
    return acc;
  };

  /** The possible texts of a string-valued expression. */
  const strs = (v: unknown): string[] => {
    if (typeof v === 'string') {
      fragments.push(v);
      return [v];
    }
    if (typeof v === 'number' || typeof v === 'boolean') return [String(v)];
    if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
    const keys = Object.keys(v);
    if (keys.length !== 1) return []; // an object, not an intrinsic function
    const fn = keys[0];
    const arg = (v as Record<string, unknown>)[fn];
    switch (fn) {
      case 'Ref':
        return arg === 'AWS::NoValue' ? [] : [P];
      case 'Fn::Join': {
        if (!Array.isArray(arg) || arg.length !== 2) return [P];
        const delimiters = strs(arg[0]);
        const elements = list(arg[1]);
        return elements.length === 0 ? [''] : product(elements, delimiters.length ? delimiters : ['']);
      }
      case 'Fn::Sub':
        return sub(arg);
      case 'Fn::If':
        return Array.isArray(arg) && arg.length === 3 ? cap([...strs(arg[1]), ...strs(arg[2])]) : [P];
      case 'Fn::Select': {
        if (!Array.isArray(arg) || arg.length !== 2) return [P];
        const elements = list(arg[1]);
        const index = strs(arg[0]);
        const literal = index.length === 1 && /^\d+$/.test(index[0]) ? Number(index[0]) : undefined;
        if (literal !== undefined) return elements[literal] ?? [P];
        return elements.length ? cap(elements.flat()) : [P];
      }
      case 'Fn::Base64':
        return strs(arg);
      case 'Fn::FindInMap':
        return findInMap(arg);
      case 'Fn::ToJsonString':
        return [JSON.stringify(toJson(arg))];
      default:
        return [P]; // Fn::GetAtt, Fn::ImportValue, Fn::Length, Fn::Transform, ...: not in the template
    }
  };

  /** The elements of a list-valued expression, each with its possible texts. */
  const list = (v: unknown): string[][] => {
    if (Array.isArray(v)) return v.map((x) => strs(x)).filter((x) => x.length > 0);
    if (v && typeof v === 'object' && Object.keys(v).length === 1) {
      const [fn] = Object.keys(v);
      const arg = (v as Record<string, unknown>)[fn];
      if (fn === 'Fn::Split' && Array.isArray(arg) && arg.length === 2) {
        const delimiter = strs(arg[0]);
        const sources = strs(arg[1]);
        if (delimiter.length !== 1 || delimiter[0] === '') return [sources];
        const split = sources.map((s) => s.split(delimiter[0]));
        const width = Math.max(0, ...split.map((s) => s.length));
        return Array.from({ length: width }, (_, i) => cap(split.map((s) => s[i] ?? P)));
      }
      if (fn === 'Fn::If' && Array.isArray(arg) && arg.length === 3) {
        const a = list(arg[1]);
        const b = list(arg[2]);
        return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => cap([...(a[i] ?? []), ...(b[i] ?? [])]));
      }
      if (fn === 'Fn::FindInMap') return [findInMap(arg)];
    }
    return [[P]]; // Ref to a list parameter, Fn::GetAZs, Fn::Cidr, ...: one unknown element
  };

  const sub = (arg: unknown): string[] => {
    const [template, vars] = Array.isArray(arg) ? [arg[0], arg[1]] : [arg, {}];
    if (typeof template !== 'string') return [P];
    const map = vars && typeof vars === 'object' && !Array.isArray(vars) ? (vars as Record<string, unknown>) : {};
    const parts: string[][] = [];
    let last = 0;
    for (const m of template.matchAll(/\$\{([^}]*)\}/g)) {
      const literal = template.slice(last, m.index);
      if (literal) fragments.push(literal);
      parts.push([literal]);
      const name = m[1];
      if (name.startsWith('!')) parts.push([`\${${name.slice(1)}}`]);
      else if (name in map) {
        const values = strs(map[name]);
        parts.push(values.length ? values : ['']);
      } else parts.push([P]);
      last = (m.index ?? 0) + m[0].length;
    }
    const tail = template.slice(last);
    if (tail) fragments.push(tail);
    parts.push([tail]);
    return product(parts);
  };

  const findInMap = (arg: unknown): string[] => {
    if (!Array.isArray(arg) || arg.length < 3) return [P];
    const fallback = arg[3] && typeof arg[3] === 'object' ? strs((arg[3] as Record<string, unknown>).DefaultValue) : [];
    const mappings = asRecord(template.Mappings);
    const pick = (level: Record<string, unknown>, key: unknown): unknown[] => {
      const names = strs(key);
      if (names.length > 0 && names.every((n) => !n.includes(P))) return names.filter((n) => n in level).map((n) => level[n]);
      return Object.values(level); // key not literal: any entry may be picked
    };
    const values = pick(mappings, arg[0])
      .flatMap((m) => pick(asRecord(m), arg[1]))
      .flatMap((t) => pick(asRecord(t), arg[2]));
    const out = values.flatMap((x) => (Array.isArray(x) ? x.flatMap((y) => strs(y)) : strs(x)));
    return cap([...out, ...fallback].length ? [...out, ...fallback] : [P]);
  };

  const toJson = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(toJson);
    if (v && typeof v === 'object') {
      const keys = Object.keys(v);
      if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return strs(v)[0] ?? P;
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
    }
    if (typeof v === 'string') fragments.push(v);
    return v;
  };

  const texts = strs(value);
  return { fragments: [...new Set(fragments)], texts, complete };
}

/** Every string to test against a "secret-looking literal" pattern: the assembled texts and each literal piece. */
export function candidateStrings(value: unknown, template: TemplateContext = {}): string[] {
  const a = assembleStrings(value, template);
  return [...new Set([...a.texts, ...a.fragments])];
}

/**
 * What is literal in a text: the text without its secret dynamic references
 * (`{{resolve:secretsmanager:...}}`, `{{resolve:ssm-secure:...}}`) and without the parts the template
 * does not give. Empty when the value comes only from a secret store or from elsewhere in the stack.
 */
export function literalRemainder(text: string): string {
  return text.replace(SECRET_DYNAMIC_REFERENCE_SPAN, '').split(P).join('').trim();
}

/** True when the value, as CloudFormation may assemble it, has any literal text besides secret references. */
export function hasLiteralContent(value: unknown, template: TemplateContext = {}): boolean {
  return assembleStrings(value, template).texts.some((t) => literalRemainder(t) !== '');
}

/**
 * The name/value pairs of a structured text: every key of a JSON document (at any depth, with
 * string values), or `name=value` / `name: value` pairs of a connection string, `.env`-style or
 * YAML-style text. Used to look inside a `SecretString` or a JSON-valued property.
 */
export function namedValues(text: string): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const walk = (v: unknown, key?: string): void => {
        if (typeof v === 'string' && key !== undefined) out.push({ name: key, value: v });
        else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
        else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
      };
      walk(JSON.parse(trimmed));
      return out;
    } catch {
      // not JSON after all: fall through to name=value pairs
    }
  }
  for (const m of text.matchAll(/(?:^|[\s;&,{])["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*[=:]\s*("[^"]*"|'[^']*'|[^\s;&,}]*)/g)) {
    out.push({ name: m[1], value: m[2].replace(/^["']|["']$/g, '') });
  }
  return out;
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
