import { Writable } from 'stream';
import { fullDiff, formatDifferences, formatSecurityChanges, ResourceImpact, type TemplateDiff } from '@aws-cdk/cloudformation-diff';
import type { AssemblyTemplates, Template } from './assembly';

/** Resource types whose replacement or deletion loses data no redeploy brings back. */
export const CRITICAL_RESOURCE_TYPES: readonly string[] = ['AWS::SecretsManager::Secret', 'AWS::KMS::Key'];

const DESTRUCTIVE: ReadonlySet<ResourceImpact> = new Set([
  ResourceImpact.WILL_REPLACE,
  ResourceImpact.MAY_REPLACE,
  ResourceImpact.WILL_DESTROY,
  ResourceImpact.WILL_ORPHAN,
]);

export type StackStatus = 'added' | 'removed' | 'changed' | 'unchanged';

export interface DestructiveChange {
  readonly stack: string;
  readonly logicalId: string;
  readonly resourceType: string;
  /** Construct path from `aws:cdk:path`, when the template has it. */
  readonly constructPath?: string;
  readonly impact: ResourceImpact;
  /** Properties whose change causes a replacement (for WILL_REPLACE / MAY_REPLACE). */
  readonly causes: string[];
}

export interface StackDiff {
  readonly stack: string;
  readonly status: StackStatus;
  readonly resourceChanges: number;
  readonly permissionsBroadened: boolean;
  readonly iamChanges: boolean;
  readonly securityGroupChanges: boolean;
  /** Replaced, destroyed or orphaned resources. */
  readonly destructive: DestructiveChange[];
  /** formatSecurityChanges output (no colours), '' when none. */
  readonly securityText: string;
  /** formatDifferences output (no colours), '' when none. */
  readonly differencesText: string;
}

export interface AssemblyDiff {
  readonly stacks: StackDiff[];
  /** Secrets / KMS keys replaced, destroyed or orphaned: the loud part of the report. */
  readonly critical: DestructiveChange[];
}

// The colour codes @aws-cdk/cloudformation-diff writes; the report is plain Markdown.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function render(write: (stream: NodeJS.WritableStream) => void): string {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  write(stream);
  return text.replace(ANSI, '').trimEnd();
}

function pathMetadata(template: Template | undefined, logicalId: string): string | undefined {
  const p = template?.Resources?.[logicalId]?.Metadata?.['aws:cdk:path'];
  return typeof p === 'string' ? p : undefined;
}

/** Diffs one stack's templates (either may be missing: an added or removed stack). Pure. */
export function diffStack(stack: string, base: Template | undefined, head: Template | undefined): StackDiff {
  const diff: TemplateDiff = fullDiff(base ?? {}, head ?? {});
  const destructive: DestructiveChange[] = [];
  diff.resources.forEachDifference((logicalId, change) => {
    if (!DESTRUCTIVE.has(change.changeImpact)) return;
    const causes = Object.entries(change.propertyUpdates)
      .filter(([, u]) => u.changeImpact === ResourceImpact.WILL_REPLACE || u.changeImpact === ResourceImpact.MAY_REPLACE)
      .map(([name]) => name);
    if (change.resourceTypeChanged) causes.push('Type');
    destructive.push({
      stack,
      logicalId,
      resourceType: change.oldResourceType ?? change.newResourceType ?? 'unknown',
      constructPath: pathMetadata(base, logicalId) ?? pathMetadata(head, logicalId),
      impact: change.changeImpact,
      causes,
    });
  });
  const securityChanged = diff.iamChanges.hasChanges || diff.securityGroupChanges.hasChanges;
  return {
    stack,
    status: !base ? 'added' : !head ? 'removed' : diff.isEmpty ? 'unchanged' : 'changed',
    resourceChanges: diff.resources.differenceCount,
    permissionsBroadened: diff.permissionsBroadened,
    iamChanges: diff.iamChanges.hasChanges,
    securityGroupChanges: diff.securityGroupChanges.hasChanges,
    destructive,
    securityText: securityChanged ? render((s) => formatSecurityChanges(s, diff)) : '',
    differencesText: diff.isEmpty ? '' : render((s) => formatDifferences(s, diff)),
  };
}

/** Diffs every stack of two assemblies. Pure: takes the templates, no AWS, no files. */
export function diffAssemblies(base: AssemblyTemplates, head: AssemblyTemplates): AssemblyDiff {
  const names = [...new Set([...Object.keys(base), ...Object.keys(head)])].sort();
  const stacks = names.map((name) => diffStack(name, base[name], head[name]));
  const critical = stacks.flatMap((s) => s.destructive.filter((d) => CRITICAL_RESOURCE_TYPES.includes(d.resourceType)));
  return { stacks, critical };
}

export function hasDestructiveSecretChange(diff: AssemblyDiff): boolean {
  return diff.critical.length > 0;
}
