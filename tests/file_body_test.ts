/**
 * File bodies: fileResponse() and Blob bodies go out with their Content-Length, streamed in chunks,
 * and HEAD or a client that leaves early closes the file.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileResponse } from "../mod.ts";
import { RawClient, sleep, startServer, type TestServer } from "./_helpers.ts";
import { contentTypeFor } from "../src/web/file_response.ts";

describe("file bodies", () => {
  let dir: string;
  let s: TestServer;
  const big = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 7) & 0xff);
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "waitress-files-"));
    writeFileSync(join(dir, "big.bin"), big);
    writeFileSync(join(dir, "page.html"), "<h1>hi</h1>");
    writeFileSync(join(dir, "empty.txt"), "");
    s = await startServer(async (request: Request) => {
      const name = new URL(request.url).pathname.slice(1);
      try {
        return await fileResponse(join(dir, name), { headers: { "x-file": name } });
      } catch {
        return new Response("not found", { status: 404 });
      }
    });
  });
  after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends a large file with its Content-Length and exact bytes", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
      const response = await client.response({ timeoutMs: 10000 });
      assert.equal(response.header("content-length"), String(big.length));
      assert.equal(response.header("transfer-encoding"), undefined);
      assert.equal(response.header("content-type"), "application/octet-stream");
      assert.ok(response.header("last-modified"));
      assert.deepEqual(response.body, big);
      // the connection stays usable
      await client.send("GET /page.html HTTP/1.1\r\nHost: x\r\n\r\n");
      const page = await client.response();
      assert.equal(page.text, "<h1>hi</h1>");
      assert.equal(page.header("content-type"), "text/html; charset=utf-8");
      assert.equal(page.header("x-file"), "page.html");
    } finally {
      client.destroy();
    }
  });

  it("answers HEAD with the file's length and no body", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /empty.txt HTTP/1.1\r\nHost: x\r\n\r\n");
      const head = await client.response({ head: true });
      assert.equal(head.header("content-length"), String(big.length));
      const empty = await client.response();
      assert.equal(empty.header("content-length"), "0");
      assert.equal(empty.text, "");
    } finally {
      client.destroy();
    }
  });

  it("rejects a missing file so the app can answer 404", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await client.response()).status, 404);
    } finally {
      client.destroy();
    }
  });

  it("stops reading the file when the client goes away", async () => {
    const client = new RawClient(s.port);
    client.socket.pause();
    await client.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    await sleep(100);
    client.destroy();
    await sleep(100);
    // The server is still healthy afterwards.
    const again = new RawClient(s.port);
    try {
      await again.send("GET /page.html HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await again.response()).text, "<h1>hi</h1>");
    } finally {
      again.destroy();
    }
  });

  it("sends a Blob body with its size as Content-Length", async () => {
    const t = await startServer(() => new Response(new Blob(["blob body"], { type: "text/x-blob" })));
    const client = new RawClient(t.port);
    try {
      await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      const response = await client.response();
      assert.equal(response.header("content-length"), "9");
      assert.equal(response.header("content-type"), "text/x-blob");
      assert.equal(response.text, "blob body");
    } finally {
      client.destroy();
      await t.close();
    }
  });
});

describe("contentTypeFor()", () => {
  it("contentTypeFor() picks the type by the last extension, ignoring case", () => {
    assert.equal(contentTypeFor("/srv/www/index.HTML"), "text/html; charset=utf-8");
    assert.equal(contentTypeFor("archive.tar.gz"), "application/gzip");
    assert.equal(contentTypeFor("C:\\site\\logo.svg"), "image/svg+xml");
  });

  it("contentTypeFor() answers application/octet-stream without a known extension in the file name", () => {
    const paths = ["README", "html", "/srv/www/js", "/srv/www/data.d/README", "/srv/www.html/css", "C:\\a.b\\png",
      "notes.unknownext", "/srv/.d/", "x.constructor", "x.__proto__", "x.toString", "x.hasOwnProperty"];
    for (const path of paths) assert.equal(contentTypeFor(path), "application/octet-stream", path);
  });
});
