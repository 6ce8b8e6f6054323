/**
 * Admission at the connection limit (src/serve/admission.ts, src/serve/server.ts): clients that wait, what they
 * send before and after they are admitted, the waiting room's bound, silent waiters, and the
 * connections closed to make room (a client that does not read its response, a body being discarded).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RawClient, startServer, until, type TestServer } from "./_helpers.ts";
import { pickReclaimable } from "../src/serve/admission.ts";

/** A server whose `/wait` requests wait for `release()`; anything else is answered at once. */
async function gated(options: Parameters<typeof startServer>[1]): Promise<{ s: TestServer; release: () => void }> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const s = await startServer(async (request: Request) => {
    const path = new URL(request.url).pathname;
    if (path === "/wait") await gate;
    if (path === "/endless") {
      const chunk = new Uint8Array(64 * 1024);
      return new Response(new ReadableStream({ pull: (c) => c.enqueue(chunk) }));
    }
    return new Response(`served ${path}`);
  }, options);
  return { s, release };
}

/** A client whose request to `/wait` holds the only slot. */
async function holdSlot(s: TestServer): Promise<RawClient> {
  const a = new RawClient(s.port);
  await a.send("GET /wait HTTP/1.1\r\nHost: h\r\n\r\n");
  await until(() => s.server.stats().requestsInFlight === 1, "the slot holder in flight");
  return a;
}

describe("clients waiting at the connection limit", () => {
  it("a waiting client's later bytes, half-close and close reach its connection once admitted", async () => {
    const { s, release } = await gated({ connectionLimit: 1 });
    try {
      const a = await holdSlot(s);
      const b = new RawClient(s.port);
      await b.send("GET /b HTTP/1.1\r\nHost: h\r\n");
      await until(() => s.server.stats().waitingConnections === 1, "b waiting");
      release();
      assert.equal((await a.response()).text, "served /wait");
      a.destroy();
      await until(() => s.server.stats().waitingConnections === 0, "b admitted");
      await b.send("\r\n");
      assert.equal((await b.response()).text, "served /b");
      b.end();
      assert.equal(await b.closed(), true, "the half-close reached the connection: it closes");
      await until(() => s.server.stats().connections === 0, "b's connection gone");
    } finally {
      release();
      await s.close();
    }
  });

  it("answers a waiting client that sent a bad request and half-closed with 400 once admitted", async () => {
    const { s, release } = await gated({ connectionLimit: 1 });
    try {
      const a = await holdSlot(s);
      const b = new RawClient(s.port);
      await b.send("NOT HTTP\r\n\r\n");
      b.end();
      await until(() => s.server.stats().waitingConnections === 1, "b waiting");
      release();
      await a.response();
      a.destroy();
      const response = await b.response();
      assert.equal(response.status, 400);
      assert.equal(await b.closed(), true);
    } finally {
      release();
      await s.close();
    }
  });

  it("drops the oldest silent waiter when more than `backlog` wait", async () => {
    const { s, release } = await gated({ connectionLimit: 1, backlog: 1 });
    try {
      const a = await holdSlot(s);
      const silent = new RawClient(s.port);
      await silent.send(new Uint8Array(0));
      await until(() => s.server.stats().waitingConnections === 1, "the silent one waiting");
      const talker = new RawClient(s.port);
      await talker.send("GET /t HTTP/1.1\r\nHost: h\r\n\r\n");
      assert.equal(await silent.closed(), true, "the silent waiter is dropped");
      assert.equal(s.server.stats().waitingConnections, 1);
      release();
      await a.response();
      a.destroy();
      assert.equal((await talker.response()).text, "served /t");
      talker.destroy();
    } finally {
      release();
      await s.close();
    }
  });

  it("closes a silent waiter after headerTimeout, leaving the busy connection alone", async () => {
    const { s, release } = await gated({ connectionLimit: 1, headerTimeout: 0.3, cleanupInterval: 0.05 });
    try {
      const a = await holdSlot(s);
      const silent = new RawClient(s.port);
      await silent.send(new Uint8Array(0));
      await until(() => s.server.stats().waitingConnections === 1, "waiting");
      assert.equal(await silent.closed(3000), true);
      assert.equal(s.server.stats().waitingConnections, 0);
      release();
      assert.equal((await a.response()).text, "served /wait");
      a.destroy();
    } finally {
      release();
      await s.close();
    }
  });
});

describe("making room for a waiting client (reclaimTimeout)", () => {
  it("closes a connection whose client stopped reading its response", async () => {
    const { s, release } = await gated({ connectionLimit: 1, reclaimTimeout: 0.2 });
    try {
      const reader = new RawClient(s.port);
      reader.socket.pause();
      await reader.send("GET /endless HTTP/1.1\r\nHost: h\r\n\r\n");
      await until(() => s.server.stats().bytesOut > 64 * 1024 || s.server.stats().requestsInFlight === 1, "the response under way");
      const b = new RawClient(s.port);
      await b.send("GET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
      assert.equal((await b.response({ timeoutMs: 10_000 })).text, "served /b");
      reader.socket.resume();
      assert.equal(await reader.closed(5000), true, "the stalled connection was closed");
      b.destroy();
      reader.destroy();
    } finally {
      release();
      await s.close();
    }
  });

  it("closes a kept-alive connection whose unread request body stalls while it is discarded", async () => {
    const { s, release } = await gated({ connectionLimit: 1, reclaimTimeout: 0.2 });
    try {
      const a = new RawClient(s.port);
      await a.send("POST /early HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n0123456789");
      const early = await a.response();
      assert.equal(early.text, "served /early");
      assert.equal(early.header("connection"), undefined, "kept alive: the rest of the body is to be discarded");
      const b = new RawClient(s.port);
      await b.send("GET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
      assert.equal((await b.response()).text, "served /b");
      assert.equal(await a.closed(), true, "the discarding connection made room");
      a.destroy();
      b.destroy();
    } finally {
      release();
      await s.close();
    }
  });
});

describe("pickReclaimable", () => {
  const at = (t: number) => ({ reclaimAt: () => t });

  it("picks nothing when nobody waits, without asking the connections", () => {
    const asked: number[] = [];
    const connection = { reclaimAt: () => (asked.push(1), 0) };
    assert.deepEqual(pickReclaimable([connection], 100, 0, 0), []);
    assert.deepEqual(asked, []);
  });

  it("picks the longest reclaimable first, up to count, none before their time", () => {
    const [x, y, z, later] = [at(30), at(10), at(20), at(500)];
    assert.deepEqual(pickReclaimable([x, y, z, later], 100, 0, 2), [y, z]);
    assert.deepEqual(pickReclaimable([x, later], 100, 0, 5), [x]);
  });
});
