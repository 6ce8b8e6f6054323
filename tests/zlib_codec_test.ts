/**
 * The permessage-deflate codec of this runtime's adapter (`runtime.deflate`, adapters/shared/zlib_codec.ts
 * behind adapters/shared/lazy_ports.ts `lazyDeflate`): round trips with and without context takeover,
 * interop with a reference (node:zlib's one-shot deflateRawSync/inflateRawSync, tail stripped or
 * appended as RFC 7692 §7.2 says), the npm `ws` client's own permessage-deflate (its offer, our
 * negotiation, its acceptance of our answer, then messages both ways), a decompression bomb stopped at
 * its limit, overlapping calls answered in order, and close() rejecting what is pending.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { loadRuntime } from "../adapters/auto.ts";
import { lazyDeflate } from "../adapters/shared/lazy_ports.ts";
import type { DeflatePort, MessageCodec } from "../src/platform.ts";
import { negotiateDeflate, type DeflateParams } from "../src/ws/permessage_deflate.ts";
import { runtime } from "./_helpers.ts";
import { repoRoot } from "./_root.ts";

const TAKEOVER: DeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
const NO_TAKEOVER: DeflateParams = { ...TAKEOVER, serverNoContextTakeover: true, clientNoContextTakeover: true };
const MiB = 1024 * 1024;
const TAIL = [0x00, 0x00, 0xff, 0xff];

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const bytes = (b: Uint8Array): number[] => [...b];
const endsWithTail = (b: Uint8Array): boolean => b.length >= 4 && bytes(b.subarray(b.length - 4)).join() === TAIL.join();

/** Pseudo-random bytes (incompressible), the same every run. */
function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A JSON-ish message, like a chat server sends. */
const MESSAGE = text(JSON.stringify({ type: "message", user: "alice", room: "general", body: "the quick brown fox jumps over the lazy dog", at: 1700000000000 }));

async function port(): Promise<DeflatePort> {
  const deflate = (await loadRuntime()).deflate;
  assert.ok(deflate !== undefined, `${runtime}: runtime.deflate`);
  return deflate;
}

/** The server's codec, and a second one playing the client (its deflate is the client's compressor). */
async function pair(params: DeflateParams): Promise<[MessageCodec, MessageCodec]> {
  const p = await port();
  // The peer compresses as the client: swap the roles of the params.
  const peer: DeflateParams = {
    serverNoContextTakeover: params.clientNoContextTakeover,
    clientNoContextTakeover: params.serverNoContextTakeover,
    serverMaxWindowBits: params.clientMaxWindowBits,
    clientMaxWindowBits: params.serverMaxWindowBits,
  };
  return [p.create(params), p.create(peer)];
}

