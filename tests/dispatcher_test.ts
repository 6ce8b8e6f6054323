/**
 * The dispatcher (src/threads/dispatcher.ts) with fake threads: the test plays each worker's side of the
 * protocol (src/threads/thread_protocol.ts) and sees what the dispatcher posts, when it replaces workers, and
 * what the connection's handler call resolves or rejects with.
 */
import type { ThreadEvents } from "../src/platform.ts";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createDispatcher, type Dispatcher, type DispatcherOptions } from "../src/threads/dispatcher.ts";
import { Logger } from "../src/policy/logger.ts";
import { type FromWorker, RESPONSE_WINDOW, type ToWorker } from "../src/threads/thread_protocol.ts";
import type { RequestInfo, RequestParts } from "../src/web/request.ts";
import { until } from "./_helpers.ts";

const INFO: RequestInfo = { remoteAddress: "", remotePort: 0, localAddress: "", localPort: 0, scheme: "http", scriptName: "", pathInfo: "/", rawTarget: "/t", httpVersion: "HTTP/1.1", serverName: "waitress.invalid" };
const bytes = (s: string) => new TextEncoder().encode(s);

/** One fake worker thread. */
class FakeThread {
  readonly posted: ToWorker[] = [];
  terminated = 0;
  readonly events: ThreadEvents;
  readonly terminate: () => void | Promise<unknown>;
  constructor(events: ThreadEvents, terminate: () => void | Promise<unknown>) {
    this.events = events;
    this.terminate = terminate;
  }
  say(message: FromWorker): void {
    this.events.message(message);
  }
  requests(): (ToWorker & { type: "request" })[] {
    return this.posted.filter((m) => m.type === "request") as (ToWorker & { type: "request" })[];
  }
  /** The id of the last request posted to this thread. */
  get id(): number {
    return this.requests().at(-1)!.id;
  }
}

/** A dispatcher over fake threads; `logs` holds its log lines, `timers` the restarts it scheduled. */
class Pool {
  readonly threads: FakeThread[] = [];
  readonly logs: string[] = [];
  readonly timers: { ms: number; fn: () => void }[] = [];
  /** What the next spawn does instead of starting a thread. */
  spawnFails: unknown[];
  terminate: () => void | Promise<unknown> = () => {};
  readonly dispatcher: Dispatcher;

  constructor(threads: number, options: { after?: boolean; spawnFails?: unknown[] } = {}) {
    this.spawnFails = options.spawnFails ?? [];
    const push = (m: unknown) => this.logs.push(String(m));
    const settings: DispatcherOptions = {
      threads,
      logger: new Logger("debug", { debug: push, info: push, warn: push, error: push }),
      spawn: (events) => {
        if (this.spawnFails.length > 0) throw this.spawnFails.shift();
        const thread = new FakeThread(events, () => {
          thread.terminated++;
          return this.terminate();
        });
        this.threads.push(thread);
        return { post: (message) => thread.posted.push(message as ToWorker), terminate: thread.terminate };
      },
    };
    if (options.after !== false) settings.after = (ms, fn) => (this.timers.push({ ms, fn }), () => {});
    this.dispatcher = createDispatcher(settings);
  }

  static async ready(threads: number, options: { after?: boolean } = {}): Promise<Pool> {
    const pool = new Pool(threads, options);
    for (const t of pool.threads) t.say({ type: "ready" });
    await pool.dispatcher.ready;
    return pool;
  }

  /** Hands the dispatcher a request's parts, as the connection (through the spooler) does. */
  handle(request: Request | RequestParts): Promise<Response> {
    return this.dispatcher.handleExchange(request instanceof Request ? partsOf(request) : request, INFO) as Promise<Response>;
  }
}

/** A Request's parts: what the connection hands over (headers flat, the signal by a function). */
function partsOf(request: Request): RequestParts {
  const headers: string[] = [];
  for (const [name, value] of request.headers) headers.push(name, value);
  return { method: request.method, url: request.url, headers, body: request.body, signal: () => request.signal };
}

