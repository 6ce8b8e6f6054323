/**
 * The whole-body path sends an all-ASCII head and a string body as one string (Node writes it
 * without a JavaScript buffer). Anything non-ASCII in the head (a header value, a reason phrase)
 * must take the byte path: the head in Latin-1, the body in UTF-8, whatever the runtime.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { exchange, startServer, type TestServer } from "./_helpers.ts";

describe("response head encoding on the whole-body path", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer((request) => {
      const path = new URL(request.url).pathname;
      if (path === "/value") return new Response("héllo", { headers: { "x-name": "café" } });
      if (path === "/reason") return new Response("héllo", { status: 200, statusText: "Très bien" });
      return new Response("héllo", { headers: { "x-name": "plain" } });
    });
  });
  after(() => server.close());

  for (const [path, check] of [
    ["/value", (head: string) => assert.match(head, /\r\nx-name: caf\xe9\r\n/, "the value in Latin-1 (one byte 0xE9)")],
    ["/reason", (head: string) => assert.match(head, /^HTTP\/1\.1 200 Tr\xe8s bien\r\n/, "the reason in Latin-1")],
    ["/ascii", (head: string) => assert.match(head, /\r\nx-name: plain\r\n/)],
  ] as const) {
    it(`${path}: head in Latin-1, body in UTF-8`, async () => {
      const { response } = await exchange(server.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      check(response.rawHead);
      assert.equal(response.header("content-length"), "6");
      assert.equal(new TextDecoder().decode(response.body), "héllo");
    });
  }
});
