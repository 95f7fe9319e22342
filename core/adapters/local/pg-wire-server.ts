import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/**
 * A PostgreSQL wire-protocol server in front of an embedded PGlite, so that the `pg` driver (and
 * `psql`) talk to the embedded database exactly as they talk to a real server.
 *
 * Modelled on `@electric-sql/pglite-socket`, with two differences that matter here:
 * - `COPY … FROM STDIN` works. PGlite cannot resume a copy begun in an earlier call, so the query
 *   and its CopyData/CopyDone messages are buffered and handed over in one call (the fix proposed
 *   upstream in electric-sql/pglite#1028, still open for pglite-socket 0.2.17). The buffer lives
 *   for one COPY statement: callers that load a lot send several bounded COPY statements.
 * - Messages are handed to PGlite in whole protocol units (up to Sync, Flush or a simple Query),
 *   so two connections can never interleave inside one extended-protocol exchange; a connection
 *   inside a transaction keeps the database until the transaction ends.
 *
 * @example
 * const server = new PgWireServer(await PGlite.create(dir));
 * const port = await server.start({ host: '127.0.0.1', port: 0 });
 * // postgres://postgres@127.0.0.1:${port}/postgres
 */
export class PgWireServer {
  private server: Server | undefined;
  private readonly connections = new Set<WireConnection>();
  private readonly scheduler: Scheduler;

  constructor(db: PGlite) {
    this.scheduler = new Scheduler(db);
  }

  /** Listens on `host:port` (0 picks a free port) and resolves to the port in use. */
  async start(options: { host: string; port: number }): Promise<number> {
    if (this.server) throw new Error('the embedded Postgres wire server is already started');
    const server = createServer((socket) => {
      const connection = new WireConnection(socket, this.scheduler, () =>
        this.connections.delete(connection),
      );
      this.connections.add(connection);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') {
      throw new Error(`the embedded Postgres wire server has no TCP address (${String(address)})`);
    }
    return address.port;
  }

  /** Closes every connection (rolling back open transactions) and stops listening. */
  async stop(): Promise<void> {
    for (const connection of this.connections) connection.close();
    this.connections.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.scheduler.idle();
  }
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const COPY_FROM_STDIN = /^\s*copy\s[\s\S]*\bfrom\s+stdin\b/i;

/** One client connection: splits the byte stream into protocol units and schedules them. */
class WireConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private unit: Buffer[] = [];
  private copy: Buffer[] | undefined;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly scheduler: Scheduler,
    private readonly onClose: () => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.scheduler.disconnect(this);
    this.socket.destroy();
    this.onClose();
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const message = this.started ? this.nextTyped() : this.nextUntyped();
      if (!message) return;
      if (this.closed) return;
    }
  }

  /** Startup-phase messages: SSL/GSS negotiation, cancel, the startup packet itself. */
  private nextUntyped(): Buffer | undefined {
    if (this.buffer.length < 8) return undefined;
    const length = this.buffer.readInt32BE(0);
    if (this.buffer.length < length) return undefined;
    const message = this.take(length);
    const code = message.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.socket.write('N');
    } else if (code === CANCEL_REQUEST) {
      this.close();
    } else if (code === PROTOCOL_3) {
      this.started = true;
      this.submit([message]);
    } else {
      this.close();
    }
    return message;
  }

  private nextTyped(): Buffer | undefined {
    if (this.buffer.length < 5) return undefined;
    const length = 1 + this.buffer.readInt32BE(1);
    if (this.buffer.length < length) return undefined;
    const message = this.take(length);
    this.route(message);
    return message;
  }

  private take(length: number): Buffer {
    const message = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return message;
  }

  private route(message: Buffer): void {
    const type = String.fromCharCode(message[0] ?? 0);
    if (this.copy) {
      // Inside COPY FROM STDIN: collect CopyData until CopyDone/CopyFail, then run it all at once.
      if (type === 'd' || type === 'c' || type === 'f') this.copy.push(message);
      if (type === 'c' || type === 'f') {
        const unit = this.copy;
        this.copy = undefined;
        this.submit(unit, { dropCopyInResponse: true });
      }
      return; // Sync/Flush during copy-in are ignored by the protocol
    }
    switch (type) {
      case 'X':
        this.close();
        return;
      case 'Q':
        if (COPY_FROM_STDIN.test(message.toString('utf8', 5, message.length - 1))) {
          this.flushUnit();
          this.copy = [message];
          // The client waits for CopyInResponse before it sends data: answer for PGlite.
          this.socket.write(Buffer.from([0x47, 0, 0, 0, 7, 0, 0, 0]));
          return;
        }
        this.unit.push(message);
        this.flushUnit();
        return;
      case 'S':
      case 'H':
        this.unit.push(message);
        this.flushUnit(type === 'H');
        return;
      case 'P':
      case 'B':
      case 'D':
      case 'E':
      case 'C':
        this.unit.push(message);
        return;
      default:
        this.unit.push(message);
        this.flushUnit();
    }
  }

  private flushUnit(holdsDatabase = false): void {
    if (this.unit.length === 0) return;
    const unit = this.unit;
    this.unit = [];
    this.submit(unit, { holdsDatabase });
  }

  private submit(
    messages: Buffer[],
    options: { dropCopyInResponse?: boolean; holdsDatabase?: boolean } = {},
  ): void {
    const write = (data: Buffer): void => {
      if (!this.closed) this.socket.write(data);
    };
    // The answer to a buffered COPY is small (CommandComplete, ReadyForQuery): collect it to
    // drop PGlite's own CopyInResponse, which the client already had from us. Anything else
    // streams straight to the socket.
    const collected: Buffer[] = [];
    this.scheduler.enqueue({
      connection: this,
      bytes: Buffer.concat(messages),
      holdsDatabase: options.holdsDatabase ?? false,
      onData: options.dropCopyInResponse ? (data) => collected.push(data) : write,
      onDone: () => {
        if (options.dropCopyInResponse) write(withoutMessage(Buffer.concat(collected), 0x47));
      },
      onError: () => this.close(),
    });
  }
}

