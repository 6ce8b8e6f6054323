/**
 * The worker side of thread mode, runtime-free: loads the app module, then serves the requests the
 * dispatcher (src/threads/dispatcher.ts) sends, one at a time, and streams each response back with credit
 * based backpressure. The thread entry points (adapters/{node,deno,bun}/worker_entry.ts) only
 * wire a message port to {@linkcode WorkerServer}. Workers never see a socket: a WebSocket the app
 * accepts stays on the I/O thread, its messages relayed (src/threads/ws_relay_worker.ts).
 *
 * @module
 */

import type { FetchHandler } from "../serve/connection.ts";
import type { RequestFactory } from "../web/request.ts";
import { takeFastParts } from "../web/fast_response.ts";
import { readAhead } from "../web/read_ahead.ts";
import { type FromWorker, type RequestMessage, RESPONSE_WINDOW, type ToWorker, toWireError, type WorkerInit, type WsToWorker } from "./thread_protocol.ts";
import { handlerFromModule } from "./app_export.ts";
import { offerUpgrade, type UpgradeOffer } from "../web/upgrade_websocket.ts";
import { WsWorkerRelay } from "./ws_relay_worker.ts";

export { handlerFromModule } from "./app_export.ts";

// Tests see in this registry entry (when they create it) whether a server loaded this module.
(globalThis as { [key: symbol]: Set<string> | undefined })[Symbol.for("waitress.loaded")]?.add(import.meta.url);

/** What a worker thread provides to {@linkcode WorkerServer}. */
export interface WorkerHost {
  /** Posts a message to the I/O thread, transferring the listed buffers. */
  post(message: FromWorker, transfer?: ArrayBuffer[]): void;
  /** How the handler's `Request` is built on this runtime. */
  createRequest: RequestFactory;
}

const encoder = new TextEncoder();

/** Copies response bytes into a buffer of their own, so it can be transferred. */
function ownBytes(value: unknown): Uint8Array<ArrayBuffer> {
  if (typeof value === "string") return encoder.encode(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value)) {
    // Copy exactly the view: the app may keep (or share) the buffer behind it.
    const out = new Uint8Array(value.byteLength);
    out.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    return out;
  }
  throw new TypeError(`The response body stream produced a ${typeof value}; it must produce Uint8Array chunks`);
}

function transferOf(chunk: Uint8Array<ArrayBuffer> | null): ArrayBuffer[] {
  return chunk === null || chunk.byteLength === 0 ? [] : [chunk.buffer];
}

/** One request in the worker. */
class WorkerTask {
  readonly id: number;
  abort: AbortController | undefined;
  // Request body: one "body" message for each "pull" (the app's read), then "body-end".
  bodyController: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** `open` while chunks may still come; `done` once ended, failed or cancelled. */
  body: "none" | "open" | "done" = "none";
  // Response body: bytes we may still send before the connection takes some.
  credit = RESPONSE_WINDOW;
  wake: (() => void) | undefined;
  reader: ReadableStreamDefaultReader<unknown> | undefined;
  cancelled = false;
  finished = false;

  constructor(id: number) {
    this.id = id;
  }

  signal = (): AbortSignal => (this.abort ??= new AbortController()).signal;
}

/**
 * Serves the dispatcher's messages in a worker thread.
 *
 * @example
 * ```ts ignore
 * const server = new WorkerServer({ post: (m, t) => port.postMessage(m, t), createRequest: lazyRequest });
 * port.on("message", (m) => server.onMessage(m));
 * await server.load(init, (url) => import(url));
 * ```
 */
export class WorkerServer {
  readonly #host: WorkerHost;
  #handler: FetchHandler | undefined;
  readonly #tasks = new Map<number, WorkerTask>();
  readonly #ws: WsWorkerRelay;

  constructor(host: WorkerHost) {
    this.#host = host;
    this.#ws = new WsWorkerRelay((message, transfer) => host.post(message, transfer));
  }

