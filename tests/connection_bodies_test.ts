/**
 * Request bodies the handler reads late, cancels or never reads, bodies that fail mid-response, and
 * trusted-proxy outcomes, on the wire (src/serve/connection.ts).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { exchange, RawClient, startServer, until } from "./_helpers.ts";

describe("request bodies read late or given up", () => {
  it("fails reads after the client hung up mid-body, whether as text() or as a stream", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    let started = 0;
    const s = await startServer(async (request: Request) => {
      started++;
      await gate;
      const how = new URL(request.url).pathname;
      try {
        if (how === "/text") await request.text();
        else await request.body!.getReader().read();
        seen.push(`${how} read`);
      } catch (error) {
        seen.push(`${how} ${(error as Error).message}`);
      }
      return new Response("late");
    });
    try {
      const clients = ["/text", "/stream"].map(() => new RawClient(s.port));
      await clients[0].send("POST /text HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
      await clients[1].send("POST /stream HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
      await until(() => started === 2, "both handlers running");
      for (const c of clients) c.end();
      for (const c of clients) assert.equal(await c.closed(), true, "the server closes a request whose body can never complete");
      release();
      await until(() => seen.length === 2, "both reads settled");
      const why = "Client closed the connection before sending the whole request body";
      assert.deepEqual(seen.sort(), [`/stream ${why}`, `/text ${why}`]);
    } finally {
      release();
      await s.close();
    }
  });

  it("refuses a read that starts after the response was sent (the rest of the body is being discarded)", async () => {
    let late: Promise<string> | undefined;
    const s = await startServer((request: Request) => {
      late = new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => request.text()).then(() => "read", (e: Error) => e.message);
      return new Response("early");
    });
    try {
      const client = new RawClient(s.port);
      await client.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabc");
      assert.equal((await client.response()).text, "early");
      await until(() => late !== undefined, "the late read started");
      assert.equal(await late, "The response was sent before the request body was read");
      await client.send("def");
      await client.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
      assert.equal((await client.response()).text, "early", "the discarded body kept the connection");
      client.destroy();
    } finally {
      await s.close();
    }
  });

  it("sends the handler's response when it cancels a large body it stopped reading, then closes", async () => {
    const s = await startServer(async (request: Request) => {
      const reader = request.body!.getReader();
      const first = await reader.read();
      await reader.cancel();
      return new Response(`got ${first.value!.length} then cancelled`);
    });
    try {
      const client = new RawClient(s.port);
      const total = 300_000;
      await client.send(`POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${total}\r\n\r\n`);
      const chunk = "x".repeat(16 * 1024);
      let sent = 0;
      const sending = (async () => {
        while (sent < total) {
          const n = Math.min(chunk.length, total - sent);
          sent += n;
          await client.send(chunk.slice(0, n)).catch(() => {});
        }
      })();
      const response = await client.response({ timeoutMs: 10_000 });
      assert.equal(response.status, 200);
      assert.match(response.text, /^got \d+ then cancelled$/);
      assert.equal(await client.closed(), true, "a body over the discard bound ends the connection");
      client.destroy();
      await sending;
    } finally {
      await s.close();
    }
  });

  it("closes after answering an Expect: 100-continue request whose body the handler cancelled unread", async () => {
    const s = await startServer(async (request: Request) => {
      await request.body!.cancel();
      return new Response("no thanks");
    });
    try {
      const { response, closed } = await exchange(s.port, "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
      assert.equal(response.status, 200, "no 100 Continue first");
      assert.equal(response.text, "no thanks");
      assert.equal(closed, true, "the body was never asked for, so it cannot be told from the next request");
    } finally {
      await s.close();
    }
  });

  it("closes without a last chunk when the request body turns out malformed after the response started", async () => {
    const s = await startServer((request: Request) => new Response(request.body));
    try {
      const client = new RawClient(s.port);
      await client.send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
      let raw = "";
      await until(() => (raw = client.pending).includes("hello"), "the echoed first chunk");
      assert.match(raw, /^HTTP\/1\.1 200 OK\r\n[\s\S]*transfer-encoding: chunked\r\n/);
      await client.send("zz\r\n");
      assert.equal(await client.closed(), true);
      assert.equal(client.pending.endsWith("0\r\n\r\n"), false, "the body is not passed off as complete");
      client.destroy();
    } finally {
      await s.close();
    }
  });
});

describe("trusted proxies", () => {
  it("logs untrusted proxy headers it removed, when asked to", async () => {
    const s = await startServer((request: Request) => new Response(String(request.headers.get("x-forwarded-for"))), {
      trustedProxy: "10.9.9.9", logUntrustedProxyHeaders: true,
    });
    try {
      const { response } = await exchange(s.port, "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\nConnection: close\r\n\r\n");
      assert.equal(response.text, "null", "removed");
      await until(() => s.log.lines.some((l) => l.includes("Removed untrusted headers (X-Forwarded-For)") || /Removed untrusted headers \(x-forwarded-for\)/i.test(l)), "the warning");
    } finally {
      await s.close();
    }
  });

  it("logs the Forwarded parser's warnings", async () => {
    const s = await startServer((request: Request) => new Response(new URL(request.url).host), { trustedProxy: "127.0.0.1", trustedProxyHeaders: "forwarded" });
    try {
      const ok = await exchange(s.port, "GET / HTTP/1.1\r\nHost: h\r\nForwarded: for=1.2.3.4;host=f.test;bogus=1\r\nConnection: close\r\n\r\n");
      assert.equal(ok.response.text, "f.test");
      await until(() => s.log.lines.some((l) => l.includes("Unknown Forwarded token")), "the warning");
    } finally {
      await s.close();
    }
  });

  it("refuses a malformed header from a trusted proxy with 400 and a warning", async () => {
    const s = await startServer(() => new Response("never"), { trustedProxy: "127.0.0.1", trustedProxyHeaders: "x-forwarded-port" });
    try {
      const bad = await exchange(s.port, "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Port: nope\r\n\r\n");
      assert.equal(bad.response.status, 400);
      assert.equal(bad.closed, true);
      assert.ok(s.log.lines.some((l) => l.includes("WARNING")), s.log.lines.join("\n"));
    } finally {
      await s.close();
    }
  });
});
