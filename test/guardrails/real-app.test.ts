/** The guardrails stay quiet on the real app (every stack of both environments), and the app registers them once. */
import { Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { createFleapoApp } from '../../lib/fleapo-app';
import { PLAIN_ENV_SECRET, evaluateGuardrails, logicalIdPaths, readAssembly } from '../../lib/guardrails';
import { FAST_CONTEXT, violationsOf } from './helpers';

describe('SecretGuardrails on the real app', () => {
  test('synth passes with the guardrails createFleapoApp registers, for every stack of staging and prod', () => {
    const app = createFleapoApp({ context: FAST_CONTEXT });
    const assembly = app.synth(); // throws the report on any violation
    const names = assembly.stacksRecursively.map((s) => s.stackName);
    expect(names).toEqual(expect.arrayContaining(['Fleapo-staging', 'Fleapo-prod']));

    // And the same rules, run directly on the assembly, find nothing (not even warnings).
    const templatePaths = assembly.stacksRecursively.map((s) => s.templateFullPath);
    const { stacks, manifests } = readAssembly(templatePaths, { constructPaths: logicalIdPaths(app) });
    expect(stacks.length).toBeGreaterThanOrEqual(templatePaths.length);
    const findings = evaluateGuardrails(stacks, manifests);
    expect(findings.map((f) => `${f.ruleName} ${f.constructPath} ${f.location}`)).toEqual([]);
  });

  test('createFleapoApp registers the guardrails itself, once: a secret in plain Lambda environment fails its synth, reported once', () => {
    const app = createFleapoApp({ context: FAST_CONTEXT });
    const stack = app.node.findChild('Fleapo-staging') as Stack;
    new lambda.Function(stack, 'LeakyFunction', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
      timeout: Duration.seconds(5),
      environment: { STRIPE_SECRET_KEY: 'not-a-real-value' },
    });
    let message = '';
    try {
      app.synth();
    } catch (e) {
      message = e instanceof Error ? e.message : String(e);
    }
    const violations = violationsOf(message, PLAIN_ENV_SECRET);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toContain('Fleapo-staging/LeakyFunction');
  });
});
