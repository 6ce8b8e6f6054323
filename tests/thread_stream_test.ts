/**
 * Streaming through worker threads (issue 14, item 1): a response body's bytes leave as soon as the
 * app enqueues them, as they do inline. Uses tests/fixtures/stream_app.ts, served by module specifier.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { exchange, RawClient, runtime, startServer, type TestServer, until } from "./_helpers.ts";

/** On Node the tests run as built JS from dist/tests/; Deno and Bun run the TypeScript. */
const APP = new URL(runtime === "node" ? "./fixtures/stream_app.js" : "./fixtures/stream_app.ts", import.meta.url);

for (const threads of [0, 1]) {
  describe(`streaming a response (threads: ${threads})`, () => {
    let s: TestServer;
    before(async () => (s = await startServer(APP as unknown as Parameters<typeof startServer>[0], { threads })));
    after(() => s.close());

    it("sends the implicit Content-Type of a lookalike response that builds its body lazily (srvx, h3)", async () => {
      const { response } = await exchange(s.port, "GET /lookalike HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(response.status, 200);
      assert.equal(response.text, "q=a+b");
      assert.equal(response.header("content-type"), "application/x-www-form-urlencoded;charset=UTF-8");
    });

    it("sends the head and the first event at once while the app waits 4 s for the next", async () => {
      const client = new RawClient(s.port);
      try {
        await client.send("GET /sse?ms=4000 HTTP/1.1\r\nHost: x\r\n\r\n");
        await until(() => client.pending.includes("data: 1\n\n"), "the first event, while the app waits", 1000);
        assert.match(client.pending, /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(client.pending, /\r\ncontent-type: text\/event-stream\r\n/);
        assert.match(client.pending, /\r\ntransfer-encoding: chunked\r\n/);
        assert.ok(!client.pending.includes("data: 2"), "the app is still waiting");
      } finally {
        client.destroy();
      }
      if (threads > 0) await until(() => s.server.stats().busyWorkers === 0, "the worker is free once the client left");
    });

    it("sends one chunk at once and ends the body when the app closes its stream later", async () => {
      const client = new RawClient(s.port);
      try {
        await client.send("GET /slow-close?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n");
        await until(() => client.pending.includes("only"), "the chunk, before the stream ends", 1000);
        assert.ok(!client.pending.includes("0\r\n\r\n"), "the body is not over yet");
        const response = await client.response();
        assert.equal(response.header("transfer-encoding"), "chunked");
        assert.equal(response.text, "only");
      } finally {
        client.destroy();
      }
    });

    it("answers a stream whose first chunk is not bytes with a 500", async () => {
      const client = new RawClient(s.port);
      try {
        await client.send("GET /bad-chunk HTTP/1.1\r\nHost: x\r\n\r\n");
        assert.equal((await client.response()).status, 500);
      } finally {
        client.destroy();
      }
    });
  });
}

describe("a Deno worker that ends itself", () => {
  it("Deno.exit() without a code: the worker is replaced and its request answered with a 500", { skip: runtime !== "deno" }, async () => {
    const s = await startServer(APP as unknown as Parameters<typeof startServer>[0], { threads: 1 });
    try {
      const { response } = await exchange(s.port, "GET /deno-exit HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(response.status, 500);
      assert.ok(s.log.lines.some((l) => l.includes("exited (exit code 0) while serving GET /deno-exit")), "the exit is announced with code 0");
      const next = await exchange(s.port, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(next.response.status, 404, "a new worker serves");
    } finally {
      await s.close();
    }
  });
});
