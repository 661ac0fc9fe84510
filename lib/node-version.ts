/**
 * The one Node.js major of this project: the Lambda functions' runtime (`nodejs<major>.x`), esbuild's target for their
 * bundles, the Node CI runs on (.nvmrc, read by the workflows and .ci/run) and package.json `engines`. A test checks
 * that all of them agree. 24: the latest Node.js runtime aws-cdk-lib knows (cdk-nag AwsSolutions-L1), an LTS release.
 */
export const NODE_MAJOR = 24;
/** esbuild's `target` for the functions' bundles. */
export const ESBUILD_TARGET = `node${NODE_MAJOR}`;