/** A request body the test feeds by hand. */
function manualBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c), cancel: () => void (cancelled = true) }, { highWaterMark: 0 });
  return { stream, controller, cancelled: () => cancelled };
}
const post = (body: ReadableStream<Uint8Array>) => new Request("http://x/up", { method: "POST", body, duplex: "half" } as RequestInit);

describe("Dispatcher: the pool", () => {
  it("createDispatcher() rejects a thread count that is not a whole number of at least 1", () => {
    for (const threads of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new Pool(threads), (e: unknown) => e instanceof RangeError && /needs at least 1 thread/.test(e.message));
    }
  });

  it("stats() counts starting workers until each is ready; ready resolves when all are", async () => {
    const pool = new Pool(2);
    assert.deepEqual(pool.dispatcher.stats(), { threads: 2, busy: 0, idle: 0, starting: 2, queued: 0 });
    let ready = false;
    void pool.dispatcher.ready.then(() => (ready = true));
    pool.threads[0].say({ type: "ready" });
    assert.deepEqual(pool.dispatcher.stats(), { threads: 2, busy: 0, idle: 1, starting: 1, queued: 0 });
    await Promise.resolve();
    assert.equal(ready, false);
    pool.threads[1].say({ type: "ready" });
    await pool.dispatcher.ready;
    await pool.dispatcher.close();
  });

  it("a thread that cannot start at startup is thrown from the constructor", () => {
    assert.throws(() => new Pool(2, { spawnFails: [new Error("no threads here")] }), /no threads here/);
  });

  it("rejects ready with the reason when a worker cannot load the app, naming the error's type", async () => {
    const pool = new Pool(2);
    pool.threads[0].say({ type: "ready" });
    pool.threads[1].say({ type: "fatal", error: { name: "SyntaxError", message: "Unexpected token" } });
    await assert.rejects(pool.dispatcher.ready, { message: "Thread mode: the app did not load in a worker thread: SyntaxError: Unexpected token" });
    assert.equal(pool.threads[1].terminated, 1);
    pool.threads[1].events.exit("exit code 1"); // the terminated thread's exit: already handled
    pool.threads[1].say({ type: "ready" }); // and anything it still says
    assert.equal(pool.dispatcher.stats().starting, 0);
    assert.equal(pool.threads.length, 2, "nothing respawned at startup");
    await pool.dispatcher.close();

    const plain = new Pool(1);
    plain.threads[0].say({ type: "fatal", error: { name: "Error", message: "Cannot find module" } });
    await assert.rejects(plain.dispatcher.ready, { message: "Thread mode: the app did not load in a worker thread: Cannot find module" });
    await plain.dispatcher.close();
  });

  it("rejects ready when a worker exits while loading the app at startup", async () => {
    const pool = new Pool(1);
    pool.threads[0].events.exit("exit code 7");
    await assert.rejects(pool.dispatcher.ready, /worker thread 1 exited while loading the app \(exit code 7\)/);
    await pool.dispatcher.close();
  });

  it("replaces an idle worker that exits, logging it; a worker's own exit message counts as its exit", async () => {
    const pool = await Pool.ready(1);
    pool.threads[0].say({ type: "exit", code: 3 });
    assert.ok(pool.logs.some((l) => l.includes("Worker thread 1 exited (exit code 3); starting a new one")));
    assert.equal(pool.threads.length, 2);
    assert.deepEqual(pool.dispatcher.stats(), { threads: 1, busy: 0, idle: 0, starting: 1, queued: 0 });
    pool.threads[0].events.exit("exit code 3"); // the runtime's exit event after the message: once only
    assert.equal(pool.threads.length, 2);
    pool.threads[1].say({ type: "ready" });
    const responding = pool.handle(new Request("http://x/"));
    assert.equal(pool.threads[1].requests().length, 1, "the replacement serves");
    pool.threads[1].say({ type: "head", id: pool.threads[1].id, status: 200, statusText: "", headers: [], body: null, end: true });
    assert.equal((await responding).status, 200);
    await pool.dispatcher.close();
  });

  it("retries after a delay when a replacement fails to load; requests wait while another worker is ready", async () => {
    const pool = await Pool.ready(2);
    pool.threads[0].events.exit("exit code 1");
    pool.threads[2].say({ type: "fatal", error: { name: "Error", message: "disk gone" } });
    assert.ok(pool.logs.some((l) => l.includes("Thread mode: the app did not load in a worker thread: disk gone; trying again in 1 s")));
    assert.deepEqual(pool.timers.map((t) => t.ms), [1000]);
    // Worker 2 is ready: the pool is not broken, requests are served.
    const first = pool.handle(new Request("http://x/1"));
    const second = pool.handle(new Request("http://x/2"));
    assert.equal(pool.dispatcher.stats().queued, 1);
    pool.timers[0].fn();
    assert.equal(pool.threads.length, 4, "restarted after the delay");
    pool.threads[3].say({ type: "ready" });
    assert.equal(pool.dispatcher.stats().queued, 0, "the new worker takes the queued request");
    for (const t of [pool.threads[1], pool.threads[3]]) t.say({ type: "head", id: t.id, status: 204, statusText: "", headers: [], body: null, end: true });
    assert.deepEqual([(await first).status, (await second).status], [204, 204]);
    await pool.dispatcher.close();
  });

  it("restarts at once without a timer, and not at all when closed before the timer fires", async () => {
    const now = await Pool.ready(1, { after: false });
    now.threads[0].events.exit("exit code 1");
    now.threads[1].events.exit("exit code 1"); // the replacement dies while loading
    assert.equal(now.threads.length, 3, "a new replacement at once");
    await now.dispatcher.close();

    const later = await Pool.ready(1);
    later.threads[0].events.exit("exit code 1");
    later.threads[1].events.exit("exit code 1");
    assert.equal(later.timers.length, 1);
    await later.dispatcher.close();
    later.timers[0].fn();
    assert.equal(later.threads.length, 2, "no thread started after close()");
  });

  it("logs a replacement that cannot even start, and tries again", async () => {
    const pool = await Pool.ready(1);
    pool.spawnFails.push(new Error("EAGAIN"), "out of threads");
    const running = assert.rejects(pool.handle(new Request("http://x/a")), /exited \(exit code 1\)/);
    const queued = assert.rejects(pool.handle(new Request("http://x/b")), /cannot start a worker thread: EAGAIN/);
    pool.threads[0].events.exit("exit code 1");
    await Promise.all([running, queued]); // no worker can serve: the queued request fails, not hangs
    assert.ok(pool.logs.some((l) => l.includes("Thread mode: cannot start a worker thread: EAGAIN; trying again")));
    pool.timers[0].fn();
    assert.ok(pool.logs.some((l) => l.includes("Thread mode: cannot start a worker thread: out of threads; trying again")));
    await assert.rejects(pool.handle(new Request("http://x/")), /cannot start a worker thread: out of threads/);
    pool.threads[0].say({ type: "ready" }); // from the dead worker: it cannot end the broken state
    const refused = pool.handle(new Request("http://x/"));
    assert.equal(pool.dispatcher.stats().queued, 0, "refused at once, not queued");
    await assert.rejects(refused, /out of threads/);
    pool.timers[1].fn();
    pool.threads[1].say({ type: "ready" });
    const responding = pool.handle(new Request("http://x/"));
    pool.threads[1].say({ type: "head", id: pool.threads[1].id, status: 200, statusText: "", headers: [], body: null, end: true });
    assert.equal((await responding).status, 200, "a ready worker ends the broken state");
    await pool.dispatcher.close();
  });

  it("ignores a second ready from a busy worker", async () => {
    const pool = await Pool.ready(1);
    const a = pool.handle(new Request("http://x/a"));
    const b = pool.handle(new Request("http://x/b"));
    pool.threads[0].say({ type: "ready" });
    assert.equal(pool.threads[0].requests().length, 1, "the queued request waits for the first to end");
    const t = pool.threads[0];
    t.say({ type: "end", id: t.id });
    await assert.rejects(a, /cancelled/);
    assert.equal(t.requests().length, 2);
    t.say({ type: "head", id: t.id, status: 200, statusText: "", headers: [], body: null, end: true });
    assert.equal((await b).status, 200);
    await pool.dispatcher.close();
  });
});

