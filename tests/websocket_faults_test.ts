/**
 * Rude WebSocket clients over real sockets (issue 18), on every runtime: a client that leaves with a
 * FIN or a reset at every phase (mid-handshake, after the 101, mid frame header, mid payload, while
 * the server sends to it, after its close frame), a half-closing client, and hundreds of sockets at
 * once. After each, every server-side socket has reported `close`, the server's connection count is
 * back to 0, it still serves, and this process's descriptors are back where they were.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { upgradeWebSocket } from "../mod.ts";
import type { ServerWebSocket } from "../mod.ts";
import { RawClient, startServer, until, type TestServer } from "./_helpers.ts";
import { baseline, leave, type Leave, recovered } from "./_faults.ts";
import { clientFrame, closePayload, handshakeRequest, OP, textOf, WsClient } from "./_ws_client.ts";

let opened = 0;
let closed = 0;
const live = new Set<ServerWebSocket>();

/** Echoes; `/flood` sends 64 KiB messages as fast as the socket takes them (up to 1 MiB buffered). */
function app(request: Request): Response {
  const url = new URL(request.url);
  if (request.headers.get("upgrade") === null) return new Response(url.pathname === "/ok" ? "ok" : "plain");
  const { socket, response } = upgradeWebSocket(request);
  socket.onopen = () => {
    opened++;
    live.add(socket);
    if (url.pathname !== "/flood") return;
    const chunk = new Uint8Array(64 * 1024);
    const pump = (): void => {
      while (socket.readyState === 1 && socket.bufferedAmount < 1 << 20) socket.send(chunk);
      if (socket.readyState === 1) setTimeout(pump, 5);
    };
    pump();
  };
  socket.onmessage = (event) => socket.send(event.data as string);
  socket.onclose = () => {
    closed++;
    live.delete(socket);
  };
  return response;
}

describe("WebSocket: rude clients", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(app, { connectionLimit: 500, wsPingTimeout: 1 });
  });
  after(() => s?.close());

  async function afterFault(what: string, before: ReturnType<typeof baseline>): Promise<void> {
    await until(() => live.size === 0, `${what}: every server-side socket reported close (${live.size} open)`, 8000);
    assert.equal(opened, closed, `${what}: opened ${opened}, closed ${closed}`);
    await recovered(s, before, what);
  }

  const phases: [string, (client: RawClient, port: number) => Promise<void>][] = [
    ["mid-handshake", async (c, port) => {
      await c.send(handshakeRequest(port).slice(0, 40));
    }],
    ["after the 101", async (c, port) => {
      await c.send(handshakeRequest(port));
      assert.equal((await c.response()).status, 101);
      await until(() => live.size === 1, "open");
    }],
    ["mid frame header", async (c, port) => {
      await c.send(handshakeRequest(port));
      await c.response();
      await c.send(clientFrame(OP.binary, new Uint8Array(70_000)).subarray(0, 3));
    }],
    ["mid payload of a 1 MiB message", async (c, port) => {
      await c.send(handshakeRequest(port));
      await c.response();
      await c.send(clientFrame(OP.binary, new Uint8Array(1 << 20)).subarray(0, 300_000));
    }],
    ["mid fragmented message", async (c, port) => {
      await c.send(handshakeRequest(port));
      await c.response();
      await c.send(clientFrame(OP.text, "part one", { fin: false }));
    }],
    ["after its close frame", async (c, port) => {
      await c.send(handshakeRequest(port));
      await c.response();
      await c.send(clientFrame(OP.close, closePayload(1000)));
    }],
    ["while the server floods it", async (c, port) => {
      await c.send(handshakeRequest(port, "/flood"));
      await c.response();
      c.socket.pause();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }],
  ];
  for (const [phase, run] of phases) {
    for (const how of ["fin", "reset"] as Leave[]) {
      it(`a client that leaves ${phase} (${how})`, async () => {
        const before = baseline();
        const client = new RawClient(s.port);
        await run(client, s.port);
        leave(client, how);
        await afterFault(`${phase} (${how})`, before);
      });
    }
  }

  it("a client that half-closes after a message gets its echo, then the connection ends (close 1006 on the server)", async () => {
    const before = baseline();
    const ws = await WsClient.open(s.port);
    await ws.sendText("last words");
    ws.raw.end();
    // The echo may be lost to the race with the FIN; the connection must end either way.
    assert.ok(await ws.raw.closed(3000), "the server ended the connection");
    await afterFault("half-close", before);
  });

  it("300 WebSockets at once each echo 3 messages, then all leave; nothing is left behind", async () => {
    const before = baseline();
    const clients = await Promise.all(Array.from({ length: 300 }, () => WsClient.open(s.port)));
    try {
      await Promise.all(clients.map(async (ws, i) => {
        for (let k = 0; k < 3; k++) {
          await ws.sendText(`${i}:${k}`);
          assert.equal(textOf(await ws.frame(10000)), `${i}:${k}`);
        }
      }));
      assert.equal(s.server.stats().connections, 300);
    } finally {
      clients.forEach((ws, i) => i % 2 === 0 ? ws.destroy() : void ws.send(clientFrame(OP.close, closePayload(1000))));
    }
    await afterFault("300 sockets", before);
  });
});
