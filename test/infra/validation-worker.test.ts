/** The CloudFormation validation on its worker thread reports exactly what aws-cdk-lib's plugin reports in-process. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, CloudFormationValidatePlugin, Stack, type IPolicyValidationContext } from 'aws-cdk-lib';
import { CachedCloudFormationValidatePlugin } from '../../lib/validation/cached-cloudformation-validate-plugin';
import { ValidationWorker } from '../../lib/validation/validation-worker';
import { ASSEMBLY_DIR_ENV } from '../support/test-run';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** The validation context aws-cdk-lib builds for an assembly's stacks (as its synthesis-validation does). */
function contextOf(assemblyDir: string): IPolicyValidationContext {
  const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; environment?: string; properties?: { templateFile: string } }>;
  };
  const stackTemplates = Object.entries(manifest.artifacts)
    .filter(([, a]) => a.type === 'aws:cloudformation:stack')
    .map(([id, a]) => {
      const [, accountId, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(a.environment ?? '') ?? [];
      return { stackConstructPath: id, templatePath: path.join(assemblyDir, a.properties!.templateFile), accountId, region };
    });
  return { templatePaths: stackTemplates.map((s) => s.templatePath), stackTemplates } as unknown as IPolicyValidationContext;
}

/** A one-stack assembly whose topic has an unknown property (F3002), without validation. */
function badAssembly(): string {
  const outdir = tmp('bad-');
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Topics', { env: { account: '123456789012', region: 'us-east-1' } });
  new CfnResource(stack, 'Topic', { type: 'AWS::SNS::Topic', properties: { TopicName: 'a', NoSuchProperty: true } });
  app.synth();
  return outdir;
}

test('the worker reports what the in-process plugin reports: the real app (no finding) and a bad template (F3002)', () => {
  const inProcess = new CloudFormationValidatePlugin();
  const contexts = [contextOf(process.env[ASSEMBLY_DIR_ENV] ?? ''), contextOf(badAssembly())];
  const reports = contexts.map((context) => ({
    worker: ValidationWorker.start().validate({}, context).report(),
    here: inProcess.validate(context),
  }));
  for (const { worker, here } of reports) expect(worker).toEqual(here);
  expect(reports[0].worker?.violations.filter((v) => v.severity === 'error')).toEqual([]);
  expect(reports[1].worker?.violations.map((v) => v.ruleName)).toContain('F3002');
  expect(reports[1].worker?.success).toBe(false);
});

test('validations posted together are answered each with its own report, whichever is taken first', () => {
  const worker = ValidationWorker.start();
  const good = worker.validate({}, contextOf(process.env[ASSEMBLY_DIR_ENV] ?? ''));
  const bad = worker.validate({}, contextOf(badAssembly()));
  expect(bad.report()?.success).toBe(false);
  expect(good.report()?.violations.filter((v) => v.severity === 'error')).toEqual([]);
  expect(bad.report()?.success).toBe(false); // taken again: the same report
});

test('a validation the worker cannot do is done in this thread, so its error still fails the synth; the worker stays usable', () => {
  const missing = path.join(tmp('gone-'), 'Gone.template.json');
  const context = { templatePaths: [missing], stackTemplates: [{ stackConstructPath: 'Gone', templatePath: missing }] };
  expect(
    ValidationWorker.start()
      .validate({}, context as unknown as IPolicyValidationContext)
      .report(),
  ).toBeUndefined();
  const plugin = new CachedCloudFormationValidatePlugin({ cacheDir: tmp('cache-') });
  expect(() => plugin.validate(context as unknown as IPolicyValidationContext)).toThrow(/ENOENT.*Gone\.template\.json/);
  expect(ValidationWorker.start().validate({}, contextOf(badAssembly())).report()?.success).toBe(false);
});

test('a stopped worker is replaced by a new one on the next start', async () => {
  const first = ValidationWorker.start();
  await ValidationWorker.stop();
  const second = ValidationWorker.start();
  expect(second).not.toBe(first);
  expect(ValidationWorker.start()).toBe(second); // one per process
});

test('a worker that cannot start is given up at once, not after the timeout: the synth validates in its own thread', async () => {
  await ValidationWorker.stop();
  const broken = ValidationWorker.start({ awsCdkLib: path.join(tmp('no-lib-'), 'missing.js') });
  const started = Date.now();
  expect(broken.validate({}, contextOf(badAssembly())).report()).toBeUndefined();
  expect(Date.now() - started).toBeLessThan(60_000); // the timeout is five minutes
  // Given up: the next start is a new worker, which validates.
  const next = ValidationWorker.start();
  expect(next).not.toBe(broken);
  expect(next.validate({}, contextOf(badAssembly())).report()?.success).toBe(false);
});
