import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { SecretGuardrails } from '../../lib/guardrails';
import { CachedCloudFormationValidatePlugin } from '../../lib/validation/cached-cloudformation-validate-plugin';
import { OutputCapture } from '../support/output-capture';

/** Context that skips asset bundling, so small apps synth in a blink. */
export const FAST_CONTEXT = { 'aws:cdk:bundling-stacks': [] as string[] };

/**
 * aws-cdk-lib's report of CloudFormation validation findings downgraded to warnings (the feature flag
 * `@aws-cdk/core:validateAgainstDefaultRules` is off in these apps), printed with console.error.
 */
const CFN_WARNING_REPORT =
  /\[Warning\] Template validation found issues in your templates \(reported as warnings\)\.[\s\S]*?validation-report\.json\n/g;

/**
 * Builds a one-stack app with the guardrails registered, synthesizes it and returns the
 * validation error message ('' when synth passed). Under jest (NODE_ENV=test) aws-cdk-lib throws
 * the whole report on a failed validation.
 *
 * The fixtures are minimal resources made to trip the guardrails, not deployable templates: what the CloudFormation
 * validation finds in them (a warning here, the flag being off) is not printed; any other output is.
 */
export function synthWithGuardrails(build: (stack: Stack) => void, stackId = 'Bad'): string {
  return synthGuarded(build, stackId).message;
}

/** The outcome of a guarded synth: the validation message ('' when synth passed) and the stack's template (when it did). */
export interface GuardedSynth {
  message: string;
  /** The synthesized template's resource types, by logical id; undefined when the synth failed. */
  resourceTypes?: Record<string, string>;
}

/**
 * synthWithGuardrails, also returning what was synthesized: a "passes" case asserts the synth succeeded and produced
 * the resources it is about, so it cannot pass because the synth failed for another reason.
 */
export function synthGuarded(build: (stack: Stack) => void, stackId = 'Bad'): GuardedSynth {
  const app = new App({ context: FAST_CONTEXT });
  // aws-cdk-lib's CloudFormation validation as the real app runs it: the same engine and rules, reports cached.
  Validations.of(app).addPlugins(new SecretGuardrails(), new CachedCloudFormationValidatePlugin());
  build(new Stack(app, stackId, { env: { account: '123456789012', region: 'us-east-1' } }));
  const output = new OutputCapture();
  output.start();
  try {
    const template = app.synth().getStackByName(stackId).template as { Resources?: Record<string, { Type: string }> };
    return {
      message: '',
      resourceTypes: Object.fromEntries(Object.entries(template.Resources ?? {}).map(([id, r]) => [id, r.Type])),
    };
  } catch (e) {
    return { message: e instanceof Error ? e.message : String(e) };
  } finally {
    output.stop();
    const rest = output.text.replace(CFN_WARNING_REPORT, '');
    if (rest.trim()) process.stderr.write(rest);
  }
}

/** A directory with a Dockerfile for DockerImageAsset tests (nothing is built at synth). */
export function dockerDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guardrails-docker-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM public.ecr.aws/docker/library/node:20-slim\nARG X\n');
  return dir;
}

/** The violation blocks of a message that belong to one rule. */
export function violationsOf(message: string, ruleName: string): string[] {
  // Each violation starts with a line "ERROR <construct path>: <description> (<plugin>)".
  return message.split(/\n(?=ERROR )/).filter((block) => block.includes(`::${ruleName}'`));
}
