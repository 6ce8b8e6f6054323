/**
 * Real framework apps run unchanged: a Hono app and an itty-router app (tests/fixtures/hono_app.ts,
 * itty_app.ts, npm dev dependencies) served through `createServer()` and through the
 * `waitress-serve` command as a child process, on the runtime running the tests. Checked on the
 * wire: routing with params and query strings, JSON request and response bodies, streamed
 * responses, status codes, repeated headers (two Set-Cookie lines) and `info` reaching the app.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { fileURLToPath } from "node:url";
import { exchange, RawClient, runtime, startServer, type RawResponse, type TestServer } from "./_helpers.ts";
import { concatBytes } from "./_bytes.ts";
import { servingPort, signalChild, spawnCli, stopChild, within } from "./_child.ts";
import type { App } from "../mod.ts";
import honoApp, { STREAM_PAUSE_MS } from "./fixtures/hono_app.ts";
import ittyApp from "./fixtures/itty_app.ts";

// On Node the tests run from dist/ (built .js); on Deno and Bun from the .ts sources.
const ext = runtime === "node" ? ".js" : ".ts";
const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url)).replace(/[\\/]$/, "");

const encoder = new TextEncoder();
const utf8 = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** A raw HTTP/1.1 request; a string body is sent as UTF-8 with a Content-Length, or chunked. */
function request(method: string, target: string, options: { body?: string; chunked?: boolean; headers?: string[]; close?: boolean } = {}): Uint8Array {
  const { body, chunked = false, headers = [], close = true } = options;
  const lines = [`${method} ${target} HTTP/1.1`, "Host: test.local", ...headers];
  if (close) lines.push("Connection: close");
  let payload: Uint8Array = new Uint8Array(0);
  if (body !== undefined) {
    const bytes = encoder.encode(body);
    if (chunked) {
      lines.push("Transfer-Encoding: chunked");
      const half = Math.floor(bytes.length / 2);
      const parts = [bytes.subarray(0, half), bytes.subarray(half)].filter((p) => p.length > 0);
      const framed: Uint8Array[] = [];
      for (const part of parts) framed.push(encoder.encode(`${part.length.toString(16)}\r\n`), part, encoder.encode("\r\n"));
      framed.push(encoder.encode("0\r\n\r\n"));
      payload = concatBytes(framed);
    } else {
      lines.push(`Content-Length: ${bytes.length}`);
      payload = bytes;
    }
  }
  return concatBytes([encoder.encode(lines.join("\r\n") + "\r\n\r\n"), payload]);
}

const json = (response: RawResponse): Record<string, unknown> => JSON.parse(utf8(response.body)) as Record<string, unknown>;
const all = (response: RawResponse, name: string): string[] => response.headers.filter(([n]) => n === name).map(([, v]) => v);

