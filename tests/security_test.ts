/**
 * Security regression tests over real sockets: every Waitress advisory and finding
 * (../shared/reference/waitress-research.md section 3), the parser bugs of node:http, Deno, Bun and
 * friends (js-anchors.md sections 1b and 2.2), request smuggling / desync on one connection, and
 * response integrity. Each test sends raw bytes and checks the exact status and the connection
 * state: closed, or still usable (proved with a follow-up request on the same connection).
 * SECURITY.md refers to these tests by name.
 */
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { RawClient, type RawResponse, sleep, startServer, type TestServer } from "./_helpers.ts";
import { latin1Text } from "./_bytes.ts";
import type { App, RequestInfo } from "../mod.ts";

// ---- the app under test ------------------------------------------------------------------------

/** What the app saw of one request. */
interface Seen {
  method: string;
  path: string;
  rawTarget: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  remoteAddress: string;
}

/**
 * A recording echo app. Every request is recorded when the handler starts (so "never reached the
 * app" is checkable); the response is JSON describing the request. Paths:
 * /slow waits 80 ms first; /ignore answers without reading the body; /big streams 16 MiB;
 * /hold waits until `release()` is called.
 */
function recorder(): { app: App; seen: Seen[]; release: () => void } {
  const seen: Seen[] = [];
  let releaseHold: () => void = () => {};
  let held = new Promise<void>((resolve) => (releaseHold = resolve));
  const app = async (request: Request, info: RequestInfo): Promise<Response> => {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    const entry: Seen = {
      method: request.method,
      path: url.pathname,
      rawTarget: info.rawTarget,
      url: request.url,
      headers,
      body: "",
      remoteAddress: info.remoteAddress,
    };
    seen.push(entry);
    if (url.pathname === "/slow") await sleep(80);
    if (url.pathname === "/hold") await held;
    if (url.pathname === "/ignore") return new Response("ignored");
    if (url.pathname === "/big") {
      let sent = 0;
      const piece = new Uint8Array(64 * 1024).fill(0x61);
      return new Response(new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 16 * 1024 * 1024) controller.close();
          else {
            sent += piece.length;
            controller.enqueue(piece);
          }
        },
      }));
    }
    if (request.method !== "GET" && request.method !== "HEAD") entry.body = latin1Text(new Uint8Array(await request.arrayBuffer()));
    return new Response(JSON.stringify(entry), { headers: { "content-type": "application/json" } });
  };
  return {
    app,
    seen,
    release: () => {
      releaseHold();
      held = new Promise<void>((resolve) => (releaseHold = resolve));
    },
  };
}

const utf8 = new TextDecoder();
const seenOf = (r: RawResponse): Seen => JSON.parse(utf8.decode(r.body)) as Seen;
const H = "Host: x\r\n";
const FOLLOW = `GET /follow HTTP/1.1\r\n${H}\r\n`;
const SMUGGLED_REQ = `GET /smuggled HTTP/1.1\r\n${H}\r\n`;

/**
 * Sends `input` (pieces are written one after another, `gapMs` apart), reads one response per
 * expected status and checks them; then checks the connection: `close` -> the last response says
 * `Connection: close`, the server closes and sends nothing more; otherwise it stays open and answers
 * a follow-up request on the same connection.
 */
async function expectExchange(
  s: TestServer,
  input: string | Uint8Array | (string | Uint8Array)[],
  statuses: number[],
  options: { close: boolean; gapMs?: number; detail?: string },
): Promise<RawResponse[]> {
  const client = new RawClient(s.port);
  try {
    const pieces = Array.isArray(input) ? input : [input];
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0 && options.gapMs) await sleep(options.gapMs);
      try {
        await client.send(pieces[i]);
      } catch {
        break; // the server already closed after an error
      }
    }
    const responses: RawResponse[] = [];
    for (const want of statuses) {
      const r = await client.response();
      responses.push(r);
      assert.equal(r.status, want, `status of response ${responses.length}: ${r.status} ${r.reason} ${r.text.slice(0, 300)}`);
    }
    const last = responses[responses.length - 1];
    if (options.detail !== undefined) assert.ok(last.text.includes(options.detail), `detail ${JSON.stringify(options.detail)} in ${JSON.stringify(last.text)}`);
    if (options.close) {
      assert.equal(last.header("connection"), "close", "the last response says Connection: close");
      assert.equal(await client.closed(2000), true, "the server closes the connection");
      assert.equal(client.pending, "", "nothing is sent after the closing response");
    } else {
      assert.notEqual(last.header("connection"), "close", "the connection is kept alive");
      await client.send(FOLLOW);
      const follow = await client.response();
      assert.equal(follow.status, 200, "the follow-up request on the same connection is answered");
      assert.equal(seenOf(follow).path, "/follow");
      assert.equal(client.pending, "", "exactly one response to the follow-up");
    }
    return responses;
  } finally {
    client.destroy();
  }
}

function assertNeverRan(seen: Seen[], path = "/smuggled"): void {
  assert.deepEqual(seen.filter((e) => e.path === path || e.rawTarget.includes(path)), [], `${path} never reached the app`);
}

// ---- Waitress advisories -----------------------------------------------------------------------

