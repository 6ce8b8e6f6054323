/**
 * Hop-by-hop headers an app sets are dropped; one that says what the server does anyway (Hono's
 * streamSSE: `Transfer-Encoding: chunked`, `Connection: keep-alive`) is logged at debug level only,
 * any other is warned about once per header name per server.
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { streamSSE, streamText } from "hono/streaming";
import { agreesWithServer } from "../src/policy/hop_by_hop.ts";
import { RawClient, startServer, type RawResponse, type TestServer } from "./_helpers.ts";

const honoApp = new Hono();
honoApp.get("/sse", (c) => streamSSE(c, async (stream) => {
  await stream.writeSSE({ event: "tick", data: "one" });
  await stream.sleep(5);
  await stream.writeSSE({ event: "tick", data: "two" });
}));
honoApp.get("/text", (c) => streamText(c, async (stream) => {
  await stream.write("alpha");
}));

/** Sends each request on one keep-alive connection and returns the responses. */
async function onOneConnection(port: number, requests: string[]): Promise<RawResponse[]> {
  const client = new RawClient(port);
  try {
    const responses: RawResponse[] = [];
    for (const request of requests) {
      await client.send(request);
      responses.push(await client.response());
    }
    return responses;
  } finally {
    client.destroy();
  }
}

const hopLines = (s: TestServer, level: "WARNING" | "DEBUG"): string[] => s.log.lines.filter((l) => l.includes(`${level}: Dropped hop-by-hop`));

describe("hop-by-hop headers set by the app", () => {
  let s: TestServer | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it("a Hono streamSSE and streamText app logs no warning over several requests (debug lines only)", async () => {
    s = await startServer(honoApp);
    const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const responses = [
      ...await onOneConnection(s.port, [get("/sse"), get("/sse"), get("/text")]),
      ...await onOneConnection(s.port, [get("/sse"), get("/text"), get("/sse")]),
    ];
    for (const response of responses) {
      assert.equal(response.status, 200);
      assert.equal(response.header("connection"), undefined);
      assert.equal(response.headers.filter(([name]) => name === "transfer-encoding").length, response.header("content-length") === undefined ? 1 : 0);
    }
    assert.match(responses[0].text, /event: tick\ndata: one\n\n/);
    assert.equal(responses[2].text, "alpha");
    assert.deepEqual(hopLines(s, "WARNING"), []);
    assert.ok(hopLines(s, "DEBUG").some((l) => l.includes('"connection" ("keep-alive")') && l.includes("anyway")));
    assert.ok(hopLines(s, "DEBUG").some((l) => l.includes('"transfer-encoding" ("chunked")') && l.includes("anyway")));
  });

  it("Connection: close from the app agrees when the connection closes, and is silent then", async () => {
    s = await startServer(() => new Response("bye", { headers: { Connection: "close" } }));
    await onOneConnection(s.port, ["GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
    await onOneConnection(s.port, ["GET / HTTP/1.0\r\n\r\n"]);
    assert.deepEqual(hopLines(s, "WARNING"), []);
  });

  it("a value the server does not follow is warned about once per header name per server, then at debug level", async () => {
    const app = (request: Request) => new Response("x", {
      headers: new URL(request.url).pathname === "/te"
        ? { "transfer-encoding": "gzip, chunked" }
        : { connection: "close", "keep-alive": "timeout=5" },
    });
    s = await startServer(app);
    const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const responses = await onOneConnection(s.port, [get("/"), get("/"), get("/te"), get("/te"), get("/")]);
    for (const response of responses) {
      assert.equal(response.text, "x");
      assert.equal(response.header("connection"), undefined, "the app's Connection: close is dropped, as before");
      assert.equal(response.header("keep-alive"), undefined);
      assert.equal(response.header("transfer-encoding"), undefined);
    }
    const warnings = hopLines(s, "WARNING");
    assert.equal(warnings.length, 3, warnings.join("\n"));
    assert.ok(warnings.some((l) => l.includes('"connection" ("close")')));
    assert.ok(warnings.some((l) => l.includes('"keep-alive" ("timeout=5")')));
    assert.ok(warnings.some((l) => l.includes('"transfer-encoding" ("gzip, chunked")')));
    assert.equal(hopLines(s, "DEBUG").length, 5);

    // Another server warns for itself.
    const other = await startServer(app);
    try {
      await onOneConnection(other.port, [get("/"), get("/")]);
      assert.equal(hopLines(other, "WARNING").length, 2);
    } finally {
      await other.close();
    }
  });

  it("Connection: keep-alive disagrees with a connection that closes (an HTTP/1.0 request without keep-alive)", async () => {
    s = await startServer(() => new Response("x", { headers: { Connection: "keep-alive" } }));
    await onOneConnection(s.port, ["GET / HTTP/1.0\r\n\r\n"]);
    assert.equal(hopLines(s, "WARNING").length, 1);
  });
});

describe("agreesWithServer", () => {
  it("takes chunked framing and matching Connection tokens, nothing else", () => {
    assert.equal(agreesWithServer("transfer-encoding", " Chunked ", true), true);
    assert.equal(agreesWithServer("transfer-encoding", "chunked", false), true);
    assert.equal(agreesWithServer("transfer-encoding", "gzip, chunked", true), false);
    assert.equal(agreesWithServer("connection", "Keep-Alive", true), true);
    assert.equal(agreesWithServer("connection", "keep-alive", false), false);
    assert.equal(agreesWithServer("connection", "close", false), true);
    assert.equal(agreesWithServer("connection", "close, close", false), true);
    assert.equal(agreesWithServer("connection", "keep-alive, upgrade", true), false);
    assert.equal(agreesWithServer("connection", " , ", true), false);
    assert.equal(agreesWithServer("keep-alive", "timeout=5", true), false);
    assert.equal(agreesWithServer("upgrade", "websocket", true), false);
  });
});
