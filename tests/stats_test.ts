/**
 * server.stats(): live gauges and totals, checked against traffic the test sends.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { exchange, RawClient, sleep, startServer, until } from "./_helpers.ts";

describe("server.stats()", () => {
  it("counts connections, requests in flight, totals, bytes, responses and errors", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const s = await startServer(async (request: Request) => {
      const path = new URL(request.url).pathname;
      if (path === "/wait") await gate;
      if (path === "/boom") throw new Error("boom");
      return new Response("hello");
    });
    try {
      const fresh = s.server.stats();
      assert.equal(fresh.connections, 0);
      assert.equal(fresh.requests, 0);

      await exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      await exchange(s.port, "GET /boom HTTP/1.1\r\nHost: x\r\n\r\n");
      await exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n");
      await exchange(s.port, `GET /${"a".repeat(20000)} HTTP/1.1\r\nHost: x\r\n\r\n`);

      const waiting = new RawClient(s.port);
      await waiting.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
      await until(() => s.server.stats().requestsInFlight === 1, "the request in flight");
      const busy = s.server.stats();
      assert.equal(busy.connections, 1);
      assert.equal(busy.requestsInFlight, 1);
      release();
      assert.equal((await waiting.response()).text, "hello");
      waiting.destroy();
      await until(() => s.server.stats().connections === 0, "every connection closed");

      const stats = s.server.stats();
      assert.equal(stats.requests, 5);
      assert.equal(stats.connectionsAccepted, 5);
      assert.equal(stats.requestsInFlight, 0);
      assert.deepEqual(stats.responses, { "1xx": 0, "2xx": 2, "3xx": 0, "4xx": 2, "5xx": 1 });
      assert.deepEqual(stats.errors, { badRequest: 1, tooLarge: 1, timeout: 0, handler: 1, other: 0 });
      assert.ok(stats.bytesIn > 20000, `bytesIn ${stats.bytesIn}`);
      assert.ok(stats.bytesOut > 500, `bytesOut ${stats.bytesOut}`);
      assert.equal(stats.queuedTasks, 0);
    } finally {
      release();
      await s.close();
    }
  });
});
