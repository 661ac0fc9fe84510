#!/usr/bin/env node
import { recordSynthInputs, sameInputsAsLastSynth, synthInputsFingerprint } from '../lib/validation/synth-inputs';
import { ValidationWorker } from '../lib/validation/validation-worker';

// The CloudFormation validation engine takes seconds to start: unless the last synth into this cloud assembly had
// the same inputs (its validation report is then likely cached there), it starts on another thread now, before the
// app's modules load, and is ready by the time the templates are written.
const outdir = process.env.CDK_OUTDIR; // set by the cdk CLI
const inputs = synthInputsFingerprint();
if (!outdir || !sameInputsAsLastSynth(outdir, inputs)) ValidationWorker.start();

/* eslint-disable @typescript-eslint/no-require-imports -- loaded once the worker has started */
const { createFleapoApp } = require('../lib/fleapo-app') as typeof import('../lib/fleapo-app');
const { ConfigError } = require('../lib/config/validate-config') as typeof import('../lib/config/validate-config');
/* eslint-enable @typescript-eslint/no-require-imports */

// Every stack of every configured environment; `npm run synth` writes them to cdk.out with no AWS access. The line
// that names the configuration (its sources, each environment's account and region) goes to stderr.
try {
  const assembly = createFleapoApp({ report: (line) => console.error(line) }).synth();
  recordSynthInputs(assembly.directory, inputs);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