describe("Waitress advisories (research section 3)", () => {
  let s: TestServer;
  const rec = recorder();
  before(async () => (s = await startServer(rec.app)));
  after(() => s.close());
  beforeEach(() => void (rec.seen.length = 0));

  it("3.1 CVE-2019-16792: a repeated Content-Length is refused with 400 and close; its body never runs as a request", async () => {
    await expectExchange(s, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 10\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n", [400], { close: true, detail: "Content-Length" });
    assert.equal(rec.seen.length, 0);
  });

  it("3.2 CVE-2019-16786: Transfer-Encoding gzip, chunked plus Content-Length is refused with 400 and close", async () => {
    await expectExchange(s, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", [400], { close: true });
    assert.equal(rec.seen.length, 0);
  });

  it("3.2 CVE-2019-16786: Transfer-Encoding gzip, chunked alone is answered 501 and close", async () => {
    await expectExchange(s, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", [501], { close: true });
    assert.equal(rec.seen.length, 0);
  });

  it("3.3 CVE-2019-16785: a bare LF in the header section is refused with 400; the request hidden in the body never runs", async () => {
    const hidden = `GET /smuggled HTTP/1.1\r\n${H}\r\n`;
    const body = hidden + "x".repeat(100 - hidden.length);
    await expectExchange(s, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nX-Header: x\nContent-Length: 0\r\n\r\n${body}`, [400], { close: true, detail: "Bare CR or LF" });
    assert.equal(rec.seen.length, 0);
  });

  it("3.4 CVE-2019-16789: Transfer-Encoding with a leading \\x0b is refused with 400 and close", async () => {
    await expectExchange(s, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nTransfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n", [400], { close: true });
    assert.equal(rec.seen.length, 0);
  });

  for (const [name, te] of [["\\x85", "\x85chunked"], ["a Kelvin sign (U+212A as UTF-8)", "chun\xe2\x84\xaaed"]]) {
    it(`3.5 GHSA-968f-66r5-5v74: Transfer-Encoding with ${name} is refused with 400 and close`, async () => {
      await expectExchange(s, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:${te}\r\n\r\n0\r\n\r\n`, [400], { close: true, detail: "Transfer-Encoding" });
      assert.equal(rec.seen.length, 0);
    });
  }

  it("3.6 CVE-2020-5236: a control character after a header value is refused with 400 (the advisory's bytes)", async () => {
    await expectExchange(s, "GET /foobar HTTP/1.1\r\nfoo: bar\r\nfoo: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\x10\r\n\r\n", [400], { close: true, detail: "control character" });
  });

  it("3.6 CVE-2020-5236: 200 KB of header value before the control character is refused in linear time", async () => {
    const started = performance.now();
    await expectExchange(s, `GET /foobar HTTP/1.1\r\n${H}foo: bar\r\nfoo: ${"x ".repeat(100000)}x\x10\r\n\r\n`, [400], { close: true });
    assert.ok(performance.now() - started < 3000, "answered quickly");
  });

  const chunkedPost = `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n`;
  const cve202224761: [string, string][] = [
    ["Content-Length: +10", `POST / HTTP/1.1\r\n${H}Content-Length: +10\r\n\r\n0123456789`],
    ["Content-Length: -1", `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`],
    ["Content-Length:  0x10 (hex)", `POST / HTTP/1.1\r\n${H}Content-Length: 0x10\r\n\r\n0123456789abcdef`],
    ["chunk size 0x20", `${chunkedPost}0x20\r\n${"a".repeat(32)}\r\n0\r\n\r\n`],
    ["chunk size +04", `${chunkedPost}+04\r\ntest\r\n0\r\n\r\n`],
    ["chunk size ' 04'", `${chunkedPost} 04\r\ntest\r\n0\r\n\r\n`],
    ["chunk size x04", `${chunkedPost}x04\r\ntest\r\n0\r\n\r\n`],
    ["chunk extension '20;invalid='", `${chunkedPost}20;invalid=\r\n${"a".repeat(32)}\r\n0\r\n\r\n`],
    ["chunk extension '4;' then LF", `${chunkedPost}4;\ntest\r\n0\r\n\r\n`],
    ["chunk extension '4;' then CR", `${chunkedPost}4;\r\ntest\r\n0\r\n\r\n`],
    ["chunk extension '4;a=b' then LF", `${chunkedPost}4;a=b\ntest\r\n0\r\n\r\n`],
  ];
  for (const [name, input] of cve202224761) {
    it(`3.7 CVE-2022-24761: ${name} is refused with 400 and close`, async () => {
      await expectExchange(s, input + `GET /smuggled HTTP/1.1\r\n${H}\r\n`, [400], { close: true });
      assertNeverRan(rec.seen);
    });
  }

  it("3.8 CVE-2022-31015: clients that reset during a large response do not take the server down", async () => {
    for (let i = 0; i < 5; i++) {
      const client = new RawClient(s.port);
      await client.send(`GET /big HTTP/1.1\r\n${H}\r\n`);
      const deadline = Date.now() + 3000;
      while (!client.pending.startsWith("HTTP/1.1 200") && Date.now() < deadline) await sleep(5);
      assert.ok(client.pending.startsWith("HTTP/1.1 200"), "the response started");
      const socket = client.socket as typeof client.socket & { resetAndDestroy?: () => void };
      if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
      else client.destroy();
    }
    await sleep(100);
    await expectExchange(s, `GET / HTTP/1.1\r\n${H}\r\n`, [200], { close: false });
  });

  it("3.9 CVE-2024-49769: connections closed before sending a byte are cleaned up", async () => {
    for (let i = 0; i < 30; i++) {
      await new Promise<void>((resolve) => {
        const socket = net.connect({ port: s.port, host: "127.0.0.1" }, () => {
          if (i % 2 === 0 && typeof (socket as { resetAndDestroy?: () => void }).resetAndDestroy === "function") {
            (socket as unknown as { resetAndDestroy: () => void }).resetAndDestroy();
          } else socket.destroy();
          resolve();
        });
        socket.on("error", () => resolve());
      });
    }
    const deadline = Date.now() + 3000;
    while (s.server.connectionCount > 0 && Date.now() < deadline) await sleep(20);
    assert.equal(s.server.connectionCount, 0, "every half-open connection is gone");
    await expectExchange(s, `GET / HTTP/1.1\r\n${H}\r\n`, [200], { close: false });
  });

  it("3.10 CVE-2024-49768: a request pipelined behind an invalid one never runs, even with lookahead", async () => {
    const t = await startServer(rec.app, { channelRequestLookahead: 5 });
    try {
      const first = "GET / HTTP/1.1\r\nHost: localhost:8080\r\nContent-length: -1\r\n\r\n";
      const second = "POST /smuggled HTTP/1.1\r\nHost: localhost:8080\r\nContent-Length: 1\r\n\r\nx\r\n";
      await expectExchange(t, [first, second], [400], { close: true, gapMs: 1 });
      await expectExchange(t, first + second, [400], { close: true });
      await sleep(50);
      assert.equal(rec.seen.length, 0, "the app never ran");
    } finally {
      await t.close();
    }
  });

  it("3.11 Waitress 3.0.2: with one trusted proxy the app sees only the trusted part of X-Forwarded-For", async () => {
    const t = await startServer(rec.app, { trustedProxy: "127.0.0.1", trustedProxyCount: 1, trustedProxyHeaders: "x-forwarded-for" });
    try {
      const [r] = await expectExchange(t, `GET / HTTP/1.1\r\n${H}X-Forwarded-For: 6.6.6.6, 203.0.113.7\r\n\r\n`, [200], { close: false });
      const seen = seenOf(r);
      assert.equal(seen.remoteAddress, "203.0.113.7", "the client address is the right-most trusted entry");
      assert.equal(seen.headers["x-forwarded-for"], "203.0.113.7", "the untrusted left part is not passed on");
    } finally {
      await t.close();
    }
  });

  it("3.11 Waitress 3.0.2: proxy headers from an untrusted peer are removed before the app runs", async () => {
    const [r] = await expectExchange(s, `GET / HTTP/1.1\r\n${H}X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nForwarded: for=6.6.6.6\r\n\r\n`, [200], { close: false });
    const seen = seenOf(r);
    assert.equal(seen.remoteAddress, "127.0.0.1");
    assert.equal(seen.headers["x-forwarded-for"], undefined);
    assert.equal(seen.headers["x-forwarded-proto"], undefined);
    assert.equal(seen.headers["forwarded"], undefined);
    assert.ok(seen.url.startsWith("http://"), "the scheme is not taken from an untrusted header");
  });

  it("3.12 Waitress #465: Transfer-Encoding chunked, chunked is refused with 400 and close", async () => {
    await expectExchange(s, "POST / HTTP/1.1\r\nHost: victim.com\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", [400], { close: true, detail: "chunked" });
    assert.equal(rec.seen.length, 0);
  });

  it("3.12 Waitress #465: two Transfer-Encoding: chunked fields are refused with 400 and close", async () => {
    await expectExchange(s, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", [400], { close: true });
    assert.equal(rec.seen.length, 0);
  });

  it("3.12 Waitress #464: Content-Length plus Transfer-Encoding is 400 and closed, never kept alive", async () => {
    // Waitress answers and keeps the connection (its close flag is never read): the pipelined GET runs.
    await expectExchange(s, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`, [400], { close: true, detail: "Both Transfer-Encoding and Content-Length" });
    assert.equal(rec.seen.length, 0);
  });

  it("3.12 Waitress #484: a duplicate Host is refused with 400 and close", async () => {
    await expectExchange(s, "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", [400], { close: true, detail: "Host" });
    assert.equal(rec.seen.length, 0);
  });

  it("3.12 Waitress #488: a duplicate Content-Type is refused with 400 and close", async () => {
    await expectExchange(s, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", [400], { close: true });
    assert.equal(rec.seen.length, 0);
  });

  it("3.13 Waitress 1.1.0: a non-ASCII request-target is refused with 400 and close", async () => {
    await expectExchange(s, `GET /caf\xe9 HTTP/1.1\r\n${H}\r\n`, [400], { close: true });
    await expectExchange(s, `GET /a\x00b HTTP/1.1\r\n${H}\r\n`, [400], { close: true });
    assert.equal(rec.seen.length, 0);
  });

  it("3.13 Waitress 1.1.0: a lower-case method is never passed to the app as the upper-case one", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send(`get /lower HTTP/1.1\r\n${H}\r\n`);
      const r = await client.response();
      if (r.status === 200) assert.equal(seenOf(r).method, "get", "the method is case-sensitive (RFC 9110 9.1)");
      else assert.ok(r.status === 400 || r.status === 501, `refused with ${r.status}`);
    } finally {
      client.destroy();
    }
  });

  it("3.13 Waitress 1.0.0: a header name with an underscore never stands in for the dashed one", async () => {
    const [r] = await expectExchange(s, `GET / HTTP/1.1\r\n${H}X_Auth_User: admin\r\n\r\n`, [200], { close: false });
    const seen = seenOf(r);
    assert.equal(seen.headers["x-auth-user"], undefined);
    assert.equal(seen.headers["x_auth_user"], "admin");
  });

  it("3.13 Waitress 2.1.2: the header size is counted across reads (exactly at the limit passes, one byte more is 431)", async () => {
    const t = await startServer(rec.app, { maxRequestHeaderSize: 1024 });
    try {
      const headOf = (size: number): string => {
        const start = `GET / HTTP/1.1\r\n${H}X: `;
        return start + "a".repeat(size - start.length - 4) + "\r\n\r\n";
      };
      const inPieces = (text: string): string[] => text.match(/[\s\S]{1,37}/g)!;
      await expectExchange(t, inPieces(headOf(1024)), [200], { close: false, gapMs: 1 });
      await expectExchange(t, inPieces(headOf(1025)), [431], { close: true, gapMs: 1 });
    } finally {
      await t.close();
    }
  });

  it("3.14.1 Expect: 100-continue on a bodiless request is answered alone, without 100, never merged with the next (exact bytes)", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /a HTTP/1.1\r\nHost: x\r\nX-User: alice\r\nExpect: 100-continue\r\n\r\n");
      const first = await client.response();
      assert.equal(first.status, 200, "the bodiless request is answered at once, with no 100 Continue first");
      assert.equal(seenOf(first).path, "/a");
      assert.equal(seenOf(first).headers["x-user"], "alice");
      await client.send("GET /echo HTTP/1.1\r\nX-User: bob\r\n\r\n");
      const second = await client.response();
      assert.equal(second.status, 400, "the second request is parsed on its own: no Host -> 400");
      assert.match(second.text, /Missing Host/);
      assert.equal(await client.closed(2000), true);
      assert.doesNotMatch(first.rawHead + second.rawHead + client.pending, /100 Continue/);
      assert.deepEqual(rec.seen.map((e) => e.path), ["/a"]);
    } finally {
      client.destroy();
    }
  });

  it("3.14.1 Expect: 100-continue on a bodiless request, then a second request: two separate responses, headers never merged", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send(`GET /a HTTP/1.1\r\n${H}X-User: alice\r\nExpect: 100-continue\r\n\r\n`);
      const first = await client.response();
      await client.send(`GET /b HTTP/1.1\r\n${H}X-User: bob\r\n\r\n`);
      const second = await client.response();
      assert.equal(first.status, 200);
      assert.equal(second.status, 200);
      const [a, b] = [seenOf(first), seenOf(second)];
      assert.deepEqual([a.path, a.headers["x-user"], a.headers["expect"]], ["/a", "alice", "100-continue"]);
      assert.deepEqual([b.path, b.headers["x-user"], b.headers["expect"]], ["/b", "bob", undefined]);
      assert.doesNotMatch(first.rawHead + second.rawHead + client.pending, /100 Continue/);
      assert.equal(await client.closed(200), false, "still open");
    } finally {
      client.destroy();
    }
  });

  it("3.14.2 HTTP/1.0 with Transfer-Encoding is refused with 400 and close", async () => {
    const [r] = await expectExchange(s, "POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /smuggled HTTP/1.0\r\n\r\n", [400], { close: true, detail: "HTTP/1.0" });
    assert.equal(r.version, "HTTP/1.1", "error responses carry the server's version too (RFC 9110 2.5)");
    assert.equal(rec.seen.length, 0);
  });

  it("3.14.3 a bare LF after a chunk size is refused with 400 and close", async () => {
    await expectExchange(s, `${chunkedPost}3\n\r\nabc\r\n0\r\n\r\n`, [400], { close: true });
  });

  it("3.14.3 trailer fields are validated: a bad trailer is refused with 400 and close", async () => {
    await expectExchange(s, `${chunkedPost}0\r\nX T: 1\r\n\r\n`, [400], { close: true });
    await expectExchange(s, `${chunkedPost}0\r\nX-T: a\x01b\r\n\r\n`, [400], { close: true });
    await expectExchange(s, `${chunkedPost}0\r\nX-T: 1\nGET /smuggled HTTP/1.1\r\n\r\n`, [400], { close: true });
    assertNeverRan(rec.seen);
  });

  it("3.14.5 a HEAD response carries no body, so the next response on the connection is framed right", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send(`HEAD /h HTTP/1.1\r\n${H}\r\nGET /after HTTP/1.1\r\n${H}\r\n`);
      const head = await client.response({ head: true });
      assert.equal(head.status, 200);
      assert.ok(Number(head.header("content-length")) > 0, "HEAD keeps the Content-Length of the GET");
      const next = await client.response();
      assert.equal(next.status, 200);
      assert.equal(seenOf(next).path, "/after");
      assert.equal(client.pending, "");
    } finally {
      client.destroy();
    }
  });
});

// ---- runtime parser bugs -----------------------------------------------------------------------

describe("runtime parser bugs (js-anchors 1b and 2.2)", () => {
  let s: TestServer;
  const rec = recorder();
  before(async () => (s = await startServer(rec.app)));
  after(() => s.close());
  beforeEach(() => void (rec.seen.length = 0));

  const post = `POST / HTTP/1.1\r\n${H}`;
  const chunked = `${post}Transfer-Encoding: chunked\r\n\r\n`;
  const SMUGGLED = `GET /smuggled HTTP/1.1\r\n${H}\r\n`;
  /** [who mis-handled it, what, bytes, status]: each is refused and the connection closed. */
  const refused: [string, string, string, number][] = [
    ["Deno, Bun", "Content-Length twice with the same value", `${post}Content-Length: 2\r\nContent-Length: 2\r\n\r\nhi`, 400],
    ["http-parser-js", "Content-Length: 2, 2", `${post}Content-Length: 2, 2\r\n\r\nhi`, 400],
    ["http-parser-js", "Content-Length: +2", `${post}Content-Length: +2\r\n\r\nhi`, 400],
    ["http-parser-js", "Content-Length: 0x2", `${post}Content-Length: 0x2\r\n\r\nhi`, 400],
    ["http-parser-js", "Content-Length of 10^23", `${post}Content-Length: 100000000000000000000000\r\n\r\nhi`, 413],
    ["http-parser-js", "Transfer-Encoding: chunked, gzip", `${post}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`, 400],
    ["node:http", "Transfer-Encoding: gzip, chunked (gzip ignored)", `${post}Transfer-Encoding: gzip, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n`, 501],
    ["http-parser-js", "Transfer-Encoding: xchunked", `${post}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`, 400],
    ["node:http", "Transfer-Encoding on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", 400],
    ["http-parser-js", "whitespace between Transfer-Encoding and the colon", `${post}Transfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`, 400],
    ["Deno #4642", "whitespace between Host and the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400],
    ["http-parser-js", "an invalid character in a field name", `GET / HTTP/1.1\r\n${H}X@Y: 1\r\n\r\n`, 400],
    ["http-parser-js", "a space in a field name", `GET / HTTP/1.1\r\n${H}X Y: 1\r\n\r\n`, 400],
    ["http-parser-js", "NUL in a field value", `GET / HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n`, 400],
    ["http-parser-js", "0x01 in a field value", `GET / HTTP/1.1\r\n${H}X: a\x01b\r\n\r\n`, 400],
    ["CVE-2023-30589", "a bare CR in a field value", `GET / HTTP/1.1\r\n${H}X: a\rb\r\n\r\n`, 400],
    ["CVE-2022-35256", "a field line ended by CR alone", `GET / HTTP/1.1\r\n${H}X: a\rY: b\r\n\r\n`, 400],
    ["CVE-2024-27982, CVE-2022-32215", "obs-fold continuation of Transfer-Encoding", `${post}Transfer-Encoding: gzip,\r\n chunked\r\n\r\n0\r\n\r\n`, 400],
    ["http-parser-js", "whitespace before the first field line", `GET / HTTP/1.1\r\n ${H}\r\n`, 400],
    ["Deno", "bare LF line endings", "GET / HTTP/1.1\nHost: x\n\n", 400],
    ["Bun (505)", "bare CR line endings", "GET / HTTP/1.1\rHost: x\r\r", 400],
    ["node:http", "two spaces after the method", `GET  /a HTTP/1.1\r\n${H}\r\n`, 400],
    ["Bun (505)", "HTAB as the request-line separator", `GET\t/ HTTP/1.1\r\n${H}\r\n`, 400],
    ["node:http (200)", "HTTP/2.0 on the HTTP/1 port", `GET / HTTP/2.0\r\n${H}\r\n`, 505],
    ["http-parser-js", "a request-target without a slash", `GET a HTTP/1.1\r\n${H}\r\n`, 400],
    ["Deno", "no Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400],
    ["node:http, Bun", "two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
    ["Deno (silent close)", "chunk size zz", `${chunked}zz\r\nhi\r\n0\r\n\r\n`, 400],
    ["Deno (silent close)", "chunk size 0x2", `${chunked}0x2\r\nhi\r\n0\r\n\r\n`, 400],
    ["Deno (silent close)", "chunk size -2", `${chunked}-2\r\nhi\r\n0\r\n\r\n`, 400],
    ["Deno (silent close)", "a 19-digit chunk size", `${chunked}${"f".repeat(19)}\r\nhi\r\n0\r\n\r\n`, 400],
    ["Deno (200)", "chunk size with a trailing space", `${chunked}2 \r\nhi\r\n0\r\n\r\n`, 400],
    ["Deno (silent close)", "a missing CRLF after chunk data", `${chunked}2\r\nhiXX0\r\n\r\n`, 400],
    ["Deno (hangs)", "bare LF in chunked framing", `${chunked}2\nhi\n0\n\n`, 400],
    ["Bun", "a request line where the trailer section goes", `${chunked}0\r\n${SMUGGLED}`, 400],
    ["Bun #29732 (TE.TE)", "two arbitrary bytes after the last chunk", `${chunked}0\r\nXX${SMUGGLED}`, 400],
    ["CVE-2021-22960", "a control character in a chunk extension", `${chunked}2;\x01\r\nhi\r\n0\r\n\r\n`, 400],
    ["CVE-2025-22871 (Go)", "a bare LF ending a chunk-size line", `${chunked}2\nhi\r\n0\r\n\r\n`, 400],
    ["CVE-2025-55315 (Kestrel)", "an LF inside a chunk extension", `${chunked}2;a\nb\r\nhi\r\n0\r\n\r\n`, 400],
    ["RUSTSEC-2021-0020 (hyper)", "Transfer-Encoding fields gzip then chunked", `${post}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 501],
    ["RUSTSEC-2021-0020 (hyper)", "Transfer-Encoding fields chunked then gzip", `${post}Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n`, 400],
    ["Deno #26554", "Content-Length with Transfer-Encoding", `${post}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
    ["node:http 20 (200)", "2000 header fields", `GET / HTTP/1.1\r\n${H}${"X-A: b\r\n".repeat(2000)}\r\n`, 431],
    ["Deno (400)", "a 70 KiB request-target", `GET /${"a".repeat(70 * 1024)} HTTP/1.1\r\n${H}\r\n`, 414],
    ["Deno (400)", "a 300 KiB header section", `GET / HTTP/1.1\r\n${H}X: ${"a".repeat(300 * 1024)}\r\n\r\n`, 431],
    ["Deno, Bun (200)", "an unknown expectation", `${post}Content-Length: 1\r\nExpect: something-else\r\n\r\nx`, 417],
  ];
  for (const [who, what, input, status] of refused) {
    it(`${what} is refused with ${status} and close (${who})`, async () => {
      await expectExchange(s, input + SMUGGLED, [status], { close: true });
      assertNeverRan(rec.seen);
      // A bad head never reaches the app; a bad body aborts the request the app already started.
      if (!input.startsWith(chunked)) assert.equal(rec.seen.length, 0, "the app never ran");
    });
  }

  it("HTTP/1.2 is served as HTTP/1.1, answered with an HTTP/1.1 status line (RFC 9110 2.5; node:http and http-parser-js refuse it)", async () => {
    const client = new RawClient(s.port);
    try {
      // Processed as 1.1: chunked is allowed, the connection persists, Host is required.
      await client.send(`POST /one HTTP/1.2\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\nGET /two HTTP/1.9\r\n\r\n`);
      const first = await client.response();
      assert.equal(first.version, "HTTP/1.1");
      assert.equal(first.status, 200);
      assert.equal(first.header("connection"), undefined);
      assert.deepEqual([seenOf(first).path, seenOf(first).body], ["/one", "hi"]);
      const second = await client.response();
      assert.equal(second.status, 400);
      assert.match(second.text, /Missing Host/);
    } finally {
      client.destroy();
    }
  });

  it("BWS around ; and = in chunk extensions is accepted and the body reaches the app (RFC 9112 7.1.1; node:http refuses it)", async () => {
    const body = "4 ;\ta = b\t; c =\t\"d e\" ;f\r\ntest\r\n3; x\r\n!!!\r\n0 ; last = 1\r\n\r\n";
    const [r] = await expectExchange(s, `${chunked}${body}`, [200], { close: false });
    assert.equal(seenOf(r).body, "test!!!");
  });

  it("whitespace before the CRLF of a chunk line stays refused, also after an extension value", async () => {
    await expectExchange(s, `${chunked}4;a=b \r\ntest\r\n0\r\n\r\n${SMUGGLED}`, [400], { close: true, detail: "whitespace before CRLF" });
    assertNeverRan(rec.seen);
  });

  it("a method longer than any accepted gets 501, not 414 (RFC 9112 3; node:http answers 400)", async () => {
    await expectExchange(s, `${"X".repeat(64)} / HTTP/1.1\r\n${H}\r\n`, [200], { close: false });
    await expectExchange(s, `${"X".repeat(65)} / HTTP/1.1\r\n${H}\r\n`, [501], { close: true, detail: "Method is longer than 64 bytes" });
    // Decided at the 65th byte: the rest of the method is never waited for or buffered.
    await expectExchange(s, "X".repeat(65), [501], { close: true });
  });

  it("one empty line before the request line is ignored and the connection kept (Bun refused it)", async () => {
    const [r] = await expectExchange(s, `\r\nGET /lead HTTP/1.1\r\n${H}\r\n`, [200], { close: false });
    assert.equal(seenOf(r).path, "/lead");
  });

  it("Transfer-Encoding: Chunked is decoded case-insensitively and the connection kept", async () => {
    const [r] = await expectExchange(s, `${post}Transfer-Encoding: Chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n`, [200], { close: false });
    assert.equal(seenOf(r).body, "hi");
  });

  it("OPTIONS * reaches the app as * (Deno made it /*, Bun refused it)", async () => {
    const [r] = await expectExchange(s, `OPTIONS * HTTP/1.1\r\n${H}\r\n`, [200], { close: false });
    assert.equal(seenOf(r).rawTarget, "*");
    assert.equal(seenOf(r).method, "OPTIONS");
  });

  it("an obs-text byte in a field value reaches the app as that latin1 character (http-parser-js made \\xe9 an i)", async () => {
    const [r] = await expectExchange(s, `GET / HTTP/1.1\r\n${H}X-Name: caf\xe9\r\n\r\n`, [200], { close: false });
    assert.equal(seenOf(r).headers["x-name"], "caf\u00e9");
  });

  it("trailer fields then a pipelined GET: both answered (Bun answered the GET with 400)", async () => {
    const responses = await expectExchange(s, `${chunked}2\r\nhi\r\n0\r\nX-T: 1\r\n\r\nGET /second HTTP/1.1\r\n${H}\r\n`, [200, 200], { close: false });
    assert.equal(seenOf(responses[0]).body, "hi");
    assert.equal(seenOf(responses[1]).path, "/second");
  });

  it("absolute-form: request.url comes from the target, never from a conflicting Host", async () => {
    const [r] = await expectExchange(s, "GET http://target.example/abs?q=1 HTTP/1.1\r\nHost: other.example\r\n\r\n", [200], { close: false });
    assert.equal(seenOf(r).url, "http://target.example/abs?q=1");
  });

  it("Connection: close then more bytes: the first request is answered, the rest ignored (node:http answered 400 only)", async () => {
    const responses = await expectExchange(s, `GET /first HTTP/1.1\r\n${H}Connection: close\r\n\r\n${SMUGGLED}`, [200], { close: true });
    assert.equal(seenOf(responses[0]).path, "/first");
    assertNeverRan(rec.seen);
  });

  it("a GET body that holds a request is read as body, never run as a request", async () => {
    const responses = await expectExchange(s, `GET /a HTTP/1.1\r\n${H}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}GET /b HTTP/1.1\r\n${H}\r\n`, [200, 200], { close: false });
    assert.deepEqual(responses.map((r) => seenOf(r).path), ["/a", "/b"]);
    assertNeverRan(rec.seen);
  });

  it("Deno #34446: an unread Content-Length body is discarded, never parsed as the next request", async () => {
    const responses = await expectExchange(s, `POST /ignore HTTP/1.1\r\n${H}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}GET /next HTTP/1.1\r\n${H}\r\n`, [200, 200], { close: false });
    assert.equal(responses[0].text, "ignored");
    assert.equal(seenOf(responses[1]).path, "/next");
    assertNeverRan(rec.seen);
  });

  it("Deno #34446: a small unread chunked body is discarded, never parsed as the next request, and the connection stays open", async () => {
    const body = SMUGGLED.length.toString(16) + "\r\n" + SMUGGLED + "\r\n0\r\n\r\n";
    const client = new RawClient(s.port);
    try {
      await client.send(`POST /ignore HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${body}GET /next HTTP/1.1\r\n${H}\r\n`);
      const first = await client.response();
      assert.equal(first.text, "ignored");
      assert.equal(first.header("connection"), undefined, "kept open: the body fits the discard bound");
      const next = await client.response();
      assert.equal(seenOf(next).path, "/next");
      assertNeverRan(rec.seen);
    } finally {
      client.destroy();
    }
  });

  it("an unread chunked body over the 64 KiB discard bound: the response arrives whole, then the connection closes", async () => {
    const chunk = "x".repeat(16384);
    const client = new RawClient(s.port);
    try {
      await client.send(`POST /ignore HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n`);
      const first = client.response();
      for (let i = 0; i < 6; i++) await client.send(`4000\r\n${chunk}\r\n`).catch(() => {});
      assert.equal((await first).text, "ignored");
      assert.equal(await client.closed(3000), true, "closed once the discarded bytes passed the bound");
      assertNeverRan(rec.seen);
    } finally {
      client.destroy();
    }
  });

  it("Bun #42791: a handler that waits still sees its own URL and Authorization while other requests arrive", async () => {
    const a = new RawClient(s.port);
    const b = new RawClient(s.port);
    try {
      await a.send(`GET /slow?who=alice HTTP/1.1\r\n${H}Authorization: Basic YWxpY2U6\r\n\r\n`);
      await sleep(10);
      await b.send(`GET /other?who=bob HTTP/1.1\r\n${H}Authorization: Basic Ym9iOg==\r\n\r\n`);
      const [ra, rb] = await Promise.all([a.response(), b.response()]);
      assert.deepEqual([seenOf(ra).url, seenOf(ra).headers["authorization"]], ["http://x/slow?who=alice", "Basic YWxpY2U6"]);
      assert.deepEqual([seenOf(rb).url, seenOf(rb).headers["authorization"]], ["http://x/other?who=bob", "Basic Ym9iOg=="]);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it("Bun #40483: request.url and headers stay readable after a synchronous response", async () => {
    let later: Promise<[string, string | null]> | undefined;
    const t = await startServer((request: Request) => {
      later = sleep(20).then(() => [request.url, request.headers.get("x-id")]);
      return new Response("ok");
    });
    const client = new RawClient(t.port);
    try {
      await client.send(`GET /kept?q=1 HTTP/1.1\r\n${H}X-Id: 42\r\n\r\n`);
      assert.equal((await client.response()).status, 200);
      assert.deepEqual(await later, ["http://x/kept?q=1", "42"]);
    } finally {
      client.destroy();
      await t.close();
    }
  });
});

// ---- one connection: smuggling and desync ------------------------------------------------------

describe("request smuggling and desync on one connection", () => {
  let s: TestServer;
  const rec = recorder();
  before(async () => (s = await startServer(rec.app)));
  after(() => s.close());
  beforeEach(() => void (rec.seen.length = 0));

  it("responses to pipelined requests stay in order and each belongs to its own request", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send(`GET /slow?n=1 HTTP/1.1\r\n${H}X-Id: 1\r\n\r\nGET /fast?n=2 HTTP/1.1\r\n${H}X-Id: 2\r\n\r\nGET /slow?n=3 HTTP/1.1\r\n${H}X-Id: 3\r\n\r\n`);
      const got: string[] = [];
      for (let i = 0; i < 3; i++) {
        const seen = seenOf(await client.response());
        got.push(`${seen.rawTarget} ${seen.headers["x-id"]}`);
      }
      assert.deepEqual(got, ["/slow?n=1 1", "/fast?n=2 2", "/slow?n=3 3"]);
    } finally {
      client.destroy();
    }
  });

  it("a request smuggled behind a bad one never receives a response: pipelined requests after a 400 are never answered", async () => {
    const responses = await expectExchange(s, `GET /good HTTP/1.1\r\n${H}\r\nGET /bad HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n${SMUGGLED_REQ}`, [200, 400], { close: true });
    assert.equal(seenOf(responses[0]).path, "/good");
    assertNeverRan(rec.seen);
    assertNeverRan(rec.seen, "/bad");
  });

  it("a request sent after the 400, in a later write, is never read", async () => {
    await expectExchange(s, [`GET /bad HTTP/1.1\r\n${H}Content-Length: 1x\r\n\r\n`, SMUGGLED_REQ], [400], { close: true, gapMs: 20 });
    assert.equal(rec.seen.length, 0);
  });

  it("a request after Connection: close is ignored, even in a later write", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send(`GET /hold HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
      await sleep(20);
      await client.send(SMUGGLED_REQ).catch(() => {});
      rec.release();
      const r = await client.response();
      assert.equal(seenOf(r).path, "/hold");
      assert.equal(r.header("connection"), "close");
      assert.equal(await client.closed(2000), true);
      assert.equal(client.pending, "");
      assertNeverRan(rec.seen);
    } finally {
      client.destroy();
    }
  });

  it("a bad chunk in the middle of a body gets a 400 instead of the handler's response, and nothing after it runs", async () => {
    await expectExchange(s, `POST /body HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\nzz\r\n${SMUGGLED_REQ}`, [400], { close: true, detail: "chunk" });
    assertNeverRan(rec.seen);
  });

  it("pipelined input is not read beyond the lookahead bound while a handler runs", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send(`GET /hold HTTP/1.1\r\n${H}\r\n`);
      await sleep(20);
      // 32 MiB of a second request head: far beyond socket buffers plus the lookahead bound.
      const flood = new Uint8Array(32 * 1024 * 1024).fill(0x61);
      const head = new TextEncoder().encode(`GET /next HTTP/1.1\r\n${H}X: `);
      flood.set(head);
      let flushed = false;
      client.socket.write(flood, () => (flushed = true));
      client.socket.on("error", () => {});
      await sleep(500);
      assert.equal(flushed, false, "the server stopped reading while the handler ran");
      rec.release();
      const r = await client.response();
      assert.equal(seenOf(r).path, "/hold");
      const big = await client.response();
      assert.equal(big.status, 431, "then the oversized head is refused");
      assert.equal(await client.closed(3000), true);
    } finally {
      client.destroy();
    }
  });
});