describe("Dispatcher: close()", () => {
  it("fails queued and running requests, errors a streaming response, and terminates every worker once", async () => {
    const pool = await Pool.ready(2);
    let stops = 0;
    pool.terminate = () => new Promise<void>((resolve) => setTimeout(() => (stops++, resolve()), 5));
    const streaming = pool.handle(new Request("http://x/s"));
    const waiting = pool.handle(new Request("http://x/w"));
    const queued = pool.handle(new Request("http://x/q"));
    const [s, w] = pool.threads;
    s.say({ type: "head", id: s.id, status: 200, statusText: "", headers: [], body: bytes("part"), end: false });
    const body = (await streaming).body!.getReader();
    assert.equal(new TextDecoder().decode((await body.read()).value), "part");
    const failed = [queued, waiting, body.read()].map((p) => assert.rejects(p, /The server is shutting down/));
    await pool.dispatcher.close();
    assert.equal(stops, 2, "close() waits for the workers to stop");
    await Promise.all(failed);
    await pool.dispatcher.close();
    assert.deepEqual([s.terminated, w.terminated], [1, 1]);
    await assert.rejects(pool.handle(new Request("http://x/late")), /The server is shutting down/);
    w.say({ type: "end", id: w.id }); // from a terminated worker: ignored
    w.events.exit("terminated");
    assert.equal(pool.threads.length, 2);
  });

  it("rejects ready when closed while starting, and survives terminate() failing", async () => {
    const pool = new Pool(2);
    let calls = 0;
    pool.terminate = () => (++calls === 1 ? Promise.reject(new Error("already dead")) : (() => { throw new Error("gone"); })());
    await pool.dispatcher.close();
    await assert.rejects(pool.dispatcher.ready, /The server is shutting down/);
    assert.equal(calls, 2);
  });
});

