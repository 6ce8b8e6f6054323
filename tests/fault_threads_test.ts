/**
 * Fault injection, continued (issue 13): a client that leaves with a FIN or a reset while a worker
 * thread holds its request, while its upload or its response is spooled to a temp file, and while the
 * server shuts down. After each, the connection count returns to 0, a normal request is answered, the
 * worker is free again, and descriptors and spool temp files are back where they were.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { runtime, startServer, until, type TestServer } from "./_helpers.ts";
import { baseline, connected, Gate, leave, type Leave, openFds, recovered, reset, spoolFds } from "./_faults.ts";
import { within } from "./_child.ts";

/** On Node the tests run as built JS from dist/tests/; Deno and Bun run the TypeScript. */
const THREAD_APP = new URL(runtime === "node" ? "./fixtures/thread_app.js" : "./fixtures/thread_app.ts", import.meta.url);
const LIGHT = { target: "/light", text: "light" };
const LEAVES: Leave[] = ["fin", "reset"];

describe("a client that leaves while a worker thread has its request (threads: 1)", () => {
  let s: TestServer;
  // Small spool thresholds: a 1 MiB upload or response goes to a temp file.
  before(async () => (s = await startServer(THREAD_APP as unknown as Parameters<typeof startServer>[0], { threads: 1, inbufOverflow: 65536, outbufOverflow: 65536 })));
  after(() => s.close());

  it("reset while the worker waits on the request: the abort reaches the worker, which is freed", async () => {
    const before = baseline();
    const client = await connected(s.port, "GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => s.server.stats().busyWorkers === 1, "the worker has the request");
    reset(client);
    await until(() => s.server.stats().busyWorkers === 0, "the worker is free again (request.signal aborted there)");
    await recovered(s, before, "reset while a worker holds the request", LIGHT);
  });

  it("FIN while the worker computes: its response is dropped, and the worker and connection are freed", async () => {
    const before = baseline();
    const client = await connected(s.port, "GET /burn?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => s.server.stats().busyWorkers === 1, "the worker has the request");
    leave(client, "fin");
    await until(() => s.server.stats().busyWorkers === 0, "the worker finished");
    await recovered(s, before, "FIN while a worker computes", LIGHT);
  });

  for (const how of LEAVES) {
    it(`${how} mid upload, the body spooled to a temp file: the file is closed`, async () => {
      const before = baseline();
      const client = await connected(s.port, "POST /bytes HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n");
      await client.send(new Uint8Array(1024 * 1024).fill(97));
      await until(() => spoolFds() > before.spool || openFds() === undefined, "the upload spills to a temp file");
      leave(client, how);
      await recovered(s, before, `${how} mid spooled upload`, LIGHT);
      assert.equal(s.server.stats().busyWorkers, 0, "the incomplete upload never reached the worker");
    });

    it(`${how} while a spooled response waits for a client that does not read: the file is closed`, async () => {
      const before = baseline();
      const client = await connected(s.port, "GET /stream?chunks=256&size=65536 HTTP/1.1\r\nHost: x\r\n\r\n");
      client.socket.pause();
      await until(() => spoolFds() > before.spool || openFds() === undefined, "the response spills to a temp file");
      leave(client, how);
      await recovered(s, before, `${how} with a spooled response`, LIGHT);
      await until(() => s.server.stats().busyWorkers === 0, "the worker is free");
    });
  }
});

describe("a client that leaves while the server shuts down", () => {
  const gate = new Gate();
  const held = (request: Request): Promise<Response> => new Promise((resolve) => {
    void gate.wait().then(() => resolve(new Response("held")));
    request.signal.addEventListener("abort", () => resolve(new Response("aborted")), { once: true });
  });

  for (const how of LEAVES) {
    it(`${how} with a request in flight during close(): close() finishes without waiting for shutdownTimeout`, async () => {
      gate.reset();
      const s = await startServer(held, { shutdownTimeout: 30 });
      const before = baseline();
      const client = await connected(s.port, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
      await until(() => s.server.stats().requestsInFlight === 1, "the app runs");
      const closing = s.close();
      leave(client, how);
      // After a FIN the client may still read: the app's answer is awaited (and written to nobody).
      if (how === "fin") gate.open();
      await within(closing, 5000, () => `close() still waits (connections: ${s.server.stats().connections})`);
      assert.equal(s.server.stats().connections, 0);
      if (before.fds !== undefined) await until(() => openFds()! < before.fds!, "the listener's and the connection's descriptors closed");
    });
  }

  it("a silent connection that resets during close(): close() finishes at once", async () => {
    const s = await startServer(() => new Response("ok"), { shutdownTimeout: 30 });
    const client = await connected(s.port);
    await until(() => s.server.stats().connections === 1, "accepted");
    const started = Date.now();
    const closing = s.close();
    reset(client);
    await within(closing, 5000, () => "close() still waits");
    assert.ok(Date.now() - started < 2500, `close() took ${Date.now() - started} ms`);
    assert.equal(s.server.stats().connections, 0);
  });

  it("reset during close() while a worker thread holds the request: close() finishes and the workers end", async () => {
    const s = await startServer(THREAD_APP as unknown as Parameters<typeof startServer>[0], { threads: 1, shutdownTimeout: 30 });
    const client = await connected(s.port, "GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => s.server.stats().busyWorkers === 1, "the worker has the request");
    const closing = s.close();
    reset(client);
    await within(closing, 5000, () => `close() still waits (connections: ${s.server.stats().connections})`);
    assert.equal(s.server.stats().connections, 0);
  });
});