/** Every data event of one connection, with its arrival time, until the server closes it. */
async function timedExchange(port: number, data: Uint8Array, timeoutMs = 5000): Promise<{ at: number; text: string }[]> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  const events: { at: number; text: string }[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; received so far: ${JSON.stringify(events)}`)), timeoutMs);
      socket.on("connect", () => socket.write(data));
      socket.on("data", (chunk: Uint8Array) => events.push({ at: Date.now(), text: utf8(chunk) }));
      socket.on("close", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } finally {
    socket.destroy();
  }
  return events;
}

/** The body of a raw chunked response (head included in `raw`). */
function dechunk(raw: string): string {
  let rest = raw.slice(raw.indexOf("\r\n\r\n") + 4);
  let body = "";
  for (;;) {
    const lineEnd = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (!(size >= 0)) throw new Error(`bad chunk framing: ${JSON.stringify(rest)}`);
    if (size === 0) return body;
    body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

// ---------------------------------------------------------------- the shared checks

interface Case {
  name: string;
  app: typeof honoApp | typeof ittyApp;
  file: string;
}

const CASES: Case[] = [
  { name: "Hono", app: honoApp, file: `hono_app${ext}` },
  { name: "itty-router", app: ittyApp, file: `itty_app${ext}` },
];

const ITEM = { name: "café ☕", tags: ["x", "y"], n: 3.5, nested: { ok: true } };

async function checkRouting(port: number): Promise<void> {
  const { response } = await exchange(port, request("GET", "/users/42?q=hello%20world&tag=a&tag=b"));
  assert.equal(response.status, 200);
  assert.match(response.header("content-type") ?? "", /^application\/json/);
  assert.deepEqual(json(response), { id: "42", q: "hello world", tags: ["a", "b"] });
}

async function checkJsonBody(port: number, chunked = false): Promise<void> {
  const { response } = await exchange(port, request("POST", "/items", {
    body: JSON.stringify(ITEM),
    chunked,
    headers: ["Content-Type: application/json"],
  }));
  assert.equal(response.status, 201);
  assert.equal(response.header("location"), "/items/1");
  assert.match(response.header("content-type") ?? "", /^application\/json/);
  assert.deepEqual(json(response), { created: ITEM, contentType: "application/json" });
}

async function checkCookies(port: number): Promise<void> {
  const { response } = await exchange(port, request("GET", "/cookies"));
  assert.equal(response.status, 200);
  assert.equal(response.text, "cookies");
  assert.deepEqual(all(response, "set-cookie"), ["a=1; Path=/", "b=2; Path=/; HttpOnly"],
    `two separate Set-Cookie lines in:\n${response.rawHead}`);
  // Other repeated headers are combined, as the Fetch Headers object does.
  assert.deepEqual(all(response, "vary"), ["Accept, Cookie"]);
}

async function checkStatusCodes(port: number): Promise<void> {
  const missing = (await exchange(port, request("GET", "/no/such/route"))).response;
  assert.equal(missing.status, 404);
  assert.equal(json(missing).error, "Not Found");
  const boom = (await exchange(port, request("GET", "/boom"))).response;
  assert.equal(boom.status, 500);
  assert.equal(json(boom).error, "kaboom", "the framework's error handler answered, not the server's");
}

async function checkStream(port: number): Promise<void> {
  const events = await timedExchange(port, request("GET", "/stream"));
  const raw = events.map((e) => e.text).join("");
  assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(raw, /\r\ntransfer-encoding: chunked\r\n/i);
  assert.equal(dechunk(raw), "one\ntwo\nthree\n");
  // The parts before the app's pause went out before it, not buffered with the rest. (Two parts:
  // the server reads up to two before it sends the head, to give a short stream a Content-Length.)
  const first = events.findIndex((e) => e.text.includes("two\n"));
  const last = events.findIndex((e) => e.text.includes("three\n"));
  assert.ok(first >= 0 && last > first, `"two" and "three" arrive in separate reads: ${JSON.stringify(events)}`);
  assert.ok(events[last]!.at - events[first]!.at >= STREAM_PAUSE_MS * 0.5,
    `the rest arrives after the pause: ${JSON.stringify(events)}`);
}

for (const { name, app } of CASES) {
  describe(`${name} app through createServer()`, () => {
    let s: TestServer;
    before(async () => (s = await startServer(app)));
    after(() => s.close());

    it(`createServer() serves ${name} routes with params and a query string`, () => checkRouting(s.port));

    it(`createServer() gives ${name} a JSON request body and sends its 201 JSON response`, () => checkJsonBody(s.port));

    it(`createServer() gives ${name} a chunked JSON request body, decoded`, () => checkJsonBody(s.port, true));

    it(`createServer() streams a ${name} ReadableStream response chunked, part by part`, () => checkStream(s.port));

    it(`createServer() sends ${name}'s two Set-Cookie headers as two header lines`, () => checkCookies(s.port));

    it(`createServer() sends ${name}'s 404 for an unknown route and its 500 for a thrown error`, async () => {
      const before = s.log.lines.length;
      await checkStatusCodes(s.port);
      const errors = s.log.lines.slice(before).filter((l) => l.includes("ERROR"));
      assert.deepEqual(errors, [], "the framework handled the error: the server logged none");
    });

    it(`createServer() passes info to ${name} as the second fetch argument`, async () => {
      const { response } = await exchange(s.port, request("GET", "/info?x=%41"));
      assert.equal(response.status, 200);
      assert.deepEqual(json(response), { remoteAddress: "127.0.0.1", httpVersion: "HTTP/1.1", rawTarget: "/info?x=%41" });
    });

    it(`createServer() serves several ${name} requests on one keep-alive connection`, async () => {
      const client = new RawClient(s.port);
      try {
        await client.send(request("GET", "/users/1?q=a", { close: false }));
        assert.deepEqual(json(await client.response()), { id: "1", q: "a", tags: [] });
        await client.send(request("GET", "/stream", { close: false }));
        assert.equal(utf8((await client.response()).body), "one\ntwo\nthree\n");
        await client.send(request("POST", "/items", { body: "[1,2]", close: false }));
        assert.equal((await client.response()).status, 201);
        await client.send(request("GET", "/missing", { close: false }));
        assert.equal((await client.response()).status, 404);
        await client.send(request("GET", "/cookies"));
        const last = await client.response();
        assert.equal(all(last, "set-cookie").length, 2);
        assert.equal(await client.closed(), true);
      } finally {
        client.destroy();
      }
    });
  });
}

