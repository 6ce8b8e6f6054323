/**
 * Thread mode (issue 4): the app runs in worker threads behind the dispatcher, the sockets stay on
 * the I/O thread. Uses tests/fixtures/thread_app.ts, served by module specifier.
 */
import type { ThreadEvents } from "../src/platform.ts";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, threadStats, type ServeOptions } from "../mod.ts";
import { createDispatcher } from "../src/threads/dispatcher.ts";
import { Logger } from "../src/policy/logger.ts";
import type { FromWorker, ToWorker } from "../src/threads/thread_protocol.ts";
import type { RequestParts } from "../src/web/request.ts";
import { exchange, RawClient, runtime, sleep, startServer, type TestServer, until } from "./_helpers.ts";
import { parseEcho } from "./fixtures/apps.ts";

/** On Node the tests run as built JS from dist/tests/; Deno and Bun run the TypeScript. */
const APP = new URL(runtime === "node" ? "./fixtures/thread_app.js" : "./fixtures/thread_app.ts", import.meta.url);

function start(threads: number, options: ServeOptions = {}): Promise<TestServer> {
  return startServer(APP as unknown as Parameters<typeof startServer>[0], { threads, ...options });
}

async function get(port: number, target: string): Promise<{ status: number; text: string; closed: boolean }> {
  const { response, closed } = await exchange(port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  return { status: response.status, text: response.text, closed };
}

/** Sends a request on its own connection and resolves with the response text and when it came. */
async function timed(port: number, target: string, done: string[], label: string): Promise<string> {
  const client = new RawClient(port);
  try {
    await client.send(`GET ${target} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    const response = await client.response({ timeoutMs: 10000 });
    done.push(label);
    return response.text;
  } finally {
    client.destroy();
  }
}

/** Drops a connection with a reset, as a client that goes away does (a plain FIN is a half-close). */
function reset(client: RawClient): void {
  const socket = client.socket as RawClient["socket"] & { resetAndDestroy?: () => void };
  if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
  else socket.destroy();
}

describe("createServer() with threads: 2", () => {
  let s: TestServer;
  before(async () => (s = await start(2)));
  after(() => s.close());

  it("threadStats() reports two idle workers once ready, and server.stats() the pool", () => {
    assert.deepEqual(threadStats(s.server), { threads: 2, busy: 0, idle: 2, starting: 0, queued: 0 });
    const stats = s.server.stats();
    assert.equal(stats.idleWorkers, 2);
    assert.equal(stats.busyWorkers, 0);
    assert.equal(stats.queuedTasks, 0);
  });

  it("runs the handler in a worker thread with the request's head and info", async () => {
    const { status, text } = await get(s.port, "/where?x=1");
    assert.equal(status, 200);
    const where = JSON.parse(text);
    assert.equal(where.inWorker, true);
    assert.equal(where.method, "GET");
    assert.equal(where.url, "http://localhost/where?x=1");
    assert.equal(where.host, "localhost");
    assert.equal(where.info.pathInfo, "/where");
    assert.equal(where.info.rawTarget, "/where?x=1");
    assert.equal(where.info.remoteAddress, "127.0.0.1");
  });

  it("dispatcher does not let a CPU-bound request delay a concurrent light one", async () => {
    const done: string[] = [];
    const burn = timed(s.port, "/burn?ms=500", done, "burn");
    await until(() => s.server.stats().busyWorkers === 1, "the burn is running in a worker");
    const light = timed(s.port, "/light", done, "light");
    assert.equal(await light, "light");
    assert.equal(await burn, "burned 500");
    assert.deepEqual(done, ["light", "burn"]);
  });

  it("answers an exception in the worker with a 500 and logs it", async () => {
    const { status, closed } = await get(s.port, "/throw");
    assert.equal(status, 500);
    assert.equal(closed, true);
    assert.ok(s.log.lines.some((l) => l.includes("Exception while serving /throw") && l.includes("boom from the thread fixture")));
  });

  it("echoes a small body through a worker", async () => {
    const { response } = await exchange(s.port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    const [meta, body] = parseEcho(response.text);
    assert.equal(meta.contentLength, 5);
    assert.equal(body, "hello");
  });

  it("streams a 1 MiB upload into a worker and the echo back", async () => {
    const size = 1024 * 1024;
    const payload = new Uint8Array(size);
    for (let i = 0; i < size; i++) payload[i] = 97 + (i % 26);
    const client = new RawClient(s.port);
    try {
      await client.send(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
      await client.send(payload);
      const response = await client.response({ timeoutMs: 10000 });
      const [meta, body] = parseEcho(response.text);
      assert.equal(meta.contentLength, size);
      assert.equal(body.length, size);
      assert.ok(body === String.fromCharCode(...payload.subarray(0, 26)).repeat(Math.ceil(size / 26)).slice(0, size));
    } finally {
      client.destroy();
    }
  });

  it("decodes a chunked upload in the I/O thread and streams it to the worker", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
      for (let i = 0; i < 5; i++) await client.send("4\r\nabcd\r\n");
      await client.send("0\r\n\r\n");
      const [meta, body] = parseEcho((await client.response()).text);
      assert.equal(meta.contentLength, 20);
      assert.equal(body, "abcd".repeat(5));
    } finally {
      client.destroy();
    }
  });

  it("streams a response larger than the credit window from the worker", async () => {
    const { response } = await exchange(s.port, "GET /stream?chunks=64&size=16384 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(response.status, 200);
    assert.equal(response.header("transfer-encoding"), "chunked");
    assert.equal(response.body.length, 64 * 16384);
    assert.equal(response.body[0], 97);
    assert.equal(response.body[63 * 16384], 97 + (63 % 26));
  });

  it("keeps a connection alive across threaded requests and answers pipelined ones in order", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /burn?ms=100 HTTP/1.1\r\nHost: x\r\n\r\nGET /light HTTP/1.1\r\nHost: x\r\n\r\nGET /where HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await client.response()).text, "burned 100");
      assert.equal((await client.response()).text, "light");
      assert.equal(JSON.parse((await client.response()).text).inWorker, true);
    } finally {
      client.destroy();
    }
  });

  it("frees the worker when the client goes away (request.signal aborts in the worker)", async () => {
    const client = new RawClient(s.port);
    await client.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => s.server.stats().busyWorkers === 1);
    reset(client);
    await until(() => s.server.stats().busyWorkers === 0);
    assert.equal((await get(s.port, "/light")).text, "light");
  });
});

describe("createServer() with threads: 1", () => {
  let s: TestServer;
  before(async () => (s = await start(1)));
  after(() => s.close());

  it("dispatcher serves queued requests in arrival order and logs the queue depth", async () => {
    const done: string[] = [];
    const pending: Promise<string>[] = [];
    for (const label of ["a", "b", "c"]) {
      pending.push(timed(s.port, "/burn?ms=150", done, label));
      await until(() => s.server.stats().busyWorkers + s.server.stats().queuedTasks === pending.length, "the request has reached the dispatcher");
    }
    assert.equal(s.server.stats().queuedTasks, 2);
    assert.equal(s.server.stats().busyWorkers, 1);
    await Promise.all(pending);
    assert.deepEqual(done, ["a", "b", "c"]);
    assert.ok(s.log.lines.some((l) => l.includes("WARNING: Task queue depth is 1")));
    assert.ok(s.log.lines.some((l) => l.includes("WARNING: Task queue depth is 2")));
    await until(() => s.log.lines.some((l) => l.includes("Task queue is empty")));
    assert.equal(s.log.lines.filter((l) => l.includes("Task queue depth")).length, 2, "once per change, not per request");
  });

  it("drops a queued request whose client went away", async () => {
    const done: string[] = [];
    const burn = timed(s.port, "/burn?ms=200", done, "burn");
    await until(() => s.server.stats().busyWorkers === 1, "the burn is running");
    const gone = new RawClient(s.port);
    await gone.send("GET /burn?ms=2000 HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => s.server.stats().queuedTasks === 1);
    reset(gone);
    await until(() => s.server.stats().queuedTasks === 0);
    await burn;
    const started = Date.now();
    assert.equal((await get(s.port, "/light")).text, "light");
    assert.ok(Date.now() - started < 1500, "the dropped 2 s burn never ran");
  });

  it("replaces a worker that exits, answers its request with a 500 and serves the next", async () => {
    const crashed = await get(s.port, "/crash");
    assert.equal(crashed.status, 500);
    assert.ok(s.log.lines.some((l) => l.includes("exited") && l.includes("GET /crash")), "the death is logged");
    const next = await get(s.port, "/light");
    assert.equal(next.status, 200);
    assert.equal(next.text, "light");
    assert.equal(threadStats(s.server)!.threads, 1);
  });

  it("replaces a worker killed by an uncaught error", async () => {
    const crashed = await get(s.port, "/crash-async");
    assert.equal(crashed.status, 500);
    assert.equal((await get(s.port, "/light")).text, "light");
  });

  it("takes a 4 MiB upload while the only worker is busy", async () => {
    const burn = get(s.port, "/burn?ms=300");
    await until(() => s.server.stats().busyWorkers === 1, "the burn is running");
    const size = 4 * 1024 * 1024;
    const client = new RawClient(s.port);
    try {
      await client.send(`POST /bytes HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
      const sending = client.send(new Uint8Array(size).fill(120));
      const response = await client.response({ timeoutMs: 10000 });
      await sending;
      assert.equal(JSON.parse(response.text).length, size);
    } finally {
      client.destroy();
    }
    assert.equal((await burn).status, 200);
  });
});

