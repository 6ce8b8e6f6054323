/**
 * Deno's connections behind the core's {@linkcode SocketHandle}. Deno's `Conn` is promise-based: a
 * read loop feeds the core, and a write loop drains an output queue (writes may be partial).
 *
 * @module
 */

import type { AcceptHandler, ConnectionEvents, PeerInfo, SocketHandle } from "../../src/platform.ts";
import type { ListenerReport } from "../shared/accept.ts";
import { Lingering } from "../shared/linger.ts";
import { isRoutineSocketError } from "../shared/socket_errors.ts";
import { HIGH_WATER, WriteQueue } from "../shared/write_queue.ts";
import { type DenoConn, deno } from "./api.ts";

/**
 * Read buffer sizes: each connection starts small (most requests are a few hundred bytes, and every
 * open connection keeps one buffer in a pending read) and grows fourfold when a read fills its
 * buffer. 1 KiB keeps an idle connection's memory at Deno.serve's (measured: 4 KiB made it 3 KiB
 * more); a larger first request costs one more read.
 */
const READ_SIZE_MIN = 1024;
const READ_SIZE_MAX = 64 * 1024;
/**
 * Read buffers (of READ_SIZE_MIN) of connections that closed, for the next ones: under churn a new
 * buffer per connection is external memory that only a GC frees, and its growth makes V8 collect
 * more often. At most this many wait here (64 KiB).
 */
const SPARE_BUFFERS_MAX = 64;
const spareBuffers: Uint8Array[] = [];

/** Closing connections waiting for their peer; each entry is the connection's close function. */
const lingering = new Lingering<() => void>((close) => close(), (timer) => deno().unrefTimer(timer as unknown as number));

/**
 * Serves one accepted connection: a read loop feeding the core, and a write loop draining the queue
 * (writes may be partial). Pausing holds the read loop. `unix` is the fixed peer of a unix socket.
 *
 * @example
 * ```ts ignore
 * serveConn(await listener.accept(), onAccept, undefined, report);
 * ```
 */
export function serveConn(conn: DenoConn, onAccept: AcceptHandler, unix: PeerInfo | undefined, report: ListenerReport, secure = false): void {
  try {
    conn.setNoDelay?.(true);
  } catch { /* unix sockets have no Nagle */ }
  const queue = new WriteQueue();
  /** Bytes handed to write() and not yet written: the backpressure measure. */
  let pending = 0;
  let writing = false;
  /** write() reported backpressure: the core waits for onDrain. */
  let congested = false;
  let ending = false;
  let closed = false;
  let paused = false;
  let peerEnded = false;
  let wake: (() => void) | undefined;
  let lastError: unknown;
  /** A TLS connection that has not delivered a byte: a failure is its handshake's (the client's doing). */
  let handshaking = secure;
  let events: ConnectionEvents | undefined;

  const close = (): void => {
    if (closed) return;
    closed = true;
    lingering.delete(close);
    try {
      conn.close();
    } catch { /* already closed */ }
    wake?.();
    events?.onClose(lastError, (handshaking && lastError !== undefined) || isRoutineSocketError(lastError));
  };
  // An exception that escaped this connection's loops closes this connection only (unhandled, it
  // would end the process).
  const fault = (error: unknown): void => {
    report.connectionError(error);
    try {
      close();
    } catch (again) {
      report.connectionError(again);
    }
  };

  // Never rejects (what the core throws in onDrain goes to fault): called without a .catch, which
  // would cost one more promise per response.
  const writeLoop = async (): Promise<void> => {
    writing = true;
    try {
      while (!queue.empty && !closed) {
        // Everything queued goes out in one write call where possible.
        const chunk = queue.takeGathered();
        let n = 0;
        while (n < chunk.length) n += await conn.write(n === 0 ? chunk : chunk.subarray(n));
        queue.release();
        pending -= chunk.length;
      }
    } catch (error) {
      lastError = error;
      writing = false;
      close();
      return;
    }
    writing = false;
    if (closed) return;
    try {
      if (congested) {
        congested = false;
        events!.onDrain();
      }
      if (ending && queue.empty) {
        // Both sides are done; or a TLS connection that never delivered a byte (Deno's closeWrite
        // would wait for a handshake that a silent client never completes).
        if (peerEnded || handshaking) return close();
        try {
          await conn.closeWrite();
        } catch { /* peer already gone */ }
        if (!closed) lingering.add(close);
      }
    } catch (error) {
      fault(error);
    }
  };

  const handle: SocketHandle = {
    write(data: Uint8Array): boolean {
      if (closed || ending) return false;
      queue.push(data);
      pending += data.length;
      if (!writing) void writeLoop();
      if (pending < HIGH_WATER) return true;
      congested = true;
      return false;
    },
    // Chunks by reference: the write loop gathers them into a reused buffer, one write call.
    writev(chunks: Uint8Array[]): boolean {
      if (closed || ending) return false;
      for (const chunk of chunks) {
        queue.push(chunk);
        pending += chunk.length;
      }
      if (!writing) void writeLoop();
      if (pending < HIGH_WATER) return true;
      congested = true;
      return false;
    },
    end(): void {
      if (ending || closed) return;
      ending = true;
      paused = false;
      wake?.();
      if (!writing) void writeLoop();
    },
    destroy(): void {
      close();
    },
    pauseReading(): void {
      paused = true;
    },
    resumeReading(): void {
      if (!paused) return;
      paused = false;
      wake?.();
    },
  };

  const remote = conn.remoteAddr;
  const local = conn.localAddr;
  const peer: PeerInfo = unix ?? {
    remoteAddress: remote.hostname ?? "",
    remotePort: remote.port ?? 0,
    localAddress: local.hostname ?? "",
    localPort: local.port ?? 0,
    unix: false,
    secure,
  };
  events = onAccept(handle, peer);
  const sink = events;

  let readBuffer = spareBuffers.pop() ?? new Uint8Array(READ_SIZE_MIN);
  (async () => {
    try {
      for (;;) {
        while (paused && !closed && !ending) await new Promise<void>((resolve) => (wake = resolve));
        if (closed) return;
        let n: number | null;
        try {
          n = await conn.read(readBuffer);
        } catch (error) {
          // A socket error (a reset): the core hears of it in onClose.
          lastError = error;
          return close();
        }
        handshaking = false;
        if (n === null) {
          peerEnded = true;
          if (ending) return close();
          sink.onEnd();
          return;
        }
        const size = n === readBuffer.length && n < READ_SIZE_MAX ? n * 4 : readBuffer.length;
        if (ending) {
          if (size !== readBuffer.length) readBuffer = new Uint8Array(size);
        } else if (n >= readBuffer.length >> 1 && readBuffer.length > READ_SIZE_MIN) {
          // Mostly full (a body arriving): the core takes the buffer itself, the next read gets a new one.
          sink.onData(readBuffer.subarray(0, n));
          readBuffer = new Uint8Array(size);
        } else {
          // A few bytes: the core gets a copy and the buffer is read into again.
          sink.onData(readBuffer.slice(0, n));
          if (size !== readBuffer.length) readBuffer = new Uint8Array(size);
        }
      }
    } finally {
      // No read is pending on it any more (every exit is after a read ended or before one began),
      // and the core only ever got copies: the next connection may have it.
      if (readBuffer.length === READ_SIZE_MIN && spareBuffers.length < SPARE_BUFFERS_MAX) spareBuffers.push(readBuffer);
    }
  })().catch(fault); // what the core threw
}

