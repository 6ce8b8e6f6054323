/**
 * Thread mode (Waitress's task dispatcher): the app runs in a fixed pool of worker threads while
 * this thread keeps all the sockets. The dispatcher handles the connection's parsed request (its
 * parts, never a `Request`: that is built in the worker): it queues it (FIFO) until a worker is idle,
 * sends the head there, then one body chunk for each of the worker's pulls, and resolves with a
 * `Response` fed by the worker's messages, which run on credits (see src/threads/thread_protocol.ts).
 * A WebSocket a worker's app accepts stays here, relayed to that worker (src/threads/ws_relay_main.ts).
 *
 * Runtime-free: threads come in through {@linkcode SpawnThread} (the runtime's `spawnWorker`).
 *
 * @module
 */

import type { ThreadEvents, ThreadHandle } from "../platform.ts";
import type { ExchangeHandler } from "../serve/connection.ts";
import type { RequestInfo, RequestParts } from "../web/request.ts";
import type { Logger } from "../policy/logger.ts";
import type { UpgradeOffer } from "../web/upgrade_websocket.ts";
import { type FromWorker, fromWireError, RESPONSE_WINDOW, type ToWorker } from "./thread_protocol.ts";
import { WsRelay } from "./ws_relay_main.ts";

// Tests see in this registry entry (when they create it) whether a server loaded this module.
(globalThis as { [key: symbol]: Set<string> | undefined })[Symbol.for("waitress.loaded")]?.add(import.meta.url);

/** Starts one worker thread running the app; it reports `ready` once the app module is loaded. */
export type SpawnThread = (events: ThreadEvents) => ThreadHandle;

/** Options of {@linkcode createDispatcher}. */
export interface DispatcherOptions {
  /** Number of worker threads (>= 1). */
  threads: number;
  /** Starts a worker thread. */
  spawn: SpawnThread;
  /** Where queue depth, worker deaths and load failures are logged. */
  logger: Logger;
  /** Calls `fn` once after `ms` (the runtime's `after`): used to back off after a failed start. */
  after?: (ms: number, fn: () => void) => () => void;
}

/** A snapshot of the pool. */
export interface ThreadStats {
  /** Configured pool size. */
  threads: number;
  /** Workers serving a request. */
  busy: number;
  /** Workers waiting for a request. */
  idle: number;
  /** Workers still loading the app (new or replacements). */
  starting: number;
  /** Requests waiting for a worker. */
  queued: number;
}

/** Wait before starting a worker again after one failed to load the app. */
const RESTART_DELAY_MS = 1000;

/** One request, from the handler call until its worker sent the terminal message. */
/**
 * Where a request stands in the pool: `"new"`, `"queued"` (waiting for a worker), `"running"` (a
 * worker has it), `"done"` (the worker sent its terminal message, or the request was dropped or lost).
 */
type TaskState = "new" | "queued" | "running" | "done";

/**
 * Where its response stands: `"pending"` (no head yet), `"streaming"` (the head is in; body chunks
 * come), `"ended"` (no more chunks: the worker ended it, or it was cancelled or failed).
 */
type TaskResponse = "pending" | "streaming" | "ended";

class Task {
  readonly id: number;
  readonly message: ToWorker & { type: "request" };
  readonly body: ReadableStream<Uint8Array> | null;
  readonly resolve: (response: Response) => void;
  readonly reject: (error: unknown) => void;
  /** The connection's offer of a switch to WebSocket (a worker's `ws-accept` sets its `accepted`). */
  upgrade: UpgradeOffer | undefined;
  slot: Slot | undefined;
  /** Where the request stands: see {@linkcode TaskState}. */
  state: TaskState = "new";
  /** Where the response stands: see {@linkcode TaskResponse}. */
  response: TaskResponse = "pending";
  /** The client went away (or the connection dropped the response): cancelling, once. */
  cancelled = false;
  // Request body (I/O thread -> worker): one chunk per pull.
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** Pulls not answered yet. */
  pulls = 0;
  pumping = false;
  /** The request body is sent whole, failed, or cancelled by the worker. */
  bodyDone = false;
  // Response body (worker -> I/O thread).
  controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  chunks: Uint8Array[] = [];
  /** The connection waits for a chunk (its stream pulled with nothing queued). */
  wanted = false;
  consumed = 0;