describe("the thread fixture inline and threaded", () => {
  for (const threads of [0, 2]) {
    describe(`threads: ${threads}`, () => {
      let s: TestServer;
      before(async () => (s = await start(threads)));
      after(() => s.close());

      it("createServer() serves the module's default export", async () => {
        assert.equal((await get(s.port, "/light")).text, "light");
        assert.equal(JSON.parse((await get(s.port, "/where")).text).inWorker, threads > 0);
      });

      it("answers 404, 500 and HEAD as the app says", async () => {
        assert.equal((await get(s.port, "/nope")).status, 404);
        assert.equal((await get(s.port, "/throw")).status, 500);
        const { response } = await exchange(s.port, "HEAD /light HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { head: true });
        assert.equal(response.status, 200);
        assert.equal(response.header("content-length"), "5");
        assert.equal(response.body.length, 0);
      });

      it("echoes a body sent with Expect: 100-continue", async () => {
        const client = new RawClient(s.port);
        try {
          await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
          const interim = await client.response();
          assert.equal(interim.status, 100);
          await client.send("body");
          assert.equal(parseEcho((await client.response()).text)[1], "body");
        } finally {
          client.destroy();
        }
      });

      it("threadStats() is defined in thread mode only", () => {
        assert.equal(threadStats(s.server) === undefined, threads === 0);
      });
    });
  }

  it("createServer() serves a named export with the export option", async () => {
    for (const threads of [0, 1]) {
      const s = await start(threads, { export: "named" });
      try {
        assert.equal((await get(s.port, "/")).text, "named export");
      } finally {
        await s.close();
      }
    }
  });
});

describe("createServer() thread mode errors", () => {
  it("createServer() rejects a plain function with threads >= 1", () => {
    assert.throws(() => createServer(() => new Response("x"), { threads: 2, port: 0 }), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /threads: 2/);
      assert.match(error.message, /module/);
      return true;
    });
  });

  for (const threads of [0, 1]) {
    it(`createServer() rejects server.ready when the module cannot load (threads: ${threads})`, async () => {
      const missing = new URL("./fixtures/does_not_exist.js", import.meta.url);
      const server = createServer(missing, { threads, host: "127.0.0.1", port: 0, logger: { debug() {}, info() {}, warn() {}, error() {} } });
      await assert.rejects(server.ready);
      await server.close();
    });

    it(`createServer() rejects server.ready naming the exports when the export is missing (threads: ${threads})`, async () => {
      const server = createServer(APP, { threads, export: "nope", host: "127.0.0.1", port: 0, logger: { debug() {}, info() {}, warn() {}, error() {} } });
      await assert.rejects(server.ready, /no export "nope".*"default", "named"/);
      await server.close();
    });
  }
});