  /** Imports the app module and reports `ready` (or `fatal` with the reason) to the I/O thread. */
  async load(init: WorkerInit, importModule: (url: string) => Promise<Record<string, unknown>>): Promise<void> {
    try {
      this.#handler = handlerFromModule(await importModule(init.moduleUrl), init.exportName, init.moduleUrl);
    } catch (error) {
      this.#host.post({ type: "fatal", error: toWireError(error) });
      return;
    }
    this.#host.post({ type: "ready" });
  }

  /** Handles one message from the I/O thread. */
  onMessage(message: ToWorker): void {
    if (message.type === "request") {
      void this.#run(message);
      return;
    }
    if (message.type.startsWith("ws-")) {
      this.#ws.onMessage(message as WsToWorker);
      return;
    }
    const task = this.#tasks.get(message.id);
    if (task === undefined) return; // a late message for a finished request
    switch (message.type) {
      case "body":
        this.#onBody(task, message.chunk);
        break;
      case "body-end":
        this.#closeBody(task);
        break;
      case "body-error":
        this.#errorBody(task, new Error(message.message));
        break;
      case "credit":
        task.credit += message.bytes;
        this.#wake(task);
        break;
      case "cancel":
        this.#cancel(task, new Error(message.message));
        break;
    }
  }

  // ---- the request -----------------------------------------------------------------------------

  async #run(message: RequestMessage): Promise<void> {
    const task = new WorkerTask(message.id);
    this.#tasks.set(task.id, task);
    let response: Response;
    let offer: UpgradeOffer | undefined;
    try {
      if (this.#handler === undefined) throw new Error("The application is not loaded in this worker");
      const body = message.body ? this.#bodyStream(task) : null;
      const request = this.#host.createRequest({ method: message.method, url: message.url, headers: message.headers, body, signal: task.signal });
      const upgrade = message.upgrade;
      if (upgrade !== undefined) {
        // upgradeWebSocket() works as inline; the socket it makes is relayed to the I/O thread's.
        offer = { method: message.method, minorVersion: upgrade.minorVersion, headers: message.headers, hasBody: upgrade.hasBody, secure: upgrade.secure };
        offerUpgrade(request, offer);
      }
      response = await this.#handler(request, message.info);
    } catch (error) {
      if (offer?.accepted !== undefined) this.#ws.abandon(offer.accepted);
      this.#fail(task, error);
      return;
    }
    // Accepted: the I/O thread hears of it before the head, so the connection answers it with the 101.
    if (offer?.accepted !== undefined) this.#ws.accept(task.id, offer.accepted);
    if (task.cancelled) {
      void (response as Response | undefined)?.body?.cancel().catch(() => {});
      this.#finish(task, { type: "end", id: task.id });
      return;
    }
    try {
      await this.#send(task, response);
    } catch (error) {
      this.#fail(task, error);
    }
  }

