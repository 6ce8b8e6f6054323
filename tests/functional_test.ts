/**
 * Functional tests over real loopback sockets: Waitress's functional scenarios (tests/test_functional.py)
 * and the connection rules of this server.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { exchange, RawClient, sleep, startServer, until, type TestServer } from "./_helpers.ts";
import { badcl, echo, error, nocl, parseEcho, sleepy } from "./fixtures/apps.ts";

/** `n` bytes of a pattern that does not repeat at any power-of-two period. */
function patternBytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >> 8) * 7) % 251;
  return out;
}

const SAFE_ERROR_HEADERS = ["connection", "content-length", "content-type", "date", "server"];

describe("echo app (Waitress EchoTests)", () => {
  let s: TestServer;
  before(async () => (s = await startServer(echo)));
  after(() => s.close());

  it("answers HTTP/1.0 with Date and Server headers", async () => {
    const { response, closed } = await exchange(s.port, "GET / HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
    // The highest version the server conforms to, whatever the request's (RFC 9110 2.5).
    assert.equal(response.version, "HTTP/1.1");
    assert.equal(response.status, 200);
    assert.equal(response.header("server"), "waitress");
    assert.match(response.header("date")!, /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    assert.equal(closed, true, "HTTP/1.0 without keep-alive closes");
  });

  it("rejects an obs-fold as the first header with 400, Date and Server", async () => {
    const { response, closed } = await exchange(s.port, "GET / HTTP/1.0\r\n Host: 0\r\n\r\n");
    assert.equal(response.status, 400);
    assert.ok(response.header("date"));
    assert.equal(response.header("server"), "waitress");
    assert.equal(closed, true);
  });

  it("echoes a body sent with Content-Length", async () => {
    const { response } = await exchange(s.port, "GET / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello");
    const [meta, body] = parseEcho(response.text);
    assert.equal(meta.contentLength, 5);
    assert.equal(body, "hello");
  });

  it("echoes an empty body", async () => {
    const { response } = await exchange(s.port, "GET / HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
    const [meta, body] = parseEcho(response.text);
    assert.equal(meta.contentLength, 0);
    assert.equal(body, "");
  });

  it("serves several requests on fresh connections", async () => {
    for (let i = 0; i < 3; i++) {
      const { response } = await exchange(s.port, "POST / HTTP/1.0\r\nContent-Length: 4\r\n\r\nbody");
      assert.equal(parseEcho(response.text)[1], "body");
    }
  });

  it("keeps CR and LF inside a body", async () => {
    const body = "Echo\r\nthis\r\nplease";
    const { response } = await exchange(s.port, `POST / HTTP/1.0\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    assert.equal(parseEcho(response.text)[1], body);
  });

  it("echoes a 1024-byte body", async () => {
    const body = "This string has 32 characters.\r\n".repeat(32);
    const { response } = await exchange(s.port, `POST / HTTP/1.0\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    const [meta, echoed] = parseEcho(response.text);
    assert.equal(meta.contentLength, 1024);
    assert.equal(echoed, body);
  });

  it("serves 50 clients that all send before any reads", async () => {
    const clients = Array.from({ length: 50 }, () => new RawClient(s.port));
    try {
      await Promise.all(clients.map((c) => c.send("GET / HTTP/1.1\r\nHost: localhost\r\nAccept: text/plain\r\n\r\n")));
      const responses = await Promise.all(clients.map((c) => c.response()));
      for (const r of responses) assert.equal(r.status, 200);
    } finally {
      for (const c of clients) c.destroy();
    }
  });

  it("decodes a chunked request without content", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
      await client.send("0\r\n\r\n");
      const response = await client.response();
      assert.equal(response.version, "HTTP/1.1");
      const [meta, body] = parseEcho(response.text);
      assert.equal(body, "");
      assert.equal(meta.contentLength, 0);
      assert.equal(meta.headers["transfer-encoding"], "chunked");
      assert.equal(response.header("transfer-encoding"), undefined);
    } finally {
      client.destroy();
    }
  });

  it("decodes a chunked request sent piece by piece", async () => {
    const client = new RawClient(s.port);
    const piece = "This string has 32 characters.\r\n";
    try {
      await client.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
      for (let i = 0; i < 12; i++) {
        await client.send("20\r\n");
        await client.send(piece);
        await client.send("\r\n");
      }
      await client.send("0\r\n\r\n");
      const [meta, body] = parseEcho((await client.response()).text);
      assert.equal(meta.contentLength, 384);
      assert.equal(body, piece.repeat(12));
    } finally {
      client.destroy();
    }
  });

  for (const [name, framing, detail] of [
    ["garbage after a chunk", "20\r\nThis string has 32 characters.\r\n\r\ngarbage\r\n", /chunk/i],
    ["an invalid chunk size", "0x20\r\nThis string has 32 characters.\r\n\r\n0\r\n\r\n", /chunk size/i],
    ["an invalid chunk extension", "20;invalid=\r\nThis string has 32 characters.\r\n\r\n0\r\n\r\n", /chunk extension/i],
    ["a chunk without its CRLF", "20\r\nThis string has 32 characters.\r\ngarbage", /not properly terminated/i],
  ] as const) {
    it(`answers ${name} with 400 and closes`, async () => {
      const { response, closed } = await exchange(s.port, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${framing}`);
      assert.equal(response.status, 400);
      assert.match(response.text, detail);
      assert.deepEqual(response.headers.map(([n]) => n).sort(), SAFE_ERROR_HEADERS);
      assert.equal(response.header("content-type"), "text/plain; charset=utf-8");
      assert.equal(response.header("content-length"), String(response.body.length));
      assert.equal(closed, true);
    });
  }

  it("builds an absolute request.url and info from the request", async () => {
    const { response } = await exchange(s.port, "GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: example.com:8080\r\nConnection: close\r\n\r\n");
    const [meta] = parseEcho(response.text);
    assert.equal(meta.url, "http://example.com:8080/a/b?x=1&y=%20");
    assert.equal(meta.pathInfo, "/a/b");
    assert.equal(meta.rawTarget, "/a/b?x=1&y=%20");
    assert.equal(meta.remoteAddress, "127.0.0.1");
    assert.equal(meta.httpVersion, "HTTP/1.1");
    assert.equal(meta.headers.host, "example.com:8080");
  });

  it("normalises dot segments and default ports the way URL does", async () => {
    const { response } = await exchange(s.port, "GET /a/../b/./c HTTP/1.1\r\nHost: EXAMPLE.com:80\r\nConnection: close\r\n\r\n");
    assert.equal(parseEcho(response.text)[0].url, "http://example.com/b/c");
  });

  it("uses the target's authority for absolute-form requests", async () => {
    const { response } = await exchange(s.port, "GET http://other.example/p?q HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(parseEcho(response.text)[0].url, "http://other.example/p?q");
  });
});

describe("persistent connections", () => {
  let s: TestServer;
  before(async () => (s = await startServer(echo)));
  after(() => s.close());

  it("keeps HTTP/1.1 connections open by default", async () => {
    const client = new RawClient(s.port);
    try {
      for (let i = 0; i < 3; i++) {
        await client.send(`GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
        const response = await client.response();
        assert.equal(response.status, 200);
        assert.equal(response.header("connection"), undefined);
        assert.equal(parseEcho(response.text)[0].path, `/${i}`);
      }
    } finally {
      client.destroy();
    }
  });

  it("keeps HTTP/1.0 open only with Connection: keep-alive", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
      const first = await client.response();
      assert.equal(first.version, "HTTP/1.1");
      assert.equal(first.header("connection"), "keep-alive");
      await client.send("GET /again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      assert.equal(parseEcho((await client.response()).text)[0].path, "/again");
    } finally {
      client.destroy();
    }
  });

  it("parses Connection as a token list", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, Close\r\n\r\n");
      const response = await client.response();
      assert.equal(response.header("connection"), "close");
      assert.equal(await client.closed(), true);
    } finally {
      client.destroy();
    }
  });

  it("answers 25 pipelined requests in order", async () => {
    const client = new RawClient(s.port);
    try {
      let batch = "";
      for (let i = 0; i < 25; i++) batch += `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
      await client.send(batch);
      for (let i = 0; i < 25; i++) assert.equal(parseEcho((await client.response()).text)[0].path, `/${i}`);
    } finally {
      client.destroy();
    }
  });

  it("answers pipelined requests with bodies in order", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcPOST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n");
      const bodies = [];
      for (let i = 0; i < 3; i++) bodies.push(parseEcho((await client.response()).text));
      assert.deepEqual(bodies.map(([m, b]) => [m.path, b]), [["/a", "abc"], ["/b", "de"], ["/c", ""]]);
    } finally {
      client.destroy();
    }
  });

  it("ignores requests pipelined after Connection: close", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n");
      const response = await client.response();
      assert.equal(parseEcho(response.text)[0].path, "/first");
      assert.equal(await client.closed(), true);
      assert.equal(client.pending, "");
    } finally {
      client.destroy();
    }
  });

  it("still answers a request whose client half-closed after sending it", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /half HTTP/1.1\r\nHost: x\r\n\r\n");
      client.end();
      const response = await client.response();
      assert.equal(parseEcho(response.text)[0].path, "/half");
      assert.equal(await client.closed(), true);
    } finally {
      client.destroy();
    }
  });
});

describe("Expect: 100-continue", () => {
  let s: TestServer;
  before(async () => (s = await startServer(async (request: Request) => {
    if (new URL(request.url).pathname === "/ignore") return new Response("ignored");
    return new Response(await request.text());
  })));
  after(() => s.close());

  it("sends 100 Continue when the handler reads the body", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
      const interim = await client.response();
      assert.equal(interim.status, 100);
      await client.send("hello");
      const response = await client.response();
      assert.equal(response.status, 200);
      assert.equal(response.text, "hello");
    } finally {
      client.destroy();
    }
  });

  it("sends no 100 when the handler answers without reading, and closes", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
      const response = await client.response();
      assert.equal(response.status, 200);
      assert.equal(response.text, "ignored");
      assert.equal(response.header("connection"), "close");
      assert.equal(await client.closed(), true);
    } finally {
      client.destroy();
    }
  });

  it("never sends 100 for a bodiless request nor merges it with the next one", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /a HTTP/1.1\r\nHost: x\r\nX-User: alice\r\nExpect: 100-continue\r\n\r\n");
      const first = await client.response();
      assert.equal(first.status, 200);
      await client.send("GET /b HTTP/1.1\r\nHost: x\r\nX-User: bob\r\n\r\n");
      const second = await client.response();
      assert.equal(second.status, 200);
    } finally {
      client.destroy();
    }
  });

  it("answers an unknown expectation with 417", async () => {
    const { response, closed } = await exchange(s.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: something-else\r\n\r\nx");
    assert.equal(response.status, 417);
    assert.equal(closed, true);
  });
});

describe("response framing", () => {
  let s: TestServer;
  before(async () => (s = await startServer((request: Request) => {
    const path = new URL(request.url).pathname;
    if (path === "/204") return new Response(null, { status: 204 });
    if (path === "/304") return new Response(null, { status: 304, headers: { etag: '"x"' } });
    if (path === "/hop") return new Response("hop", { headers: { connection: "upgrade", "keep-alive": "timeout=5", "x-ok": "1" } });
    if (path === "/server") return new Response("s", { headers: { server: "custom" } });
    if (path === "/cookies") {
      const headers = new Headers();
      headers.append("set-cookie", "a=1");
      headers.append("set-cookie", "b=2");
      return new Response("c", { headers });
    }
    if (path === "/head-length") return new Response("twelve bytes", { headers: { "content-length": "12" } });
    if (path === "/big-text") return new Response("héllo wörld €\n".repeat(200_000));
    if (path.startsWith("/bytes/")) return new Response(patternBytes(Number(path.slice(7))), { headers: { "content-type": "application/octet-stream" } });
    if (path === "/events") {
      // An event stream: one event at once, the next much later.
      let sent = 0;
      return new Response(new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent++ === 0) controller.enqueue(new TextEncoder().encode("data: first\n\n"));
          else {
            await new Promise((resolve) => setTimeout(resolve, 400));
            controller.close();
          }
        },
      }), { headers: { "content-type": "text/event-stream" } });
    }
    return nocl(request);
  })));
  after(() => s.close());

  it("chunks a body of unknown length on HTTP/1.1 and keeps the connection", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
      const response = await client.response();
      assert.equal(response.header("transfer-encoding"), "chunked");
      assert.equal(response.header("content-length"), undefined);
      assert.equal(response.text, "hello world");
      assert.equal(response.header("connection"), undefined);
      await client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await client.response()).text, "hello world");
    } finally {
      client.destroy();
    }
  });

  it("sends the head and the first event of a stream at once, not when the stream ends", async () => {
    const client = new RawClient(s.port);
    try {
      const started = Date.now();
      await client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
      for (let i = 0; i < 30 && !client.pending.includes("data: first"); i++) await sleep(10);
      assert.ok(client.pending.includes("data: first"), "first event delivered");
      assert.ok(Date.now() - started < 300, `first event after ${Date.now() - started} ms`);
      const response = await client.response();
      assert.equal(response.header("transfer-encoding"), "chunked");
      assert.equal(response.text, "data: first\n\n");
    } finally {
      client.destroy();
    }
  });

  it("sends a large non-ASCII text body intact (partial socket writes)", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /big-text HTTP/1.1\r\nHost: x\r\n\r\n");
      const response = await client.response({ timeoutMs: 10000 });
      const expected = new TextEncoder().encode("héllo wörld €\n".repeat(200_000));
      assert.equal(response.header("content-length"), String(expected.length));
      assert.deepEqual(response.body, expected);
      await client.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await client.response()).text, "hello");
    } finally {
      client.destroy();
    }
  });

  it("sends byte bodies around the gathered-write sizes intact, back to back", async () => {
    // 16 KiB is where byte bodies stop being copied next to their head; Bun gathers the first 128 KiB.
    const sizes = [16 * 1024 - 1, 16 * 1024 + 1, 128 * 1024 - 90, 128 * 1024 + 7, 300 * 1024 + 3, 1024 * 1024];
    const client = new RawClient(s.port);
    try {
      await client.send(sizes.map((n) => `GET /bytes/${n} HTTP/1.1\r\nHost: x\r\n\r\n`).join(""));
      for (const n of sizes) {
        const response = await client.response({ timeoutMs: 10000 });
        assert.equal(response.header("content-length"), String(n));
        assert.deepEqual(response.body, patternBytes(n), `body of ${n} bytes`);
      }
    } finally {
      client.destroy();
    }
  });

  it("sends a one-chunk body with Content-Length", async () => {
    const { response } = await exchange(s.port, "GET /one HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(response.header("content-length"), "5");
    assert.equal(response.header("transfer-encoding"), undefined);
    assert.equal(response.text, "hello");
  });

  it("delimits a body of unknown length by closing on HTTP/1.0", async () => {
    const { response, closed } = await exchange(s.port, "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert.equal(response.version, "HTTP/1.1");
    assert.equal(response.header("transfer-encoding"), undefined, "no chunked coding for an HTTP/1.0 client");
    assert.equal(response.header("connection"), "close");
    assert.equal(response.text, "hello world");
    assert.equal(closed, true);
  });

  it("sends 204 and 304 without a body and keeps the connection", async () => {
    const client = new RawClient(s.port);
    try {
      for (const path of ["/204", "/304"]) {
        await client.send(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
        const response = await client.response();
        assert.equal(response.status, Number(path.slice(1, 4)));
        assert.equal(response.header("transfer-encoding"), undefined);
        assert.equal(response.header("content-length"), undefined);
      }
      await client.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await client.response()).text, "hello");
    } finally {
      client.destroy();
    }
  });

  it("sends no body for HEAD but keeps the handler's Content-Length", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("HEAD /head-length HTTP/1.1\r\nHost: x\r\n\r\n");
      const response = await client.response({ head: true });
      assert.equal(response.header("content-length"), "12");
      await client.send("HEAD /one HTTP/1.1\r\nHost: x\r\n\r\n");
      const second = await client.response({ head: true });
      assert.equal(second.header("content-length"), "5");
      await client.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await client.response()).text, "hello", "no stray HEAD body bytes on the wire");
    } finally {
      client.destroy();
    }
  });

  it("drops hop-by-hop headers set by the handler, with a warning", async () => {
    const { response } = await exchange(s.port, "GET /hop HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(response.header("keep-alive"), undefined);
    assert.equal(response.header("connection"), "close");
    assert.equal(response.header("x-ok"), "1");
    assert.ok(s.log.lines.some((l) => l.includes('hop-by-hop header "keep-alive"')));
  });

  it("keeps the handler's Server header and repeated Set-Cookie headers", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /server HTTP/1.1\r\nHost: x\r\n\r\nGET /cookies HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.deepEqual((await client.response()).headers.filter(([n]) => n === "server"), [["server", "custom"]]);
      assert.deepEqual((await client.response()).headers.filter(([n]) => n === "set-cookie").map(([, v]) => v), ["a=1", "b=2"]);
    } finally {
      client.destroy();
    }
  });
});

describe("Server header", () => {
  it("is omitted when ident is empty", async () => {
    const s = await startServer(() => new Response("x"), { ident: "" });
    try {
      const { response } = await exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(response.header("server"), undefined);
      assert.ok(response.header("date"));
    } finally {
      await s.close();
    }
  });
});

describe("bad Content-Length from the handler (Waitress badcl.app)", () => {
  let s: TestServer;
  before(async () => (s = await startServer(badcl)));
  after(() => s.close());

  it("closes the connection when the body is shorter than declared", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /short_body HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(await client.closed(), true);
      assert.ok(client.pending.endsWith("abcdefghi"));
      assert.ok(s.log.lines.some((l) => l.includes("too few bytes")));
    } finally {
      client.destroy();
    }
  });

  it("cuts off a body longer than declared and keeps the connection", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /long_body HTTP/1.1\r\nHost: x\r\n\r\n");
      const response = await client.response();
      assert.equal(response.text, "abcdefgh");
      await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await client.response()).text, "abcdefghi");
      assert.ok(s.log.lines.some((l) => l.includes("more bytes than its Content-Length")));
    } finally {
      client.destroy();
    }
  });
});

describe("handler errors (Waitress error.app)", () => {
  let s: TestServer;
  before(async () => (s = await startServer(error)));
  after(() => s.close());

  for (const path of ["/sync", "/async", "/not_a_response"]) {
    it(`answers ${path} with 500 without the stack and closes`, async () => {
      const { response, closed } = await exchange(s.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert.equal(response.status, 500);
      assert.match(response.text, /Internal Server Error/);
      assert.doesNotMatch(response.text, /at /);
      assert.equal(closed, true);
    });
  }

  it("logs the exception with its stack", async () => {
    await exchange(s.port, "GET /sync HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.ok(s.log.lines.some((l) => l.includes("boom before the response") && l.includes("ERROR")));
  });

  it("closes the connection when the body fails after the head was sent", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /in_body HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(await client.closed(), true);
      assert.match(client.pending, /^HTTP\/1\.1 200/);
      assert.doesNotMatch(client.pending, /\r\n0\r\n\r\n$/, "no last-chunk: the client can tell the body is truncated");
    } finally {
      client.destroy();
    }
  });

  it("puts the stack in the body with exposeTracebacks", async () => {
    const t = await startServer(error, { exposeTracebacks: true });
    try {
      const { response } = await exchange(t.port, "GET /sync HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(response.status, 500);
      assert.match(response.text, /boom before the response/);
    } finally {
      await t.close();
    }
  });
});

describe("concurrency", () => {
  it("does not let a slow request delay another connection (Waitress SleepyThreadTests)", async () => {
    const s = await startServer(sleepy);
    try {
      const order: string[] = [];
      const slow = exchange(s.port, "GET /sleepy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").then((r) => order.push(r.response.text));
      await until(() => s.server.stats().requestsInFlight === 1, "the slow request in flight");
      const fast = exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").then((r) => order.push(r.response.text));
      await Promise.all([slow, fast]);
      assert.deepEqual(order, ["notsleepy returned", "sleepy returned"]);
    } finally {
      await s.close();
    }
  });
});

describe("server lifecycle", () => {
  it("reports the bound port and closes", async () => {
    const s = await startServer(() => new Response("x"));
    assert.ok(s.port > 0);
    assert.equal(s.server.addresses[0].hostname, "127.0.0.1");
    await s.close();
    await assert.rejects(exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  });

  it("accepts an object with a fetch method", async () => {
    const s = await startServer({ fetch: () => new Response("from fetch") });
    try {
      const { response } = await exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(response.text, "from fetch");
    } finally {
      await s.close();
    }
  });
});
