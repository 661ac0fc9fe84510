/**
 * The catalog: every fact the infrastructure (`lib/`) and the handlers (`lambda/`) share, written once. Plain
 * TypeScript with no dependency (no aws-cdk-lib, no AWS SDK), so that a handler's bundle takes only the constants it
 * uses. `lib/` and `lambda/` import these modules and never each other (`lib/cli`, the operator's runtime, may run
 * `lambda/rotation` and `lambda/external` code; see docs/architecture.md, "Layout").
 */
export * from './assert-never';
export * from './env-vars';
export * from './handlers';
export * from './labels';
export * from './metrics';
export * from './secrets';
export * from './tags';
