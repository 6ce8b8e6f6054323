/**
 * WebSockets leave nothing behind (issue 18): rounds of sockets that each exchange a message and then
 * end one of five ways (a clean close from the client, a close from the server, a client FIN without a
 * close frame, a client reset, a protocol error). Every server-side socket object is watched with a
 * FinalizationRegistry; once all have reported `close` and the handler dropped them, a forced GC
 * (tests/_gc.ts) must collect them, counted per way of ending, so a path that keeps its sockets alive
 * (a set, a timer, a closure) fails here even when the others are clean. On every runtime.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { upgradeWebSocket } from "../mod.ts";
import { forceGc } from "./_gc.ts";
import { sleep, startServer, until } from "./_helpers.ts";
import { clientFrame, closePayload, OP, textOf, WsClient } from "./_ws_client.ts";

const ENDINGS = ["client close", "server close", "client FIN", "client reset", "protocol error"] as const;
type Ending = typeof ENDINGS[number];
const ROUNDS = 3;
const PER_ENDING = 40;

describe("WebSocket: nothing is kept after the close", () => {
  it(`${ROUNDS} rounds of ${ENDINGS.length * PER_ENDING} sockets, each ending one of ${ENDINGS.length} ways: every server-side socket is collected`, async () => {
    const collected = new Map<Ending, number>(ENDINGS.map((e) => [e, 0]));
    const registry = new FinalizationRegistry<Ending>((ending) => collected.set(ending, collected.get(ending)! + 1));
    let open = 0;
    const s = await startServer((request: Request) => {
      if (request.headers.get("upgrade") === null) return new Response("ok");
      const ending = decodeURIComponent(new URL(request.url).pathname.slice(1)) as Ending;
      const { socket, response } = upgradeWebSocket(request);
      registry.register(socket, ending);
      socket.onopen = () => open++;
      socket.onmessage = (event) => {
        socket.send(`echo ${event.data}`);
        if (ending === "server close") socket.close(1000, "bye");
      };
      socket.onclose = () => open--;
      return response;
    }, { connectionLimit: 1000, wsPingTimeout: 1 });
    try {
      for (let round = 0; round < ROUNDS; round++) {
        await Promise.all(ENDINGS.flatMap((ending) => Array.from({ length: PER_ENDING }, async () => {
          const ws = await WsClient.open(s.port, `/${encodeURIComponent(ending)}`);
          try {
            await ws.sendText("hi");
            assert.equal(textOf(await ws.frame()), "echo hi");
            if (ending === "client close") {
              await ws.send(clientFrame(OP.close, closePayload(1000)));
              assert.equal((await ws.closeFrame()).code, 1000);
            } else if (ending === "server close") {
              assert.equal((await ws.closeFrame()).code, 1000);
              await ws.send(clientFrame(OP.close, closePayload(1000)));
            } else if (ending === "client FIN") {
              ws.raw.end();
              assert.equal(await ws.raw.closed(5000), true, "the server closes after the client's FIN");
            } else if (ending === "protocol error") {
              await ws.send(clientFrame(OP.text, "unmasked", { mask: false }));
              assert.equal((await ws.closeFrame()).code, 1002);
            }
          } finally {
            ws.destroy();
          }
        })));
        await until(() => open === 0 && s.server.connectionCount === 0, `round ${round}: every socket closed (${open} open, ${s.server.connectionCount} connections)`, 8000);
      }
      const total = ROUNDS * PER_ENDING;
      const enough = (): boolean => ENDINGS.every((e) => collected.get(e)! >= total * 0.9);
      for (let i = 0; i < 20 && !enough(); i++) {
        forceGc();
        await sleep(50);
      }
      // A conservative collector (Bun's) may keep a few that a stack slot still seems to point at; a
      // leak keeps them all.
      const report = ENDINGS.map((e) => `${e}: ${collected.get(e)} of ${total}`).join(", ");
      assert.ok(enough(), `server-side sockets collected: ${report}`);
      const plain = await fetch(`http://127.0.0.1:${s.port}/`, { headers: { connection: "close" } });
      assert.equal(await plain.text(), "ok", "the server still serves");
    } finally {
      await s.close();
    }
  });
});
