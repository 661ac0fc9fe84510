import * as path from 'path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import type { CloudFormationValidatePluginProps, IPolicyValidationContext, PolicyValidationPluginReport } from 'aws-cdk-lib';

/** How long a synth waits for the worker's report before validating in its own thread instead. */
const WORKER_TIMEOUT_MS = 5 * 60_000;
/** How often a waiting synth looks whether the worker could not start. */
const WAIT_SLICE_MS = 50;
/** The worker's state word: set to this when it could not start. */
const STATE_FAILED = 1;

/** What the worker validates: the context without the construct tree (which cannot cross threads). */
type WorkerContext = Pick<IPolicyValidationContext, 'templatePaths' | 'stackTemplates' | 'accountId' | 'region'>;

/** A pending validation: started by {@link ValidationWorker.start}, its report taken by {@link PendingValidation.report}. */
export interface PendingValidation {
  /** Waits (blocking this thread) for the worker's report; `undefined` if the worker failed or took too long. */
  report(): PolicyValidationPluginReport | undefined;
}

// The worker: aws-cdk-lib's own CloudFormationValidatePlugin (one per set of props, so one engine, kept and reused),
// run on another thread. Plain CommonJS evaluated by the worker (no TypeScript loader needed, also under jest).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('worker_threads');
let CloudFormationValidatePlugin;
try {
  ({ CloudFormationValidatePlugin } = require(workerData.awsCdkLib));
} catch (error) {
  // A worker that cannot start says so at once: a synth waiting for it validates in its own thread instead.
  Atomics.store(workerData.state, 0, ${STATE_FAILED});
  throw error;
}
// The first engine of a process compiles the engine's bundled schemas and rules (seconds); engines built later
// reuse that work. Done now, while the app is still being constructed on the main thread.
try {
  const engine = require(require.resolve('@aws/cloudformation-validate', { paths: [workerData.awsCdkLibRoot] }));
  new engine.CompositeEngine({}).free();
} catch {
  // Only a head start: the plugin builds its engine itself.
}
const plugins = new Map();
parentPort.on('message', ({ props, context, port, signal }) => {
  let reply;
  try {
    const key = JSON.stringify(props);
    let plugin = plugins.get(key);
    if (!plugin) plugins.set(key, (plugin = new CloudFormationValidatePlugin(props)));
    reply = { report: plugin.validate(context) };
  } catch {
    reply = {}; // validated again in the synth's own thread, where the same error reaches the synth
  }
  port.postMessage(reply);
  port.close();
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;

/**
 * aws-cdk-lib's CloudFormation validation on a worker thread. Its engine takes seconds to start (most of a synth's
 * validation time); started early ({@link ValidationWorker.start} in `bin/app.ts`, before the app's modules load),
 * it starts on the other core while this thread constructs the app, bundles and runs cdk-nag and the guardrails.
 * A validation is posted as soon as the templates are written and its report taken when needed.
 *
 * One worker per process, unreferenced: it never keeps a process alive.
 */
export class ValidationWorker {
  private static instance?: ValidationWorker;

  /**
   * The process's worker, started now if it is not running yet.
   * @param options.awsCdkLib the module the worker loads aws-cdk-lib's plugin from (tests: one that cannot load)
   */
  static start(options: { awsCdkLib?: string } = {}): ValidationWorker {
    return (ValidationWorker.instance ??= new ValidationWorker(options.awsCdkLib ?? require.resolve('aws-cdk-lib')));
  }

  private readonly worker: Worker;
  /** Shared with the worker: {@link STATE_FAILED} once it could not start (readable while this thread waits). */
  private readonly state = new Int32Array(new SharedArrayBuffer(4));
  private failed = false;

  private constructor(awsCdkLib: string) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { awsCdkLib, awsCdkLibRoot: path.dirname(require.resolve('aws-cdk-lib/package.json')), state: this.state },
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    this.worker.on('error', () => this.fail());
    this.worker.on('exit', () => this.fail());
  }

  private fail(): void {
    this.failed = true;
    if (ValidationWorker.instance === this) ValidationWorker.instance = undefined;
  }

  /**
   * Posts a validation of `context`'s templates with aws-cdk-lib's plugin of `props`; returns at once. Its report is
   * `undefined` when the worker could not validate (it failed, timed out, or the validation threw there): the caller
   * then validates on its own thread, so every finding and every error still reaches the synth.
   */
  validate(props: CloudFormationValidatePluginProps, context: IPolicyValidationContext): PendingValidation {
    const none: PendingValidation = { report: () => undefined };
    if (this.failed) return none;
    const workerContext: WorkerContext = {
      templatePaths: context.templatePaths,
      stackTemplates: context.stackTemplates,
      accountId: context.accountId,
      region: context.region,
    };
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    try {
      this.worker.postMessage({ props, context: workerContext, port: port2, signal }, [port2]);
    } catch {
      port1.close();
      return none; // props that cannot cross threads
    }
    let taken: { value?: PolicyValidationPluginReport } | undefined;
    return {
      report: () => {
        if (!taken) taken = { value: this.take(signal, port1) };
        return taken.value;
      },
    };
  }

  /** Stops the worker (tests); the next {@link ValidationWorker.start} starts a new one. */
  static async stop(): Promise<void> {
    const instance = ValidationWorker.instance;
    ValidationWorker.instance = undefined;
    if (instance) await instance.worker.terminate();
  }

  private take(signal: Int32Array, port: MessagePort): PolicyValidationPluginReport | undefined {
    // The worker's 'exit' cannot be seen while this thread waits: the reply, a worker that could not start, or the
    // timeout ends the wait.
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    let waited: ReturnType<typeof Atomics.wait>;
    do waited = Atomics.wait(signal, 0, 0, WAIT_SLICE_MS);
    while (waited === 'timed-out' && Atomics.load(this.state, 0) !== STATE_FAILED && Date.now() < deadline);
    const reply = receiveMessageOnPort(port)?.message as { report?: PolicyValidationPluginReport } | undefined;
    port.close();
    if (waited === 'timed-out' || !reply) {
      // Hung or gone: not used again.
      void this.worker.terminate();
      this.fail();
      return undefined;
    }
    return reply.report;
  }
}
