/** What makes a repeated synth fast never hides a finding: the validation cache and the bundles' input hash. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, CloudFormationValidatePlugin, Stack, Validations } from 'aws-cdk-lib';
import { HANDLER_SOURCE_DIRS, lambdaSourceHash } from '../../lib/bundling/lambda-source-hash';
import { ValidationWorker } from '../../lib/validation/validation-worker';
import {
  CachedCloudFormationValidatePlugin,
  validationCacheKey,
  validationEngineIdentity,
} from '../../lib/validation/cached-cloudformation-validate-plugin';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** A one-stack app with a topic of these properties (an unknown property is invalid: F3002), validated by the caching plugin. */
function synth(outdir: string, cacheDir: string | undefined, properties: Record<string, unknown>): { error: string; report: any } {
  const app = new App({ outdir, context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  Validations.of(app).addPlugins(new CachedCloudFormationValidatePlugin({ cacheDir }));
  const stack = new Stack(app, 'Topics', { env: { account: '123456789012', region: 'us-east-1' } });
  new CfnResource(stack, 'Topic', { type: 'AWS::SNS::Topic', properties });
  let error = '';
  try {
    app.synth();
  } catch (e) {
    error = (e as Error).message;
  }
  return { error, report: JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) };
}

const ruleNames = (report: any): string[] => report.pluginReports.flatMap((r: any) => (r.violations ?? []).map((v: any) => v.ruleName));

describe('CachedCloudFormationValidatePlugin', () => {
  let engine: jest.SpyInstance;
  beforeEach(() => {
    // The engine: aws-cdk-lib's own plugin, on the worker thread (the caching subclass posts each miss to it).
    engine = jest.spyOn(ValidationWorker.prototype, 'validate');
  });
  afterEach(() => engine.mockRestore());

  test('an unchanged template reuses the report; a changed one is validated again and its finding fails the synth', () => {
    const cacheDir = tmp('cfn-cache-');
    const first = synth(tmp('synth-'), cacheDir, { TopicName: 'a', NoSuchProperty: true });
    expect(engine).toHaveBeenCalledTimes(1);
    expect(first.error).toMatch(/F3002/);

    const again = synth(tmp('synth-'), cacheDir, { TopicName: 'a', NoSuchProperty: true }); // same template, another cdk.out
    expect(engine).toHaveBeenCalledTimes(1); // from the cache
    expect(again.error).toMatch(/F3002/); // the same finding, still failing the synth
    expect(ruleNames(again.report)).toEqual(ruleNames(first.report));
    // The report names this synth's template, not the one the cached report was made for.
    expect(JSON.stringify(again.report)).toContain('Topics.template.json');

    const fixed = synth(tmp('synth-'), cacheDir, { TopicName: 'a' });
    expect(engine).toHaveBeenCalledTimes(2); // a changed template is validated
    expect(fixed.error).toBe('');
    expect(ruleNames(fixed.report)).not.toContain('F3002');

    const broken = synth(tmp('synth-'), cacheDir, { TopicName: 'a', NoSuchPropertyEither: true }); // changed again: validated
    expect(engine).toHaveBeenCalledTimes(3);
    expect(broken.error).toMatch(/F3002/);
  });

  test('its starter, registered first, has the worker validate while the plugins in between run: once per synth', () => {
    const outdir = tmp('synth-');
    const app = new App({ outdir, context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const cfn = new CachedCloudFormationValidatePlugin({ cacheDir: tmp('cfn-cache-') });
    let postedBeforeMiddle = -1;
    const middle = {
      name: 'Middle',
      validate: () => {
        postedBeforeMiddle = engine.mock.calls.length;
        return { success: true, violations: [] };
      },
    };
    Validations.of(app).addPlugins(cfn.starter, middle, cfn);
    const stack = new Stack(app, 'Topics', { env: { account: '123456789012', region: 'us-east-1' } });
    new CfnResource(stack, 'Topic', { type: 'AWS::SNS::Topic', properties: { TopicName: 'a', NoSuchProperty: true } });
    expect(() => app.synth()).toThrow(/F3002/);
    expect(postedBeforeMiddle).toBe(1); // started before the middle plugin ran
    expect(engine).toHaveBeenCalledTimes(1); // and taken by the plugin itself, not validated again
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const fromStarter = report.pluginReports.filter((r: any) => r.pluginName === cfn.starter.name).flatMap((r: any) => r.violations ?? []);
    expect(fromStarter).toEqual([]); // every finding is the plugin's own
    expect(ruleNames(report)).toContain('F3002');
  });

  test('a template changed after the starter ran is validated again: the report is always of the templates as they are', () => {
    const outdir = tmp('synth-');
    const app = new App({ outdir, builtinCloudFormationValidation: false }); // the test runs the plugin itself
    const stack = new Stack(app, 'Topics', { env: { account: '123456789012', region: 'us-east-1' } });
    new CfnResource(stack, 'Topic', { type: 'AWS::SNS::Topic', properties: { TopicName: 'a', NoSuchProperty: true } });
    const templatePath = path.join(app.synth().directory, 'Topics.template.json');
    const context = {
      templatePaths: [templatePath],
      stackTemplates: [{ stackConstructPath: 'Topics', templatePath, accountId: '123456789012', region: 'us-east-1' }],
    } as any;
    engine.mockClear();
    const cfn = new CachedCloudFormationValidatePlugin({ cacheDir: tmp('cfn-cache-') });
    cfn.starter.validate(context); // started on the bad template
    const fixed = JSON.parse(fs.readFileSync(templatePath, 'utf8'));
    delete fixed.Resources.Topic.Properties.NoSuchProperty;
    fs.writeFileSync(templatePath, JSON.stringify(fixed));
    const report = cfn.validate(context);
    expect(engine).toHaveBeenCalledTimes(2);
    expect(report.violations.map((v) => v.ruleName)).not.toContain('F3002');
  });

  test('by default the cache is inside the cloud assembly', () => {
    const outdir = tmp('synth-');
    const saved = process.env.FLEAPO_VALIDATION_CACHE_DIR;
    delete process.env.FLEAPO_VALIDATION_CACHE_DIR;
    try {
      expect(synth(outdir, undefined, { TopicName: 'b' }).error).toBe('');
    } finally {
      if (saved !== undefined) process.env.FLEAPO_VALIDATION_CACHE_DIR = saved;
    }
    expect(fs.readdirSync(path.join(outdir, '.fleapo-cache', 'cloudformation-validate')).filter((f) => f.endsWith('.json'))).toHaveLength(
      1,
    );
  });

  test("the key changes with the engine, its rules, the plugin props and each stack; the version is the engine's", () => {
    const identity = validationEngineIdentity();
    const stack = {
      stackConstructPath: 'S',
      templatePath: '/a/S.template.json',
      accountId: '123456789012',
      region: 'us-east-1',
      content: '{}',
    };
    const key = validationCacheKey(identity, {}, [stack]);
    const others = [
      validationCacheKey({ ...identity, engineVersion: `${identity.engineVersion}-next` }, {}, [stack]),
      validationCacheKey({ ...identity, rulesHash: 'x' }, {}, [stack]),
      validationCacheKey({ ...identity, awsCdkLibVersion: '0.0.0' }, {}, [stack]),
      validationCacheKey(identity, { includeDefaultRules: false }, [stack]),
      validationCacheKey(identity, {}, [{ ...stack, content: '{ }' }]),
      validationCacheKey(identity, {}, [{ ...stack, region: 'eu-west-1' }]),
      validationCacheKey(identity, {}, [{ ...stack, accountId: '210987654321' }]),
      validationCacheKey(identity, {}, [{ ...stack, stackConstructPath: 'T' }]),
      validationCacheKey(identity, {}, [stack, stack]),
    ];
    expect(new Set([key, ...others]).size).toBe(others.length + 1);
    expect(validationCacheKey(identity, {}, [{ ...stack, templatePath: '/b/S.template.json' }])).toBe(key); // where cdk.out is does not matter
    expect(new CachedCloudFormationValidatePlugin().version).toBe(new CloudFormationValidatePlugin().version);
  });
});

describe('lambdaSourceHash', () => {
  test('changes with any source file of the handlers or the catalog, the bundling options or the entry, and only then', () => {
    const dir = tmp('lambda-src-');
    const catalog = tmp('catalog-src-');
    const dirs = [dir, catalog];
    fs.mkdirSync(path.join(dir, 'rotation'));
    fs.writeFileSync(path.join(dir, 'handler.ts'), 'export const handler = async () => 1;\n');
    fs.writeFileSync(path.join(dir, 'rotation', 'step.ts'), 'export const step = 1;\n');
    fs.writeFileSync(path.join(dir, 'README.md'), 'not a source\n');
    fs.writeFileSync(path.join(catalog, 'secrets.ts'), 'export const SECRETS = 1;\n');
    const entry = path.join(dir, 'handler.ts');
    const options = { minify: true, target: 'node24' };
    const hash = lambdaSourceHash(entry, options, dirs);
    expect(lambdaSourceHash(entry, { ...options }, dirs)).toBe(hash);
    fs.writeFileSync(path.join(dir, 'README.md'), 'still not a source\n');
    expect(lambdaSourceHash(entry, options, dirs)).toBe(hash);

    expect(lambdaSourceHash(entry, { ...options, target: 'node22' }, dirs)).not.toBe(hash);
    fs.writeFileSync(path.join(dir, 'rotation', 'step.ts'), 'export const step = 2;\n'); // an imported module
    const changed = lambdaSourceHash(entry, options, dirs);
    expect(changed).not.toBe(hash);
    fs.writeFileSync(path.join(catalog, 'secrets.ts'), 'export const SECRETS = 2;\n'); // the shared catalog
    const changedCatalog = lambdaSourceHash(entry, options, dirs);
    expect(changedCatalog).not.toBe(changed);
    fs.writeFileSync(path.join(dir, 'other.ts'), 'export const handler = async () => 2;\n');
    expect(lambdaSourceHash(path.join(dir, 'other.ts'), options, dirs)).not.toBe(lambdaSourceHash(entry, options, dirs));
  });

  test('by default covers lambda/, runtime/ and catalog/ (a handler imports all three)', () => {
    expect(HANDLER_SOURCE_DIRS.map((d) => path.basename(d)).sort()).toEqual(['catalog', 'lambda', 'runtime']);
  });
});
