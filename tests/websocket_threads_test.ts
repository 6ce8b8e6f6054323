/**
 * WebSocket in thread mode (issue 18), on every runtime: the socket stays on the I/O thread and its
 * messages are relayed to the worker whose app accepted it (src/threads/ws_relay_main.ts and
 * ws_relay_worker.ts). Echo of text and binary, the close handshake from either side, shutdown (1001),
 * a worker that crashes (1011), sockets on two workers, a long-lived socket that does not hold
 * its worker, flow control towards a busy worker, and the Hono adapter in a worker. The app is
 * tests/fixtures/ws_thread_app.ts; a raw client shows what the server sent.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ServeOptions, threadStats } from "../mod.ts";
import { Logger } from "../src/policy/logger.ts";
import { driverOf, type WebSocketTransport } from "../src/web/server_websocket.ts";
import type { UpgradeOffer } from "../src/web/upgrade_websocket.ts";
import { RELAY_WINDOW, type ToWorker } from "../src/threads/thread_protocol.ts";
import { WsRelay } from "../src/threads/ws_relay_main.ts";
import { exchange, RawClient, runtime, startServer, type TestServer, until } from "./_helpers.ts";
import { clientFrame, closePayload, handshakeRequest, OP, textOf, WsClient } from "./_ws_client.ts";

/** On Node the tests run as built JS from dist/tests/; Deno and Bun run the TypeScript. */
const APP = new URL(runtime === "node" ? "./fixtures/ws_thread_app.js" : "./fixtures/ws_thread_app.ts", import.meta.url);
type App = Parameters<typeof startServer>[0];

async function withServer(options: ServeOptions, run: (s: TestServer) => Promise<void>): Promise<void> {
  const s = await startServer(APP as unknown as App, { threads: 1, ...options });
  try {
    await run(s);
  } finally {
    await s.close();
  }
}

