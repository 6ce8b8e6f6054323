/**
 * Bun's sockets behind the core's {@linkcode SocketHandle}. Bun's `socket.write()` writes what the
 * kernel takes and returns the count; the rest waits in a queue here until the `drain` callback.
 *
 * @module
 */

import type { AcceptHandler, ConnectionEvents, PeerInfo, SocketHandle } from "../../src/platform.ts";
import { isAscii } from "../../src/http1/bytes.ts";
import type { ListenerReport } from "../shared/accept.ts";
import { Lingering } from "../shared/linger.ts";
import { isRoutineSocketError } from "../shared/socket_errors.ts";
import { HIGH_WATER, WriteQueue } from "../shared/write_queue.ts";
import type { BunSocket, SocketHandlers } from "./api.ts";

/** How much of a gathered write is copied into its first send. */
const GATHER_MAX = 128 * 1024;
/** Scratch memory for gathered writes, shared by all sockets (never while a view of it is queued). */
let gatherScratch: Uint8Array | undefined;
const encoder = new TextEncoder();

/** One socket's state, and the core's view of it. Methods on a prototype: no closures per connection. */
export class BunSocketHandle implements SocketHandle {
  readonly socket: BunSocket;
  events: ConnectionEvents = undefined as unknown as ConnectionEvents;
  /** What the socket has not taken yet. */
  readonly out: WriteQueue = new WriteQueue();
  ending = false;
  peerEnded = false;
  closed = false;
  lastError: unknown;
  /** A TLS socket before its handshake succeeded: its failure is the client's doing (plain HTTP, a refused certificate). */
  handshaking = false;
  readonly report: ListenerReport;

  constructor(socket: BunSocket, report: ListenerReport) {
    this.socket = socket;
    this.report = report;
  }

  write(data: Uint8Array): boolean {
    if (this.closed || this.ending) return false;
    const out = this.out;
    if (out.empty) {
      const n = this.socket.write(data);
      if (n >= data.length) return true;
      out.push(n > 0 ? data.subarray(n) : data);
      return out.bytes < HIGH_WATER;
    }
    out.push(data);
    return out.bytes < HIGH_WATER;
  }
  /**
   * Bun sockets have no gathered write. The first GATHER_MAX bytes (the head and the start of the
   * body) are copied into one buffer so they leave in one send and one TCP segment train, as a
   * writev would; the rest goes by reference.
   */
  writev(chunks: Uint8Array[]): boolean {
    if (this.closed || this.ending) return false;
    let total = 0;
    for (const chunk of chunks) total += chunk.length;
    // Fresh large typed arrays are costly in JavaScriptCore: gather into a reused scratch buffer.
    const gathered = (gatherScratch ??= new Uint8Array(GATHER_MAX)).subarray(0, Math.min(total, GATHER_MAX));
    let offset = 0;
    let i = 0;
    for (; i < chunks.length && offset < gathered.length; i++) {
      const chunk = chunks[i];
      const take = Math.min(chunk.length, gathered.length - offset);
      gathered.set(take === chunk.length ? chunk : chunk.subarray(0, take), offset);
      offset += take;
      if (take < chunk.length) {
        chunks[i] = chunk.subarray(take);
        break;
      }
    }
    // A queued view keeps the scratch buffer: then the next gather takes a new one.
    const out = this.out;
    if (!out.empty) {
      gatherScratch = undefined;
      out.push(gathered);
    } else {
      const n = this.socket.write(gathered);
      if (n < gathered.length) {
        gatherScratch = undefined;
        out.push(gathered.subarray(Math.max(n, 0)));
      }
    }
    let ok = out.bytes < HIGH_WATER;
    for (; i < chunks.length; i++) ok = this.write(chunks[i]);
    return ok;
  }
  writeText(text: string): boolean {
    if (this.closed || this.ending) return false;
    if (!this.out.empty) return this.write(encoder.encode(text));
    // Bun encodes strings natively; it reports bytes written, so a partial write of
    // non-ASCII text is finished from its encoded form.
    const n = this.socket.write(text as unknown as Uint8Array);
    if (n === text.length && isAscii(text)) return true;
    const bytes = encoder.encode(text);
    if (n >= bytes.length) return true;
    this.out.push(bytes.subarray(Math.max(n, 0)));
    return this.out.bytes < HIGH_WATER;
  }
  end(): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    this.socket.resume();
    if (this.out.empty) finishEnd(this.socket, this);
  }
  destroy(): void {
    if (this.closed) return;
    this.ending = true;
    this.socket.terminate();
  }
  pauseReading(): void {
    this.socket.pause();
  }
  resumeReading(): void {
    if (!this.ending) this.socket.resume();
  }
}