  constructor(
    id: number,
    message: ToWorker & { type: "request" },
    body: ReadableStream<Uint8Array> | null,
    resolve: (response: Response) => void,
    reject: (error: unknown) => void,
  ) {
    this.id = id;
    this.message = message;
    this.body = body;
    this.resolve = resolve;
    this.reject = reject;
  }

  get label(): string {
    return `${this.message.method} ${this.message.info.rawTarget}`;
  }
}

/** One worker thread. */
class Slot {
  readonly index: number;
  thread!: ThreadHandle;
  ready = false;
  dead = false;
  task: Task | undefined;
  constructor(index: number) {
    this.index = index;
  }
}

/** Headers for a `Response`: a plain object (FastResponse's fast path) unless a name repeats. */
function headerInit(flat: string[]): Record<string, string> | [string, string][] {
  const record: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) {
    if (Object.prototype.hasOwnProperty.call(record, flat[i])) {
      const pairs: [string, string][] = [];
      for (let j = 0; j < flat.length; j += 2) pairs.push([flat[j], flat[j + 1]]);
      return pairs;
    }
    record[flat[i]] = flat[i + 1];
  }
  return record;
}

/**
 * A pool of worker threads behind an exchange handler. Create it with {@linkcode createDispatcher}.
 *
 * @example
 * ```ts ignore
 * const dispatcher = createDispatcher({ threads: 4, spawn, logger });
 * await dispatcher.ready;
 * const server = new Server({ handleExchange: dispatcher.handleExchange }, settings, runtime, logger);
 * server.finished.then(() => dispatcher.close());
 * ```
 */
export class Dispatcher {
  readonly #options: DispatcherOptions;
  readonly #logger: Logger;
  readonly #slots = new Set<Slot>();
  readonly #queue: Task[] = [];
  readonly #ws: WsRelay;
  #nextSlot = 0;
  #nextTask = 0;
  /** Queue depth at which the next "Task queue depth" warning is due (doubles; resets when idle). */
  #warnAt = 1;
  #closed = false;
  /** The last start failed and no worker is ready: requests fail at once instead of waiting. */
  #broken: Error | undefined;
  #starting = true;
  #readyCount = 0;
  #resolveReady!: () => void;
  #rejectReady!: (error: Error) => void;
  /** Resolves once every worker has loaded the app; rejects if one cannot. */
  readonly ready: Promise<void>;
  /** Runs the connection's requests in the pool (the body should be received whole first: see spool.ts). */
  readonly handleExchange: ExchangeHandler;

