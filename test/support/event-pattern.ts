/**
 * Amazon EventBridge event pattern matching, as documented in the EventBridge user guide ("Event patterns",
 * "Comparison operators for use in event patterns"), for the tests of the rules the stacks create:
 * - every field of the pattern must match; a leaf is an array of matchers, any of which may match;
 * - an event field holding an array matches when any of its values matches; arrays of objects are flattened (each leaf
 *   path collects the values of every element);
 * - a field the event does not have matches only `{"exists": false}` (not even `anything-but`);
 * - matchers: a string, number, boolean or null (exact; numbers by value), `prefix` and `suffix` (optionally
 *   `{"equals-ignore-case": ...}` inside), `anything-but` (a value, a list of values, or a `prefix`/`suffix`),
 *   `exists` (leaf fields only), `equals-ignore-case`, `wildcard` (`*` any run of characters), `numeric`;
 * - `$or`: a list of patterns, any of which may match, together with the fields beside it.
 * Not modelled (throws): `cidr`.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The leaf values at `path` below `value`, through arrays (missing: none; an object is not a leaf value). */
function leaves(value: Json | undefined, path: readonly string[]): Json[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => leaves(v, path));
  if (path.length === 0) return [value];
  if (!isObject(value)) return [];
  return leaves(value[path[0]], path.slice(1));
}

/** Whether anything (leaf or object) exists at `path`. */
function present(value: Json | undefined, path: readonly string[]): boolean {
  if (value === undefined) return false;
  if (Array.isArray(value)) return value.some((v) => present(v, path));
  if (path.length === 0) return true;
  return isObject(value) && present(value[path[0]], path.slice(1));
}

function wildcard(pattern: string, s: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
  return re.test(s);
}

function stringMatch(kind: 'prefix' | 'suffix', spec: Json, v: Json): boolean {
  if (typeof v !== 'string') return false;
  if (isObject(spec) && typeof spec['equals-ignore-case'] === 'string') {
    const s = spec['equals-ignore-case'].toLowerCase();
    return kind === 'prefix' ? v.toLowerCase().startsWith(s) : v.toLowerCase().endsWith(s);
  }
  if (typeof spec !== 'string') throw new Error(`unsupported ${kind} matcher`);
  return kind === 'prefix' ? v.startsWith(spec) : v.endsWith(spec);
}

function numeric(spec: Json[], v: Json): boolean {
  if (typeof v !== 'number') return false;
  for (let i = 0; i < spec.length; i += 2) {
    const [op, n] = [spec[i] as string, spec[i + 1] as number];
    const ok = { '<': v < n, '<=': v <= n, '=': v === n, '>': v > n, '>=': v >= n }[op];
    if (ok === undefined) throw new Error(`unknown numeric operator ${op}`);
    if (!ok) return false;
  }
  return true;
}

/** One matcher against one leaf value. */
function matcherMatches(m: Json, v: Json): boolean {
  if (!isObject(m)) return m === v;
  const [op, spec] = Object.entries(m)[0];
  switch (op) {
    case 'prefix':
    case 'suffix':
      return stringMatch(op, spec, v);
    case 'equals-ignore-case':
      return typeof v === 'string' && typeof spec === 'string' && v.toLowerCase() === spec.toLowerCase();
    case 'wildcard':
      return typeof v === 'string' && typeof spec === 'string' && wildcard(spec, v);
    case 'numeric':
      return numeric(spec as Json[], v);
    case 'anything-but': {
      if (isObject(spec)) return !matcherMatches(spec, v);
      const excluded = Array.isArray(spec) ? spec : [spec];
      return !excluded.some((x) => x === v);
    }
    default:
      throw new Error(`matcher ${op} is not modelled`);
  }
}

function leafMatches(matchers: Json[], event: Json, path: readonly string[]): boolean {
  return matchers.some((m) => {
    if (isObject(m) && 'exists' in m) {
      const has = leaves(event, path).some((v) => !isObject(v));
      return m.exists === true ? has : !present(event, path);
    }
    return leaves(event, path).some((v) => !isObject(v) && matcherMatches(m, v));
  });
}

function patternMatches(pattern: Record<string, Json>, event: Json, path: readonly string[]): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    if (key === '$or') {
      if (!Array.isArray(sub)) throw new Error('$or must be a list of patterns');
      return sub.some((alt) => isObject(alt) && patternMatches(alt, event, path));
    }
    if (Array.isArray(sub)) return leafMatches(sub, event, [...path, key]);
    if (isObject(sub)) return patternMatches(sub, event, [...path, key]);
    throw new Error(`pattern field ${[...path, key].join('.')} must be a list or an object`);
  });
}

/** Whether `event` matches the EventBridge `pattern`. */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new Error('an event pattern is an object');
  return patternMatches(pattern, event as Json, []);
}
