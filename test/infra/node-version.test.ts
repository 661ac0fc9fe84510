/** The Lambda runtime, esbuild's target, the Node CI uses and package.json engines name one Node release. */
import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { parse } from 'yaml';
import { FUNCTION_RUNTIME } from '../../lib/constructs/rotation-function';
import { ESBUILD_TARGET, NODE_MAJOR } from '../../lib/node-version';
import { HANDLER_BUNDLE_OPTIONS } from '../../lib/bundling/handler-code';
import { CLI_BUILD_OPTIONS } from '../../scripts/build-cli';

const root = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

test('one Node major everywhere, and it is the latest Node.js Lambda runtime aws-cdk-lib knows', () => {
  expect(FUNCTION_RUNTIME.name).toBe(`nodejs${NODE_MAJOR}.x`);
  expect(ESBUILD_TARGET).toBe(`node${NODE_MAJOR}`);
  // The functions' bundles and the operator command are built for it.
  expect([HANDLER_BUNDLE_OPTIONS.target, CLI_BUILD_OPTIONS.target]).toEqual([ESBUILD_TARGET, ESBUILD_TARGET]);
  expect(read('.nvmrc').trim()).toBe(String(NODE_MAJOR));
  expect(JSON.parse(read('package.json')).engines.node).toBe(`>=${NODE_MAJOR}`);
  // cdk-nag AwsSolutions-L1 wants the family's latest runtime.
  const node = lambda.Runtime.ALL.map((r) => r.name).filter((n) => /^nodejs\d+\.x$/.test(n));
  expect(Math.max(...node.map((n) => Number(/\d+/.exec(n)![0])))).toBe(NODE_MAJOR);
});

test('every workflow job that sets up Node takes the version from .nvmrc, and .ci/run uses it too', () => {
  const dir = path.join(root, '.github', 'workflows');
  let setups = 0;
  for (const file of fs.readdirSync(dir)) {
    const workflow = parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    for (const job of Object.values<any>(workflow.jobs ?? {})) {
      for (const step of job.steps ?? []) {
        if (!String(step.uses ?? '').startsWith('actions/setup-node@')) continue;
        setups++;
        expect({ file, with: step.with }).toEqual({ file, with: expect.objectContaining({ 'node-version-file': '.nvmrc' }) });
        expect(step.with['node-version']).toBeUndefined();
      }
    }
  }
  expect(setups).toBeGreaterThan(0);
  expect(read('.ci/run')).toContain('.nvmrc');
});
