import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { EXAMPLE_CONFIG } from '../../lib/config/example-config';
import { loadConfig, mergeConfig } from '../../lib/config/load-config';
import { validateConfig } from '../../lib/config/validate-config';
import {
  BOOTSTRAP_TEMPLATE_FILE,
  CLI_BOOTSTRAP_TEMPLATE,
  bootstrapTemplateText,
  fleapoBootstrapTemplate,
} from '../../scripts/bootstrap-template';

/**
 * The project's CDK bootstrap template (bootstrap/fleapo-bootstrap-template.yaml): generated from the installed CDK
 * CLI's own and the configuration. What its roles allow is evaluated in deploy-isolation.test.ts ("finding 6").
 */
describe('the CDK bootstrap template (npm run bootstrap:template)', () => {
  test('the committed file is what the script generates now (run `npm run bootstrap:template` after changing the configuration or upgrading aws-cdk)', () => {
    const committed = fs.readFileSync(path.join(__dirname, '..', '..', BOOTSTRAP_TEMPLATE_FILE), 'utf8');
    expect(committed).toBe(bootstrapTemplateText(loadConfig()));
  });

  test("it is the CLI's template with only the trust of the assumed roles and the deploy role's import denial changed", () => {
    const cli = parse(fs.readFileSync(CLI_BOOTSTRAP_TEMPLATE, 'utf8'));
    const ours = fleapoBootstrapTemplate(validateConfig(EXAMPLE_CONFIG));
    expect(Object.keys(ours.Resources).sort()).toEqual(Object.keys(cli.Resources).sort());
    expect(ours.Outputs).toEqual(cli.Outputs);
    expect(ours.Parameters).toEqual(cli.Parameters);
    for (const [id, resource] of Object.entries<any>(cli.Resources)) {
      if (['DeploymentActionRole', 'FilePublishingRole', 'ImagePublishingRole', 'LookupRole'].includes(id)) continue;
      expect([id, ours.Resources[id]]).toEqual([id, resource]);
    }
    // The execution role is still assumed by CloudFormation only.
    expect(ours.Resources.CloudFormationExecutionRole.Properties.AssumeRolePolicyDocument).toEqual(
      cli.Resources.CloudFormationExecutionRole.Properties.AssumeRolePolicyDocument,
    );
    const trust = JSON.stringify(ours.Resources.DeploymentActionRole.Properties.AssumeRolePolicyDocument);
    expect(trust).not.toContain('TrustedAccounts');
    expect(trust).not.toMatch(/"AWS":\{"Ref":"AWS::AccountId"\}/);
  });

  test('each environment is found by its qualifier and account; a break-glass role is added only when configured', () => {
    const config = validateConfig(
      mergeConfig(EXAMPLE_CONFIG, { environments: { prod: { breakGlassRoleArn: 'arn:aws:iam::111111111111:role/break-glass' } } }),
    );
    const t = fleapoBootstrapTemplate(config);
    expect(t.Mappings.FleapoDeployRole).toEqual({
      fleapostg: { '111111111111': 'gha-deploy-staging' },
      fleapoprod: { '111111111111': 'gha-deploy-prod' },
    });
    expect(t.Mappings.FleapoBreakGlass).toEqual({
      fleapostg: { '111111111111': 'none' },
      fleapoprod: { '111111111111': 'arn:aws:iam::111111111111:role/break-glass' },
    });
  });
});