// ---- response integrity ------------------------------------------------------------------------

describe("response integrity", () => {
  let s: TestServer;
  let next: () => Response = () => new Response("ok");
  before(async () => (s = await startServer(() => next())));
  after(() => s.close());

  /** A `Response` lookalike, as an app (or a library) might hand back, bypassing `Headers` checks. */
  const lookalike = (status: number, headers: [string, string][], statusText = ""): Response =>
    ({ status, statusText, headers: new Map(headers), body: null, type: "default" }) as unknown as Response;

  async function expect500(make: () => Response, logged: RegExp): Promise<string> {
    next = make;
    const before = s.log.lines.length;
    const client = new RawClient(s.port);
    try {
      await client.send(`GET /integrity HTTP/1.1\r\n${H}\r\n`);
      const r = await client.response();
      assert.equal(r.status, 500, `status ${r.status}: ${r.rawHead}`);
      assert.equal(r.header("connection"), "close");
      assert.equal(await client.closed(2000), true);
      const wire = r.rawHead + r.text + client.pending;
      assert.doesNotMatch(wire, /evil|injected/i, "nothing of the bad header reaches the wire");
      const lines = s.log.lines.slice(before).join("\n");
      assert.match(lines, /ERROR/);
      assert.match(lines, logged);
      return wire;
    } finally {
      client.destroy();
    }
  }

  for (const [what, value] of [["CR LF", "a\r\nSet-Cookie: evil=1"], ["a bare LF", "a\nX-Injected: 1"], ["a bare CR", "a\rX-Injected: 1"], ["NUL", "a\0evil"]]) {
    it(`a header value with ${what} from the app becomes a 500 and is logged`, async () => {
      await expect500(() => lookalike(200, [["x-test", value]]), /invalid header/);
    });
  }

  for (const [what, name] of [["a space", "x evil"], ["a colon", "x-evil:"], ["CR LF", "x\r\nevil"], ["an empty name", ""], ["a non-ASCII letter", "x-\u00e9vil"]]) {
    it(`a header name with ${what} from the app becomes a 500 and is logged`, async () => {
      await expect500(() => lookalike(200, [[name, "v"]]), /invalid header/);
    });
  }

  for (const status of [1000, 99, 0, 101, 200.5, Number.NaN, -200]) {
    it(`status ${status} from the app becomes a 500 and is logged`, async () => {
      await expect500(() => lookalike(status, []), /status/);
    });
  }

  it("a status text with CR LF from the app never splits the response head", async () => {
    next = () => lookalike(200, [["x-ok", "1"]], "OK\r\nSet-Cookie: evil=1\r\n\r\ninjected");
    const client = new RawClient(s.port);
    try {
      await client.send(`GET / HTTP/1.1\r\n${H}\r\nGET / HTTP/1.1\r\n${H}\r\n`);
      const r = await client.response();
      assert.ok(r.status === 200 || r.status === 500, `status ${r.status}`);
      assert.equal(r.headers.some(([n]) => n === "set-cookie"), false, "no injected header");
      assert.doesNotMatch(r.rawHead.split("\r\n")[0], /[\r\n]/);
      if (r.status === 200) {
        const second = await client.response();
        assert.equal(second.headers.some(([n]) => n === "set-cookie"), false);
      }
    } finally {
      client.destroy();
    }
  });

  it("a Response built with a CR LF header value never reaches the wire", async () => {
    next = () => new Response("x", { headers: { "x-test": "a\r\nSet-Cookie: evil=1" } });
    const client = new RawClient(s.port);
    try {
      await client.send(`GET / HTTP/1.1\r\n${H}\r\n`);
      const r = await client.response();
      assert.equal(r.status, 500);
      assert.doesNotMatch(r.rawHead + r.text, /evil/);
    } finally {
      client.destroy();
    }
  });

  it("a valid response after a refused one is served normally on a new connection", async () => {
    next = () => new Response("fine", { headers: { "x-ok": "1" } });
    const client = new RawClient(s.port);
    try {
      await client.send(`GET / HTTP/1.1\r\n${H}\r\n`);
      const r = await client.response();
      assert.equal(r.status, 200);
      assert.equal(r.text, "fine");
      assert.equal(r.header("x-ok"), "1");
    } finally {
      client.destroy();
    }
  });
});

