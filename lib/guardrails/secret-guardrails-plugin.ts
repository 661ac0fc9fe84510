import type { IConstruct } from 'constructs';
import {
  CfnElement,
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
  PolicyViolation,
  Stack,
} from 'aws-cdk-lib';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import { Finding } from './model';
import { readAssembly } from './template-reader';
import { evaluateGuardrails } from './evaluate';
import { GUARDRAIL_RULE_IDS } from './rules';

export { GUARDRAIL_RULE_IDS };

/**
 * The runbook's "What NOT to do", enforced at synth. Register once on the app:
 *
 *   Validations.of(app).addPlugins(new SecretGuardrails());
 *
 * Any violation fails `cdk synth` / `cdk deploy` (and `app.synth()` in tests) with the construct
 * path and the fix.
 */
export class SecretGuardrails implements IPolicyValidationPlugin {
  public readonly name = 'fleapo-secret-guardrails';
  public readonly version = '1.0.0';
  public readonly ruleIds = [...GUARDRAIL_RULE_IDS];

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const { stacks, manifests } = readAssembly(context.templatePaths, {
      constructPaths: logicalIdPaths(context.appConstruct),
      dockerAssetPaths: dockerAssetPaths(context.appConstruct),
    });
    const violations = evaluateGuardrails(stacks, manifests).map(toViolation);
    return { success: violations.length === 0, violations };
  }
}

export function toViolation(f: Finding): PolicyViolation {
  return {
    ruleName: f.ruleName,
    description: f.description,
    fix: f.fix,
    severity: 'error',
    violatingResources: [
      {
        constructPath: f.constructPath,
        resourceLogicalId: f.logicalId,
        templatePath: f.filePath,
        locations: [f.location],
      },
    ],
  };
}

/**
 * Construct path of every CfnElement (resources, parameters, outputs, ...), by template file name then logical id (nested stacks included:
 * their resources are under the nested stack's own template file). Template file names are unique
 * within an assembly directory (they are named after the stack's artifact id).
 */
export function logicalIdPaths(root: IConstruct | undefined): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  if (!root) return out;
  for (const c of root.node.findAll()) {
    if (!CfnElement.isCfnElement(c)) continue;
    const stack = Stack.of(c);
    const logicalId = stack.resolve(c.logicalId);
    if (typeof logicalId !== 'string') continue;
    const byId = out.get(stack.templateFile) ?? {};
    byId[logicalId] = c.node.path;
    out.set(stack.templateFile, byId);
  }
  return out;
}

/** Construct path of each DockerImageAsset of the app, by asset hash (the key of `dockerImages`). */
export function dockerAssetPaths(root: IConstruct | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!root) return out;
  for (const c of root.node.findAll()) {
    if (c instanceof DockerImageAsset) out[c.assetHash] = c.node.path;
  }
  return out;
}
