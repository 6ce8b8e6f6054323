/**
 * WebSockets in thread mode, the I/O thread's half: the socket stays here (a `WsSession` drives a
 * proxy `ServerWebSocket`), and its events are relayed to the worker whose app accepted it;
 * what that app sends comes back as messages and goes out through the proxy's transport. One message
 * each way per WebSocket message (plus an acknowledgement per send, for `bufferedAmount`, and a
 * `ws-taken` per 256 KiB delivered: past {@linkcode RELAY_WINDOW} not taken, the client's frames wait
 * in the kernel, as they do for a client that does not read). A worker that ends takes its sockets
 * with it: they close with 1011. The worker's half is
 * src/threads/ws_relay_worker.ts; the messages are in src/threads/thread_protocol.ts.
 *
 * @module
 */

import type { ThreadHandle } from "../platform.ts";
import type { Logger } from "../policy/logger.ts";
import type { UpgradeOffer } from "../web/upgrade_websocket.ts";
import { ServerWebSocket, transportOf } from "../web/server_websocket.ts";
import { fromWireError, RELAY_WINDOW, relayCost, type ToWorker, type WsFromWorker } from "./thread_protocol.ts";

// Tests see in this registry entry (when they create it) whether a server loaded this module.
(globalThis as { [key: symbol]: Set<string> | undefined })[Symbol.for("waitress.loaded")]?.add(import.meta.url);

/** The close reason of the sockets of a worker that ended. */
export const WORKER_ENDED = "The worker thread ended";

/** What the relay needs of a worker thread (the dispatcher's slot). */
export interface RelayWorker {
  readonly thread: ThreadHandle;
  readonly dead: boolean;
}

/** One relayed socket. */
interface Relayed {
  readonly id: number;
  readonly proxy: ServerWebSocket;
  readonly worker: RelayWorker;
  /** Its close event was relayed (or its worker is gone): nothing more goes to the worker. */
  done: boolean;
  /** Its worker ended before the socket opened: close it with 1011 as soon as it does. */
  orphaned: boolean;
  /** Messages relayed (by `relayCost`) that the worker has not reported taken. */
  inFlight: number;
  /** The client's frames are held: the worker is a whole RELAY_WINDOW behind. */
  holding: boolean;
}

/** The close event's fields (Node 20 has no global `CloseEvent`). */
interface CloseFields {
  code: number;
  reason: string;
  wasClean: boolean;
}

/**
 * The I/O thread's relayed sockets, by the id of the request that accepted them.
 *
 * @example
 * ```ts ignore
 * const relay = new WsRelay(logger);
 * relay.accept(slot, exchange.upgrade, message, "http://localhost/chat"); // on "ws-accept"
 * relay.fromWorker(message); // on "ws-send", "ws-close" and "ws-exception"
 * relay.workerGone(slot); // the worker exited: its sockets close with 1011
 * ```
 */
export class WsRelay {
  readonly #logger: Logger;
  readonly #sockets = new Map<number, Relayed>();
  readonly #byWorker = new Map<RelayWorker, Set<Relayed>>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Sockets open (or opening) through the relay. */
  get size(): number {
    return this.#sockets.size;
  }