describe("Dispatcher: requests", () => {
  it("sends the head of the connection's parts, headers flat as they are", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const signal = new AbortController().signal;
    // As the connection's exchange: signal() on a prototype.
    const parts = Object.assign(Object.create({ signal: () => signal }), { method: "PUT", url: "http://x/f", headers: ["x-a", "1"], body: null }) as RequestParts;
    const a = pool.handle(parts);
    assert.deepEqual(t.posted[0], { type: "request", id: 1, method: "PUT", url: "http://x/f", headers: ["x-a", "1"], info: INFO, body: false });
    t.say({ type: "head", id: 1, status: 200, statusText: "", headers: [], body: null, end: true });
    await a;
    const b = pool.handle(new Request("http://x/r", { headers: { "x-b": "2", "x-c": "3" } }));
    const request = t.posted[1] as ToWorker & { type: "request" };
    assert.deepEqual([request.method, request.url, request.headers, request.body], ["GET", "http://x/r", ["x-b", "2", "x-c", "3"], false]);
    t.say({ type: "head", id: 2, status: 200, statusText: "", headers: [], body: null, end: true });
    await b;
    await pool.dispatcher.close();
  });

  it("rejects a request whose signal has already aborted, and drops a queued one whose client leaves", async () => {
    const pool = await Pool.ready(1);
    const gone = new AbortController();
    gone.abort(new Error("left before dispatch"));
    await assert.rejects(pool.handle(new Request("http://x/", { signal: gone.signal })), /left before dispatch/);
    const busy = pool.handle(new Request("http://x/busy"));
    const leaving = new AbortController();
    const queued = pool.handle(new Request("http://x/q", { signal: leaving.signal }));
    assert.equal(pool.dispatcher.stats().queued, 1);
    leaving.abort();
    await assert.rejects(queued, /The client went away/);
    assert.equal(pool.dispatcher.stats().queued, 0);
    const t = pool.threads[0];
    t.say({ type: "head", id: t.id, status: 200, statusText: "", headers: [], body: null, end: true });
    await busy;
    assert.deepEqual(t.requests().length, 1, "the dropped request never reached the worker");
    await pool.dispatcher.close();
  });

  it("tells the worker when the client of a running request leaves, once, and not after the response", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const client = new AbortController();
    const running = pool.handle(new Request("http://x/", { signal: client.signal }));
    client.abort();
    assert.deepEqual(t.posted.at(-1), { type: "cancel", id: t.id, message: "The client went away" });
    t.say({ type: "end", id: t.id });
    await assert.rejects(running, /The request was cancelled/);
    const other = new AbortController();
    const done = pool.handle(new Request("http://x/", { signal: other.signal }));
    t.say({ type: "head", id: t.id, status: 200, statusText: "", headers: [], body: null, end: true });
    await done;
    other.abort(); // after the response: nothing to cancel
    assert.equal(t.posted.filter((m) => m.type === "cancel").length, 1);
    await pool.dispatcher.close();
  });

  it("ignores messages for another request id", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const r = pool.handle(new Request("http://x/"));
    t.say({ type: "head", id: t.id + 1, status: 500, statusText: "", headers: [], body: null, end: true });
    t.say({ type: "head", id: t.id, status: 202, statusText: "", headers: [], body: null, end: true });
    t.say({ type: "end", id: t.id }); // late: the request is finished
    assert.equal((await r).status, 202);
    await pool.dispatcher.close();
  });

  it("answers a worker's error with a rejection before the head (the connection's 500)", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const r = pool.handle(new Request("http://x/"));
    t.say({ type: "error", id: t.id, error: { name: "TypeError", message: "app broke", stack: "TypeError: app broke\n    at app.ts:1" } });
    await assert.rejects(r, (e: unknown) => e instanceof Error && e.name === "TypeError" && e.message === "app broke" && e.stack!.includes("app.ts:1"));
    assert.equal(pool.dispatcher.stats().idle, 1);
    await pool.dispatcher.close();
  });

  it("fails the request when the worker exits, logging what it was serving", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const r = pool.handle(new Request("http://x/"));
    t.say({ type: "head", id: t.id, status: 200, statusText: "", headers: [], body: bytes("a"), end: false });
    const reader = (await r).body!.getReader();
    await reader.read();
    const failed = assert.rejects(reader.read(), /The worker thread serving this request exited \(uncaught Error: x\)/);
    t.events.exit("uncaught Error: x");
    await failed;
    assert.ok(pool.logs.some((l) => l.includes("Worker thread 1 exited (uncaught Error: x) while serving GET /t; starting a new one")));
    await pool.dispatcher.close();
  });
});

