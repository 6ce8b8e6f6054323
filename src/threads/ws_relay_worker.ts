/**
 * WebSockets in thread mode, the worker's half: the app's `ServerWebSocket` (made by
 * `upgradeWebSocket()` in the worker, unchanged) is driven by the events the I/O thread relays
 * (src/threads/ws_relay_main.ts), and what it sends is posted there. The request's task ends as
 * usual once the response is sent: the worker serves other requests while its sockets live, their
 * messages arriving through the worker's port.
 *
 * `bufferedAmount` in a worker: the bytes the app sent that the I/O thread has not acknowledged yet,
 * plus the I/O thread's own `bufferedAmount` as its last acknowledgement (one per send) reported it.
 *
 * @module
 */

import type { AcceptedUpgrade } from "../web/upgrade_websocket.ts";
import { utf8Length } from "../http1/bytes.ts";
import { driverOf, type WebSocketDriver, type WebSocketTransport } from "../web/server_websocket.ts";
import { type FromWorker, RELAY_WINDOW, relayCost, toWireError, type WsToWorker } from "./thread_protocol.ts";

// Tests see in this registry entry (when they create it) whether a server loaded this module.
(globalThis as { [key: symbol]: Set<string> | undefined })[Symbol.for("waitress.loaded")]?.add(import.meta.url);

/** One of the worker's sockets. */
interface WorkerSocket {
  readonly id: number;
  readonly accepted: AcceptedUpgrade;
  readonly driver: WebSocketDriver;
  /** Bytes posted to the I/O thread and not acknowledged yet. */
  unacked: number;
  /** The I/O thread's `bufferedAmount`, as of its last acknowledgement. */
  ioBuffered: number;
  /** Relayed messages taken (by `relayCost`) and not yet reported with `ws-taken`. */
  taken: number;
}

/** Bytes in a buffer of their own (transferable), copied only when `bytes` is a view on a larger buffer. */
function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const buffer = bytes.buffer;
  if (buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) return bytes as Uint8Array<ArrayBuffer>;
  return new Uint8Array(bytes);
}

/**
 * The worker's relayed sockets, by the id of the request that accepted them.
 *
 * @example
 * ```ts ignore
 * const relay = new WsWorkerRelay((message, transfer) => port.postMessage(message, transfer));
 * if (offer.accepted !== undefined) relay.accept(id, offer.accepted); // before the response head
 * relay.onMessage(message); // ws-open, ws-message, ws-ack, ws-error, ws-close
 * ```
 */
export class WsWorkerRelay {
  readonly #post: (message: FromWorker, transfer?: ArrayBuffer[]) => void;
  readonly #sockets = new Map<number, WorkerSocket>();

  constructor(post: (message: FromWorker, transfer?: ArrayBuffer[]) => void) {
    this.#post = post;
  }

  /** Sockets accepted here and not closed yet. */
  get size(): number {
    return this.#sockets.size;
  }

  /** The app accepted request `id`'s handshake: tell the I/O thread (before the head goes) and wait for `ws-open`. */
  accept(id: number, accepted: AcceptedUpgrade): void {
    const report = (error: unknown): void => this.#post({ type: "ws-exception", id, error: toWireError(error) });
    const entry: WorkerSocket = { id, accepted, driver: driverOf(accepted.socket, report), unacked: 0, ioBuffered: 0, taken: 0 };
    this.#sockets.set(id, entry);
    const { accept, protocol, extensions, idleTimeout } = accepted;
    this.#post({ type: "ws-accept", id, accept, protocol, extensions, idleTimeout });
  }

  /**
   * The handler failed after `upgradeWebSocket()`: its socket reports a close (1006) without opening,
   * as inline.
   */
  abandon(accepted: AcceptedUpgrade): void {
    const driver = driverOf(accepted.socket, () => {});
    const why = "The handler failed after upgradeWebSocket()";
    driver.error(why);
    driver.closed(1006, why, false);
  }

  /** Handles a WebSocket message from the I/O thread. */
  onMessage(message: WsToWorker): void {
    const entry = this.#sockets.get(message.id);
    if (entry === undefined) return;
    const driver = entry.driver;
    switch (message.type) {
      case "ws-open":
        entry.accepted.socket.extensions = message.extensions;
        driver.open(this.#transport(entry));
        break;
      case "ws-message": {
        const cost = relayCost(message.data);
        if (typeof message.data === "string") driver.text(message.data);
        else driver.binary(new Uint8Array(message.data));
        // Taken once its listeners ran: the I/O thread reads on while it hears so.
        entry.taken += cost;
        if (entry.taken >= RELAY_WINDOW / 4 && this.#sockets.has(entry.id)) {
          this.#post({ type: "ws-taken", id: entry.id, bytes: entry.taken });
          entry.taken = 0;
        }
        break;
      }
      case "ws-ack":
        entry.unacked -= message.bytes;
        entry.ioBuffered = message.buffered;
        break;
      case "ws-error":
        driver.error(message.message);
        break;
      case "ws-close":
        this.#sockets.delete(entry.id);
        entry.unacked = 0;
        entry.ioBuffered = 0;
        driver.closed(message.code, message.reason, message.wasClean);
        break;
    }
  }

  #transport(entry: WorkerSocket): WebSocketTransport {
    return {
      // Text crosses as a string: the I/O thread encodes it once, straight into its frame.
      sendText: (text) => {
        if (!this.#sockets.has(entry.id)) return;
        const bytes = utf8Length(text);
        entry.unacked += bytes;
        this.#post({ type: "ws-send", id: entry.id, data: text, bytes });
      },
      // A view of the app's memory is copied: it may change it once send() returns.
      sendBinary: (bytes, owned) => {
        if (!this.#sockets.has(entry.id)) return;
        const data = own(owned ? bytes : bytes.slice());
        entry.unacked += data.byteLength;
        this.#post({ type: "ws-send", id: entry.id, data, bytes: data.byteLength }, data.byteLength === 0 ? [] : [data.buffer]);
      },
      close: (code, reason) => {
        if (this.#sockets.has(entry.id)) this.#post({ type: "ws-close", id: entry.id, code, reason });
      },
      get bufferedAmount() {
        return entry.unacked + entry.ioBuffered;
      },
    };
  }
}
