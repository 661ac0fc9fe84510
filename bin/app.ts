#!/usr/bin/env node
import { ConfigError } from '../lib/config/validate-config';
import { createFleapoApp } from '../lib/fleapo-app';

// Every stack of every configured environment; `npm run synth` writes them to cdk.out with no AWS access.
try {
  createFleapoApp().synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