describe("Dispatcher: the request body", () => {
  it("sends a body on the worker's pull, skips empty chunks, and ends it", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const { stream, controller } = manualBody();
    const r = pool.handle(post(stream));
    assert.equal((t.posted[0] as { body: boolean }).body, true);
    t.say({ type: "pull", id: t.id });
    t.say({ type: "pull", id: t.id }); // while a read is under way: one more chunk wanted
    controller.enqueue(new Uint8Array(0));
    controller.enqueue(bytes("abc"));
    await until(() => t.posted.some((m) => m.type === "body"), "the chunk");
    controller.close();
    await until(() => t.posted.some((m) => m.type === "body-end"), "the end");
    t.say({ type: "pull", id: t.id }); // after the end: nothing more to send
    assert.deepEqual(t.posted.slice(1).map((m) => m.type), ["body", "body-end"]);
    const chunk = (t.posted[1] as { chunk: Uint8Array }).chunk;
    assert.deepEqual([...chunk], [...bytes("abc")]);
    t.say({ type: "head", id: t.id, status: 200, statusText: "", headers: [], body: null, end: true });
    await r;
    await pool.dispatcher.close();
  });

  it("tells the worker when the body fails, and stops when the worker cancels the body", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const failing = manualBody();
    const r = pool.handle(post(failing.stream));
    t.say({ type: "pull", id: t.id });
    failing.controller.error(new Error("client sent garbage"));
    await until(() => t.posted.some((m) => m.type === "body-error"));
    assert.deepEqual(t.posted.at(-1), { type: "body-error", id: t.id, message: "client sent garbage" });
    t.say({ type: "head", id: t.id, status: 400, statusText: "", headers: [], body: null, end: true });
    await r;
    const odd = manualBody();
    const r1 = pool.handle(post(odd.stream));
    t.say({ type: "pull", id: t.id });
    odd.controller.error("a string");
    await until(() => t.posted.at(-1)!.type === "body-error");
    assert.deepEqual(t.posted.at(-1), { type: "body-error", id: t.id, message: "a string" });
    t.say({ type: "head", id: t.id, status: 400, statusText: "", headers: [], body: null, end: true });
    await r1;

    // Cancelled while a read waits: the read's result is dropped and the body is cancelled.
    const reading = manualBody();
    const r2 = pool.handle(post(reading.stream));
    t.say({ type: "pull", id: t.id });
    await Promise.resolve();
    t.say({ type: "body-cancel", id: t.id });
    await until(() => reading.cancelled(), "the body is cancelled");
    // Cancelled before any read: the stream is cancelled unread.
    t.say({ type: "head", id: t.id, status: 200, statusText: "", headers: [], body: null, end: true });
    await r2;
    const unread = manualBody();
    const r3 = pool.handle(post(unread.stream));
    t.say({ type: "body-cancel", id: t.id });
    await until(() => unread.cancelled(), "the unread body is cancelled");
    t.say({ type: "pull", id: t.id }); // after the cancel: nothing is read
    assert.equal(t.posted.filter((m) => m.type === "body" || m.type === "body-end").length, 0);
    t.say({ type: "head", id: t.id, status: 200, statusText: "", headers: [], body: null, end: true });
    await r3;
    await pool.dispatcher.close();
  });

  it("drops a body read that completes after the response, or after a failing body's request ended", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const late = manualBody();
    const r = pool.handle(post(late.stream));
    t.say({ type: "pull", id: t.id });
    t.say({ type: "head", id: t.id, status: 200, statusText: "", headers: [], body: null, end: true });
    await r;
    late.controller.enqueue(bytes("late"));
    const failing = manualBody();
    const r2 = pool.handle(post(failing.stream));
    const id2 = t.id;
    t.say({ type: "pull", id: id2 });
    t.say({ type: "head", id: id2, status: 200, statusText: "", headers: [], body: null, end: true });
    await r2;
    failing.controller.error(new Error("late failure"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(t.posted.filter((m) => m.type !== "request"), [], "nothing for finished requests");
    await pool.dispatcher.close();
  });

  it("ignores pull and body-cancel for a request without a body", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const r = pool.handle(new Request("http://x/"));
    t.say({ type: "pull", id: t.id });
    t.say({ type: "body-cancel", id: t.id });
    t.say({ type: "head", id: t.id, status: 200, statusText: "", headers: [], body: null, end: true });
    assert.equal((await r).status, 200);
    assert.equal(t.posted.length, 1);
    await pool.dispatcher.close();
  });
});

