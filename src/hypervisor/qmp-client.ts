// A minimal QMP (QEMU Machine Protocol) client over QEMU's unix socket: greeting, capability
// negotiation, commands one at a time, asynchronous events handed to a listener. Used for clean
// shutdown (system_powerdown, quit), link state (set_link) and queries.
import { connect, type Socket } from 'node:net';
import { VirtnetError } from '../errors/virtnet-error.js';

/** A QMP event such as SHUTDOWN or POWERDOWN. */
export interface QmpEvent {
  event: string;
  data?: unknown;
}

/** A connected, negotiated QMP session. */
export interface QmpClient {
  /** Runs one command and resolves with its `return` value; a QMP error rejects with QMP_ERROR. */
  execute(command: string, args?: Record<string, unknown>): Promise<unknown>;
  /** Events as they arrive. */
  onEvent(listener: (event: QmpEvent) => void): void;
  close(): void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  command: string;
}

/** Connects to QMP at `socketPath`, negotiates capabilities, and returns the session. */
export function connectQmp(socketPath: string, timeoutMs = 10_000): Promise<QmpClient> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(socketPath);
    const pending: Pending[] = [];
    const listeners: ((e: QmpEvent) => void)[] = [];
    let buffer = '';
    let greeted = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new VirtnetError('QMP_TIMEOUT', `no QMP greeting on ${socketPath} within ${timeoutMs} ms`, {
          path: socketPath,
        }),
      );
    }, timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      for (const p of pending.splice(0)) p.reject(err);
      reject(err);
    };
    socket.on('error', (e) =>
      fail(
        new VirtnetError(
          'QMP_CONNECT_FAILED',
          `QMP ${socketPath}: ${e.message}`,
          { path: socketPath },
          { cause: e },
        ),
      ),
    );
    socket.on('close', () => {
      for (const p of pending.splice(0))
        p.reject(
          new VirtnetError('QMP_CLOSED', `QMP connection closed during ${p.command}`, { path: socketPath }),
        );
    });
    const client: QmpClient = {
      execute(command, args) {
        return new Promise((res, rej) => {
          if (socket.destroyed) {
            rej(
              new VirtnetError('QMP_CLOSED', `QMP connection is closed (${command})`, { path: socketPath }),
            );
            return;
          }
          pending.push({ resolve: res, reject: rej, command });
          socket.write(
            `${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`,
          );
        });
      },
      onEvent(listener) {
        listeners.push(listener);
      },
      close() {
        socket.destroy();
      },
    };
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as {
          QMP?: unknown;
          return?: unknown;
          error?: { class: string; desc: string };
          event?: string;
          data?: unknown;
        };
        if (msg.QMP !== undefined && !greeted) {
          greeted = true;
          client.execute('qmp_capabilities').then(
            () => {
              clearTimeout(timer);
              resolve(client);
            },
            (e: Error) => fail(e),
          );
        } else if (msg.event !== undefined) {
          for (const l of listeners) l({ event: msg.event, data: msg.data });
        } else {
          const p = pending.shift();
          if (!p) continue;
          if (msg.error)
            p.reject(
              new VirtnetError('QMP_ERROR', `QMP ${p.command}: ${msg.error.desc}`, {
                qmpClass: msg.error.class,
                command: p.command,
              }),
            );
          else p.resolve(msg.return);
        }
      }
    });
  });
}
