/**
 * Every template of the assembly is read: top-level stacks, the stacks of nested assemblies (stages)
 * and the templates of nested stacks at any depth, which CDK does not hand to validation plugins.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, NestedStack, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { SECRET_VALUE_IN_TEMPLATE, SecretGuardrails, evaluateGuardrails, logicalIdPaths, readAssembly } from '../../lib/guardrails';
import { FAKE } from './fakes';
import { FAST_CONTEXT, synthWithGuardrails, violationsOf } from './helpers';

const env = { account: '123456789012', region: 'us-east-1' };

function nestedApp(context: Record<string, unknown> = {}): App {
  const app = new App({ context: { ...FAST_CONTEXT, ...context }, outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'guardrails-nested-')) });
  const parent = new Stack(app, 'Parent', { env });
  const inner = new NestedStack(parent, 'Inner');
  new ssm.StringParameter(inner, 'Fine', { stringValue: 'public' });
  const deeper = new NestedStack(inner, 'Deeper');
  new ssm.StringParameter(deeper, 'Leak', { stringValue: FAKE.stripeLive });
  const stage = new Stage(app, 'Stg', { env });
  const staged = new Stack(stage, 'Staged');
  const stagedNested = new NestedStack(staged, 'StagedNested');
  new ssm.StringParameter(stagedNested, 'Leak', { stringValue: FAKE.webhook });
  return app;
}

describe('readAssembly', () => {
  test.each([
    ['TemplateURL and the asset manifest', {}],
    ['aws:asset:path metadata as well', { 'aws:cdk:enable-asset-metadata': true }],
  ])('reads nested stack templates at any depth and the stacks of stages (%s)', (_label, context) => {
    const app = nestedApp(context);
    const assembly = app.synth({ skipValidation: true });
    // What CDK gives a validation plugin: the top-level stacks only.
    const given = assembly.stacksRecursively.map((s) => s.templateFullPath);
    expect(given.map((p) => path.basename(p)).sort()).toEqual([
      'Parent.template.json',
      expect.stringMatching(/^StgStaged[0-9A-F]{8}\.template\.json$/),
    ]);

    const { stacks } = readAssembly([given[0]], { constructPaths: logicalIdPaths(app) });
    const names = stacks.map((s) => path.basename(s.templatePath));
    expect(names).toEqual(
      expect.arrayContaining([
        'Parent.template.json',
        expect.stringMatching(/^ParentInner[0-9A-F]{8}\.nested\.template\.json$/),
        expect.stringMatching(/^ParentInnerDeeper[0-9A-F]{8}\.nested\.template\.json$/),
        expect.stringMatching(/^StgStaged[0-9A-F]{8}\.template\.json$/),
        expect.stringMatching(/^StgStagedStagedNested[0-9A-F]{8}\.nested\.template\.json$/),
      ]),
    );
    expect(names).toHaveLength(5);
    expect(stacks.find((s) => s.templatePath.includes('ParentInnerDeeper'))?.nestedIn).toBe(
      'Parent/Inner/Deeper.NestedStack/Deeper.NestedStackResource',
    );

    const findings = evaluateGuardrails(stacks);
    expect(findings.map((f) => `${f.ruleName} ${f.constructPath}`).sort()).toEqual([
      `${SECRET_VALUE_IN_TEMPLATE} Parent/Inner/Deeper/Leak/Resource`,
      `${SECRET_VALUE_IN_TEMPLATE} Stg/Staged/StagedNested/Leak/Resource`,
    ]);
  });

  test('stale files of an earlier synth in the output directory (a removed stack) are not read', () => {
    const app = nestedApp();
    const assembly = app.synth({ skipValidation: true });
    const dir = assembly.directory;
    fs.writeFileSync(
      path.join(dir, 'Removed.template.json'),
      JSON.stringify({ Resources: { P: { Type: 'AWS::SSM::Parameter', Properties: { Value: FAKE.stripeLive } } } }),
    );
    fs.writeFileSync(
      path.join(dir, 'Removed.assets.json'),
      JSON.stringify({
        version: '55.0.0',
        files: { h: { source: { path: 'Removed.template.json', packaging: 'file' }, destinations: {} } },
      }),
    );
    const { stacks, manifests } = readAssembly(assembly.stacksRecursively.map((s) => s.templateFullPath));
    expect(stacks.map((s) => path.basename(s.templatePath))).not.toContain('Removed.template.json');
    expect(manifests.map((m) => path.basename(m.manifestPath))).not.toContain('Removed.assets.json');
    expect(stacks).toHaveLength(5);
  });

  test('a template CDK names that cannot be read is a clear error, not a silent pass', () => {
    expect(() => readAssembly([path.join(os.tmpdir(), 'no-such-dir', 'Missing.template.json')])).toThrow(
      /cannot read the template .*Missing\.template\.json/,
    );
  });
});

describe('SecretGuardrails reads nested stacks and stages at synth', () => {
  test('a key in a nested stack, two levels deep, fails synth naming its construct and never printing it', () => {
    const msg = synthWithGuardrails((stack) => {
      const deeper = new NestedStack(new NestedStack(stack, 'Inner'), 'Deeper');
      new ssm.StringParameter(deeper, 'Leak', { stringValue: FAKE.stripeLive });
    });
    const v = violationsOf(msg, SECRET_VALUE_IN_TEMPLATE);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('Bad/Inner/Deeper/Leak/Resource');
    expect(v[0]).toContain('Stripe secret key');
    expect(msg.includes(FAKE.stripeLive)).toBe(false);
  });

  test('a finding in a nested stack can be acknowledged on its construct, like any other', () => {
    const msg = synthWithGuardrails((stack) => {
      const inner = new NestedStack(stack, 'Inner');
      const reviewed = new ssm.StringParameter(inner, 'Reviewed', { stringValue: FAKE.stripeTest });
      Validations.of(reviewed).acknowledge({
        id: `fleapo-secret-guardrails::${SECRET_VALUE_IN_TEMPLATE}`,
        reason: 'test fixture: a revoked test-mode key',
      });
      new ssm.StringParameter(inner, 'Leak', { stringValue: FAKE.stripeLive });
    });
    const v = violationsOf(msg, SECRET_VALUE_IN_TEMPLATE);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('Bad/Inner/Leak/Resource');
  });

  test('with the plugin on the app, the nested stacks of a stage are read too', () => {
    const app = nestedApp();
    Validations.of(app).addPlugins(new SecretGuardrails());
    let msg = '';
    try {
      app.synth();
    } catch (e) {
      msg = e instanceof Error ? e.message : String(e);
    }
    const v = violationsOf(msg, SECRET_VALUE_IN_TEMPLATE).join('\n');
    expect(v).toContain('Parent/Inner/Deeper/Leak/Resource');
    expect(v).toContain('Stg/Staged/StagedNested/Leak/Resource');
    expect(msg.includes(FAKE.stripeLive) || msg.includes(FAKE.webhook)).toBe(false);
  });
});
