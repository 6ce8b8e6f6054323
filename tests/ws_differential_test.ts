/**
 * WsReader against an implementation nobody here wrote: the `ws` npm package's Receiver (its
 * server-side frame parser), on the fuzzer's generated frame sequences and their mutants. Where `ws`
 * decodes an input without an error, WsReader must give the same messages, pings, pongs and close
 * (or fail fast with 1007 on a text message `ws` has not finished); where `ws` fails the connection,
 * WsReader must fail it too, after the same events, with the same code unless WsReader's is an
 * earlier 1007 (it validates UTF-8 as bytes arrive, `ws` at the end of a message). Node and Deno;
 * Bun answers `import "ws"` with its own shim, which has no Receiver.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mixSeed, Prng } from "./_parser_harness_generate.ts";
import { generateWsSequence, mutateWs } from "./ws_fuzz_lib.ts";
import { canon, runReader, toHex } from "./_ws_harness.ts";
import type { WsReaderLimits } from "../src/ws/ws_reader.ts";

interface WsReceiver {
  on(event: string, listener: (...args: unknown[]) => void): void;
  write(chunk: Uint8Array): boolean;
}
type ReceiverClass = new (options: { isServer: boolean; maxPayload: number; allowSynchronousEvents: boolean }) => WsReceiver;

const SEED = 20261208;
/** ws has no fragment-count limit: generate up to 64 fragments, let WsReader take any number. */
const GENERATE: WsReaderLimits = { maxMessageSize: 4096, maxFragments: 64 };
const LIMITS: WsReaderLimits = { maxMessageSize: 4096, maxFragments: 1 << 20 };

/** What ws's Receiver makes of `input`: canonical events, the last one `error CODE` if it failed. */
async function viaWs(Receiver: ReceiverClass, input: Uint8Array): Promise<string[]> {
  const events: string[] = [];
  let done = false;
  const r = new Receiver({ isServer: true, maxPayload: LIMITS.maxMessageSize, allowSynchronousEvents: true });
  const push = (e: string): void => {
    if (!done) events.push(e);
  };
  r.on("message", (data, isBinary) => {
    const bytes = new Uint8Array(data as Uint8Array);
    push(canon(isBinary ? { type: "binary", data: bytes, compressed: false } : { type: "text", data: bytes, compressed: false }));
  });
  r.on("ping", (data) => push(canon({ type: "ping", data: new Uint8Array(data as Uint8Array) })));
  r.on("pong", (data) => push(canon({ type: "pong", data: new Uint8Array(data as Uint8Array) })));
  r.on("conclude", (code, reason) => {
    push(canon({ type: "close", code: code as number, reason: new TextDecoder("utf-8", { ignoreBOM: true }).decode(reason as Uint8Array) }));
    done = true;
  });
  r.on("error", (err) => {
    const e = err as Record<symbol, unknown>;
    const sym = Object.getOwnPropertySymbols(e).find((s) => s.description === "status-code");
    push(`error ${sym === undefined ? "?" : e[sym]}`);
    done = true;
  });
  r.write(input.slice());
  // ws reports an error through the stream's write callback, on a later tick.
  await new Promise((resolve) => setImmediate(resolve));
  return events;
}

describe("WsReader and the ws package's Receiver agree", () => {
  it("on 300 generated sequences and 600 mutants", async (t) => {
    let Receiver: ReceiverClass;
    try {
      Receiver = ((await import("ws")) as unknown as { Receiver: ReceiverClass }).Receiver;
      new Receiver({ isServer: true, maxPayload: 0, allowSynchronousEvents: true });
    } catch (error) {
      // Bun answers `import "ws"` with its own shim, which has no Receiver.
      t.skip(`the ws package does not load here: ${error}`);
      return;
    }
    const tally = { same: 0, wsOkOursEarlier1007: 0, bothFailed: 0, codesDiffer: 0 };
    for (let i = 0; i < 300; i++) {
      const rng = new Prng(mixSeed(SEED, i));
      const g = generateWsSequence(rng, GENERATE);
      if (g.allowRsv1) continue; // compression needs ws's extension objects
      for (const input of [g.bytes, mutateWs(rng, g.bytes), mutateWs(rng, g.bytes)]) {
        const ours = runReader(input, LIMITS, "whole").events;
        const theirs = await viaWs(Receiver, input);
        const where = `iteration ${i}, input ${toHex(input).slice(0, 400)}`;
        const show = (events: string[]): string => JSON.stringify(events).slice(-600);
        if (JSON.stringify(ours) === JSON.stringify(theirs)) {
          tally.same++;
          continue;
        }
        const oursErr = ours.at(-1)?.startsWith("error") ?? false;
        const theirsErr = theirs.at(-1)?.startsWith("error") ?? false;
        if (!theirsErr) {
          // ws found nothing wrong: the only allowed difference is our fail-fast 1007 on a message
          // ws has not finished reading, after the same events.
          assert.ok(ours.at(-1) === "error 1007" && JSON.stringify(ours.slice(0, -1)) === JSON.stringify(theirs), `${where}\n  ours ...${show(ours)}\n  ws   ...${show(theirs)}`);
          tally.wsOkOursEarlier1007++;
        } else {
          assert.ok(oursErr, `ws fails the connection, WsReader does not: ${where}\n  ours ...${show(ours)}\n  ws   ...${show(theirs)}`);
          tally.bothFailed++;
          // The same events up to the failure; a different code only where ours is the earlier UTF-8 verdict.
          assert.deepEqual(ours.slice(0, -1), theirs.slice(0, ours.length - 1), `${where}: the events before our error`);
          if (ours.at(-1) !== theirs.at(-1)) {
            assert.ok(ours.at(-1) === "error 1007" && ours.length <= theirs.length, `${where}\n  ours ...${show(ours)}\n  ws   ...${show(theirs)}`);
            tally.codesDiffer++;
          }
        }
      }
    }
    assert.ok(tally.same > 300 && tally.bothFailed > 10, JSON.stringify(tally));
  });
});
