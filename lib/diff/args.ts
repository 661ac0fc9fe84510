import { Command, CommanderError, Option } from 'commander';
import { safeCommanderMessage } from '../cli/safe-errors';

/** Options of `npm run diff`. */
export interface DiffArgs {
  /** Git ref of the base (synthesized in a temporary worktree). Ignored with baseDir. */
  base?: string;
  /** An already-synthesized base assembly (cdk.out). An empty directory means "no app"; a missing one is an error. */
  baseDir?: string;
  /** An already-synthesized head assembly; default: synthesize the working tree. */
  headDir?: string;
  baseLabel?: string;
  headLabel?: string;
  /** Write the Markdown report here; default stdout. */
  out?: string;
  /** Exit 1 when a secret or KMS key is replaced / destroyed / orphaned. */
  failOnDestructiveSecretChange: boolean;
  /** Cut the report to this many characters (PR comments allow 65536). */
  maxChars?: number;
  help: boolean;
}

export class UsageError extends Error {}

/** The parser (commander, as `fleapo-secrets`): its own output is suppressed, errors are ours (safeCommanderMessage). */
function diffProgram(): Command {
  return new Command('npm run diff --')
    .usage('[options]')
    .description(
      'Synthesizes the base and the head of the CDK app offline (no AWS credentials) and diffs every stack with ' +
        '@aws-cdk/cloudformation-diff. Writes a Markdown report: secrets / KMS keys replaced or destroyed first, then ' +
        'IAM and security-group changes, other replacements, added/removed stacks, and every change.',
    )
    .addOption(
      new Option(
        '--base <ref>',
        'git ref of the base (default: git merge-base HEAD main, then origin/main; when that is HEAD with a clean tree, the upstream; else refused)',
      ),
    )
    .addOption(
      new Option(
        '--base-dir <cdk.out>',
        'diff an already-synthesized base assembly instead (an empty directory = a base without the app: all stacks added)',
      ),
    )
    .addOption(new Option('--head-dir <cdk.out>', 'diff an already-synthesized head assembly (default: synthesize the working tree)'))
    .addOption(new Option('--base-label <text>', 'label of the base in the report'))
    .addOption(new Option('--head-label <text>', 'label of the head in the report'))
    .addOption(new Option('--out <file>', 'write the report to <file> (default: stdout)'))
    .addOption(new Option('--max-chars <n>', 'cut the report to n characters (the full diff is cut first)'))
    .addOption(
      new Option(
        '--fail-on-destructive-secret-change',
        'exit 1 when a Secrets Manager secret or KMS key is replaced, destroyed or orphaned',
      ),
    )
    .helpOption('-h, --help', 'display this help')
    .addHelpText('after', '\nExit codes: 0 report written (whatever it says), 1 destructive secret change with the flag above, 2 error.')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
}

export const USAGE = diffProgram().helpInformation().trimEnd();

/** Parses argv (without node and script). Pure. */
export function parseDiffArgs(argv: readonly string[]): DiffArgs {
  const program = diffProgram();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return { failOnDestructiveSecretChange: false, help: true };
      throw new UsageError(safeCommanderMessage(error));
    }
    throw error;
  }
  const o = program.opts<Record<string, string | boolean | undefined>>();
  const args: DiffArgs = { failOnDestructiveSecretChange: o.failOnDestructiveSecretChange === true, help: false };
  for (const key of ['base', 'baseDir', 'headDir', 'baseLabel', 'headLabel', 'out'] as const) {
    const v = o[key];
    if (typeof v === 'string') {
      if (v === '' || v.startsWith('--')) throw new UsageError(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs a value`);
      args[key] = v;
    }
  }
  if (typeof o.maxChars === 'string') {
    const n = Number(o.maxChars);
    if (!Number.isInteger(n) || n < 1000) throw new UsageError('--max-chars needs an integer >= 1000');
    args.maxChars = n;
  }
  if (args.base && args.baseDir) throw new UsageError('give --base or --base-dir, not both');
  return args;
}
