import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { createFleapoApp } from '../../lib/fleapo-app';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const outdir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-checks-'));

/** Synthesizes and expects a failed validation; returns the rule ids of the report's violations. */
function failedRules(app: ReturnType<typeof createFleapoApp>): string[] {
  let message = '';
  try {
    app.synth();
  } catch (e) {
    message = (e as Error).message;
  }
  const reportPath = /A copy of this report can be found in: (\S+)/.exec(message)?.[1];
  if (!reportPath) throw new Error(`expected the synth to fail validation, got: ${message || 'success'}`);
  const report = JSON.parse(fs.readFileSync(reportPath, 'utf8'));
  return report.pluginReports.flatMap((r: any) => (r.violations ?? []).map((v: any) => v.ruleName));
}

describe('the checks that run on every synth', () => {
  test('the real app passes cdk-nag AwsSolutions and CloudFormation validation with zero findings', () => {
    const app = createFleapoApp({ outdir: outdir(), context: NO_BUNDLING });
    const assembly = app.synth();
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['Fleapo-prod', 'Fleapo-staging', 'FleapoGithubOidc-111111111111']);
    const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
    const violations = report.pluginReports.flatMap((r: any) => r.violations ?? []);
    expect(violations).toEqual([]);
  });

  test('cdk-nag fails the synth on an unacknowledged finding (a wildcard policy) and names the rule', () => {
    const app = createFleapoApp({ outdir: outdir(), context: NO_BUNDLING });
    const stack = app.node.findChild('Fleapo-prod') as Stack;
    const role = new iam.Role(stack, 'TooBroad', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:*'], resources: ['*'] }));
    expect(failedRules(app)).toEqual(expect.arrayContaining([expect.stringMatching(/AwsSolutions-IAM5/)]));
  });

  test('CloudFormation validation fails the synth on an invalid resource', () => {
    const app = createFleapoApp({ outdir: outdir(), context: NO_BUNDLING });
    const stack = app.node.findChild('Fleapo-prod') as Stack;
    new CfnResource(stack, 'Broken', { type: 'AWS::SNS::Topic', properties: { TopicName: 42, NoSuchProperty: true } });
    expect(failedRules(app)).toEqual(expect.arrayContaining([expect.stringMatching(/F3002/)]));
  });
});
