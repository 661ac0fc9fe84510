import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/** An HTTP server of a test on 127.0.0.1 (a free port), which reads each request's body and answers it. */
export abstract class LocalHttpServer {
  private server?: http.Server;

  /** `http://127.0.0.1:<port>` once started. */
  get origin(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('server not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.respond(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  protected abstract respond(req: http.IncomingMessage, body: string, res: http.ServerResponse): void;

  /** Answers with an XML document: the reply form of the AWS query protocol (STS, SNS, IAM). */
  protected sendXml(res: http.ServerResponse, status: number, xml: string): void {
    res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) });
    res.end(xml);
  }
}
