/**
 * Bounded memory under big transfers (issue 5): a 200 MiB upload read slowly by the app, a 200 MiB
 * response to a client that reads slowly, a 50 MiB file body, 1000 idle keep-alive connections at the
 * default connection limit, and close() under load. Memory is the process's resident set size,
 * sampled while the transfer runs; client and server share the process, so the bound covers both.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { memoryUsage } from "node:process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileResponse } from "../mod.ts";
import { RawClient, sleep, startServer, until } from "./_helpers.ts";
import { concatBytes } from "./_bytes.ts";

const MiB = 1024 * 1024;
const TOTAL = 200 * MiB;
const CHUNK = 256 * 1024;

/** A deterministic chunk: byte i of the stream is (i * 31 + 7) & 0xff. */
function patternChunk(offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = ((offset + i) * 31 + 7) & 0xff;
  return out;
}

/** Adler-32 style running checksum, fast enough for hundreds of MiB. */
class Checksum {
  a = 1;
  b = 0;
  length = 0;
  update(bytes: Uint8Array): void {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < bytes.length; i++) {
      a = (a + bytes[i]) % 65521;
      b = (b + a) % 65521;
    }
    this.a = a;
    this.b = b;
    this.length += bytes.length;
  }
  get value(): string {
    return `${this.length}:${this.b}:${this.a}`;
  }
}

function expectedChecksum(total: number): string {
  const sum = new Checksum();
  for (let offset = 0; offset < total; offset += CHUNK) sum.update(patternChunk(offset, Math.min(CHUNK, total - offset)));
  return sum.value;
}

/** Samples RSS every 25 ms; `peakGrowth()` is the peak above the baseline taken at start. */
function memoryWatch(): { peakGrowth(): number; stop(): void } {
  const base = memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, memoryUsage().rss);
  }, 25);
  return {
    peakGrowth: () => Math.max(peak, memoryUsage().rss) - base,
    stop: () => clearInterval(timer),
  };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Writes `data` honouring backpressure. */
function write(socket: net.Socket, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.write(data, (error) => error && reject(error))) resolve();
    else socket.once("drain", resolve);
  });
}

/** Reads a whole HTTP response, hashing the body as it streams (chunked or Content-Length). */
function readHashed(socket: net.Socket, slow: boolean): Promise<{ status: number; head: string; sum: Checksum }> {
  return new Promise((resolve, reject) => {
    let head = "";
    let headDone = false;
    let status = 0;
    let remaining = -1;
    let chunked = false;
    let pending: Uint8Array = new Uint8Array(0);
    const sum = new Checksum();
    let reads = 0;
    const finish = () => {
      socket.removeAllListeners("data");
      resolve({ status, head, sum });
    };
    // Minimal chunked decoder state.
    let chunkLeft = 0;
    const onBody = (bytes: Uint8Array) => {
      if (!chunked) {
        const take = bytes.subarray(0, remaining);
        sum.update(take);
        remaining -= take.length;
        if (remaining === 0) finish();
        return;
      }
      let data = pending.length ? concatBytes([pending, bytes]) : bytes;
      pending = new Uint8Array(0);
      while (data.length > 0) {
        if (chunkLeft > 0) {
          const take = data.subarray(0, chunkLeft);
          sum.update(take);
          chunkLeft -= take.length;
          data = data.subarray(take.length);
          if (chunkLeft === 0) chunkLeft = -2; // expect CRLF
          continue;
        }
        if (chunkLeft === -2) {
          if (data.length < 2) {
            pending = data;
            return;
          }
          data = data.subarray(2);
          chunkLeft = 0;
          continue;
        }
        const lf = data.indexOf(10);
        if (lf < 0) {
          pending = data;
          return;
        }
        const size = parseInt(new TextDecoder().decode(data.subarray(0, lf)), 16);
        data = data.subarray(lf + 1);
        if (size === 0) return finish();
        chunkLeft = size;
      }
    };
    socket.on("data", (chunk: Uint8Array) => {
      if (slow && ++reads % 16 === 0) {
        socket.pause();
        setTimeout(() => socket.resume(), 2);
      }
      if (headDone) return onBody(chunk);
      const text = new TextDecoder("latin1").decode(chunk);
      const end = (head + text).indexOf("\r\n\r\n");
      if (end < 0) {
        head += text;
        return;
      }
      const headLength = end + 4 - head.length;
      head = (head + text).slice(0, end + 4);
      headDone = true;
      status = Number(head.slice(9, 12));
      const cl = /\r\ncontent-length: (\d+)/i.exec(head);
      chunked = /\r\ntransfer-encoding: chunked/i.test(head);
      remaining = cl ? Number(cl[1]) : -1;
      const rest = chunk.subarray(headLength);
      if (rest.length) onBody(rest);
      else if (remaining === 0) finish();
    });
    socket.once("error", reject);
  });
}

