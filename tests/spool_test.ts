/**
 * Spooling: memory up to a limit, then a temp file; nothing left on disk afterwards; and the spooling
 * handler that frees the app from slow clients.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Spool, spoolingHandler } from "../src/spool.ts";
import { createTempFile, openTempFiles } from "../adapters/node_file.ts";
import { RawClient, sleep, startServer, until } from "./_helpers.ts";

const bytesOf = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 13 + seed) & 0xff);

async function drain(spool: Spool): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let chunk = await spool.read(); chunk !== null; chunk = await spool.read()) parts.push(chunk);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe("Spool", () => {
  it("keeps small contents in memory", async () => {
    const spool = new Spool(1024, createTempFile);
    await spool.append(bytesOf(100, 1));
    spool.end();
    assert.equal(spool.spilled, false);
    assert.deepEqual(await drain(spool), bytesOf(100, 1));
    await spool.close();
  });

  it("spills to a temp file past the limit, reads back in order, and deletes it on close", async () => {
    const spool = new Spool(1000, createTempFile);
    const parts = [bytesOf(600, 1), bytesOf(700, 2), bytesOf(150_000, 3)];
    for (const p of parts) await spool.append(p);
    spool.end();
    assert.equal(spool.spilled, true);
    assert.equal(openTempFiles.size, 1);
    const all = await drain(spool);
    assert.equal(all.length, 151_300);
    assert.deepEqual(all.subarray(0, 600), parts[0]);
    assert.deepEqual(all.subarray(1300), parts[2]);
    await spool.close();
    assert.equal(openTempFiles.size, 0, "no temp file left");
  });

  it("deletes the temp file when its stream is cancelled", async () => {
    const spool = new Spool(10, createTempFile);
    await spool.append(bytesOf(1000, 4));
    const reader = spool.readable().getReader();
    await reader.read();
    await reader.cancel();
    assert.equal(openTempFiles.size, 0);
  });
});

describe("spoolingHandler", () => {
  const options = { inbufOverflow: 64 * 1024, outbufOverflow: 64 * 1024, outbufHighWatermark: 64 * 1024 * 1024, createTempFile };

  it("gives the app a fully received body (spilled to disk) and leaves no temp file", async () => {
    let spilledDuringRequest = 0;
    const upload = bytesOf(4 * 1024 * 1024, 5);
    const s = await startServer(spoolingHandler(async (request: Request) => {
      spilledDuringRequest = openTempFiles.size;
      const body = new Uint8Array(await request.arrayBuffer());
      return new Response(`${body.length} ${body[12345]} ${body[body.length - 1]}`);
    }, options));
    const client = new RawClient(s.port);
    try {
      await client.send(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${upload.length}\r\n\r\n`);
      await client.send(upload);
      assert.equal((await client.response()).text, `${upload.length} ${upload[12345]} ${upload[upload.length - 1]}`);
      assert.equal(spilledDuringRequest, 1, "the body was on disk while the app ran");
      await until(() => openTempFiles.size === 0, "no temp file left", 2000);
    } finally {
      client.destroy();
      await s.close();
    }
  });

  it("takes the app's whole response while the client is not reading, then delivers it intact", async () => {
    const total = 8 * 1024 * 1024;
    let produced = 0;
    const s = await startServer(spoolingHandler(() => new Response(new ReadableStream<Uint8Array>({
      pull(controller) {
        if (produced >= total) return controller.close();
        controller.enqueue(bytesOf(65536, produced & 0xff));
        produced += 65536;
      },
    })), options));
    const client = new RawClient(s.port);
    try {
      client.socket.pause();
      await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      await until(() => produced >= total, "the app finished although the client read nothing", 5000);
      client.socket.resume();
      const response = await client.response({ timeoutMs: 10000 });
      assert.equal(response.body.length, total);
      assert.deepEqual(response.body.subarray(65536, 65536 * 2), bytesOf(65536, 65536 & 0xff));
      await until(() => openTempFiles.size === 0, "no temp file left", 2000);
    } finally {
      client.destroy();
      await s.close();
    }
  });
});