async function get(port: number, target: string): Promise<{ status: number; text: string }> {
  const { response } = await exchange(port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  return { status: response.status, text: response.text };
}

/** The event log of the (single) worker. */
async function events(port: number): Promise<string[]> {
  return JSON.parse((await get(port, "/events")).text) as string[];
}

async function untilEvent(port: number, predicate: (event: string) => boolean, what: string): Promise<string[]> {
  let seen: string[] = [];
  const deadline = Date.now() + 5000;
  for (;;) {
    seen = await events(port);
    if (seen.some(predicate)) return seen;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(seen)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function ask(ws: WsClient, text: string): Promise<string> {
  await ws.sendText(text);
  return textOf(await ws.frame());
}

describe("WebSocket with threads: 1", () => {
  it("echoes text and binary through the worker that accepted the socket", async () => {
    await withServer({}, async (s) => {
      const ws = await WsClient.open(s.port, "/chat?room=1", { "x-protocol": "chat", "Sec-WebSocket-Protocol": "chat, superchat" });
      assert.equal(ws.handshake.header("sec-websocket-protocol"), "chat");
      assert.equal(await ask(ws, "hello"), "hello");
      assert.equal(await ask(ws, "héllo wörld ✓"), "héllo wörld ✓");
      await ws.sendBinary(new Uint8Array([1, 2, 3, 255]));
      const small = await ws.frame();
      assert.equal(small.opcode, OP.binary);
      assert.deepEqual([...small.payload], [1, 2, 3, 255]);
      const big = new Uint8Array(200_000).map((_, i) => i % 251);
      await ws.sendBinary(big);
      const back = await ws.frame();
      assert.equal(back.opcode, OP.binary);
      assert.equal(back.payload.length, big.length);
      const wrong = back.payload.findIndex((b, i) => b !== i % 251);
      assert.equal(wrong, -1, `binary payload differs at ${wrong}: ${back.payload.subarray(wrong, wrong + 8)} (first bytes ${back.payload.subarray(0, 8)})`);
      await ws.sendText("burst 50");
      for (let i = 0; i < 50; i++) assert.equal((await ws.frame()).payload.length, 1024);
      assert.equal(textOf(await ws.frame()), "done");
      const buffered = await ask(ws, "buffered");
      assert.ok(Number(buffered) >= 0, `bufferedAmount in the worker: ${buffered}`);
      const seen = await events(s.port);
      assert.deepEqual(seen.filter((e) => e.startsWith("open")), [`open ws://127.0.0.1:${s.port}/chat?room=1 chat in a worker`]);
      ws.destroy();
    });
  });

  it("the client closes with a code and reason: echoed, and the worker's socket hears it", async () => {
    await withServer({}, async (s) => {
      const ws = await WsClient.open(s.port);
      assert.equal(await ask(ws, "ping me"), "ping me");
      await ws.send(clientFrame(OP.close, closePayload(4000, "client bye")));
      assert.equal((await ws.closeFrame()).code, 4000);
      assert.ok(await ws.raw.closed(2000));
      await untilEvent(s.port, (e) => e === "close 4000 client bye true", "the close event in the worker");
    });
  });

  it("the app closes with a code and reason from the worker", async () => {
    await withServer({}, async (s) => {
      const ws = await WsClient.open(s.port);
      await ws.sendText("close 4001 app bye");
      assert.deepEqual(await ws.closeFrame(), { code: 4001, reason: "app bye" });
      await ws.send(clientFrame(OP.close, closePayload(4001, "app bye")));
      assert.ok(await ws.raw.closed(2000));
      await untilEvent(s.port, (e) => e === "close 4001 app bye true", "the close event in the worker");
    });
  });

  it("a long-lived socket does not hold the worker: a plain request is served by the same single worker meanwhile", async () => {
    await withServer({}, async (s) => {
      const ws = await WsClient.open(s.port);
      const socketWorker = await ask(ws, "whoami");
      assert.match(socketWorker, /^worker-/);
      assert.deepEqual(threadStats(s.server), { threads: 1, busy: 0, idle: 1, starting: 0, queued: 0 });
      const plain = await get(s.port, "/whoami");
      assert.equal(plain.status, 200);
      assert.equal(plain.text, socketWorker);
      const second = await WsClient.open(s.port);
      assert.equal(await ask(second, "whoami"), socketWorker);
      assert.equal(await ask(ws, "still open"), "still open");
      assert.equal(await ask(second, "me too"), "me too");
      ws.destroy();
      second.destroy();
    });
  });

  it("sockets that ended every way (client close, app close, FIN, reset, protocol error) are all garbage-collected in the worker", async () => {
    await withServer({ wsPingTimeout: 1 }, async (s) => {
      const endings = ["client close", "app close", "client FIN", "client reset", "protocol error"];
      const perEnding = 12;
      await Promise.all(endings.flatMap((ending) => Array.from({ length: perEnding }, async () => {
        const ws = await WsClient.open(s.port);
        try {
          assert.equal(await ask(ws, "hi"), "hi");
          if (ending === "client close") {
            await ws.send(clientFrame(OP.close, closePayload(1000)));
            assert.equal((await ws.closeFrame()).code, 1000);
          } else if (ending === "app close") {
            await ws.sendText("close 4001 app bye");
            assert.equal((await ws.closeFrame()).code, 4001);
            await ws.send(clientFrame(OP.close, closePayload(4001)));
          } else if (ending === "client FIN") {
            ws.raw.end();
            assert.equal(await ws.raw.closed(5000), true);
          } else if (ending === "protocol error") {
            await ws.send(clientFrame(OP.text, "unmasked", { mask: false }));
            assert.equal((await ws.closeFrame()).code, 1002);
          }
        } finally {
          ws.destroy();
        }
      })));
      const total = endings.length * perEnding;
      const deadline = Date.now() + 8000;
      let closes = 0;
      while ((closes = (await events(s.port)).filter((e) => e.startsWith("close ")).length) < total) {
        assert.ok(Date.now() < deadline, `${closes} of ${total} close events in the worker`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const { accepted, collected } = JSON.parse((await get(s.port, "/collected")).text) as { accepted: number; collected: number };
      assert.equal(accepted, total);
      // A conservative collector (Bun's) may keep a few a stack slot seems to point at; a leak keeps them all.
      assert.ok(collected >= total * 0.9, `${collected} of ${accepted} sockets collected in the worker`);
    });
  });

  it("messages for a busy worker wait (the client's frames held past the relay window), then all arrive in order", async () => {
    await withServer({}, async (s) => {
      const ws = await WsClient.open(s.port);
      assert.equal(await ask(ws, "ready"), "ready");
      const burn = get(s.port, "/burn?ms=1000");
      await until(() => threadStats(s.server)?.busy === 1, "the worker is busy");
      const count = 48; // 3 MiB: three relay windows
      const size = 64 * 1024;
      for (let i = 0; i < count; i++) void ws.sendBinary(new Uint8Array(size).fill(i));
      assert.equal((await burn).text, "burned");
      for (let i = 0; i < count; i++) {
        const frame = await ws.frame(10000);
        assert.equal(frame.payload.length, size);
        assert.ok(frame.payload[0] === i && frame.payload[size - 1] === i, `message ${i} in order`);
      }
      assert.equal(await ask(ws, "after the flood"), "after the flood");
      ws.destroy();
    });
  });

  it("a handler that fails after upgradeWebSocket() gets a 500 and its socket a 1006 close", async () => {
    await withServer({}, async (s) => {
      const client = new RawClient(s.port);
      await client.send(handshakeRequest(s.port, "/throw"));
      assert.equal((await client.response()).status, 500);
      client.destroy();
      await untilEvent(s.port, (e) => e.startsWith("close 1006"), "the 1006 close");
      assert.ok(!(await events(s.port)).some((e) => e.startsWith("open")));
    });
  });

  it("an exception in a worker's socket listener is logged and the socket carries on", async () => {
    await withServer({}, async (s) => {
      const ws = await WsClient.open(s.port);
      await ws.sendText("throw");
      await until(() => s.log.lines.some((l) => l.includes("Exception in a WebSocket listener")), "logged");
      assert.ok(s.log.lines.some((l) => l.includes("a listener failed in the thread fixture")));
      assert.equal(await ask(ws, "after"), "after");
      ws.destroy();
    });
  });

  it("a worker that crashes closes its sockets with 1011; its replacement accepts new ones", async () => {
    await withServer({}, async (s) => {
      const first = await WsClient.open(s.port);
      const second = await WsClient.open(s.port);
      const before = await ask(first, "whoami");
      await first.sendText("crash");
      assert.deepEqual(await first.closeFrame(), { code: 1011, reason: "The worker thread ended" });
      assert.deepEqual(await second.closeFrame(), { code: 1011, reason: "The worker thread ended" });
      await first.send(clientFrame(OP.close, closePayload(1011)));
      assert.ok(await first.raw.closed(2000));
      second.destroy();
      await until(() => threadStats(s.server)?.idle === 1, "a new worker", 10000);
      const again = await WsClient.open(s.port);
      const after = await ask(again, "whoami");
      assert.notEqual(after, before);
      assert.equal(await ask(again, "alive"), "alive");
      again.destroy();
    });
  });

  it("server.close() sends 1001 to sockets held by workers and finishes once they answer", async () => {
    const s = await startServer(APP as unknown as App, { threads: 1, shutdownTimeout: 5 });
    const ws = await WsClient.open(s.port);
    assert.equal(await ask(ws, "open?"), "open?");
    const closing = s.server.close();
    assert.equal((await ws.closeFrame()).code, 1001);
    await ws.send(clientFrame(OP.close, closePayload(1001)));
    const started = Date.now();
    await closing;
    assert.ok(Date.now() - started < 3000, "closed promptly once the client answered");
    ws.destroy();
  });
});

describe("Hono upgradeWebSocket in a worker thread", () => {
  it("the hono/ws app of tests/hono_ws_test.ts, unchanged, served with threads: 1 (its copied response still switches)", async () => {
    const hono = new URL(runtime === "node" ? "./fixtures/hono_ws_app.js" : "./fixtures/hono_ws_app.ts", import.meta.url);
    const s = await startServer(hono as unknown as App, { threads: 1 });
    try {
      const ws = await WsClient.open(s.port, "/ws", { "Sec-WebSocket-Protocol": "chat, other" });
      assert.equal(ws.handshake.header("x-before"), "1");
      assert.equal(ws.handshake.header("sec-websocket-protocol"), "chat");
      assert.equal(textOf(await ws.frame()), "hello chat");
      assert.equal(await ask(ws, "hi"), "echo: hi");
      await ws.sendText("close");
      assert.deepEqual(await ws.closeFrame(), { code: 4001, reason: "asked to" });
      ws.destroy();
    } finally {
      await s.close();
    }
  });
});

describe("WebSocket relay flow control", () => {
  it("stops reading the client once a worker is RELAY_WINDOW behind, and reads again when it catches up", () => {
    const posted: ToWorker[] = [];
    const worker = { dead: false, thread: { post: (m: unknown) => void posted.push(m as ToWorker), terminate: () => {} } };
    const relay = new WsRelay(new Logger("error", { debug() {}, info() {}, warn() {}, error() {} }));
    const offer: UpgradeOffer = { method: "GET", minorVersion: 1, headers: [], hasBody: false, secure: false };
    relay.accept(worker, offer, { type: "ws-accept", id: 7, accept: "x", protocol: "", extensions: "", idleTimeout: undefined }, "http://localhost/");
    const holds: boolean[] = [];
    const sent: string[] = [];
    const transport: WebSocketTransport = {
      sendText: (text) => void sent.push(`text ${text}`),
      sendBinary: (bytes) => void sent.push(`binary ${bytes.length}`),
      close: (code, reason) => void sent.push(`close ${code} ${reason}`),
      bufferedAmount: 5,
      holdInput: (hold) => void holds.push(hold),
    };
    const driver = driverOf(offer.accepted!.socket, (error) => { throw error; });
    driver.open(transport);
    assert.deepEqual(posted.map((m) => m.type), ["ws-open"]);
    const chunk = 64 * 1024;
    for (let i = 0; i < RELAY_WINDOW / chunk - 1; i++) driver.binary(new Uint8Array(chunk));
    assert.deepEqual(holds, []);
    driver.binary(new Uint8Array(chunk));
    assert.deepEqual(holds, [true]);
    relay.fromWorker({ type: "ws-taken", id: 7, bytes: RELAY_WINDOW / 4 });
    assert.deepEqual(holds, [true], "still 3/4 of the window behind");
    relay.fromWorker({ type: "ws-taken", id: 7, bytes: RELAY_WINDOW / 2 });
    assert.deepEqual(holds, [true, false]);
    relay.fromWorker({ type: "ws-send", id: 7, data: "hé!", bytes: 4 });
    assert.deepEqual(sent, ["text hé!"]);
    assert.deepEqual(posted.at(-1), { type: "ws-ack", id: 7, bytes: 4, buffered: 5 });
    relay.workerGone(worker);
    assert.deepEqual(sent, ["text hé!", "close 1011 The worker thread ended"]);
  });
});

describe("WebSocket with threads: 2", () => {
  it("several sockets on two workers, each relayed to the worker that accepted it", async () => {
    await withServer({ threads: 2 }, async (s) => {
      // Two slow handshakes at once occupy both workers.
      const [a, b] = await Promise.all([WsClient.open(s.port, "/slow"), WsClient.open(s.port, "/slow")]);
      const others = await Promise.all([1, 2, 3, 4].map(() => WsClient.open(s.port)));
      const all = [a, b, ...others];
      const names = await Promise.all(all.map((ws) => ask(ws, "whoami")));
      assert.notEqual(names[0], names[1], "the two slow handshakes ran on different workers");
      assert.equal(new Set(names).size, 2);
      // Interleaved traffic on every socket.
      await Promise.all(all.map((ws, i) => ws.sendText(`message ${i}`)));
      const echoes = await Promise.all(all.map((ws) => ws.frame().then(textOf)));
      assert.deepEqual(echoes, all.map((_, i) => `message ${i}`));
      await Promise.all(all.map((ws, i) => ws.send(clientFrame(OP.close, closePayload(1000, `bye ${i}`)))));
      const closes = await Promise.all(all.map((ws) => ws.closeFrame()));
      assert.deepEqual(closes.map((c) => c.code), all.map(() => 1000));
      for (const ws of all) ws.destroy();
      assert.equal(threadStats(s.server)?.busy, 0);
    });
  });
});