  /**
   * The worker's app accepted the handshake of request `message.id`: sets `offer.accepted` with a
   * proxy socket, so the connection sends the `101` when the worker's response (which carries the
   * same `Sec-WebSocket-Accept`) arrives, and relays the proxy's events to the worker.
   */
  accept(worker: RelayWorker, offer: UpgradeOffer | undefined, message: WsFromWorker & { type: "ws-accept" }, url: string): void {
    const id = message.id;
    if (offer === undefined || offer.accepted !== undefined || this.#sockets.has(id)) {
      // Cannot happen with our worker; never leave its socket waiting.
      worker.thread.post({ type: "ws-close", id, code: 1006, reason: "The server did not offer this request a WebSocket", wasClean: false } satisfies ToWorker);
      return;
    }
    const proxy = new ServerWebSocket(`${offer.secure || url.startsWith("https:") ? "wss" : "ws"}${url.slice(url.indexOf(":"))}`, message.protocol);
    proxy.binaryType = "arraybuffer";
    const entry: Relayed = { id, proxy, worker, done: false, orphaned: false, inFlight: 0, holding: false };
    this.#sockets.set(id, entry);
    let mine = this.#byWorker.get(worker);
    if (mine === undefined) this.#byWorker.set(worker, mine = new Set());
    mine.add(entry);
    proxy.addEventListener("open", () => {
      if (entry.orphaned) transportOf(proxy)?.close(1011, WORKER_ENDED);
      else this.#post(entry, { type: "ws-open", id, extensions: proxy.extensions });
    });
    proxy.addEventListener("message", (event) => {
      const data = (event as MessageEvent<string | ArrayBuffer>).data;
      entry.inFlight += relayCost(data);
      if (entry.inFlight >= RELAY_WINDOW && !entry.holding) {
        entry.holding = true;
        transportOf(proxy)?.holdInput?.(true);
      }
      if (typeof data === "string") this.#post(entry, { type: "ws-message", id, data });
      else this.#post(entry, { type: "ws-message", id, data }, [data]);
    });
    proxy.addEventListener("error", (event) => {
      this.#post(entry, { type: "ws-error", id, message: (event as Event & { message?: string }).message ?? "WebSocket error" });
    });
    proxy.addEventListener("close", (event) => {
      const { code, reason, wasClean } = event as Event & CloseFields;
      this.#post(entry, { type: "ws-close", id, code, reason, wasClean });
      this.#forget(entry);
    });
    offer.accepted = { socket: proxy, accept: message.accept, protocol: message.protocol, extensions: message.extensions, idleTimeout: message.idleTimeout };
  }

  /** A worker's app sent a message or closed its socket (or one of its socket's listeners threw). */
  fromWorker(message: WsFromWorker): void {
    if (message.type === "ws-exception") {
      this.#logger.error("Exception in a WebSocket listener", fromWireError(message.error));
      return;
    }
    const entry = this.#sockets.get(message.id);
    if (entry === undefined || entry.done) return; // closed meanwhile: its close event is on its way to the worker
    const transport = transportOf(entry.proxy);
    switch (message.type) {
      case "ws-send":
        // The worker's socket sends only once open, which it learns after the proxy opened.
        if (typeof message.data === "string") transport?.sendText(message.data);
        else transport?.sendBinary(message.data, true);
        this.#post(entry, { type: "ws-ack", id: entry.id, bytes: message.bytes, buffered: transport?.bufferedAmount ?? 0 });
        break;
      case "ws-close":
        this.#release(entry); // the client's close frame must be read
        transport?.close(message.code, message.reason);
        break;
      case "ws-taken":
        entry.inFlight -= message.bytes;
        if (entry.inFlight < RELAY_WINDOW / 2) this.#release(entry);
        break;
    }
  }

  /** A worker ended: its sockets close with 1011 (those not open yet as soon as they open). */
  workerGone(worker: RelayWorker): void {
    const mine = this.#byWorker.get(worker);
    if (mine === undefined) return;
    this.#byWorker.delete(worker);
    for (const entry of mine) {
      entry.done = true;
      entry.orphaned = true;
      this.#release(entry);
      transportOf(entry.proxy)?.close(1011, WORKER_ENDED);
    }
  }

  /** Reads the client's frames again. */
  #release(entry: Relayed): void {
    if (!entry.holding) return;
    entry.holding = false;
    transportOf(entry.proxy)?.holdInput?.(false);
  }

  #post(entry: Relayed, message: ToWorker, transfer?: ArrayBuffer[]): void {
    if (entry.done || entry.worker.dead) return;
    try {
      entry.worker.thread.post(message, transfer);
    } catch {
      // A buffer that cannot be transferred (or a thread just gone): try once with a copy.
      if (transfer !== undefined && message.type === "ws-message" && message.data instanceof ArrayBuffer) {
        try {
          entry.worker.thread.post({ ...message, data: message.data.slice(0) });
        } catch { /* the worker is gone: its exit closes the socket */ }
      }
    }
  }

  #forget(entry: Relayed): void {
    entry.done = true;
    if (this.#sockets.get(entry.id) === entry) this.#sockets.delete(entry.id);
    const mine = this.#byWorker.get(entry.worker);
    mine?.delete(entry);
    if (mine?.size === 0) this.#byWorker.delete(entry.worker);
  }
}