/** The checksum of a request body read to its end; `slow` waits 1 ms every 32 reads, like a slow consumer. */
async function bodyChecksum(request: Request, slow = false): Promise<string> {
  const sum = new Checksum();
  const reader = request.body!.getReader();
  let reads = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    sum.update(value);
    if (slow && ++reads % 32 === 0) await sleep(1);
  }
  return sum.value;
}

/** Fails unless the resident set grew by less than 64 MiB at its peak. */
function assertBoundedGrowth(watch: { peakGrowth(): number }): void {
  const growth = watch.peakGrowth();
  assert.ok(growth < 64 * MiB, `memory grew by ${(growth / MiB).toFixed(1)} MiB`);
}

describe("bounded memory", { timeout: 120_000 }, () => {
  const expected = expectedChecksum(TOTAL);

  it("takes a 200 MiB upload read slowly by the app with bounded memory, intact", async () => {
    let seen = "";
    const s = await startServer(async (request: Request) => {
      seen = await bodyChecksum(request, true);
      return new Response(seen);
    });
    const watch = memoryWatch();
    const socket = await connect(s.port);
    try {
      const response = readHashed(socket, false);
      await write(socket, new TextEncoder().encode(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${TOTAL}\r\n\r\n`));
      for (let offset = 0; offset < TOTAL; offset += CHUNK) await write(socket, patternChunk(offset, CHUNK));
      const { status, head } = await response;
      assert.equal(status, 200, head);
      assert.equal(seen, expected, "the app received every byte intact");
      assertBoundedGrowth(watch);
    } finally {
      watch.stop();
      socket.destroy();
      await s.close();
    }
  });

  it("echoes the upload's checksum exactly", async () => {
    // Same transfer, checking the bytes the app saw.
    let seen = "";
    const s = await startServer(async (request: Request) => {
      seen = await bodyChecksum(request);
      return new Response("ok");
    });
    const socket = await connect(s.port);
    try {
      const response = readHashed(socket, false);
      await write(socket, new TextEncoder().encode(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`));
      const total = 32 * MiB;
      for (let offset = 0; offset < total; offset += CHUNK) {
        await write(socket, new TextEncoder().encode(`${CHUNK.toString(16)}\r\n`));
        await write(socket, patternChunk(offset, CHUNK));
        await write(socket, new TextEncoder().encode("\r\n"));
      }
      await write(socket, new TextEncoder().encode("0\r\n\r\n"));
      assert.equal((await response).status, 200);
      assert.equal(seen, expectedChecksum(total));
    } finally {
      socket.destroy();
      await s.close();
    }
  });

  it("sends a 200 MiB streamed response to a slow reader with bounded memory, intact", async () => {
    const s = await startServer(() => {
      let offset = 0;
      return new Response(new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= TOTAL) return controller.close();
          controller.enqueue(patternChunk(offset, CHUNK));
          offset += CHUNK;
        },
      }));
    });
    const watch = memoryWatch();
    const socket = await connect(s.port);
    try {
      const response = readHashed(socket, true);
      await write(socket, new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      const { status, sum } = await response;
      assert.equal(status, 200);
      assert.equal(sum.value, expected);
      assertBoundedGrowth(watch);
    } finally {
      watch.stop();
      socket.destroy();
      await s.close();
    }
  });

  it("serves a 50 MiB file with the right Content-Length and bytes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "waitress-big-"));
    const path = join(dir, "big.bin");
    const size = 50 * MiB;
    const data = new Uint8Array(size);
    for (let offset = 0; offset < size; offset += CHUNK) data.set(patternChunk(offset, CHUNK), offset);
    writeFileSync(path, data);
    const s = await startServer(() => fileResponse(path));
    const socket = await connect(s.port);
    try {
      const response = readHashed(socket, false);
      await write(socket, new TextEncoder().encode("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"));
      const { status, head, sum } = await response;
      assert.equal(status, 200);
      assert.match(head, new RegExp(`\r\ncontent-length: ${size}\r\n`, "i"));
      assert.equal(sum.value, expectedChecksum(size));
    } finally {
      socket.destroy();
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("many connections", { timeout: 60_000 }, () => {
  it("serves a new client at the default limit while 1000 idle keep-alive connections are open", async () => {
    const s = await startServer(() => new Response("ok"));
    const clients: RawClient[] = [];
    try {
      for (let i = 0; i < 1000; i++) clients.push(new RawClient(s.port));
      await Promise.all(clients.map((c) => c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
      // Every one of them is served: idle keep-alive connections make room for those waiting.
      const answered = await Promise.all(clients.map((c) => c.response({ timeoutMs: 20_000 }).then((r) => r.status, () => 0)));
      assert.equal(answered.filter((status) => status === 200).length, 1000);
      const fresh = new RawClient(s.port);
      try {
        await fresh.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert.equal((await fresh.response({ timeoutMs: 5000 })).text, "ok");
      } finally {
        fresh.destroy();
      }
      assert.ok(s.server.stats().connections <= 101, `${s.server.stats().connections} connections open`);
    } finally {
      for (const c of clients) c.destroy();
      await s.close();
    }
  });

  it("answers every request it has read when close() is called under load", async () => {
    let seen = 0;
    const s = await startServer(async () => {
      seen++;
      await sleep(50);
      return new Response("done");
    });
    const clients = Array.from({ length: 50 }, () => new RawClient(s.port));
    try {
      await Promise.all(clients.map((c) => c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
      // "Accepted" means read by the server: wait until the app has all 50, then close under load.
      await until(() => seen === 50, "the app has seen 50 requests");
      const closing = s.close();
      const results = await Promise.all(clients.map((c) => c.response().then((r) => [r.text, r.header("connection")])));
      await closing;
      for (const [text, connection] of results) {
        assert.equal(text, "done");
        assert.equal(connection, "close");
      }
    } finally {
      for (const c of clients) c.destroy();
    }
  });

  it("answers a request sent just after close() on a connection accepted before it", async () => {
    const s = await startServer(() => new Response("late"));
    const clients = Array.from({ length: 20 }, () => new RawClient(s.port));
    try {
      await Promise.all(clients.map((c) => c.send("")));
      await until(() => s.server.stats().connections === 20, "20 accepted connections");
      const closing = s.close();
      await Promise.all(clients.map((c) => c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
      const results = await Promise.all(clients.map((c) => c.response()));
      await closing;
      for (const r of results) {
        assert.equal(r.text, "late");
        assert.equal(r.header("connection"), "close");
      }
    } finally {
      for (const c of clients) c.destroy();
    }
  });

  it("answers requests waiting at the connection limit when close() is called", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const s = await startServer(async () => {
      await gate;
      return new Response("served");
    }, { connectionLimit: 2 });
    const clients = Array.from({ length: 5 }, () => new RawClient(s.port));
    try {
      await Promise.all(clients.map((c) => c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
      await until(() => s.server.stats().requestsInFlight === 2 && s.server.stats().waitingConnections === 3, "2 in flight, 3 waiting");
      const closing = s.close();
      release();
      const results = await Promise.all(clients.map((c) => c.response()));
      await closing;
      for (const r of results) {
        assert.equal(r.text, "served");
        assert.equal(r.header("connection"), "close");
      }
    } finally {
      release();
      for (const c of clients) c.destroy();
    }
  });

  it("closes a connection that stays silent through shutdown after a short grace", async () => {
    const s = await startServer(() => new Response("x"), { shutdownTimeout: 30 });
    const silent = new RawClient(s.port);
    try {
      await silent.send("");
      await until(() => s.server.stats().connections === 1, "the connection is accepted");
      const started = Date.now();
      await s.close();
      const took = Date.now() - started;
      assert.ok(took >= 900 && took < 5000, `close() took ${took} ms: the grace is about a second, not shutdownTimeout`);
      assert.equal(await silent.closed(1000), true);
    } finally {
      silent.destroy();
    }
  });
});