describe(`permessage-deflate codec (${runtime})`, () => {
  it("the runtime offers the port, keeping context", async () => {
    const p = await port();
    assert.equal(p.contextTakeover, true);
  });

  it("round trips with context takeover: the second identical message compresses smaller", async () => {
    const [server, client] = await pair(TAKEOVER);
    const first = await server.deflate(MESSAGE);
    const second = await server.deflate(MESSAGE);
    assert.ok(!endsWithTail(first) && !endsWithTail(second), "the tail is stripped");
    assert.ok(second.length < first.length / 2, `second ${second.length} < first ${first.length} / 2`);
    assert.deepEqual(bytes(await client.inflate(first, MiB)), bytes(MESSAGE));
    assert.deepEqual(bytes(await client.inflate(second, MiB)), bytes(MESSAGE));
    // And the other way, through the server's decompressor.
    const c1 = await client.deflate(MESSAGE);
    const c2 = await client.deflate(MESSAGE);
    assert.ok(c2.length < c1.length / 2);
    assert.deepEqual(bytes(await server.inflate(c1, MiB)), bytes(MESSAGE));
    assert.deepEqual(bytes(await server.inflate(c2, MiB)), bytes(MESSAGE));
    server.close();
    client.close();
  });

  it("round trips without context takeover: every message compresses alone, the same", async () => {
    const [server, client] = await pair(NO_TAKEOVER);
    const first = await server.deflate(MESSAGE);
    const second = await server.deflate(MESSAGE);
    assert.deepEqual(bytes(second), bytes(first));
    // Each one inflates on its own, in any order, with a fresh reference inflater.
    for (const m of [second, first]) assert.deepEqual(bytes(inflateRawSync(Buffer.concat([m, Buffer.from(TAIL)]), { finishFlush: 2 })), bytes(MESSAGE));
    assert.deepEqual(bytes(await client.inflate(second, MiB)), bytes(MESSAGE));
    assert.deepEqual(bytes(await client.inflate(first, MiB)), bytes(MESSAGE));
    const c1 = await client.deflate(MESSAGE);
    assert.deepEqual(bytes(await client.deflate(MESSAGE)), bytes(c1));
    assert.deepEqual(bytes(await server.inflate(c1, MiB)), bytes(MESSAGE));
    assert.deepEqual(bytes(await server.inflate(c1, MiB)), bytes(MESSAGE));
    server.close();
    client.close();
  });

  it("round trips large, incompressible, empty and one-byte messages, and small windows", async () => {
    for (const params of [TAKEOVER, NO_TAKEOVER, { ...TAKEOVER, serverMaxWindowBits: 9, clientMaxWindowBits: 9 }]) {
      const [server, client] = await pair(params);
      for (const m of [noise(300_000), new Uint8Array(3 * MiB).fill(7), new Uint8Array(0), text("x"), MESSAGE]) {
        const out = await server.deflate(m);
        const back = await client.inflate(out, 4 * MiB);
        assert.equal(back.length, m.length);
        assert.ok(Buffer.from(back).equals(Buffer.from(m)), `a ${m.length}-byte message`);
      }
      server.close();
      client.close();
    }
  });

  it("interop: inflates what a reference deflateRawSync made (tail stripped), and the reference inflates its output", async () => {
    const [server] = await pair(NO_TAKEOVER);
    for (const m of [MESSAGE, noise(70_000, 3), new Uint8Array(200_000)]) {
      // A one-shot reference ends with a final block (BFINAL), which RFC 7692 §7.2.3.3 allows.
      assert.ok(Buffer.from(await server.inflate(deflateRawSync(m), MiB)).equals(Buffer.from(m)));
      // And one that ends with an empty stored block, as RFC 7692 §7.2.1 has a sender strip.
      const synced = deflateRawSync(m, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
      assert.ok(endsWithTail(synced));
      assert.ok(Buffer.from(await server.inflate(synced.subarray(0, synced.length - 4), MiB)).equals(Buffer.from(m)));
      const ours = await server.deflate(m);
      assert.ok(Buffer.from(inflateRawSync(Buffer.concat([ours, Buffer.from(TAIL)]), { finishFlush: 2 })).equals(Buffer.from(m)));
    }
    server.close();
  });

  it("with context takeover, a message that ends with a final block (BFINAL) does not swallow the next ones", async () => {
    const [server] = await pair(TAKEOVER);
    for (let i = 0; i < 3; i++) assert.deepEqual(bytes(await server.inflate(deflateRawSync(MESSAGE), MiB)), bytes(MESSAGE), `message ${i}`);
    // And a sync-flushed one after them.
    const synced = deflateRawSync(MESSAGE, { finishFlush: 2 });
    assert.deepEqual(bytes(await server.inflate(synced.subarray(0, synced.length - 4), MiB)), bytes(MESSAGE));
    server.close();
  });

  it("interop with context takeover: a reference inflater with the shared window reads a message that refers back", async () => {
    const [server] = await pair(TAKEOVER);
    const first = await server.deflate(MESSAGE);
    const second = await server.deflate(MESSAGE);
    const both = Buffer.concat([first, Buffer.from(TAIL), second, Buffer.from(TAIL)]);
    assert.deepEqual(bytes(inflateRawSync(both, { finishFlush: 2 })), [...MESSAGE, ...MESSAGE]);
    server.close();
  });

  it("stops a decompression bomb at maxBytes: 64 MiB of zeros (about 64 KiB deflated) rejected with tooBig at 1 MiB", async () => {
    const bomb = deflateRawSync(new Uint8Array(64 * MiB), { finishFlush: 2 });
    assert.ok(bomb.length < 256 * 1024, `${bomb.length} bytes`);
    const payload = bomb.subarray(0, bomb.length - 4);
    const [server] = await pair(TAKEOVER);
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const error = await server.inflate(payload, MiB).then(() => null, (e: unknown) => e);
    const took = Date.now() - started;
    assert.ok(error instanceof Error, "rejected");
    assert.equal((error as Error & { tooBig?: boolean }).tooBig, true);
    assert.ok(took < 2000, `rejected in ${took} ms`);
    // Not inflated whole: far less than 64 MiB more memory (a loose bound: GC timing varies).
    const grew = process.memoryUsage().rss - before;
    assert.ok(grew < 48 * MiB, `rss grew by ${(grew / MiB).toFixed(1)} MiB`);
    // The exact limit: an inflated message of exactly maxBytes passes, one byte more does not.
    const [exact] = await pair(NO_TAKEOVER);
    const kib = await exact.deflate(new Uint8Array(1024));
    assert.equal((await exact.inflate(kib, 1024)).length, 1024);
    await assert.rejects(exact.inflate(kib, 1023), (e: Error & { tooBig?: boolean }) => e.tooBig === true);
    // The codec goes on (a fresh decompressor: the session closes with 1009 anyway).
    assert.equal((await exact.inflate(kib, 1024)).length, 1024);
    server.close();
    exact.close();
  });

  it("rejects corrupt data with an Error that is not tooBig", async () => {
    const [server] = await pair(TAKEOVER);
    const error = await server.inflate(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x00]), MiB).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof Error);
    assert.notEqual((error as Error & { tooBig?: boolean }).tooBig, true);
    server.close();
  });

  it("overlapping calls come back in call order, contexts consistent", async () => {
    const [server, client] = await pair(TAKEOVER);
    const messages = Array.from({ length: 20 }, (_, i) => i % 3 === 0 ? noise(50_000 + i, i + 1) : text(`message ${i} `.repeat(i * 100 + 1)));
    // Twenty deflates issued at once, then their outputs inflated, all at once, in order.
    const compressed = await Promise.all(messages.map((m) => server.deflate(m)));
    const order: number[] = [];
    const inflated = await Promise.all(compressed.map((c, i) => client.inflate(c, 4 * MiB).then((out) => (order.push(i), out))));
    assert.deepEqual(order, messages.map((_, i) => i));
    for (let i = 0; i < messages.length; i++) assert.ok(Buffer.from(inflated[i]).equals(Buffer.from(messages[i])), `message ${i}`);
    // Deflates and inflates interleaved on one codec.
    const mixed = await Promise.all([server.deflate(MESSAGE), server.inflate(await client.deflate(MESSAGE), MiB), server.deflate(MESSAGE)]);
    assert.deepEqual(bytes(mixed[1]), bytes(MESSAGE));
    assert.deepEqual(bytes(await client.inflate(mixed[0], MiB)), bytes(MESSAGE));
    assert.deepEqual(bytes(await client.inflate(mixed[2], MiB)), bytes(MESSAGE));
    server.close();
    client.close();
  });

  it("close() rejects pending calls and later ones; it is idempotent", async () => {
    const [server] = await pair(TAKEOVER);
    const big = noise(2 * MiB);
    const pending = [server.deflate(big), server.deflate(big), server.inflate(deflateRawSync(big), 4 * MiB)];
    server.close();
    server.close();
    const results = await Promise.allSettled(pending);
    assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected", "rejected"]);
    await assert.rejects(server.deflate(MESSAGE), /closed/);
    await assert.rejects(server.inflate(MESSAGE, MiB), /closed/);
  });
});

