/**
 * Spooling: memory up to a limit, then a temp file; nothing left on disk afterwards; and the spooling
 * handler that frees the app from slow clients.
 */
import type { TempFile } from "../src/platform.ts";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Spool, spoolingHandler } from "../src/serve/spool.ts";
import { loadRuntime } from "../adapters/auto.ts";
import { openTempFiles } from "../adapters/shared/temp_files.ts";
import { Server } from "../src/serve/server.ts";
import { resolveSettings } from "../src/settings/adjustments.ts";
import { Logger } from "../src/policy/logger.ts";
import { nativeRequest, type RequestParts } from "../src/web/request.ts";
import { captureLog, RawClient, sleep, until } from "./_helpers.ts";
// The temp files of this runtime's adapter (registered in openTempFiles on every runtime).
const { createTempFile } = (await loadRuntime()).files;

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

/** A server on a free loopback port whose exchanges go through `spoolingHandler`, as in thread mode. */
async function startSpooled(app: (request: Request) => Response | Promise<Response>, options: SpoolTestOptions): Promise<{ port: number; close(): Promise<void> }> {
  const { settings } = resolveSettings({ host: "127.0.0.1", port: 0 });
  const handleExchange = spoolingHandler((parts, _info) => app(nativeRequest(parts)), options);
  const server = new Server({ handleExchange }, settings, loadRuntime(), new Logger("debug", captureLog().sink));
  await server.ready;
  return { port: server.addresses[0]!.port, close: () => server.close() };
}
type SpoolTestOptions = Parameters<typeof spoolingHandler>[1];

/** The parts of a request as the connection hands them over (signal() kept on a prototype, as there). */
function partsOf(method: string, body: ReadableStream<Uint8Array> | null = null): RequestParts {
  const signal = new AbortController().signal;
  return Object.assign(Object.create({ signal: () => signal }), { method, url: "http://x/", headers: ["host", "x"], body }) as RequestParts;
}

