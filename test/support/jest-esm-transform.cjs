/**
 * Jest transform for ESM-only dependencies (better-auth 1.7 and what it imports ship only ES modules, and jest's
 * CommonJS runtime cannot require them on Node 20): esbuild rewrites each such file to CommonJS. Only the packages
 * jest.config.js lets through `transformIgnorePatterns` are transformed.
 */
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: 'js',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: filename,
      supported: { 'dynamic-import': false },
    });
    return { code, map };
  },
};
