/**
 * Fault injection over real sockets (issue 13): a client that leaves with a FIN or a reset at every
 * phase of an exchange, half-closed clients, clients that never read, and apps that throw, reject,
 * return something else than a Response or never settle. After each fault the server's connection
 * count returns to 0, it answers a normal request, and this process's descriptors and spool temp
 * files are back where they were (tests/_faults.ts). Thread mode and close() are in fault_threads_test.ts.
 */
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { exchange, RawClient, startServer, until, type TestServer } from "./_helpers.ts";
import { baseline, connected, Gate, leave, type Leave, openFds, recovered, reset } from "./_faults.ts";

const MiB = 1024 * 1024;
const BIG = new Uint8Array(MiB).fill(98);

/** What the app saw, for assertions. */
const seen = { bodyErrors: 0, streamsCancelled: 0, signalsAborted: 0 };
const gate = new Gate();

function stream(): ReadableStream<Uint8Array> {
  // Endless: only the client leaving (or the server closing the connection) ends it.
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new Uint8Array(16 * 1024).fill(97));
    },
    cancel() {
      seen.streamsCancelled++;
    },
  });
}

async function app(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  switch (path) {
    case "/ok":
      return new Response("ok");
    case "/echo":
      try {
        return new Response(`${(await request.arrayBuffer()).byteLength}`);
      } catch (error) {
        seen.bodyErrors++;
        throw error;
      }
    case "/hold":
      // Held until the test opens the gate, or until the client is gone.
      await new Promise<void>((resolve) => {
        void gate.wait().then(resolve);
        request.signal.addEventListener("abort", () => {
          seen.signalsAborted++;
          resolve();
        }, { once: true });
      });
      return new Response("held");
    case "/stream":
      return new Response(stream());
    case "/big":
      return new Response(BIG);
    case "/throw":
      throw new Error("the app throws (a test)");
    case "/reject":
      return await Promise.reject(new Error("the app rejects (a test)"));
    case "/not-a-response":
      return { status: 200, body: "nope" } as unknown as Response;
    case "/never":
      return await new Promise<Response>(() => {});
  }
  return new Response("not found", { status: 404 });
}

/** Where a client leaves, as the bytes it sent first; `app` says the app is running by then. */
const PHASES: { phase: string; sent: string; app?: boolean; body?: boolean }[] = [
  { phase: "before any byte", sent: "" },
  { phase: "mid request-line", sent: "GET /ok HT" },
  { phase: "mid head", sent: "GET /ok HTTP/1.1\r\nHost: x\r\nX-Long: abc" },
  { phase: "after the head, before the body", sent: "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n", app: true, body: true },
  { phase: "mid Content-Length body", sent: `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n${"a".repeat(40)}`, app: true, body: true },
  { phase: "mid chunk", sent: "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabcd", app: true, body: true },
  { phase: "mid chunk-size line", sent: "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1", app: true, body: true },
  { phase: "while the app runs", sent: "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n", app: true },
];

const LEAVES: Leave[] = ["fin", "reset"];

describe("a client that leaves at any phase", () => {
  let s: TestServer;
  before(async () => (s = await startServer(app)));
  after(() => s.close());
  beforeEach(() => gate.reset());

  for (const { phase, sent, app: running, body } of PHASES) {
    for (const how of LEAVES) {
      it(`${how} ${phase}: the server recovers`, async () => {
        const before = baseline();
        const bytesIn = s.server.stats().bytesIn;
        const bodyErrors = seen.bodyErrors;
        const aborted = seen.signalsAborted;
        const client = await connected(s.port, sent);
        // The fault must hit the phase named: wait until the server has read what was sent.
        await until(() => s.server.stats().connections === 1 && s.server.stats().bytesIn >= bytesIn + sent.length, "the server read the bytes");
        if (running) await until(() => s.server.stats().requestsInFlight === 1, "the app runs");
        leave(client, how);
        if (body) await until(() => seen.bodyErrors === bodyErrors + 1, "the app's body read fails");
        if (phase === "while the app runs") {
          // A reset tells the app at once (request.signal); after a FIN the client may still read, so the app finishes.
          if (how === "reset") await until(() => seen.signalsAborted === aborted + 1, "request.signal aborts");
          gate.open();
        }
        await recovered(s, before, `${how} ${phase}`);
      });
    }
  }

  for (const how of LEAVES) {
    it(`${how} after 100 Continue, before the body: the app's read fails and the server recovers`, async () => {
      const before = baseline();
      const bodyErrors = seen.bodyErrors;
      const client = await connected(s.port, "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n");
      const interim = await client.response();
      assert.equal(interim.status, 100);
      leave(client, how);
      await until(() => seen.bodyErrors === bodyErrors + 1, "the app's body read fails");
      await recovered(s, before, `${how} after 100 Continue`);
    });

    it(`${how} while a streamed response is written: the stream is cancelled and the server recovers`, async () => {
      const before = baseline();
      const cancelled = seen.streamsCancelled;
      const client = await connected(s.port, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
      await until(() => client.pending.length >= 64 * 1024, "64 KiB of the stream arrived");
      leave(client, how);
      await until(() => seen.streamsCancelled === cancelled + 1, "the response stream is cancelled");
      await recovered(s, before, `${how} mid stream`);
    });

    it(`${how} while a 1 MiB response is written: the server recovers`, async () => {
      const before = baseline();
      const client = await connected(s.port, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
      await until(() => client.pending.length >= 1024, "the response started");
      leave(client, how);
      await recovered(s, before, `${how} mid 1 MiB response`);
    });
  }

  it("a burst of 50 resets, half before the server accepts, half mid-request, never affects a client being served meanwhile", async () => {
    const before = baseline();
    const steady = new RawClient(s.port);
    // Half reset as soon as they connect, racing the server's accept (Deno's accept then fails with
    // ENOTCONN); half after part of a request.
    const resets = Array.from({ length: 50 }, async (_, i) => {
      if (i % 2 === 0) return reset(await connected(s.port, "GET /ok HTTP/1.1\r\nHo"));
      const socket = net.connect({ port: s.port, host: "127.0.0.1" });
      socket.on("error", () => {});
      await new Promise<void>((resolve) => socket.once("connect", () => {
        (socket as net.Socket & { resetAndDestroy(): void }).resetAndDestroy();
        resolve();
      }));
    });
    for (let i = 0; i < 20; i++) {
      await steady.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await steady.response()).text, "ok", `keep-alive request ${i} during the resets`);
    }
    await Promise.all(resets);
    steady.destroy();
    await recovered(s, before, "50 resets");
  });
});

