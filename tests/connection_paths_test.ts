/**
 * Paths through the connection (src/serve/connection.ts) that the broader suites do not take, each checked
 * on the wire: request URLs and info, the application's headers and bodies, errors, and request bodies
 * the handler reads late, cancels or never reads.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exchange, RawClient, startServer, until, type TestServer } from "./_helpers.ts";
import type { RequestInfo } from "../src/web/request.ts";
import type { AccessRecord } from "../src/policy/access_record.ts";

const enc = new TextEncoder();
const GET = (path: string, extra = ""): string => `GET ${path} HTTP/1.1\r\nHost: h.test\r\nConnection: close\r\n${extra}\r\n`;

describe("request URL and info", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer((request: Request, info: RequestInfo) => Response.json({ url: request.url, scriptName: info.scriptName, pathInfo: info.pathInfo }), { urlPrefix: "/app" });
  });
  after(() => s.close());
  const urlOf = async (request: string) => JSON.parse((await exchange(s.port, request)).response.text);

  it("splits the path at urlPrefix into scriptName and pathInfo", async () => {
    assert.deepEqual(await urlOf(GET("/app/x/y?q=1")), { url: "http://h.test/app/x/y?q=1", scriptName: "/app", pathInfo: "/x/y" });
  });

  it("normalises targets the URL parser rewrites: special characters, dot segments, %2e", async () => {
    assert.equal((await urlOf(GET("/app/a{b}"))).url, "http://h.test/app/a%7Bb%7D");
    assert.equal((await urlOf(GET("/app/a/b/.."))).url, "http://h.test/app/a/");
    assert.equal((await urlOf(GET("/app/a/./b?x"))).url, "http://h.test/app/a/b?x");
    assert.equal((await urlOf(GET("/app/a/%2E%2e/b"))).url, "http://h.test/app/b");
    assert.equal((await urlOf(GET("/app/a/.x/%2f"))).url, "http://h.test/app/a/.x/%2f", "not a dot segment, kept as sent");
  });

  it("without Host, names the local address (HTTP/1.0)", async () => {
    const { response } = await exchange(s.port, "GET /app/n HTTP/1.0\r\n\r\n");
    assert.equal(JSON.parse(response.text).url, `http://127.0.0.1:${s.port}/app/n`);
  });

  it("answers 400 Bad URI for a Host the URL parser refuses", async () => {
    const { response, closed } = await exchange(s.port, "GET /app HTTP/1.1\r\nHost: h.test:99999\r\n\r\n");
    assert.equal(response.status, 400);
    assert.match(response.text, /Bad URI/);
    assert.equal(closed, true);
  });

  it("keeps URLs right past the origin cache's bound (300 Hosts on one connection)", async () => {
    const client = new RawClient(s.port);
    try {
      let burst = "";
      for (let i = 0; i < 300; i++) burst += `GET /app/${i} HTTP/1.1\r\nHost: c${i}.test\r\n\r\n`;
      await client.send(burst);
      for (let i = 0; i < 300; i++) assert.equal(JSON.parse((await client.response()).text).url, `http://c${i}.test/app/${i}`);
    } finally {
      client.destroy();
    }
  });
});

describe("request URL without Host on IPv6 and unix sockets", () => {
  const app = (request: Request) => new Response(request.url);

  it("brackets an IPv6 local address", async (t) => {
    let s: TestServer;
    try {
      s = await startServer(app, { host: "::1" });
    } catch {
      return t.skip("no IPv6 loopback here");
    }
    try {
      const client = new RawClient(s.port, "::1");
      await client.send("GET /v6 HTTP/1.0\r\n\r\n");
      assert.equal((await client.response()).text, `http://[::1]:${s.port}/v6`);
      client.destroy();
    } finally {
      await s.close();
    }
  });

  it("names localhost on a unix socket", async () => {
    const path = join(tmpdir(), `waitress-paths-${process.pid}-${Date.now()}.sock`);
    const s = await startServer(app, { unixSocket: path, host: undefined, port: undefined });
    try {
      const client = new RawClient(0, undefined, path);
      await client.send("GET /u HTTP/1.0\r\n\r\n");
      assert.equal((await client.response()).text, "http://localhost/u");
      client.destroy();
    } finally {
      await s.close();
    }
  });
});

describe("the application's headers", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer((request: Request) => {
      const p = new URL(request.url).pathname;
      if (p === "/date") return new Response("d", { headers: { date: "Sun, 06 Nov 1994 08:49:37 GMT" } });
      if (p === "/reason") return new Response("r", { status: 201, statusText: "Made It" });
      if (p === "/badcl") return new Response("b", { headers: { "content-length": "1e3" } });
      if (p === "/twocl") return new Response("b", { headers: { "Content-Length": "1", "content-length": "1" } });
      if (p === "/204cl") return new Response(null, { status: 204, headers: { "content-length": "5" } });
      if (p === "/304cl") return new Response(null, { status: 304, headers: { "content-length": "5" } });
      return new Response("?");
    });
  });
  after(() => s.close());

  it("keeps the application's Date header instead of adding one", async () => {
    const { response } = await exchange(s.port, GET("/date"));
    assert.deepEqual(response.headers.filter(([n]) => n === "date"), [["date", "Sun, 06 Nov 1994 08:49:37 GMT"]]);
  });

  it("sends the application's reason phrase", async () => {
    const { response } = await exchange(s.port, GET("/reason"));
    assert.equal(response.rawHead.split("\r\n")[0], "HTTP/1.1 201 Made It");
  });

  it("answers 500 for an invalid or repeated Content-Length from the application", async () => {
    for (const path of ["/badcl", "/twocl"]) {
      const { response } = await exchange(s.port, GET(path));
      assert.equal(response.status, 500, path);
    }
    await until(() => s.log.lines.filter((l) => l.includes("invalid Content-Length")).length >= 2, "both logged");
  });

  it("drops a Content-Length on 204 but keeps it on 304 (the size of the representation)", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /204cl HTTP/1.1\r\nHost: h\r\n\r\nGET /304cl HTTP/1.1\r\nHost: h\r\n\r\n");
      const r204 = await client.response();
      assert.equal(r204.status, 204);
      assert.equal(r204.header("content-length"), undefined);
      const r304 = await client.response();
      assert.equal(r304.status, 304);
      assert.equal(r304.header("content-length"), "5");
      assert.equal(client.pending, "", "no body bytes after either");
    } finally {
      client.destroy();
    }
  });
});

describe("the application's bodies", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer((request: Request) => {
      const p = new URL(request.url).pathname;
      const chunks = (...parts: unknown[]) => new ReadableStream({
        start(c) {
          for (const part of parts) c.enqueue(part);
          c.close();
        },
      });
      if (p === "/mixed") {
        const ab = enc.encode("ab").buffer;
        return new Response(chunks(enc.encode("1"), new Uint8Array(0), "2é", ab, new DataView(enc.encode("xyz").buffer, 1, 1)) as ReadableStream<Uint8Array>);
      }
      if (p === "/exact") return new Response(chunks(enc.encode("a"), enc.encode("b"), enc.encode("c")) as ReadableStream<Uint8Array>, { headers: { "content-length": "3" } });
      // The Content-Length is reached at the end of a chunk read after the read-ahead; more chunks follow.
      if (p === "/stream-long") return new Response(chunks(enc.encode("a"), enc.encode("b"), enc.encode("c"), enc.encode("def")) as ReadableStream<Uint8Array>, { headers: { "content-length": "3" } });
      if (p === "/stream-empty-after") return new Response(chunks(enc.encode("a"), enc.encode("b"), enc.encode("c"), new Uint8Array(0)) as ReadableStream<Uint8Array>, { headers: { "content-length": "3" } });
      if (p === "/bytes-short") return new Response(enc.encode("12345"), { headers: { "content-length": "3" } });
      if (p === "/error") return Response.error();
      if (p === "/null") return null as unknown as Response;
      if (p === "/number") return 42 as unknown as Response;
      return new Response("?");
    });
  });
  after(() => s.close());

  it("sends string, ArrayBuffer and DataView chunks as bytes and skips empty chunks (no early last-chunk)", async () => {
    const { response } = await exchange(s.port, GET("/mixed"));
    assert.equal(response.header("transfer-encoding"), "chunked");
    assert.equal(new TextDecoder().decode(response.body), "12éaby");
  });

  it("sends a streamed body that matches its Content-Length exactly, without a warning", async () => {
    const { response } = await exchange(s.port, GET("/exact"));
    assert.equal(response.text, "abc");
    assert.equal(s.log.lines.some((l) => l.includes("/exact")), false);
  });

  it("cuts a byte body longer than its Content-Length, with a warning", async () => {
    const { response } = await exchange(s.port, GET("/bytes-short"));
    assert.equal(response.text, "123");
    await until(() => s.log.lines.some((l) => l.includes("more bytes than its Content-Length (3) for /bytes-short")), "the warning");
  });

  it("cuts a stream that goes on after its Content-Length was reached at a chunk's end, with a warning unless what follows is empty", async () => {
    const long = await exchange(s.port, GET("/stream-long"));
    assert.equal(long.response.text, "abc");
    await until(() => s.log.lines.some((l) => l.includes("more bytes than its Content-Length (3) for /stream-long")), "the warning");
    const empty = await exchange(s.port, GET("/stream-empty-after"));
    assert.equal(empty.response.text, "abc");
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(s.log.lines.some((l) => l.includes("/stream-empty-after")), false);
  });

  it("answers Response.error() with 500", async () => {
    const { response } = await exchange(s.port, GET("/error"));
    assert.equal(response.status, 500);
  });

  it("answers 500 when the handler returns null or a number, naming it in the log", async () => {
    assert.equal((await exchange(s.port, GET("/null"))).response.status, 500);
    assert.equal((await exchange(s.port, GET("/number"))).response.status, 500);
    await until(() => s.log.lines.some((l) => l.includes("returned null instead")) && s.log.lines.some((l) => l.includes("returned number instead")), "both logged");
  });
});

describe("response-like objects from the handler", () => {
  let s: TestServer;
  let cancelled = false;
  before(async () => {
    s = await startServer((request: Request) => {
      const p = new URL(request.url).pathname;
      if (p === "/103") return { status: 103, statusText: "", headers: new Headers(), body: null, type: "default" } as unknown as Response;
      const body = new ReadableStream({ cancel: () => void (cancelled = true) });
      return { status: 204, statusText: "", headers: new Headers(), body, type: "default" } as unknown as Response;
    });
  });
  after(() => s.close());

  it("answers a 1xx status with 500: a 1xx is never a final response", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /103 HTTP/1.1\r\nHost: h\r\n\r\n");
      const response = await client.response();
      assert.equal(response.status, 500, "not a 103 the client would take for an interim response");
      assert.equal(await client.closed(), true);
      await until(() => s.log.lines.some((l) => l.includes("status 103")), "logged");
    } finally {
      client.destroy();
    }
  });

  it("sends a 204 without the body it was given, cancels the body and warns", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /204 HTTP/1.1\r\nHost: h\r\n\r\nGET /204 HTTP/1.1\r\nHost: h\r\n\r\n");
      assert.equal((await client.response()).status, 204);
      assert.equal((await client.response()).status, 204, "framed right: the next response follows at once");
      await until(() => cancelled, "the body cancelled");
      assert.ok(s.log.lines.some((l) => l.includes("Ignored the application's body for a 204 response")));
    } finally {
      client.destroy();
    }
  });
});

describe("handler errors with exposeTracebacks", () => {
  it("puts String(error) in the body when the error has no stack", async () => {
    const s = await startServer(() => {
      const error = new Error("stackless");
      error.stack = undefined;
      throw error;
    }, { exposeTracebacks: true });
    try {
      const { response } = await exchange(s.port, GET("/"));
      assert.equal(response.status, 500);
      assert.match(response.text, /Error: stackless/);
    } finally {
      await s.close();
    }
  });
});

describe("access records", () => {
  it("reports HTTP/1.0 requests, Referer and User-Agent to onResponse listeners without an access log", async () => {
    const s = await startServer(() => new Response("ok"));
    const records: AccessRecord[] = [];
    s.server.onResponse((record) => records.push(record));
    try {
      await exchange(s.port, "GET /r HTTP/1.0\r\nReferer: http://ref/\r\nUser-Agent: ua/1\r\n\r\n");
      await until(() => records.length === 1, "the record");
      assert.equal(records[0].httpVersion, "HTTP/1.0");
      assert.equal(records[0].referer, "http://ref/");
      assert.equal(records[0].userAgent, "ua/1");
      assert.equal(records[0].status, 200);
    } finally {
      await s.close();
    }
  });

  it("reports a request body timeout of an HTTP/1.0 request as 408 HTTP/1.0", async () => {
    const s = await startServer(async (request: Request) => new Response(await request.text()), { bodyTimeout: 0.2, cleanupInterval: 0.05 });
    const records: AccessRecord[] = [];
    s.server.onResponse((record) => records.push(record));
    try {
      const { response } = await exchange(s.port, "POST /slow HTTP/1.0\r\nContent-Length: 10\r\n\r\nabc");
      assert.equal(response.status, 408);
      await until(() => records.length === 1, "the record");
      assert.deepEqual([records[0].status, records[0].httpVersion, records[0].method, records[0].target], [408, "HTTP/1.0", "POST", "/slow"]);
    } finally {
      await s.close();
    }
  });
});
