/**
 * Hono's WebSocket contract (issue 18): an app written for `hono/deno` runs with only its import changed
 * to `@waitress/core/hono` (tests/fixtures/hono_ws_app.ts), including a middleware that makes Hono copy
 * the upgrade response. Talked to with the runtime's own WebSocket client where it has one (Deno, Bun),
 * the npm `ws` client otherwise, and the raw client for the exact bytes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import app from "./fixtures/hono_ws_app.ts";
import { RawClient, startServer } from "./_helpers.ts";
import { clientFrame, handshakeRequest, OP, textOf, WsClient } from "./_ws_client.ts";

/** The runtime's WebSocket client, or the npm `ws` one (Node 20 has none). */
async function clientClass(): Promise<typeof WebSocket> {
  const native = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (native !== undefined) return native;
  return (await import("ws")).default as unknown as typeof WebSocket;
}

describe("Hono upgradeWebSocket", () => {
  it("switches protocols on the route, with the middleware's header, and runs onOpen/onMessage", async () => {
    const s = await startServer(app.fetch);
    try {
      const ws = await WsClient.open(s.port, "/ws", { "Sec-WebSocket-Protocol": "chat, other" });
      try {
        assert.equal(ws.handshake.header("x-before"), "1");
        assert.equal(ws.handshake.header("sec-websocket-protocol"), "chat");
        assert.equal(textOf(await ws.frame()), "hello chat");
        await ws.sendText("hi");
        assert.equal(textOf(await ws.frame()), "echo: hi");
        await ws.send(clientFrame(OP.text, "close"));
        const close = await ws.closeFrame();
        assert.equal(close.code, 4001);
        assert.equal(close.reason, "asked to");
      } finally {
        ws.destroy();
      }
    } finally {
      await s.close();
    }
  });

  it("a request without Upgrade goes on to the next handler; a bad handshake gets 400", async () => {
    const s = await startServer(app.fetch);
    try {
      const plain = new RawClient(s.port);
      await plain.send(`GET / HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert.equal((await plain.response()).text, "plain route");
      plain.destroy();
      const bad = new RawClient(s.port);
      await bad.send(handshakeRequest(s.port, "/ws", { "Sec-WebSocket-Key": "bm90IDE2IGJ5dGVz" }));
      assert.equal((await bad.response()).status, 400);
      bad.destroy();
    } finally {
      await s.close();
    }
  });

  it("talks to a WebSocket client library: text and binary both ways", async () => {
    const s = await startServer(app.fetch);
    try {
      const Client = await clientClass();
      const socket = new Client(`ws://127.0.0.1:${s.port}/ws`);
      socket.binaryType = "arraybuffer";
      const received: unknown[] = [];
      const done = new Promise<void>((resolve, reject) => {
        socket.onmessage = (event: MessageEvent) => {
          received.push(event.data);
          if (received.length === 1) socket.send("x");
          else if (received.length === 2) socket.send(new Uint8Array([1, 2, 3]));
          else {
            socket.close(1000);
            resolve();
          }
        };
        socket.onerror = () => reject(new Error("client error"));
      });
      await done;
      assert.equal(received[0], "hello");
      assert.equal(received[1], "echo: x");
      assert.deepEqual(new Uint8Array(received[2] as ArrayBuffer), new Uint8Array([1, 2, 3]));
    } finally {
      await s.close();
    }
  });
});