describe("half-closed clients (request, then SHUT_WR)", () => {
  let s: TestServer;
  before(async () => (s = await startServer(app)));
  after(() => s.close());
  beforeEach(() => gate.reset());

  it("the response still arrives, then the server closes", async () => {
    const before = baseline();
    const client = await connected(s.port, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    client.end();
    const response = await client.response();
    assert.equal(response.text, "ok");
    assert.ok(await client.closed(3000), "the server closes after answering");
    client.destroy();
    await recovered(s, before, "half-close");
  });

  it("a response the app gives after the client's FIN still arrives", async () => {
    const before = baseline();
    const client = await connected(s.port, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => s.server.stats().requestsInFlight === 1, "the app runs");
    client.end();
    await until(() => s.server.stats().bytesIn > 0 && gate.waiting === 1, "the app waits");
    gate.open();
    assert.equal((await client.response()).text, "held");
    assert.ok(await client.closed(3000));
    client.destroy();
    await recovered(s, before, "half-close while the app runs");
  });

  it("pipelined requests before the FIN are all answered, in order", async () => {
    const before = baseline();
    const client = await connected(s.port, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    client.end();
    assert.equal((await client.response()).text, "ok");
    assert.equal((await client.response()).text, "3");
    assert.equal((await client.response()).text, "ok");
    assert.ok(await client.closed(3000));
    client.destroy();
    await recovered(s, before, "pipelined half-close");
  });
});

describe("clients that never read", () => {
  let s: TestServer;
  // The server drops a client that stopped reading once channelTimeout passes without progress.
  before(async () => (s = await startServer(app, { channelTimeout: 1, cleanupInterval: 0.1 })));
  after(() => s.close());

  it("others are served meanwhile, and the server drops the non-readers itself", async () => {
    const before = baseline();
    const stuck: RawClient[] = [];
    for (let i = 0; i < 6; i++) stuck.push(await connected(s.port, `GET ${i % 2 === 0 ? "/stream" : "/big"} HTTP/1.1\r\nHost: x\r\n\r\n`));
    stuck.forEach((c) => c.socket.pause());
    const { response } = await exchange(s.port, "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(response.text, "ok", "served while six clients do not read");
    // Nothing on the client side closes them: the server must.
    await until(() => s.server.stats().connections === 0, `the server closed the non-readers (open: ${s.server.stats().connections})`, 10_000);
    stuck.forEach((c) => c.destroy());
    await recovered(s, before, "never-reading clients");
  });

  it("non-readers that finally reset are released at once", async () => {
    const s2 = await startServer(app);
    try {
      const before = baseline();
      const stuck: RawClient[] = [];
      for (let i = 0; i < 4; i++) stuck.push(await connected(s2.port, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
      stuck.forEach((c) => c.socket.pause());
      await until(() => s2.server.stats().bytesOut > 4 * 64 * 1024, "the responses filled the buffers");
      stuck.forEach(reset);
      await recovered(s2, before, "non-readers reset");
    } finally {
      await s2.close();
    }
  });
});

describe("apps that fail", () => {
  let s: TestServer;
  before(async () => (s = await startServer(app)));
  after(() => s.close());

  for (const [path, what] of [["/throw", "throws"], ["/reject", "rejects"], ["/not-a-response", "returns a non-Response"]]) {
    it(`an app that ${what} answers 500, and the server goes on`, async () => {
      const before = baseline();
      const handlerErrors = s.server.stats().errors.handler;
      const { response } = await exchange(s.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert.equal(response.status, 500);
      assert.equal(s.server.stats().errors.handler, handlerErrors + 1);
      await recovered(s, before, `an app that ${what}`);
    });
  }

  it("an app that never settles: a client that gives up with a reset is released", async () => {
    const before = baseline();
    const client = await connected(s.port, "GET /never HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => s.server.stats().requestsInFlight === 1, "the app runs");
    await assert.rejects(client.response({ timeoutMs: 300 }), /timed out/);
    reset(client);
    await recovered(s, before, "an app that never settles");
  });

  it("an app that never settles: after a FIN the exchange is kept (a half-close), others are served, close() ends it", async () => {
    const s2 = await startServer(app, { shutdownTimeout: 1 });
    const before = baseline();
    const client = await connected(s2.port, "GET /never HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => s2.server.stats().requestsInFlight === 1, "the app runs");
    leave(client, "fin");
    const { response } = await exchange(s2.port, "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(response.text, "ok");
    const started = Date.now();
    await s2.close();
    assert.ok(Date.now() - started < 5000, `close() force-closed the stuck exchange after shutdownTimeout (took ${Date.now() - started} ms)`);
    assert.equal(s2.server.stats().connections, 0);
    await until(() => openFds() === undefined || openFds()! <= before.fds!, "descriptors released");
  });
});