/** The parts of ws's lib/permessage-deflate.js and lib/extension.js used here (CommonJS, untyped). */
interface WsDeflate {
  offer(): Record<string, unknown>;
  accept(configurations: unknown[]): Record<string, unknown>;
  compress(data: Uint8Array, fin: boolean, callback: (error: Error | null, result: Uint8Array) => void): void;
  decompress(data: Uint8Array, fin: boolean, callback: (error: Error | null, result: Uint8Array) => void): void;
  cleanup(): void;
}
interface WsModules {
  PerMessageDeflate: new (options: Record<string, unknown>) => WsDeflate;
  format(extensions: Record<string, unknown[]>): string;
  parse(header: string): Record<string, unknown[]>;
}

/** ws's permessage-deflate, from node_modules (its package exports do not list lib/: required by path). */
async function wsModules(): Promise<WsModules> {
  const require = createRequire(import.meta.url);
  // By path from the repository: Bun resolves "ws" to its own built-in.
  const lib = join(repoRoot(), "node_modules", "ws", "lib");
  const { format, parse } = require(join(lib, "extension.js")) as Pick<WsModules, "format" | "parse">;
  return { PerMessageDeflate: require(join(lib, "permessage-deflate.js")) as WsModules["PerMessageDeflate"], format, parse };
}