  #bodyStream(task: WorkerTask): ReadableStream<Uint8Array> {
    task.body = "open";
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        task.bodyController = controller;
      },
      // Called for a read that finds nothing queued (never once the body is closed): one chunk, please.
      // The first one is also what lets the I/O thread read the body at all (and send 100 Continue).
      pull: () => this.#host.post({ type: "pull", id: task.id }),
      cancel: () => {
        task.body = "done";
        if (!task.finished) this.#host.post({ type: "body-cancel", id: task.id });
      },
    }, { highWaterMark: 0 });
  }

  #onBody(task: WorkerTask, chunk: Uint8Array): void {
    if (task.body === "open") task.bodyController!.enqueue(chunk);
  }

  #closeBody(task: WorkerTask): void {
    if (task.body !== "open") return;
    task.body = "done";
    task.bodyController!.close(); // chunks still queued are read first
  }

  #errorBody(task: WorkerTask, error: Error): void {
    if (task.body !== "open") return;
    task.body = "done";
    task.bodyController!.error(error); // never throws (a no-op on a stream no longer readable)
  }

  #cancel(task: WorkerTask, reason: Error): void {
    if (task.cancelled) return;
    task.cancelled = true;
    task.abort?.abort(reason);
    this.#errorBody(task, reason);
    if (task.reader !== undefined) void task.reader.cancel(reason).catch(() => {});
    this.#wake(task);
  }

  #wake(task: WorkerTask): void {
    const wake = task.wake;
    task.wake = undefined;
    wake?.();
  }

  // ---- the response ----------------------------------------------------------------------------

  async #send(task: WorkerTask, response: Response): Promise<void> {
    if (typeof response !== "object" || response === null || typeof response.status !== "number") {
      throw new TypeError(`The handler returned ${response === null ? "null" : typeof response} instead of a Response`);
    }
    const fast = takeFastParts(response);
    let status = fast ? fast.status : response.status;
    if (status === 0 && response.type === "error") status = 500; // Response.error(), as the connection does
    const statusText = (fast ? fast.statusText : response.statusText) ?? "";
    // Headers, body, then headers again, as the connection does: Bun computes a body's implicit
    // Content-Type when headers are first read; a lookalike (srvx's NodeResponse) only once its body is built.
    let stream: ReadableStream<unknown> | null = null;
    if (fast === undefined) {
      void response.headers;
      stream = response.body;
    }
    let headers = fast?.headers;
    if (headers === undefined) {
      headers = [];
      for (const [name, value] of response.headers) headers.push(name, value);
    }
    const head = (body: Uint8Array<ArrayBuffer> | null, end: boolean): FromWorker => ({ type: "head", id: task.id, status, statusText, headers: headers!, body, end });

    if (fast !== undefined) {
      const body = fast.body === null ? null : ownBytes(fast.body);
      this.#finish(task, head(body, true), transferOf(body));
      return;
    }
    if (stream === null) {
      this.#finish(task, head(null, true));
      return;
    }
    const reader = stream.getReader() as ReadableStreamDefaultReader<unknown>;
    task.reader = reader;
    // Up to two ready chunks, as the connection reads ahead: a small body travels with its head.
    const { chunks: first, ended, pending: waiting } = await readAhead(reader, 2, ownBytes);
    if (task.cancelled) return this.#finish(task, { type: "end", id: task.id });
    const firstChunk = first.length > 0 ? first[0] : null;
    if (ended) {
      this.#finish(task, head(firstChunk, true), transferOf(firstChunk));
      return;
    }
    this.#host.post(head(firstChunk, false), transferOf(firstChunk));
    task.credit -= firstChunk?.length ?? 0;
    let pending = waiting;
    let next: Uint8Array<ArrayBuffer> | undefined = first[1];
    for (;;) {
      if (next !== undefined && next.length > 0) {
        this.#host.post({ type: "body", id: task.id, chunk: next }, transferOf(next));
        task.credit -= next.length;
      }
      while (task.credit <= 0 && !task.cancelled) await new Promise<void>((resolve) => (task.wake = resolve));
      if (task.cancelled) break;
      const result = await (pending ?? reader.read());
      pending = undefined;
      if (result.done || task.cancelled) break;
      next = ownBytes(result.value);
    }
    this.#finish(task, { type: "end", id: task.id });
  }

  #fail(task: WorkerTask, error: unknown): void {
    if (task.reader !== undefined) void task.reader.cancel(error).catch(() => {});
    this.#finish(task, { type: "error", id: task.id, error: toWireError(error) });
  }

  /** Sends the request's one terminal message; the worker is free again. */
  #finish(task: WorkerTask, message: FromWorker, transfer?: ArrayBuffer[]): void {
    if (task.finished) return;
    task.finished = true;
    this.#tasks.delete(task.id);
    this.#errorBody(task, new Error("The response was sent before the request body was read"));
    this.#host.post(message, transfer);
  }
}
