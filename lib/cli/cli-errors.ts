/**
 * One error per cause: what stops a command before it can do its work (no credentials, a profile that does not
 * exist, AWS not answering within the bounds, AWS unreachable) is told once, on stderr, with a hint, whatever the
 * command; never once per secret. Messages never repeat a value the operator typed unless it is a plain name.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { valuePrefixes } from '../../runtime/issuers';

/** The CLI's exit codes (docs/operator-cli.md and `--help`). */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** Refused or failed: the reason is printed. */
  failed: 1,
  /** Usage or configuration mistake: nothing was done. */
  usage: 2,
  /** No usable AWS credentials (none found, a missing profile, expired): nothing was done. */
  credentials: 3,
  /** AWS did not answer or could not be reached within the bounds (`--timeout`, connection and request timeouts). */
  timeout: 4,
  /**
   * `audit` read CloudTrail and found a principal that is not expected (flagged UNEXPECTED): the command worked, and
   * what it found needs a person. Not 1 (CloudTrail could not be read) nor 3 (credentials).
   */
  unexpectedPrincipal: 5,
} as const;

export type FailureCause = 'credentials' | 'profile' | 'expired' | 'timeout' | 'unreachable';

/** A failure that ends the command, told once: `message` (the cause) and `hint` (what to do). */
export class CliFailure extends Error {
  constructor(
    readonly cause: FailureCause,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
  get exitCode(): number {
    return this.cause === 'timeout' || this.cause === 'unreachable' ? EXIT.timeout : EXIT.credentials;
  }
}

const LOGIN_HINT =
  'sign in first (`aws sso login --profile <name>`), then pass `--profile <name>` or set AWS_PROFILE; or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';

/** A profile name worth repeating: a plain name, nothing that looks like a pasted key. */
export function isPlainName(text: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$/.test(text) && !/^(sk|rk|pk)_/.test(text) && !valuePrefixes().some((p) => text.startsWith(p));
}

const shown = (text: string) => (isPlainName(text) ? text : '(not shown)');

/** What an error of the SDK (or of the command's deadline) says about the cause; undefined for a per-resource error. */
export function classifyAwsError(error: unknown, context: { timeoutSeconds?: number; profile?: string }): CliFailure | undefined {
  const e = (error ?? {}) as { name?: string; message?: string; code?: string; cause?: unknown };
  const name = e.name ?? '';
  const message = e.message ?? '';
  if (error instanceof CliFailure) return error;
  if (name === 'CredentialsProviderError' || /Could not load credentials|Unable to locate credentials/i.test(message)) {
    const profile = context.profile ?? process.env.AWS_PROFILE;
    return new CliFailure(
      'credentials',
      profile
        ? `no AWS credentials for profile ${shown(profile)} (${name || 'CredentialsProviderError'}: ${message})`
        : `no AWS credentials found (${name || 'CredentialsProviderError'}: ${message})`,
      LOGIN_HINT,
    );
  }
  if (
    /^(ExpiredToken(Exception)?|TokenRefreshRequired|UnrecognizedClientException|InvalidClientTokenId|InvalidSignatureException)$/.test(
      name,
    ) ||
    /SSO session .* expired|token .* expired/i.test(message)
  ) {
    return new CliFailure('expired', `the AWS credentials were refused (${name}: ${message})`, `renew them: ${LOGIN_HINT}`);
  }
  if (name === 'AbortError' || name === 'TimeoutError' || e.code === 'ETIMEDOUT') {
    const t = context.timeoutSeconds;
    const within = t !== undefined ? ` within --timeout ${Number.isInteger(t) ? t : Math.round(t * 10) / 10} s` : '';
    return new CliFailure(
      'timeout',
      `AWS did not answer${name === 'AbortError' ? within : ` (${name}: ${message})`}`,
      'check the network (VPN, proxy, AWS_ENDPOINT_URL* if set) and the region; give more time with --timeout <seconds>',
    );
  }
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|ENETUNREACH)$/.test(e.code ?? '')) {
    return new CliFailure(
      'unreachable',
      `cannot reach AWS (${e.code})`,
      'check the network (VPN, proxy, AWS_ENDPOINT_URL* if set) and the configured region',
    );
  }
  return undefined;
}

/** The shared config and credentials files the SDK reads (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE). */
export function sharedConfigFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME ?? os.homedir();
  return [
    env.AWS_CONFIG_FILE ?? path.join(home, '.aws', 'config'),
    env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, '.aws', 'credentials'),
  ];
}

/** Pure: the profile names of an INI text (`[profile x]` in config, `[x]` in either file; `[sso-session x]` is not a profile). */
export function profileNames(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/^\s*\[\s*(?:profile\s+)?([^\]\s]+)\s*\]/gm)) {
    if (!/^\s*\[\s*(sso-session|services)\s/.test(m[0])) names.push(m[1]);
  }
  return names;
}

/**
 * `--profile <name>` checked before any AWS call: a profile in neither shared file is named (when it is a plain
 * name) with the profiles that exist, instead of the SDK's "Could not load credentials from any providers".
 */
export function checkProfile(profile: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  if (profile === undefined) return;
  const files = sharedConfigFiles(env);
  const known = new Set<string>();
  for (const file of files) {
    try {
      for (const name of profileNames(fs.readFileSync(file, 'utf8'))) known.add(name);
    } catch {
      /* no such file */
    }
  }
  if (known.has(profile)) return;
  const list = known.size > 0 ? `profiles there: ${[...known].sort().join(', ')}` : 'no profile is defined there';
  throw new CliFailure(
    'profile',
    `--profile ${shown(profile)}: no such profile in ${files.join(' or ')} (${list})`,
    '`aws configure sso` creates one; `aws configure list-profiles` lists them',
  );
}

/** Reports `failure` on `stderr`: one line, the cause then the hint. */
export function reportFailure(stderr: NodeJS.WritableStream, program: string, failure: CliFailure): void {
  stderr.write(`${program}: ${failure.message}. Hint: ${failure.hint}\n`);
}

/** `failure` for `--json` output (stdout holds JSON only). */
export function failureJson(failure: CliFailure): { ok: false; error: { cause: FailureCause; message: string; hint: string } } {
  return { ok: false, error: { cause: failure.cause, message: failure.message, hint: failure.hint } };
}