const wsCall = (run: (callback: (error: Error | null, result: Uint8Array) => void) => void): Promise<Uint8Array> =>
  new Promise((resolve, reject) => run((error, result) => (error ? reject(error) : resolve(result))));

describe(`interop with the npm ws client's permessage-deflate (${runtime})`, () => {
  const configs: Record<string, unknown>[] = [
    {},
    { serverNoContextTakeover: true, clientNoContextTakeover: true },
    { serverMaxWindowBits: 10, clientMaxWindowBits: 9 },
    { clientNoContextTakeover: true, serverMaxWindowBits: 8 },
  ];
  for (const options of configs) {
    it(`ws offering ${JSON.stringify(options)}`, async () => {
      const ws = await wsModules();
      const client = new ws.PerMessageDeflate({ ...options, threshold: 0 });
      const offer = ws.format({ "permessage-deflate": [client.offer()] });
      const agreed = negotiateDeflate(offer);
      if (options.serverMaxWindowBits === 8) {
        assert.equal(agreed, null, "server_max_window_bits=8 is declined");
        return;
      }
      assert.ok(agreed !== null, offer);
      // ws accepts our answer (it throws on a parameter it did not ask for or a bad value).
      client.accept(ws.parse(agreed.header)["permessage-deflate"]);
      const server = (await port()).create(agreed.params);
      for (const m of [MESSAGE, MESSAGE, noise(100_000, 9), new Uint8Array(0), text("bye ".repeat(1000))]) {
        const fromClient = await wsCall((cb) => client.compress(m, true, cb));
        assert.ok(Buffer.from(await server.inflate(fromClient, 4 * MiB)).equals(Buffer.from(m)), "the server inflates what ws sent");
        const fromServer = await server.deflate(m);
        assert.ok(Buffer.from(await wsCall((cb) => client.decompress(fromServer, true, cb))).equals(Buffer.from(m)), "ws inflates what the server sent");
      }
      server.close();
      client.cleanup();
    });
  }
});

describe("lazyDeflate", () => {
  it("loads the port at the first create(), once; calls made before it loaded run in order; close() before it loaded", async () => {
    let loads = 0;
    const real = await port();
    const lazy = lazyDeflate(async () => (loads++, real));
    assert.equal(loads, 0);
    assert.equal(lazy.contextTakeover, true);
    const a = lazy.create(TAKEOVER);
    const b = lazy.create(TAKEOVER);
    const outs = await Promise.all([a.deflate(MESSAGE), a.deflate(MESSAGE)]);
    assert.ok(outs[1].length < outs[0].length);
    assert.deepEqual(bytes(await b.inflate(outs[0], MiB)), bytes(MESSAGE));
    assert.deepEqual(bytes(await b.inflate(outs[1], MiB)), bytes(MESSAGE));
    const c = lazyDeflate(async () => real).create(TAKEOVER);
    const pending = c.deflate(MESSAGE);
    c.close();
    await assert.rejects(pending, /closed/);
    await assert.rejects(c.deflate(MESSAGE), /closed/);
    a.close();
    b.close();
    assert.equal(loads, 1);
  });

  it("a module that cannot load rejects every call", async () => {
    const codec = lazyDeflate(() => Promise.reject(new Error("no zlib"))).create(TAKEOVER);
    await assert.rejects(codec.deflate(MESSAGE), /no zlib/);
    await assert.rejects(codec.inflate(MESSAGE, 10), /no zlib/);
    codec.close();
  });
});