  constructor(options: DispatcherOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new RangeError(`Invalid thread count ${JSON.stringify(options.threads)}: the dispatcher needs at least 1 thread`);
    }
    this.#options = options;
    this.#logger = options.logger;
    this.#ws = new WsRelay(options.logger);
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {}); // observed by whoever awaits it
    this.handleExchange = (parts, info) => this.#dispatch(parts, info);
    for (let i = 0; i < options.threads; i++) this.#spawn();
  }

  /** Queue depth and worker states. */
  stats(): ThreadStats {
    let busy = 0;
    let idle = 0;
    let starting = 0;
    for (const slot of this.#slots) {
      if (!slot.ready) starting++;
      else if (slot.task !== undefined) busy++;
      else idle++;
    }
    return { threads: this.#options.threads, busy, idle, starting, queued: this.#queue.length };
  }

  /** Terminates every worker; queued and running requests fail (their connections get a 500 or close). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new Error("The server is shutting down");
    this.#rejectReady(error);
    for (const task of this.#queue.splice(0)) this.#drop(task, error);
    const stopping: Promise<unknown>[] = [];
    for (const slot of [...this.#slots]) {
      slot.dead = true;
      this.#slots.delete(slot);
      if (slot.task !== undefined) this.#lose(slot.task, error);
      this.#ws.workerGone(slot);
      try {
        const result = slot.thread.terminate();
        if (result !== undefined) stopping.push(Promise.resolve(result).catch(() => {}));
      } catch { /* already gone */ }
    }
    await Promise.all(stopping);
  }

  // ---- the pool --------------------------------------------------------------------------------

  #spawn(): void {
    const slot = new Slot(++this.#nextSlot);
    this.#slots.add(slot);
    try {
      slot.thread = this.#options.spawn({
        message: (data) => this.#onMessage(slot, data as FromWorker),
        exit: (reason) => this.#onExit(slot, reason),
      });
    } catch (error) {
      this.#slots.delete(slot);
      slot.dead = true;
      if (this.#starting) throw error;
      this.#startFailed(`cannot start a worker thread: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #onReady(slot: Slot): void {
    slot.ready = true;
    this.#broken = undefined;
    if (this.#starting && ++this.#readyCount === this.#options.threads) {
      this.#starting = false;
      this.#resolveReady();
    }
    this.#next(slot);
  }

  /** A worker ended. Its request fails; a new worker takes its place. */
  #onExit(slot: Slot, reason: string): void {
    if (slot.dead) return;
    slot.dead = true;
    this.#slots.delete(slot);
    this.#ws.workerGone(slot);
    if (this.#closed) return;
    if (!slot.ready) {
      this.#startFailed(`worker thread ${slot.index} exited while loading the app (${reason})`);
      return;
    }
    const task = slot.task;
    if (task !== undefined) {
      this.#logger.error(`Worker thread ${slot.index} exited (${reason}) while serving ${task.label}; starting a new one`);
      this.#lose(task, new Error(`The worker thread serving this request exited (${reason})`));
    } else {
      this.#logger.error(`Worker thread ${slot.index} exited (${reason}); starting a new one`);
    }
    this.#spawn();
  }

  /** A worker could not load the app (or start at all). */
  #startFailed(reason: string): void {
    const error = new Error(`Thread mode: ${reason}`);
    if (this.#starting) {
      // At startup this is a configuration error: server.ready rejects with it.
      this.#starting = false;
      this.#rejectReady(error);
      return;
    }
    this.#logger.error(`${error.message}; trying again in ${RESTART_DELAY_MS / 1000} s`);
    let anyReady = false;
    for (const slot of this.#slots) if (slot.ready) anyReady = true;
    if (!anyReady) {
      // No worker can serve: fail what waits rather than hang.
      this.#broken = error;
      for (const task of this.#queue.splice(0)) this.#drop(task, error);
      this.#queueChanged();
    }
    const after = this.#options.after;
    if (after === undefined) this.#spawn();
    else {
      after(RESTART_DELAY_MS, () => {
        if (!this.#closed) this.#spawn();
      });
    }
  }

  // ---- requests --------------------------------------------------------------------------------

  #dispatch(parts: RequestParts, info: RequestInfo): Promise<Response> {
    const { method, url, headers, body } = parts;
    const signal = parts.signal();
    return new Promise<Response>((resolve, reject) => {
      if (this.#closed) throw new Error("The server is shutting down");
      if (this.#broken !== undefined) throw this.#broken;
      const id = ++this.#nextTask;
      const message: ToWorker & { type: "request" } = { type: "request", id, method, url, headers, info, body: body !== null };
      const upgrade = parts.upgrade;
      if (upgrade !== undefined) message.upgrade = { minorVersion: upgrade.minorVersion, hasBody: upgrade.hasBody, secure: upgrade.secure };
      const task = new Task(id, message, body, resolve, reject);
      task.upgrade = upgrade;
      if (signal.aborted) throw signal.reason;
      signal.addEventListener("abort", () => this.#cancel(task, "The client went away"), { once: true });
      for (const slot of this.#slots) {
        if (slot.ready && slot.task === undefined) {
          this.#start(task, slot);
          return;
        }
      }
      task.state = "queued";
      this.#queue.push(task);
      this.#queueChanged();
    });
  }

  #start(task: Task, slot: Slot): void {
    task.state = "running";
    task.slot = slot;
    slot.task = task;
    slot.thread.post(task.message);
  }

  /** Gives an idle worker the oldest waiting request. */
  #next(slot: Slot): void {
    if (slot.dead || !slot.ready || slot.task !== undefined) return;
    const task = this.#queue.shift();
    if (task !== undefined) this.#start(task, slot);
    this.#queueChanged();
  }

  /** Logs the queue depth the way Waitress does, but once per change of state, not per request. */
  #queueChanged(): void {
    const depth = this.#queue.length;
    if (depth >= this.#warnAt) {
      this.#logger.warning(`Task queue depth is ${depth}`);
      this.#warnAt = depth * 2;
      return;
    }
    if (depth === 0 && this.#warnAt > 1) {
      for (const slot of this.#slots) if (slot.task !== undefined) return;
      this.#warnAt = 1;
      this.#logger.info(`Task queue is empty and every worker thread is idle again`);
    }
  }

  #running(task: Task): boolean {
    return task.state === "running" && task.slot !== undefined && task.slot.task === task;
  }

  /** The client is gone (or the connection dropped the response). */
  #cancel(task: Task, message: string): void {
    if (task.state === "done" || task.cancelled) return;
    task.cancelled = true;
    if (task.state === "queued") {
      const at = this.#queue.indexOf(task);
      if (at >= 0) this.#queue.splice(at, 1);
      this.#drop(task, new Error(message));
      this.#queueChanged();
      return;
    }
    // The worker aborts request.signal, stops the app's stream and then sends its terminal message.
    if (this.#running(task)) task.slot!.thread.post({ type: "cancel", id: task.id, message } satisfies ToWorker);
  }

  /** Fails a request that never reached a worker. */
  #drop(task: Task, error: Error): void {
    task.state = "done";
    task.reject(error);
  }

  /** Fails a running request whose worker is gone: a 500 before the head, a closed connection after it. */
  #lose(task: Task, error: Error): void {
    if (task.state === "done") return;
    task.state = "done";
    if (task.slot !== undefined && task.slot.task === task) task.slot.task = undefined;
    if (task.response === "pending") task.reject(error);
    else this.#errorStream(task, error);
  }

  /** The worker sent the terminal message: it is free. */
  #finish(slot: Slot, task: Task): void {
    task.state = "done";
    slot.task = undefined;
    this.#next(slot);
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    if (slot.dead) return;
    switch (message.type) {
      case "ready":
        this.#onReady(slot);
        return;
      case "fatal": {
        slot.dead = true;
        this.#slots.delete(slot);
        void Promise.resolve(slot.thread.terminate()).catch(() => {});
        if (this.#closed) return;
        const error = fromWireError(message.error);
        this.#startFailed(`the app did not load in a worker thread: ${error.name === "Error" ? "" : `${error.name}: `}${error.message}`);
        return;
      }
      case "exit":
        this.#onExit(slot, `exit code ${message.code}`);
        return;
      case "ws-send":
      case "ws-close":
      case "ws-taken":
      case "ws-exception":
        this.#ws.fromWorker(message); // a socket outlives its request's task
        return;
    }
    const task = slot.task;
    if (task === undefined || task.id !== message.id) return; // late message for a finished request
    switch (message.type) {
      case "pull":
        task.pulls++;
        void this.#pumpBody(task);
        break;
      case "body-cancel":
        task.bodyDone = true;
        if (task.reader !== undefined) void task.reader.cancel().catch(() => {});
        else if (task.body !== null && !task.body.locked) void task.body.cancel().catch(() => {});
        break;
      case "ws-accept":
        this.#ws.accept(slot, task.upgrade, message, task.message.url);
        break;
      case "head":
        this.#onHead(slot, task, message);
        break;
      case "body":
        this.#onChunk(task, message.chunk);
        break;
      case "end": {
        const answered = task.response !== "pending";
        task.response = "ended";
        if (task.chunks.length === 0) this.#closeStream(task);
        this.#finish(slot, task);
        // Cancelled before the app answered: nobody waits for the response any more.
        if (!answered) task.reject(new Error("The request was cancelled"));
        break;
      }
      case "error": {
        const error = fromWireError(message.error);
        this.#finish(slot, task);
        if (task.response === "pending") task.reject(error);
        else this.#errorStream(task, error);
        break;
      }
    }
  }

  // ---- request body: I/O thread -> worker, one chunk per pull ------------------------------------

  async #pumpBody(task: Task): Promise<void> {
    if (task.pumping || task.bodyDone || task.body === null) return;
    task.pumping = true;
    try {
      task.reader ??= task.body.getReader();
      while (task.pulls > 0 && !task.bodyDone && this.#running(task)) {
        const { done, value } = await task.reader.read();
        if (!this.#running(task) || task.bodyDone) return;
        if (done) {
          task.bodyDone = true;
          task.slot!.thread.post({ type: "body-end", id: task.id } satisfies ToWorker);
          return;
        }
        if (value.length === 0) continue;
        // A copy of exactly these bytes: the parser's chunk may share its buffer with the next request.
        const chunk = new Uint8Array(value);
        task.pulls--;
        task.slot!.thread.post({ type: "body", id: task.id, chunk } satisfies ToWorker, [chunk.buffer]);
      }
    } catch (error) {
      if (this.#running(task) && !task.bodyDone) {
        task.bodyDone = true;
        const message = error instanceof Error ? error.message : String(error);
        task.slot!.thread.post({ type: "body-error", id: task.id, message } satisfies ToWorker);
      }
    } finally {
      task.pumping = false;
    }
  }

  // ---- response: worker -> I/O thread ------------------------------------------------------------

  #onHead(slot: Slot, task: Task, message: FromWorker & { type: "head" }): void {
    let body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null = message.body;
    if (!message.end) {
      if (message.body !== null) task.chunks.push(message.body);
      body = new ReadableStream<Uint8Array>({
        start: (controller) => {
          task.controller = controller;
        },
        // Never called once the stream is closed: an ended response with nothing queued is.
        pull: (controller) => {
          const chunk = task.chunks.shift();
          if (chunk !== undefined) {
            controller.enqueue(chunk);
            this.#consumed(task, chunk.length);
            if (task.response === "ended" && task.chunks.length === 0) this.#closeStream(task);
          } else task.wanted = true;
        },
        cancel: () => {
          task.chunks = [];
          task.response = "ended";
          this.#cancel(task, "The connection stopped reading the response");
        },
      }, { highWaterMark: 0 });
    }
    let response: Response;
    try {
      // The global Response: the server's FastResponse unless `nativeResponse` kept the runtime's own.
      response = new Response(body, { status: message.status, statusText: message.statusText, headers: headerInit(message.headers) });
    } catch (error) {
      if (message.end) this.#finish(slot, task);
      else this.#cancel(task, "The response head was invalid");
      task.reject(error);
      return;
    }
    // "ended" already when the connection cancelled the stream before it had it.
    if (task.response === "pending") task.response = message.end ? "ended" : "streaming";
    if (message.end) this.#finish(slot, task);
    task.resolve(response);
  }

  #onChunk(task: Task, chunk: Uint8Array): void {
    if (task.response === "ended") return; // cancelled: drop
    if (task.wanted && task.controller !== undefined) {
      task.wanted = false;
      task.controller.enqueue(chunk);
      this.#consumed(task, chunk.length);
    } else {
      task.chunks.push(chunk);
    }
  }

  /** The connection took `n` bytes: return credit to the worker once a quarter window is used. */
  #consumed(task: Task, n: number): void {
    task.consumed += n;
    if (task.consumed >= RESPONSE_WINDOW / 4 && this.#running(task)) {
      task.slot!.thread.post({ type: "credit", id: task.id, bytes: task.consumed } satisfies ToWorker);
      task.consumed = 0;
    }
  }

  #closeStream(task: Task): void {
    try {
      task.controller?.close();
    } catch { /* cancelled or already closed */ }
  }

  #errorStream(task: Task, error: Error): void {
    task.chunks = [];
    task.response = "ended";
    task.controller?.error(error); // never throws (a no-op on a stream no longer readable)
  }
}

/**
 * Starts `threads` workers through `spawn` and returns the dispatcher; await `ready` before serving.
 *
 * @example
 * ```ts ignore
 * import { createDispatcher } from "./dispatcher.ts";
 * const dispatcher = createDispatcher({ threads: 2, spawn: (events) => runtime.spawnWorker!(init, events), logger });
 * await dispatcher.ready;
 * dispatcher.stats(); // { threads: 2, busy: 0, idle: 2, starting: 0, queued: 0 }
 * ```
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  return new Dispatcher(options);
}
