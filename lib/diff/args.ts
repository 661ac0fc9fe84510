/** Options of `npm run diff`. */
export interface DiffArgs {
  /** Git ref of the base (synthesized in a temporary worktree). Ignored with baseDir. */
  base?: string;
  /** An already-synthesized base assembly (cdk.out). A missing directory means "no app". */
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

export const USAGE = `Usage: npm run diff -- [options]

Synthesizes the base and the head of the CDK app offline (no AWS credentials) and diffs every
stack with @aws-cdk/cloudformation-diff. Writes a Markdown report: secrets / KMS keys replaced or
destroyed first, then IAM and security-group changes, other replacements, added/removed stacks,
and every change.

  --base <ref>          git ref of the base (default: git merge-base HEAD main, then origin/main, then HEAD)
  --base-dir <cdk.out>  diff an already-synthesized base assembly instead (missing dir = no app: all stacks added)
  --head-dir <cdk.out>  diff an already-synthesized head assembly (default: synthesize the working tree)
  --base-label <text>   label of the base in the report
  --head-label <text>   label of the head in the report
  --out <file>          write the report to <file> (default: stdout)
  --max-chars <n>       cut the report to n characters (the full diff is cut first)
  --fail-on-destructive-secret-change
                        exit 1 when a Secrets Manager secret or KMS key is replaced, destroyed or orphaned
Exit codes: 0 report written (whatever it says), 1 destructive secret change with the flag above, 2 error.`;

export class UsageError extends Error {}

/** Parses argv (without node and script). Pure. */
export function parseDiffArgs(argv: readonly string[]): DiffArgs {
  const args: DiffArgs = { failOnDestructiveSecretChange: false, help: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = value(i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case '--base': args.base = take(); break;
      case '--base-dir': args.baseDir = take(); break;
      case '--head-dir': args.headDir = take(); break;
      case '--base-label': args.baseLabel = take(); break;
      case '--head-label': args.headLabel = take(); break;
      case '--out': args.out = take(); break;
      case '--max-chars': {
        const n = Number(take());
        if (!Number.isInteger(n) || n < 1000) throw new UsageError('--max-chars needs an integer >= 1000');
        args.maxChars = n;
        break;
      }
      case '--fail-on-destructive-secret-change': args.failOnDestructiveSecretChange = true; break;
      case '--help': case '-h': args.help = true; break;
      default: throw new UsageError(`unknown option ${argv[i]}`);
    }
  }
  if (args.base && args.baseDir) throw new UsageError('give --base or --base-dir, not both');
  return args;
}
