import { ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { CRITICAL_RESOURCE_TYPES, type AssemblyDiff, type DestructiveChange } from './stack-diff';

/** Marker of the PR comment the comment workflow creates or updates (one per PR). */
export const REPORT_MARKER = '<!-- fleapo-cdk-diff-report -->';

export interface ReportOptions {
  /** e.g. `main (abc1234)`. */
  readonly baseLabel?: string;
  readonly headLabel?: string;
  /** Cut the "all changes" part so the whole report stays under this many characters (PR comments: 65536). */
  readonly maxChars?: number;
}

const IMPACT_TEXT: Record<string, string> = {
  [ResourceImpact.WILL_REPLACE]: 'will be REPLACED',
  [ResourceImpact.MAY_REPLACE]: 'may be replaced',
  [ResourceImpact.WILL_DESTROY]: 'will be DESTROYED',
  [ResourceImpact.WILL_ORPHAN]: 'will be orphaned (removed from the stack, kept in the account)',
};

function describe(d: DestructiveChange): string {
  const where = d.constructPath ? `\`${d.constructPath}\` (\`${d.logicalId}\`)` : `\`${d.logicalId}\``;
  const causes = d.causes.length ? ` — caused by a change to ${d.causes.map((c) => `\`${c}\``).join(', ')}` : '';
  return `- **${d.stack}**: ${where} \`${d.resourceType}\` ${IMPACT_TEXT[d.impact] ?? d.impact}${causes}`;
}

function fence(text: string): string {
  const ticks = text.includes('```') ? '````' : '```';
  return `${ticks}text\n${text}\n${ticks}`;
}

/**
 * The Markdown report, most important first: secrets / KMS keys replaced or destroyed, then
 * security (IAM, security groups), then other destructive changes, added / removed stacks,
 * and last every change per stack.
 */
export function renderReport(diff: AssemblyDiff, options: ReportOptions = {}): string {
  const head: string[] = [REPORT_MARKER, '## CDK diff'];
  if (options.baseLabel || options.headLabel) {
    head.push(`Base: \`${options.baseLabel ?? '?'}\` → head: \`${options.headLabel ?? '?'}\`. Synthesized offline, no AWS account.`);
  }

  const changed = diff.stacks.filter((s) => s.status !== 'unchanged');
  if (changed.length === 0) {
    head.push('', 'No stack changes.');
    return head.join('\n') + '\n';
  }

  if (diff.critical.length > 0) {
    head.push(
      '',
      '> [!CAUTION]',
      `> **${diff.critical.length} secret(s) or KMS key(s) will be replaced or destroyed.** A replaced secret gets a new ARN and a new value; ` +
        'a destroyed KMS key makes everything it encrypted unreadable. Every consumer (ECS tasks, rotation) must be rolled, and a ' +
        'lost value cannot be recovered. Make sure this is intended (set a RemovalPolicy of RETAIN, keep logical ids and names stable).',
      '>',
      ...diff.critical.map((d) => `> ${describe(d)}`),
    );
  }

  const security = diff.stacks.filter((s) => s.securityText);
  if (security.length > 0) {
    head.push('', '### Security changes (IAM, security groups)');
    for (const s of security) {
      const flags = [
        s.permissionsBroadened ? '**permissions broadened**' : undefined,
        s.iamChanges ? 'IAM changes' : undefined,
        s.securityGroupChanges ? 'security-group changes' : undefined,
        s.status === 'added' ? 'new stack' : undefined,
      ].filter(Boolean);
      head.push('', `#### ${s.stack}: ${flags.join(', ')}`, '', fence(s.securityText));
    }
  }

  const otherDestructive = diff.stacks.flatMap((s) => s.destructive.filter((d) => !CRITICAL_RESOURCE_TYPES.includes(d.resourceType)));
  if (otherDestructive.length > 0) {
    head.push('', '### Other resources replaced or destroyed', '', ...otherDestructive.map(describe));
  }

  const added = diff.stacks.filter((s) => s.status === 'added');
  const removed = diff.stacks.filter((s) => s.status === 'removed');
  if (added.length || removed.length) {
    head.push('', '### Stacks added / removed', '');
    for (const s of added) head.push(`- added: **${s.stack}** (${s.resourceChanges} resources)`);
    for (const s of removed) head.push(`- REMOVED: **${s.stack}** (${s.resourceChanges} resources leave CloudFormation)`);
  }

  head.push(
    '',
    '### Summary',
    '',
    '| stack | status | resource changes | permissions broadened | IAM | security groups | replaced/destroyed |',
    '|---|---|---|---|---|---|---|',
  );
  for (const s of diff.stacks) {
    const yes = (b: boolean) => (b ? 'yes' : '');
    head.push(
      `| ${s.stack} | ${s.status} | ${s.resourceChanges} | ${yes(s.permissionsBroadened)} | ${yes(s.iamChanges)} | ${yes(s.securityGroupChanges)} | ${s.destructive.length || ''} |`,
    );
  }

  const top = head.join('\n');
  const rest: string[] = ['', '', '### All changes'];
  for (const s of changed) {
    rest.push(
      '',
      `<details><summary>${s.stack} (${s.status}, ${s.resourceChanges} resource changes)</summary>`,
      '',
      fence(s.differencesText || '(no differences)'),
      '',
      '</details>',
    );
  }
  let restText = rest.join('\n');
  if (options.maxChars !== undefined && top.length + restText.length + 1 > options.maxChars) {
    const note = '\n\n_The full diff is too long here: see the `cdk-diff-report` artifact of the workflow run._';
    restText = top.length + note.length < options.maxChars ? note : '';
    return (top + restText).slice(0, options.maxChars) + '\n';
  }
  return top + restText + '\n';
}