interface Job {
  connection: WireConnection;
  /** Whole protocol messages; empty for the rollback of a connection that went away. */
  bytes: Buffer;
  /** True after a Flush: the connection is mid extended-protocol exchange and keeps the db. */
  holdsDatabase: boolean;
  onData: (data: Buffer) => void;
  onDone: () => void;
  onError: (error: unknown) => void;
}

/**
 * Runs protocol units one at a time against the single PGlite backend. While a connection is in
 * a transaction (or mid extended-protocol exchange) only its units run; others wait.
 */
class Scheduler {
  private readonly queue: Job[] = [];
  private owner: WireConnection | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly db: PGlite) {}

  enqueue(job: Job): void {
    this.queue.push(job);
    this.kick();
  }

  /** Drops what a closed connection still had queued and rolls back its open transaction. */
  disconnect(connection: WireConnection): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i]?.connection === connection) this.queue.splice(i, 1);
    }
    if (this.owner !== connection) return;
    const noop = (): void => undefined;
    this.queue.unshift({
      connection,
      bytes: Buffer.alloc(0),
      holdsDatabase: false,
      onData: noop,
      onDone: noop,
      onError: noop,
    });
    this.kick();
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(): void {
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  private async drain(): Promise<void> {
    for (;;) {
      const index = this.owner ? this.queue.findIndex((j) => j.connection === this.owner) : 0;
      const job = index < 0 ? undefined : this.queue.splice(index, 1)[0];
      if (!job) return;
      if (job.bytes.length === 0) {
        if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
      } else {
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(new Uint8Array(job.bytes), {
              onRawData: (data) => job.onData(Buffer.from(data)),
            }),
          );
          job.onDone();
        } catch (error) {
          job.onError(error); // the backend failed outside the protocol: drop that client
        }
      }
      this.owner = job.holdsDatabase || this.db.isInTransaction() ? job.connection : undefined;
    }
  }
}

/** Removes the first backend message of `type` from a buffer of whole backend messages. */
function withoutMessage(data: Buffer, type: number): Buffer {
  let offset = 0;
  while (offset + 5 <= data.length) {
    const length = 1 + data.readInt32BE(offset + 1);
    if (data[offset] === type) {
      return Buffer.concat([data.subarray(0, offset), data.subarray(offset + length)]);
    }
    offset += length;
  }
  return data;
}
