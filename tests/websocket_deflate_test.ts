/**
 * permessage-deflate on the wire (issue 18), on every runtime: negotiated only with
 * `wsPerMessageDeflate`, compressed frames from a raw client (node:zlib) inflated for the handler,
 * large replies sent compressed (RSV1) and small ones not, a decompression bomb stopped at
 * `wsMaxMessageSize` (1009), invalid UTF-8 inside a compressed text message (1007), and the npm `ws`
 * client's own permessage-deflate (context takeover) through many messages.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { type ServeOptions, upgradeWebSocket } from "../mod.ts";
import { startServer, until } from "./_helpers.ts";
import { clientFrame, OP, textOf, WsClient } from "./_ws_client.ts";

const OFFER = { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" };

/** A message compressed as one permessage-deflate frame payload (RFC 7692 7.2.1: the 00 00 FF FF tail removed). */
function compress(data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const out = new Uint8Array(deflateRawSync(bytes, { finishFlush: 2 /* Z_SYNC_FLUSH */ }));
  return out.subarray(0, out.length - 4);
}

function inflate(payload: Uint8Array): Uint8Array {
  const tail = new Uint8Array([0, 0, 0xff, 0xff]);
  const joined = new Uint8Array(payload.length + 4);
  joined.set(payload);
  joined.set(tail, payload.length);
  return new Uint8Array(inflateRawSync(joined, { finishFlush: 2 }));
}

async function withEcho(options: ServeOptions, run: (port: number, seen: string[]) => Promise<void>): Promise<void> {
  const seen: string[] = [];
  const s = await startServer((request) => {
    const { socket, response } = upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => seen.push(`extensions ${socket.extensions}`);
    socket.onmessage = (event) => {
      seen.push(typeof event.data === "string" ? `text ${event.data.length}` : `binary ${(event.data as ArrayBuffer).byteLength}`);
      socket.send(event.data as string);
    };
    socket.onclose = (event) => seen.push(`close ${event.code}`);
    return response;
  }, options);
  try {
    await run(s.port, seen);
  } finally {
    await s.close();
  }
}

describe("permessage-deflate", () => {
  it("is not negotiated without wsPerMessageDeflate: an RSV1 frame is then a protocol error (1002)", async () => {
    await withEcho({}, async (port) => {
      const ws = await WsClient.open(port, "/", OFFER);
      assert.equal(ws.handshake.header("sec-websocket-extensions"), undefined);
      await ws.send(clientFrame(OP.text, compress("hello"), { rsv: 4 }));
      assert.equal((await ws.closeFrame()).code, 1002);
      ws.destroy();
    });
  });

  it("inflates compressed messages; compresses replies of 1 KiB and more, not smaller ones", async () => {
    await withEcho({ wsPerMessageDeflate: true }, async (port, seen) => {
      const ws = await WsClient.open(port, "/", OFFER);
      try {
        assert.equal(ws.handshake.header("sec-websocket-extensions"), "permessage-deflate");
        const big = "waitress ".repeat(20_000);
        await ws.send(clientFrame(OP.text, compress(big), { rsv: 4 }));
        const reply = await ws.frame();
        assert.equal(reply.rsv, 4, "the reply is compressed");
        assert.ok(reply.payload.length < big.length / 20, `compressed to ${reply.payload.length}`);
        assert.equal(new TextDecoder().decode(inflate(reply.payload)), big);
        await ws.send(clientFrame(OP.text, compress("small"), { rsv: 4 }));
        const small = await ws.frame();
        assert.equal(small.rsv, 0);
        assert.equal(textOf(small), "small");
        await ws.sendText("plain"); // uncompressed messages stay allowed
        assert.equal(textOf(await ws.frame()), "plain");
        assert.deepEqual(seen.slice(0, 4), ["extensions permessage-deflate", `text ${big.length}`, "text 5", "text 5"]);
      } finally {
        ws.destroy();
      }
    });
  });

  it("stops a decompression bomb at wsMaxMessageSize with 1009", async () => {
    await withEcho({ wsPerMessageDeflate: true, wsMaxMessageSize: 1 << 20 }, async (port, seen) => {
      const ws = await WsClient.open(port, "/", OFFER);
      const bomb = compress(new Uint8Array(64 << 20)); // 64 MiB of zeros, about 64 KiB compressed
      assert.ok(bomb.length < 100_000);
      const started = Date.now();
      await ws.send(clientFrame(OP.binary, bomb, { rsv: 4 }));
      assert.equal((await ws.closeFrame(5000)).code, 1009);
      assert.ok(Date.now() - started < 3000, "stopped early");
      await until(() => seen.includes("close 1009"), "close event");
      ws.destroy();
    });
  });

  it("invalid UTF-8 inside a compressed text message closes with 1007", async () => {
    await withEcho({ wsPerMessageDeflate: true }, async (port) => {
      const ws = await WsClient.open(port, "/", OFFER);
      await ws.send(clientFrame(OP.text, compress(new Uint8Array([0x68, 0xc3, 0x28])), { rsv: 4 }));
      assert.equal((await ws.closeFrame()).code, 1007);
      ws.destroy();
    });
  });

  it("talks to the npm ws client's permessage-deflate (context takeover) through 50 messages", async () => {
    await withEcho({ wsPerMessageDeflate: true }, async (port, seen) => {
      const { default: WebSocket } = await import("ws");
      const client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { threshold: 0 } });
      const replies: string[] = [];
      await new Promise<void>((resolve, reject) => {
        client.on("open", () => {
          for (let i = 0; i < 50; i++) client.send(`message ${i} `.repeat(200));
        });
        client.on("message", (data: Buffer) => {
          replies.push(data.toString());
          if (replies.length === 50) resolve();
        });
        client.on("error", reject);
      });
      assert.equal(client.extensions, "permessage-deflate");
      replies.forEach((reply, i) => assert.equal(reply, `message ${i} `.repeat(200)));
      client.close(1000);
      await until(() => seen.includes("close 1000"), "close event");
      assert.equal(seen[0], "extensions permessage-deflate");
    });
  });
});