describe("Hono specifics through createServer()", () => {
  it("createServer() answers HEAD for a Hono GET route with the head only", async () => {
    const s = await startServer(honoApp);
    try {
      const { response } = await exchange(s.port, request("HEAD", "/users/9"), { head: true });
      assert.equal(response.status, 200);
      assert.match(response.header("content-type") ?? "", /^application\/json/);
      assert.equal(response.body.length, 0);
    } finally {
      await s.close();
    }
  });

  it("createServer() streams Hono's streamText() output chunked", async () => {
    const s = await startServer(honoApp);
    try {
      const events = await timedExchange(s.port, request("GET", "/stream-text"));
      const raw = events.map((e) => e.text).join("");
      assert.match(raw, /\r\ntransfer-encoding: chunked\r\n/i);
      assert.match(raw, /\r\ncontent-type: text\/plain/i);
      assert.equal(dechunk(raw), "alpha\nbeta");
    } finally {
      await s.close();
    }
  });
});

for (const { name, file } of CASES) {
  describe(`${name} app module in a worker thread`, () => {
    it(`createServer() serves the ${name} app module with threads: 1 (routes, JSON, stream, cookies, 404/500)`, async () => {
      const module = new URL(`./fixtures/${file}`, import.meta.url);
      const s = await startServer(module as unknown as App, { threads: 1 });
      try {
        await checkRouting(s.port);
        await checkJsonBody(s.port, true);
        await checkCookies(s.port);
        await checkStatusCodes(s.port);
        await checkStream(s.port);
      } finally {
        await s.close();
      }
    });
  });
}

// ---------------------------------------------------------------- through waitress-serve

for (const { name, file } of CASES) {
  describe(`${name} app through waitress-serve`, () => {
    it(`waitress-serve ${file} serves the ${name} app (routes, JSON, stream, cookies, 404/500) and stops on SIGTERM`, async () => {
      const c = spawnCli(["--listen=127.0.0.1:0", file], fixtures);
      try {
        const port = await servingPort(c, 20000);
        await checkRouting(port);
        await checkJsonBody(port);
        await checkCookies(port);
        await checkStatusCodes(port);
        const { response } = await exchange(port, request("GET", "/stream"));
        assert.equal(utf8(response.body), "one\ntwo\nthree\n");
        signalChild(c, "SIGTERM");
        const { code } = await within(c.exit, 10000, () => `waiting for exit after SIGTERM:\n${c.output()}`);
        assert.equal(code, 0, c.output());
      } finally {
        await stopChild(c);
      }
    });
  });
}
