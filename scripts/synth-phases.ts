/**
 * Where a cold synth's time goes, for `npm run bench`: runs the app as `bin/app.ts` does (validation worker first)
 * into the cloud assembly directory given as the argument, and prints one JSON line of milestones in milliseconds
 * since this process started: modules loaded, app constructed (bundling included), templates written, each
 * validation plugin's time, synthesized. Run with cdk.json's node flags: `node --liftoff-only --import tsx`.
 */
import { performance } from 'node:perf_hooks';
import { ValidationWorker } from '../lib/validation/validation-worker';

ValidationWorker.start();
const start = performance.now();
/* eslint-disable @typescript-eslint/no-require-imports -- loaded once the worker has started, as bin/app.ts does */
const { NagPack } = require('cdk-nag') as typeof import('cdk-nag');
const { createFleapoApp } = require('../lib/fleapo-app') as typeof import('../lib/fleapo-app');
const { SecretGuardrails } = require('../lib/guardrails') as typeof import('../lib/guardrails');
const { CachedCloudFormationValidatePlugin } =
  require('../lib/validation/cached-cloudformation-validate-plugin') as typeof import('../lib/validation/cached-cloudformation-validate-plugin');
/* eslint-enable @typescript-eslint/no-require-imports */
const loaded = performance.now();

// Each validation plugin's validate, timed in place (they run one after another once every template is written).
const plugins: Record<string, number> = {};
let templatesWritten = 0;
for (const [label, cls] of [
  ['cdk-nag', NagPack],
  ['guardrails', SecretGuardrails],
  ['CloudFormation validation (wait for the worker)', CachedCloudFormationValidatePlugin],
] as const) {
  const validate = cls.prototype.validate as (this: unknown, context: unknown) => unknown;
  (cls.prototype as { validate: unknown }).validate = function (this: unknown, context: unknown) {
    const t = performance.now();
    templatesWritten ||= t;
    try {
      return validate.call(this, context);
    } finally {
      plugins[label] = performance.now() - t;
    }
  };
}

const app = createFleapoApp({ outdir: process.argv[2] });
const constructed = performance.now();
app.synth();
const synthesized = performance.now();
const round = (x: number) => Math.round(x);
process.stdout.write(
  `${JSON.stringify({
    processStart: round(start),
    modulesLoaded: round(loaded),
    constructed: round(constructed),
    templatesWritten: round(templatesWritten),
    synthesized: round(synthesized),
    plugins: Object.fromEntries(Object.entries(plugins).map(([name, ms]) => [name, round(ms)])),
  })}\n`,
);