function flushQueue(socket: BunSocket, state: BunSocketHandle): void {
  const out = state.out;
  while (!out.empty) {
    const chunk = out.take();
    const n = socket.write(chunk);
    if (n < chunk.length) {
      out.push(n > 0 ? chunk.subarray(n) : chunk);
      return;
    }
  }
  if (state.ending) finishEnd(socket, state);
}

const lingering = new Lingering<BunSocket>((socket) => {
  if (!socket.data.closed) socket.terminate();
}, (timer) => (timer as { unref?: () => void }).unref?.());

function finishEnd(socket: BunSocket, state: BunSocketHandle): void {
  if (state.peerEnded) {
    socket.end(); // both sides are done
    return;
  }
  // Write side only (Bun's shutdown(true) shuts the read side): the peer reads our response while
  // we keep draining its input, so bytes already on their way cannot make the kernel send a reset.
  socket.shutdown();
  lingering.add(socket);
}

/**
 * An exception that escaped one socket's callback closes that socket only (Bun would hand it to the
 * error callback and leave the socket as it was).
 */
function fault(socket: BunSocket, error: unknown): void {
  socket.data.report.connectionError(error);
  socket.data.ending = true;
  socket.terminate();
}

/**
 * The socket callbacks of one listener: each accepted socket gets a {@linkcode BunSocketHandle} and
 * the core's events. `unix` is the fixed peer of a unix socket.
 *
 * @example
 * ```ts ignore
 * bun().listen({ hostname, port, socket: handlers(onAccept, undefined, report), allowHalfOpen: true });
 * ```
 */
export function handlers(onAccept: AcceptHandler, unix: PeerInfo | undefined, report: ListenerReport, secure = false): SocketHandlers {
  const socketHandlers: SocketHandlers = {
    open(socket) {
      const state = new BunSocketHandle(socket, report);
      state.handshaking = secure;
      socket.data = state;
      state.events = IGNORE; // until the core has it: a throwing setup must not leave callbacks without a target
      try {
        socket.setNoDelay?.(true);
        state.events = onAccept(state, unix ?? {
          remoteAddress: socket.remoteAddress,
          remotePort: socket.remotePort ?? 0,
          localAddress: socket.localAddress ?? "",
          localPort: socket.localPort ?? 0,
          unix: false,
          secure,
        });
      } catch (error) {
        fault(socket, error);
      }
    },
    data(socket, data) {
      const state = socket.data;
      try {
        if (!state.ending) state.events.onData(data);
      } catch (error) {
        fault(socket, error);
      }
    },
    drain(socket) {
      const state = socket.data;
      try {
        flushQueue(socket, state);
        if (state.out.empty && !state.closed) state.events.onDrain();
      } catch (error) {
        fault(socket, error);
      }
    },
    end(socket) {
      const state = socket.data;
      state.peerEnded = true;
      try {
        if (state.ending) socket.end();
        else state.events.onEnd();
      } catch (error) {
        fault(socket, error);
      }
    },
    error(socket, error) {
      socket.data.lastError = error;
    },
    close(socket, error) {
      const state = socket.data;
      if (state.closed) return;
      state.closed = true;
      lingering.delete(socket);
      try {
        const failure = error ?? state.lastError;
        state.events.onClose(failure, (state.handshaking && failure !== undefined) || isRoutineSocketError(failure));
      } catch (error) {
        report.connectionError(error);
      }
    },
  };
  if (secure) {
    socketHandlers.handshake = (socket, success) => {
      if (success) socket.data.handshaking = false;
    };
  }
  return socketHandlers;
}

const IGNORE: ConnectionEvents = { onData() {}, onEnd() {}, onDrain() {}, onClose() {} };

