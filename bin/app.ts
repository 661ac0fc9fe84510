#!/usr/bin/env node
import { ValidationWorker } from '../lib/validation/validation-worker';

// The CloudFormation validation engine starts on another thread before the app's modules load: it takes seconds to
// start, and is ready by the time the templates are written.
ValidationWorker.start();

/* eslint-disable @typescript-eslint/no-require-imports -- loaded once the worker has started */
const { createFleapoApp } = require('../lib/fleapo-app') as typeof import('../lib/fleapo-app');
const { ConfigError } = require('../lib/config/validate-config') as typeof import('../lib/config/validate-config');
/* eslint-enable @typescript-eslint/no-require-imports */

// Every stack of every configured environment; `npm run synth` writes them to cdk.out with no AWS access.
try {
  createFleapoApp().synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
