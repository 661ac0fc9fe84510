import * as http from 'node:http';
import { LocalHttpServer } from './local-http-server';

/** An error the double answers with, in the AWS JSON 1.1 shape `{"__type","message"}`. */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Answers an operation; may return a promise (the response waits for it). */
export type OperationHandler = (input: Record<string, unknown>) => unknown;

export interface RecordedCall {
  operation: string;
  input: Record<string, unknown>;
}

interface InjectedFailure {
  operation: string;
  remaining: number;
  error: AwsError;
}

/**
 * How the reply of an operation that took effect is lost: `status-500` answers HTTP 500 InternalServiceError (the
 * service failed after it applied the change), `reset` destroys the connection without an answer (a network cut).
 * The AWS SDK's default (standard) retry strategy retries both: the same request reaches the service again.
 */
export type LostReply = 'status-500' | 'reset';

interface InjectedLoss {
  operation: string;
  remaining: number;
  how: LostReply;
}

/**
 * A minimal AWS JSON 1.1 protocol server on 127.0.0.1: `POST /` with header
 * `X-Amz-Target: <prefix>.<Operation>` and a JSON body; errors as `{"__type","message"}`.
 * Request signatures are not checked.
 */
export class AwsJsonServer extends LocalHttpServer {
  readonly calls: RecordedCall[] = [];
  private failures: InjectedFailure[] = [];
  private losses: InjectedLoss[] = [];

  constructor(
    private readonly targetPrefix: string,
    private readonly operations: Record<string, OperationHandler>,
  ) {
    super();
  }

  get endpoint(): string {
    return this.origin;
  }

  /** The next `count` calls of `operation` fail with `error` (default: HTTP 500 InternalServiceError). */
  failNext(operation: string, count = 1, error = new AwsError('InternalServiceError', 'injected failure', 500)): void {
    this.failures.push({ operation, remaining: count, error });
  }

  /**
   * The next `count` calls of `operation` take effect (the operation runs), then their reply is lost (`how`): unlike
   * failNext, which fails before anything happens, the caller cannot tell whether the call was applied.
   */
  loseReplyNext(operation: string, count = 1, how: LostReply = 'status-500'): void {
    this.losses.push({ operation, remaining: count, how });
  }

  clearFailures(): void {
    this.failures = [];
    this.losses = [];
  }

  callsOf(operation: string): RecordedCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  protected respond(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(this.targetPrefix + '.') ? target.slice(this.targetPrefix.length + 1) : '';
    const send = (status: number, payload: unknown, errorType?: string) => {
      const text = JSON.stringify(payload);
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': `req-${this.calls.length}`,
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(text);
    };
    const sendError = (error: unknown) => {
      const e = error instanceof AwsError ? error : new AwsError('InternalServiceError', String((error as Error).message), 500);
      send(e.status, { __type: e.type, message: e.message }, e.type);
    };
    try {
      if (req.method !== 'POST' || !(operation in this.operations)) {
        throw new AwsError('UnknownOperationException', `Unknown operation ${target}`);
      }
      const input = body === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
      this.calls.push({ operation, input });
      const failure = this.failures.find((f) => f.operation === operation && f.remaining > 0);
      if (failure) {
        failure.remaining -= 1;
        throw failure.error;
      }
      const output = this.operations[operation](input);
      const loss = this.losses.find((f) => f.operation === operation && f.remaining > 0);
      if (loss) loss.remaining -= 1;
      const reply = (o: unknown) => {
        if (loss?.how === 'reset') req.socket.destroy();
        else if (loss) sendError(new AwsError('InternalServiceError', 'injected failure after the operation took effect', 500));
        else send(200, o ?? {});
      };
      if (output instanceof Promise) output.then(reply, sendError);
      else reply(output);
    } catch (error) {
      sendError(error);
    }
  }
}

/** A test double of one AWS service: its JSON server, started and stopped with it. */
export abstract class AwsServiceDouble {
  abstract readonly server: AwsJsonServer;

  get endpoint(): string {
    return this.server.endpoint;
  }
  start(): Promise<void> {
    return this.server.start();
  }
  stop(): Promise<void> {
    return this.server.stop();
  }
}
