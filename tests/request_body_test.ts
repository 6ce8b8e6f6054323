/**
 * Request bodies read whole (`arrayBuffer()`, `bytes()`, `text()`, `json()`) go around the body
 * stream; these tests check, over real sockets, that they behave as a native `Request` would.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { exchange, RawClient, sleep, startServer, until, type TestServer } from "./_helpers.ts";
import { BodyCollector } from "../src/web/body_collector.ts";

const encoder = new TextEncoder();

describe("BodyCollector", () => {
  it("joins chunks into one array that owns its buffer", () => {
    const collector = new BodyCollector();
    collector.add(encoder.encode("hel"));
    collector.add(new Uint8Array(0));
    collector.add(encoder.encode("lo"));
    assert.equal(collector.length, 5);
    const body = collector.finish();
    assert.equal(new TextDecoder().decode(body), "hello");
    assert.equal(body.byteOffset, 0);
    assert.equal(body.buffer.byteLength, 5);
  });

  it("copies a single chunk that is a view into a larger buffer", () => {
    const wire = encoder.encode("HEAD\r\n\r\nbody");
    const collector = new BodyCollector();
    collector.add(wire.subarray(8));
    const body = collector.finish();
    assert.deepEqual([...body], [...encoder.encode("body")]);
    assert.equal(body.buffer.byteLength, 4);
    wire[8] = 0x42;
    assert.equal(body[0], 0x62, "the result does not alias the input buffer");
  });

  it("gives an empty array for no chunks", () => {
    assert.equal(new BodyCollector().finish().length, 0);
  });
});

describe("reading a request body whole", () => {
  let s: TestServer;
  const seen: string[] = [];
  before(async () => (s = await startServer(async (request: Request) => {
    const path = new URL(request.url).pathname;
    if (path === "/bytes") {
      const buffer = await request.arrayBuffer();
      return new Response(`${buffer.byteLength} ${new TextDecoder().decode(buffer)}`);
    }
    if (path === "/json") return Response.json(await request.json());
    if (path === "/none") {
      const first = await request.text();
      const second = await request.arrayBuffer();
      return new Response(`[${first}][${second.byteLength}] used=${request.bodyUsed} body=${request.body}`);
    }
    if (path === "/twice") {
      const first = await request.text();
      const locked = request.body !== null && request.body.locked;
      let second = "no error";
      try {
        await request.text();
      } catch (error) {
        second = (error as Error).name;
      }
      return new Response(`${first}|used=${request.bodyUsed}|locked=${locked}|second=${second}`);
    }
    if (path === "/stream-first") {
      const reader = request.body!.getReader();
      let text = "";
      let rejected = "no error";
      try {
        await request.text();
      } catch (error) {
        rejected = (error as Error).name;
      }
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      return new Response(`${text}|${rejected}|used=${request.bodyUsed}`);
    }
    if (path === "/hang-up") {
      try {
        await request.arrayBuffer();
        seen.push("resolved");
      } catch (error) {
        seen.push(`rejected: ${(error as Error).message}`);
      }
      return new Response("late");
    }
    return new Response("not found", { status: 404 });
  })));
  after(() => s.close());

  it("reads a Content-Length body that arrives in several writes", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("POST /bytes HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhel");
      await sleep(20);
      await client.send("lo wo");
      await sleep(20);
      await client.send("rld");
      const response = await client.response();
      assert.equal(response.status, 200);
      assert.equal(response.text, "11 hello world");
    } finally {
      client.destroy();
    }
  });

  it("reads a chunked body sent piece by piece, then serves the next request", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("POST /bytes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
      await sleep(20);
      await client.send("2;ext=1\r\nde\r\n0\r\n\r\n");
      const first = await client.response();
      assert.equal(first.text, "5 abcde");
      await client.send("POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{\"a\":[1]}");
      const second = await client.response();
      assert.equal(second.text, "{\"a\":[1]}");
    } finally {
      client.destroy();
    }
  });

  it("reads a bodiless request as empty any number of times, never using it up (as a native Request does)", async () => {
    const { response } = await exchange(s.port, "GET /none HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(response.text, "[][0] used=false body=null");
  });

  it("marks the body used and refuses a second read, as a native Request does", async () => {
    const { response } = await exchange(s.port, "POST /twice HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
    assert.equal(response.text, "ok|used=true|locked=true|second=TypeError");
  });

  it("refuses text() once the stream is taken, and the stream still reads the body", async () => {
    const { response } = await exchange(s.port, "POST /stream-first HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbody");
    assert.equal(response.text, "body|TypeError|used=true");
  });

  it("rejects the read when the client hangs up mid-body, and keeps serving", async () => {
    const client = new RawClient(s.port);
    await client.send("POST /hang-up HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial");
    await until(() => s.server.stats().bytesIn > 0 && s.server.stats().requestsInFlight === 1, "the request in flight");
    client.destroy();
    await until(() => seen.length > 0, "the app's read settled");
    assert.equal(seen.length, 1);
    assert.match(seen[0], /^rejected: .*closed/i);
    const { response } = await exchange(s.port, "POST /bytes HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi");
    assert.equal(response.text, "2 hi");
  });

  it("answers 413 without calling the read a success when the body is over the limit", async () => {
    const limited = await startServer(async (request: Request) => new Response(String((await request.arrayBuffer()).byteLength)), { maxRequestBodySize: 10 });
    try {
      const { response, closed } = await exchange(limited.port, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n");
      assert.equal(response.status, 413);
      assert.equal(closed, true);
    } finally {
      await limited.close();
    }
  });
});
