/**
 * What every AWS-calling command runs inside (one place, so a new command gets it by calling `runAws`):
 * `--profile` checked before any call, SDK clients with connection and request timeouts, one deadline for the whole
 * command (`--timeout`: every AWS call carries its AbortSignal, and the command's own waits end a little before it),
 * progress on stderr, and errors that stop the command classified once (cli-errors.ts).
 */
import type { Command } from 'commander';
import type { FleapoConfig } from '../config/environment-config';
import { cliClients, type CliClients } from './aws';
import { checkProfile, classifyAwsError, CliFailure } from './cli-errors';
import { createProgress, type Progress } from './progress';

/** The command's deadline: `--timeout` seconds from its start. */
export class Deadline {
  readonly at: number;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(readonly seconds: number) {
    this.at = Date.now() + seconds * 1000;
    this.timer = setTimeout(() => this.controller.abort(new Error(`--timeout ${seconds} s reached`)), seconds * 1000);
    this.timer.unref();
  }
  /** Aborts every AWS call in flight once the deadline passed. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  get expired(): boolean {
    return this.controller.signal.aborted || Date.now() >= this.at;
  }
  /**
   * Time left for a wait inside the command (following a rotation or a rollout): it ends a little before the
   * deadline, so that the wait reports what it saw rather than an aborted call.
   */
  waitMs(): number {
    const margin = Math.min(1000, this.seconds * 100);
    return Math.max(0, this.at - margin - Date.now());
  }
  dispose(): void {
    clearTimeout(this.timer);
  }
}

export interface AwsCommandContext {
  readonly clients: CliClients;
  readonly progress: Progress;
  readonly deadline: Deadline;
}

export interface AwsCommandAccess {
  readonly region: string;
  readonly profile?: string;
  /** The whole command's bound, in seconds (`--timeout`). */
  readonly timeoutSeconds: number;
}

/** Grace after the deadline for the command to wind down by itself before it is cut short. */
const WIND_DOWN_MS = 1500;

/**
 * Runs `run` with the environment's clients; the command ends by the deadline (plus a short wind-down) whatever
 * AWS does. An error that stops the command (credentials, timeout, unreachable) is thrown as a CliFailure, once.
 */
export async function runAws<T>(
  access: AwsCommandAccess,
  stderr: NodeJS.WriteStream,
  program: string,
  run: (ctx: AwsCommandContext) => Promise<T>,
): Promise<T> {
  checkProfile(access.profile);
  const deadline = new Deadline(access.timeoutSeconds);
  const clients = cliClients({ region: access.region, profile: access.profile, signal: deadline.signal });
  const progress = createProgress(stderr, program);
  let cutShort: NodeJS.Timeout | undefined;
  const overdue = new Promise<never>((_, reject) => {
    cutShort = setTimeout(
      () => reject(classifyAwsError(Object.assign(new Error('aborted'), { name: 'AbortError' }), access)),
      Math.max(0, deadline.at - Date.now()) + WIND_DOWN_MS,
    );
    cutShort.unref();
  });
  try {
    return await Promise.race([run({ clients, progress, deadline }), overdue]);
  } catch (error) {
    throw classifyAwsError(error, access) ?? error;
  } finally {
    clearTimeout(cutShort);
    deadline.dispose();
    progress.close();
    clients.destroy();
  }
}

export { CliFailure };

/** The options every command has (main.ts addCommon). */
export interface CommonOptions {
  env?: string;
  profile?: string;
  config?: string;
  /** Seconds the whole command may take, AWS calls included. */
  timeout: number;
  /** Machine-readable output: JSON only on stdout (progress and errors still go to stderr). */
  json?: boolean;
}

/**
 * What main.ts lends a command registered in its own file (contain, audit): its IO and exit, the shared options,
 * the configuration (its line on stderr), `withAws` (runAws with `--profile` and `--timeout`) and `emit` (the outcome
 * on stdout: JSON with `--json`, else the human text).
 */
export interface CommandKit {
  readonly io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream; stdin: NodeJS.ReadStream };
  readonly setExit: (code: number) => void;
  /** `--env`, `--profile`, `--config`, `--timeout` (default `timeoutSeconds`) and `--json`. */
  readonly addCommon: (cmd: Command, envRequired: boolean, timeoutSeconds?: number) => Command;
  /** `--poll-interval`, `--abandon-incomplete`, `--retry-wait`. */
  readonly addWaits: (cmd: Command) => Command;
  readonly config: (opts: CommonOptions) => FleapoConfig;
  readonly withAws: <T>(region: string, opts: CommonOptions, run: (ctx: AwsCommandContext) => Promise<T>) => Promise<T>;
  readonly emit: (opts: CommonOptions, json: unknown, human: string) => void;
  readonly program: string;
}