describe("spoolingHandler", () => {
  const options = { inbufOverflow: 64 * 1024, outbufOverflow: 64 * 1024, outbufHighWatermark: 64 * 1024 * 1024, createTempFile };

  it("gives the app a fully received body (spilled to disk) and leaves no temp file", async () => {
    let spilledDuringRequest = 0;
    const upload = bytesOf(4 * 1024 * 1024, 5);
    const s = await startSpooled(async (request) => {
      spilledDuringRequest = openTempFiles.size;
      const body = new Uint8Array(await request.arrayBuffer());
      return new Response(`${body.length} ${body[12345]} ${body[body.length - 1]}`);
    }, options);
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
    const s = await startSpooled(() => new Response(new ReadableStream<Uint8Array>({
      pull(controller) {
        if (produced >= total) return controller.close();
        controller.enqueue(bytesOf(65536, produced & 0xff));
        produced += 65536;
      },
    })), options);
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

/** An in-memory temp file: `maxRead` makes reads short, `lose()` makes them return 0 (file cut short). */
class MemoryFile implements TempFile {
  bytes = new Uint8Array(0);
  closes = 0;
  lost = false;
  readonly maxRead: number;
  constructor(maxRead = Infinity) {
    this.maxRead = maxRead;
  }
  write(data: Uint8Array, position: number): Promise<void> {
    const next = new Uint8Array(Math.max(this.bytes.length, position + data.length));
    next.set(this.bytes);
    next.set(data, position);
    this.bytes = next;
    return Promise.resolve();
  }
  read(into: Uint8Array, position: number): Promise<number> {
    if (this.lost) return Promise.resolve(0);
    const n = Math.min(into.length, this.maxRead, this.bytes.length - position);
    into.set(this.bytes.subarray(position, position + n));
    return Promise.resolve(n);
  }
  close(): Promise<void> {
    this.closes++;
    return Promise.resolve();
  }
}

describe("Spool edges", () => {
  it("ignores empty appends, and refuses appends once closed", async () => {
    const spool = new Spool(0, () => Promise.reject(new Error("no file wanted")));
    await spool.append(new Uint8Array(0));
    assert.equal(spool.pending, 0);
    assert.equal(spool.spilled, false, "an empty append does not spill even past a zero limit");
    spool.end();
    assert.equal(await spool.read(), null, "no empty chunk to read");
    await spool.close();
    await spool.close(); // idempotent
    await assert.rejects(spool.append(bytesOf(1, 0)), /Cannot append to a closed spool/);
    assert.equal(await spool.read(), null, "a closed spool reads as ended");
  });

  it("closes a temp file that is ready only after the spool was closed (the client left meanwhile)", async () => {
    const file = new MemoryFile();
    let create!: () => void;
    const spool = new Spool(1, () => new Promise<TempFile>((resolve) => (create = () => resolve(file))));
    const appending = spool.append(bytesOf(10, 1));
    await until(() => create !== undefined, "the temp file is being created");
    await spool.close();
    create();
    await assert.rejects(appending, /Cannot append to a closed spool/);
    assert.equal(file.closes, 1);
    assert.equal(file.bytes.length, 0, "nothing written to it");
  });

  it("reads a temp file back across short reads, and fails when it ends early", async () => {
    const file = new MemoryFile(7);
    const spool = new Spool(0, () => Promise.resolve(file));
    await spool.append(bytesOf(20, 2));
    spool.end();
    const first = await spool.read();
    assert.deepEqual(first, bytesOf(20, 2).subarray(0, 7));
    file.lost = true;
    await assert.rejects(spool.read(), /The spool's temp file ended early/);
    await spool.close();
    await spool.close();
    assert.equal(file.closes, 1, "closed once");
  });

  it("lets the producer wait until the reader takes bytes below the limit, from memory or file", async () => {
    for (const overflow of [1000, 0]) {
      const spool = new Spool(overflow, () => Promise.resolve(new MemoryFile(10)));
      await spool.waitBelow(1); // nothing pending: at once
      await spool.append(bytesOf(10, 3));
      await spool.append(bytesOf(10, 4));
      let below = false;
      const waiting = spool.waitBelow(15).then(() => (below = true));
      assert.equal(spool.pending, 20);
      await spool.read(); // 10 left: below 15
      await waiting;
      assert.equal(below, true);
      await spool.append(bytesOf(10, 5));
      await spool.append(bytesOf(10, 6)); // 30 pending
      let belowFive = false;
      const five = spool.waitBelow(5).then(() => (belowFive = true));
      await spool.read();
      await spool.read(); // 10 pending: still waiting
      assert.equal(belowFive, false, "not yet below 5");
      await spool.read();
      await five;
      await spool.close();
    }
  });

  it("releases a waiting producer when the spool is closed, and at once after that", async () => {
    const spool = new Spool(1000, createTempFile);
    await spool.append(bytesOf(100, 6));
    const waiting = spool.waitBelow(50);
    await spool.close();
    await waiting;
    await spool.waitBelow(0);
  });

  it("gives readers the producer's error after the bytes before it, and its stream errors and closes the file", async () => {
    const file = new MemoryFile();
    const spool = new Spool(0, () => Promise.resolve(file));
    await spool.append(bytesOf(5, 7));
    spool.fail(new Error("app stream broke"));
    const reader = spool.readable().getReader();
    assert.deepEqual((await reader.read()).value, bytesOf(5, 7));
    await assert.rejects(reader.read(), /app stream broke/);
    assert.equal(file.closes, 1);
  });
});

describe("spoolingHandler edges", () => {
  const info = { remoteAddress: "", remotePort: 0, localAddress: "", localPort: 0, scheme: "http", scriptName: "", pathInfo: "/", rawTarget: "/", httpVersion: "HTTP/1.1", serverName: "waitress.invalid" };
  const options = { inbufOverflow: 16, outbufOverflow: 16, outbufHighWatermark: 1024, createTempFile };

  it("returns a response without a body as it is", async () => {
    const response = new Response(null, { status: 204 });
    assert.equal(await spoolingHandler(() => response, options)(partsOf("GET"), info), response);
  });

  it("closes the spooled upload and rethrows when the request body fails", async () => {
    const before = openTempFiles.size;
    let failBody!: (error: Error) => void;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytesOf(100, 8)); // past inbufOverflow: on disk
        failBody = (error) => controller.error(error);
      },
    });
    let called = false;
    const handling = spoolingHandler(() => ((called = true), new Response("x")), options)(partsOf("POST", body), info);
    await until(() => openTempFiles.size > before, "the upload spilled to a temp file");
    failBody(new Error("client reset"));
    await assert.rejects(handling, /client reset/);
    assert.equal(called, false, "the app never saw the broken upload");
    assert.equal(openTempFiles.size, before, "the temp file is closed");
  });

  it("errors the spooled response when the app's stream fails", async () => {
    let failApp!: (error: Error) => void;
    const app = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytesOf(8, 9));
        failApp = (error) => controller.error(error);
      },
    });
    const response = await spoolingHandler(() => new Response(app, { status: 201, headers: { "x-a": "1" } }), options)(partsOf("GET"), info);
    assert.deepEqual([response.status, response.headers.get("x-a")], [201, "1"]);
    const reader = response.body!.getReader();
    assert.deepEqual((await reader.read()).value, bytesOf(8, 9));
    failApp(new Error("app broke"));
    await assert.rejects(reader.read(), /app broke/);
  });
});
