/**
 * Flow control over real sockets: timeouts, the connection limit, client disconnects, backpressure
 * toward slow readers, and graceful shutdown.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { exchange, RawClient, sleep, startServer, until } from "./_helpers.ts";

const FAST_SWEEP = { cleanupInterval: 0.05 };

describe("timeouts", () => {
  it("answers a request head that never completes with 408 and closes (headerTimeout)", async () => {
    const s = await startServer(() => new Response("x"), { ...FAST_SWEEP, headerTimeout: 0.3 });
    const client = new RawClient(s.port);
    try {
      await client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
      // Meanwhile other clients are served.
      const other = await exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(other.response.status, 200);
      const response = await client.response({ timeoutMs: 3000 });
      assert.equal(response.status, 408);
      assert.equal(await client.closed(), true);
    } finally {
      client.destroy();
      await s.close();
    }
  });

  it("answers a body that stalls while the handler waits with 408 (bodyTimeout)", async () => {
    const s = await startServer(async (request: Request) => new Response(await request.text()), { ...FAST_SWEEP, bodyTimeout: 0.3 });
    const client = new RawClient(s.port);
    try {
      await client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
      const response = await client.response({ timeoutMs: 3000 });
      assert.equal(response.status, 408);
      assert.equal(await client.closed(), true);
    } finally {
      client.destroy();
      await s.close();
    }
  });

  it("closes an idle keep-alive connection after channelTimeout, not a busy one", async () => {
    const s = await startServer(async (request: Request) => {
      if (new URL(request.url).pathname === "/slow") await sleep(600);
      return new Response("ok");
    }, { ...FAST_SWEEP, channelTimeout: 0.3 });
    const idle = new RawClient(s.port);
    const busy = new RawClient(s.port);
    try {
      await idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await idle.response()).status, 200);
      await busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(await idle.closed(2000), true, "idle connection closed");
      assert.equal((await busy.response()).text, "ok", "a request in progress is not idle");
    } finally {
      idle.destroy();
      busy.destroy();
      await s.close();
    }
  });
});

describe("connection limit", () => {
  it("closes the oldest idle keep-alive connection so a new client gets in", async () => {
    const s = await startServer(() => new Response("ok"), { connectionLimit: 2 });
    const a = new RawClient(s.port);
    const b = new RawClient(s.port);
    const c = new RawClient(s.port);
    try {
      for (const client of [a, b]) {
        await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert.equal((await client.response()).status, 200);
      }
      await c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await c.response()).status, 200, "the third client is served");
      assert.equal(await a.closed(1000), true, "the oldest idle connection made room");
      assert.ok(s.log.lines.some((l) => l.includes("Connection limit (2) reached")));
    } finally {
      for (const client of [a, b, c]) client.destroy();
      await s.close();
    }
  });

  it("makes a new client wait while every connection is busy, then serves it", async () => {
    const s = await startServer(async () => {
      await sleep(300);
      return new Response("done");
    }, { connectionLimit: 1 });
    const a = new RawClient(s.port);
    const b = new RawClient(s.port);
    try {
      await a.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      await until(() => s.server.stats().requestsInFlight === 1, "a's request in flight");
      await b.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      const order: string[] = [];
      await Promise.all([
        a.response().then(() => order.push("a")),
        b.response().then(() => order.push("b")),
      ]);
      assert.deepEqual(order, ["a", "b"]);
    } finally {
      a.destroy();
      b.destroy();
      await s.close();
    }
  });
});

describe("client disconnect", () => {
  it("aborts request.signal and cancels the response stream when the client goes away", async () => {
    let aborted = false;
    let cancelled = false;
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const s = await startServer((request: Request) => {
      request.signal.addEventListener("abort", () => {
        aborted = true;
        if (cancelled) resolveDone();
      });
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await sleep(20);
          controller.enqueue(new Uint8Array(1024));
        },
        cancel() {
          cancelled = true;
          if (aborted) resolveDone();
        },
      });
      return new Response(body);
    });
    const client = new RawClient(s.port);
    try {
      await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      await until(() => client.pending.length > 1024, "the response is streaming");
      client.destroy();
      await Promise.race([done, sleep(3000)]);
      assert.equal(aborted, true, "request.signal aborted");
      assert.equal(cancelled, true, "response stream cancelled");
    } finally {
      await s.close();
    }
  });
});

describe("backpressure", () => {
  it("reads a streaming body only as fast as a slow client drains it", async () => {
    let pulled = 0;
    const s = await startServer(() => new Response(new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 256 * 1024 * 1024) return controller.close();
        pulled += 65536;
        controller.enqueue(new Uint8Array(65536));
      },
    })));
    const client = new RawClient(s.port);
    try {
      client.socket.pause();
      await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      await sleep(500);
      assert.ok(pulled < 64 * 1024 * 1024, `pulled ${pulled} bytes from the app for a client that reads nothing`);
    } finally {
      client.destroy();
      await s.close();
    }
  });
});

describe("pipelining lookahead", () => {
  it("stops reading pipelined input past maxLookaheadBytes while a request is served", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const s = await startServer(async (request: Request) => {
      if (new URL(request.url).pathname === "/first") await gate;
      return new Response("ok");
    }, { maxLookaheadBytes: 1000 });
    const client = new RawClient(s.port);
    try {
      const one = "GET /next HTTP/1.1\r\nHost: x\r\nX-Pad: " + "p".repeat(950) + "\r\n\r\n";
      const count = 1000; // about 1 MB of pipelined requests
      void client.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n" + one.repeat(count)).catch(() => {});
      await sleep(300);
      const readWhileBlocked = s.server.stats().bytesIn;
      assert.ok(readWhileBlocked < 400 * 1024, `read ${readWhileBlocked} bytes ahead`);
      release();
      for (let i = 0; i <= count; i++) assert.equal((await client.response({ timeoutMs: 10000 })).text, "ok");
    } finally {
      release();
      client.destroy();
      await s.close();
    }
  });
});

describe("graceful shutdown", () => {
  it("finishes in-flight requests with Connection: close, closes idle connections, stops accepting", async () => {
    const s = await startServer(async (request: Request) => {
      if (new URL(request.url).pathname === "/slow") await sleep(300);
      return new Response("done");
    });
    const idle = new RawClient(s.port);
    const busy = new RawClient(s.port);
    try {
      await idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      await idle.response();
      await busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
      await until(() => s.server.stats().requestsInFlight === 1, "the slow request in flight");
      const closing = s.close();
      assert.equal(await idle.closed(1000), true, "idle connection closed at once");
      const response = await busy.response();
      assert.equal(response.text, "done");
      assert.equal(response.header("connection"), "close");
      await closing;
      await assert.rejects(exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "no longer accepting");
    } finally {
      idle.destroy();
      busy.destroy();
    }
  });

  it("force-closes what is left after shutdownTimeout", async () => {
    const s = await startServer(() => new Promise<Response>(() => {}), { shutdownTimeout: 0.2 });
    const client = new RawClient(s.port);
    try {
      await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      await until(() => s.server.stats().requestsInFlight === 1, "the request in flight");
      const started = Date.now();
      await s.close();
      assert.ok(Date.now() - started < 2000);
      assert.equal(await client.closed(1000), true);
    } finally {
      client.destroy();
    }
  });
});
