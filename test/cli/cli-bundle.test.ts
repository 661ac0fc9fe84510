import { buildSync } from 'esbuild';
import { CLI_BUILD_OPTIONS } from '../../scripts/build-cli';

/**
 * The CLI shares with the handlers only runtime/ (and catalog/): it never loads lambda/ or a Powertools module
 * (docs/architecture.md, "Import rule"). Read from esbuild's own record of what the bundle takes in.
 */
test('the CLI bundle takes nothing from lambda/ and loads no Powertools module', () => {
  const result = buildSync({ ...CLI_BUILD_OPTIONS, write: false, outfile: 'fleapo-secrets.js', metafile: true, logLevel: 'silent' });
  const inputs = Object.keys(result.metafile!.inputs);
  const imports = Object.values(result.metafile!.inputs).flatMap((i) => i.imports.map((x) => x.path));
  expect(inputs.some((p) => p.startsWith('runtime/'))).toBe(true); // (the check sees the shared floor)
  expect(inputs.filter((p) => p.startsWith('lambda/'))).toEqual([]);
  expect(imports.filter((p) => p.includes('@aws-lambda-powertools'))).toEqual([]);
});