// ---- limits ------------------------------------------------------------------------------------

describe("limits, each a setting with a safe default", () => {
  let s: TestServer;
  const rec = recorder();
  before(async () => (s = await startServer(rec.app)));
  after(() => s.close());

  const chunked = `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n`;
  const cases: [string, string, string, number][] = [
    ["maxRequestLineSize", "16384", `GET /${"a".repeat(16384)} HTTP/1.1\r\n${H}\r\n`, 414],
    ["maxHeaderFields", "100", `GET / HTTP/1.1\r\n${H}${"X: 1\r\n".repeat(100)}\r\n`, 431],
    ["maxRequestHeaderSize", "262144", `GET / HTTP/1.1\r\n${H}Y: ${"b".repeat(262144)}\r\n\r\n`, 431],
    ["maxRequestBodySize", "1073741824", `POST / HTTP/1.1\r\n${H}Content-Length: 1073741825\r\n\r\n`, 413],
    ["maxChunkExtensionSize", "4096", `${chunked}1;${"e".repeat(4096)}\r\na\r\n0\r\n\r\n`, 400],
    ["maxTrailerSize", "16384", `${chunked}0\r\n${"T: 1234567890\r\n".repeat(1100)}\r\n`, 431],
  ];
  for (const [name, value, input, status] of cases) {
    it(`${name} (default ${value}) refuses a request just over it with ${status} and close`, async () => {
      await expectExchange(s, input, [status], { close: true });
    });
  }

  it("requests at the default limits are served", async () => {
    await expectExchange(s, `GET /${"a".repeat(16384 - 15)} HTTP/1.1\r\n${H}${"X: 1\r\n".repeat(99)}\r\n`, [200], { close: false });
    await expectExchange(s, `${chunked}1;${"e".repeat(4095)}\r\na\r\n0\r\n${"T: 123456789\r\n".repeat(1000)}\r\n`, [200], { close: false });
  });
});