describe("Dispatcher (with a fake thread)", () => {
  it("dispatcher sends one request body chunk for each of the worker's pulls, none before the first", async () => {
    const posted: ToWorker[] = [];
    let events!: ThreadEvents;
    const dispatcher = createDispatcher({
      threads: 1,
      logger: new Logger("error", { debug() {}, info() {}, warn() {}, error() {} }),
      spawn: (e) => {
        events = e;
        return { post: (message) => posted.push(message as ToWorker), terminate() {} };
      },
    });
    events.message({ type: "ready" } satisfies FromWorker);
    await dispatcher.ready;

    const chunk = 16 * 1024;
    let produced = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        produced += chunk;
        controller.enqueue(new Uint8Array(chunk));
        if (produced >= 1024 * 1024) controller.close();
      },
    }, { highWaterMark: 0 });
    const parts: RequestParts = { method: "POST", url: "http://x/", headers: [], body, signal: () => new AbortController().signal };
    const info = { remoteAddress: "", remotePort: 0, localAddress: "", localPort: 0, scheme: "http", scriptName: "", pathInfo: "/", rawTarget: "/", httpVersion: "HTTP/1.1", serverName: "waitress.invalid" };
    const responding = dispatcher.handleExchange(parts, info) as Promise<Response>;
    const id = (posted[0] as ToWorker & { type: "request" }).id;
    const sent = () => posted.reduce((n, m) => n + (m.type === "body" ? m.chunk.length : 0), 0);

    await sleep(50);
    assert.equal(sent(), 0, "nothing before the app reads");
    assert.equal(produced, 0, "the body is not even read before the app reads");
    events.message({ type: "pull", id } satisfies FromWorker);
    await until(() => sent() >= chunk, "one chunk sent");
    await sleep(20);
    assert.equal(sent(), chunk, "one chunk, no more");
    events.message({ type: "pull", id } satisfies FromWorker);
    events.message({ type: "pull", id } satisfies FromWorker);
    await until(() => sent() >= 3 * chunk, "two more chunks sent");
    await sleep(20);
    assert.equal(sent(), 3 * chunk);

    events.message({ type: "head", id, status: 201, statusText: "", headers: ["x-a", "1"], body: new Uint8Array([104, 105]), end: true } satisfies FromWorker);
    const response = await responding;
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("x-a"), "1");
    assert.equal(await response.text(), "hi");
    assert.deepEqual(dispatcher.stats(), { threads: 1, busy: 0, idle: 1, starting: 0, queued: 0 });
    await dispatcher.close();
  });

  it("dispatcher fails waiting requests instead of hanging when no worker can start", async () => {
    const spawned: ThreadEvents[] = [];
    const errors: string[] = [];
    const dispatcher = createDispatcher({
      threads: 1,
      logger: new Logger("error", { debug() {}, info() {}, warn() {}, error: (m: string) => errors.push(m) }),
      spawn: (e) => {
        spawned.push(e);
        return { post() {}, terminate() {} };
      },
      after: () => () => {}, // never retries in this test
    });
    spawned[0].message({ type: "ready" } satisfies FromWorker);
    await dispatcher.ready;
    const info = { remoteAddress: "", remotePort: 0, localAddress: "", localPort: 0, scheme: "http", scriptName: "", pathInfo: "/", rawTarget: "/", httpVersion: "HTTP/1.1", serverName: "waitress.invalid" };
    const get = (url: string): RequestParts => ({ method: "GET", url, headers: [], body: null, signal: () => new AbortController().signal });
    const first = dispatcher.handleExchange(get("http://x/a"), info) as Promise<Response>;
    const second = dispatcher.handleExchange(get("http://x/b"), info) as Promise<Response>;
    assert.equal(dispatcher.stats().queued, 1);
    spawned[0].exit("exit code 1");
    await assert.rejects(first, /exited \(exit code 1\)/);
    spawned[1].exit("exit code 1"); // the replacement dies while loading
    await assert.rejects(second, /exited while loading/);
    await assert.rejects(dispatcher.handleExchange(get("http://x/c"), info) as Promise<Response>, /exited while loading/);
    assert.ok(errors.some((m) => m.includes("Worker thread 1 exited (exit code 1) while serving GET /")));
    await dispatcher.close();
  });
});

describe("slow clients never hold a worker (spooling)", () => {
  it("serves others while one client trickles its upload", async () => {
    const s = await start(1);
    const slow = new RawClient(s.port);
    try {
      await slow.send("POST /bytes HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + "a".repeat(1000));
      await sleep(100);
      const { response } = await exchange(s.port, "GET /light HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(response.text, "light", "the only worker is free while the upload trickles in");
      await slow.send("a".repeat(99000));
      assert.equal((await slow.response()).text, JSON.stringify({ length: 100000 }));
    } finally {
      slow.destroy();
      await s.close();
    }
  });

  it("serves others while one client does not read a large response", async () => {
    const s = await start(1);
    const slow = new RawClient(s.port);
    try {
      slow.socket.pause();
      await slow.send("GET /stream?chunks=128&size=65536 HTTP/1.1\r\nHost: x\r\n\r\n");
      await sleep(300);
      const { response } = await exchange(s.port, "GET /light HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(response.text, "light", "the worker handed its 8 MiB response over and is free");
      slow.socket.resume();
      assert.equal((await slow.response({ timeoutMs: 10000 })).body.length, 128 * 65536);
    } finally {
      slow.destroy();
      await s.close();
    }
  });
});