describe("Dispatcher: the response", () => {
  it("keeps repeated header names as pairs, and others as a record", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const r = pool.handle(new Request("http://x/"));
    t.say({ type: "head", id: t.id, status: 200, statusText: "OK", headers: ["set-cookie", "a=1", "x-b", "2", "set-cookie", "b=2"], body: bytes("hi"), end: true });
    const response = await r;
    assert.equal(response.headers.get("set-cookie"), "a=1, b=2");
    assert.equal(response.headers.get("x-b"), "2");
    assert.equal(await response.text(), "hi");
    await pool.dispatcher.close();
  });

  it("streams body messages in order, whether they come before or after the connection asks", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const r = pool.handle(new Request("http://x/"));
    t.say({ type: "head", id: t.id, status: 200, statusText: "", headers: [], body: bytes("1"), end: false });
    t.say({ type: "body", id: t.id, chunk: bytes("2") }); // before any read: queued
    const reader = (await r).body!.getReader();
    const got: string[] = [];
    const read = async () => new TextDecoder().decode((await reader.read()).value);
    got.push(await read(), await read());
    const waiting = read(); // nothing queued: wanted
    t.say({ type: "body", id: t.id, chunk: bytes("3") });
    got.push(await waiting);
    t.say({ type: "body", id: t.id, chunk: bytes("4") });
    t.say({ type: "end", id: t.id }); // with a chunk still queued
    got.push(await read());
    assert.deepEqual(got, ["1", "2", "3", "4"]);
    assert.equal((await reader.read()).done, true);
    assert.equal(pool.dispatcher.stats().idle, 1);
    await pool.dispatcher.close();
  });

  it("ends the stream when the end comes while the connection waits, or before it reads on", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    for (const endFirst of [false, true]) {
      const r = pool.handle(new Request("http://x/"));
      t.say({ type: "head", id: t.id, status: 200, statusText: "", headers: [], body: null, end: false });
      const reader = (await r).body!.getReader();
      if (endFirst) {
        t.say({ type: "end", id: t.id });
        assert.equal((await reader.read()).done, true);
      } else {
        const reading = reader.read();
        await Promise.resolve();
        t.say({ type: "end", id: t.id });
        assert.equal((await reading).done, true);
      }
    }
    await pool.dispatcher.close();
  });

  it("returns credit as the connection takes each quarter window, while the worker still runs", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const r = pool.handle(new Request("http://x/"));
    const quarter = RESPONSE_WINDOW / 4;
    t.say({ type: "head", id: t.id, status: 200, statusText: "", headers: [], body: new Uint8Array(quarter - 1), end: false });
    const reader = (await r).body!.getReader();
    await reader.read();
    assert.equal(t.posted.filter((m) => m.type === "credit").length, 0, "less than a quarter: no credit yet");
    t.say({ type: "body", id: t.id, chunk: new Uint8Array(1) });
    await reader.read();
    assert.deepEqual(t.posted.at(-1), { type: "credit", id: t.id, bytes: quarter });
    t.say({ type: "body", id: t.id, chunk: new Uint8Array(quarter) });
    t.say({ type: "end", id: t.id });
    await reader.read(); // the worker is done: no credit for it
    assert.equal(t.posted.filter((m) => m.type === "credit").length, 1);
    await pool.dispatcher.close();
  });

  it("errors the stream when the worker fails after the head", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const r = pool.handle(new Request("http://x/"));
    t.say({ type: "head", id: t.id, status: 200, statusText: "", headers: [], body: null, end: false });
    const reader = (await r).body!.getReader();
    t.say({ type: "error", id: t.id, error: { name: "Error", message: "stream broke" } });
    await assert.rejects(reader.read(), /stream broke/);
    await pool.dispatcher.close();
  });

  it("cancels the worker's stream when the connection stops reading, dropping later chunks", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const r = pool.handle(new Request("http://x/"));
    t.say({ type: "head", id: t.id, status: 200, statusText: "", headers: [], body: bytes("a"), end: false });
    t.say({ type: "body", id: t.id, chunk: bytes("b") });
    await (await r).body!.cancel();
    assert.deepEqual(t.posted.at(-1), { type: "cancel", id: t.id, message: "The connection stopped reading the response" });
    t.say({ type: "body", id: t.id, chunk: bytes("c") }); // in flight: dropped
    t.say({ type: "end", id: t.id });
    assert.equal(pool.dispatcher.stats().idle, 1);
    await pool.dispatcher.close();
  });

  it("rejects a head the I/O thread cannot build a response from, freeing or cancelling the worker", async () => {
    const pool = await Pool.ready(1);
    const t = pool.threads[0];
    const whole = pool.handle(new Request("http://x/"));
    t.say({ type: "head", id: t.id, status: 0, statusText: "", headers: [], body: null, end: true });
    await assert.rejects(whole, RangeError);
    assert.equal(pool.dispatcher.stats().idle, 1, "a complete response frees the worker");
    const streaming = pool.handle(new Request("http://x/"));
    // A status every runtime's Response refuses (Bun's lets a CR/LF statusText through: the connection cleans it).
    t.say({ type: "head", id: t.id, status: 600, statusText: "", headers: [], body: null, end: false });
    await assert.rejects(streaming, RangeError);
    assert.deepEqual(t.posted.at(-1), { type: "cancel", id: t.id, message: "The response head was invalid" });
    t.say({ type: "end", id: t.id });
    assert.equal(pool.dispatcher.stats().idle, 1);
    await pool.dispatcher.close();
  });
});
