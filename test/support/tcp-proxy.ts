import * as net from 'node:net';

/**
 * A TCP forwarder in front of PostgreSQL so tests can make the database "unreachable" for new
 * connections (refused at once) while connections already open keep working.
 */
export class TcpProxy {
  refuseNewConnections = false;
  /** New connections are accepted but never answered (a connect timeout). */
  blackholeNewConnections = false;
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly targetPort: number) {}

  get port(): number {
    return (this.server!.address() as net.AddressInfo).port;
  }

  async start(): Promise<void> {
    this.server = net.createServer((inbound) => {
      if (this.refuseNewConnections) {
        inbound.destroy();
        return;
      }
      if (this.blackholeNewConnections) {
        this.sockets.add(inbound);
        inbound.on('error', () => undefined);
        inbound.on('close', () => this.sockets.delete(inbound));
        return;
      }
      const outbound = net.connect(this.targetPort, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('close', () => outbound.destroy());
      outbound.on('close', () => inbound.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
