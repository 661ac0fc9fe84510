import * as net from 'node:net';

const SSL_REQUEST = 80877103;
const PROTOCOL_3 = 196608;

/**
 * A hostile "PostgreSQL server" on 127.0.0.1 that a secret could point the rotation at: it answers any login with
 * AuthenticationCleartextPassword, which makes a PostgreSQL client send the password itself, and records every
 * byte it receives, every login attempt and every password. Tests use it to show that a credential (the master's
 * above all) never reaches a host the configuration did not name.
 */
export class PasswordTrap {
  /** Connections accepted, whether or not anything was sent on them. */
  connections = 0;
  /** User names of the startup messages received. */
  readonly users: string[] = [];
  /** Passwords received (in the clear, as the trap asked). Never print them. */
  readonly passwords: string[] = [];
  private received = Buffer.alloc(0);
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  get port(): number {
    return (this.server!.address() as net.AddressInfo).port;
  }

  /** True if `value` is anywhere in the bytes received (never prints it). */
  receivedAny(value: string): boolean {
    return this.received.includes(Buffer.from(value, 'utf8'));
  }

  async start(): Promise<void> {
    this.server = net.createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private serve(socket: net.Socket): void {
    this.connections += 1;
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const code = buffer.readInt32BE(4);
          const body = buffer.subarray(8, length);
          buffer = buffer.subarray(length);
          if (code === SSL_REQUEST) {
            socket.write('N'); // no TLS here: a client that requires it gives up
            continue;
          }
          if (code !== PROTOCOL_3) return void socket.destroy();
          const params = body.toString('utf8').split('\0');
          const user = params[params.indexOf('user') + 1];
          if (user !== undefined) this.users.push(user);
          started = true;
          const ask = Buffer.alloc(9);
          ask.write('R', 0);
          ask.writeInt32BE(8, 1);
          ask.writeInt32BE(3, 5); // AuthenticationCleartextPassword
          socket.write(ask);
          continue;
        }
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0]);
        const length = buffer.readInt32BE(1);
        if (buffer.length < 1 + length) return;
        const body = buffer.subarray(5, 1 + length);
        buffer = buffer.subarray(1 + length);
        if (type === 'p') {
          this.passwords.push(body.toString('utf8').replace(/\0$/, ''));
          const fields = Buffer.from('SFATAL\0C28P01\0Mpassword authentication failed\0\0', 'utf8');
          const error = Buffer.alloc(5);
          error.write('E', 0);
          error.writeInt32BE(4 + fields.length, 1);
          socket.end(Buffer.concat([error, fields]));
          return;
        }
      }
    });
  }
}
