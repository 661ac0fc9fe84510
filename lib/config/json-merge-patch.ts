/**
 * JSON Merge Patch (RFC 7396), how the team's configuration file and `-c fleapo:config=...` apply over the defaults:
 * a patch that is an object merges into the target key by key (recursively), `null` removes a key, and anything
 * else (an array, a string, a number, `true`) replaces the target whole. A patch object over a target that is not
 * an object starts from `{}`. Neither argument is modified, and the result shares nothing with them.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  return apply(structuredClone(target), structuredClone(patch));
}

function apply(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const result: Record<string, unknown> = {};
  if (isJsonObject(target)) for (const [key, value] of Object.entries(target)) setOwn(result, key, value);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else setOwn(result, key, apply(Object.prototype.hasOwnProperty.call(result, key) ? result[key] : undefined, value));
  }
  return result;
}

/** A JSON object: not `null`, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Defines an own property, so that a key such as `__proto__` stays a key (and is then refused as unknown). */
function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}
