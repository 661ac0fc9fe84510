import * as http from 'node:http';
import type { RecordedCall } from './aws-json-server';
import { LocalHttpServer } from './local-http-server';

/** A function of the double: gets the parsed payload, returns the result (or throws: a function error). */
export type FakeFunction = (payload: unknown) => Promise<unknown>;

/**
 * AWS Lambda's Invoke (REST-JSON, `POST /2015-03-31/functions/{FunctionName}/invocations`), RequestResponse only, as
 * documented: 200 with the function's result as the body; a function that throws still answers 200, with header
 * `X-Amz-Function-Error: Unhandled` and `{"errorType","errorMessage"}`; an unknown function is a 404
 * ResourceNotFoundException. The functions run in this process (the real handlers). Signatures are not checked.
 */
export class FakeLambda extends LocalHttpServer {
  readonly functions = new Map<string, FakeFunction>();
  readonly calls: RecordedCall[] = [];

  get endpoint(): string {
    return this.origin;
  }

  protected respond(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(payload);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) {
      send(404, { Type: 'User', message: 'unknown route' }, { 'x-amzn-errortype': 'UnknownOperationException' });
      return;
    }
    const name = decodeURIComponent(match[1]);
    const fn = this.functions.get(name.split(':').pop()!) ?? this.functions.get(name);
    const input = body === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
    this.calls.push({ operation: 'Invoke', input: { FunctionName: name, Payload: input } });
    if (!fn) {
      send(404, { Type: 'User', message: `Function not found: ${name}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
      return;
    }
    if (req.headers['x-amz-invocation-type'] !== undefined && req.headers['x-amz-invocation-type'] !== 'RequestResponse') {
      send(400, { message: 'test double: only RequestResponse is modelled' }, { 'x-amzn-errortype': 'InvalidParameterValueException' });
      return;
    }
    fn(input).then(
      (result) => send(200, result ?? null, { 'x-amz-executed-version': '$LATEST' }),
      (error: Error) =>
        send(200, { errorType: error.name ?? 'Error', errorMessage: error.message }, { 'x-amz-function-error': 'Unhandled' }),
    );
  }
}
