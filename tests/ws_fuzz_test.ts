/**
 * The fixed-seed WebSocket reader fuzz batch (every runtime, every `npm test`): generated valid frame
 * sequences and their mutants through all the oracles of tests/ws_fuzz_lib.ts. Longer runs:
 * `npm run fuzz -- --target ws --seconds N`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mixSeed, Prng } from "./_parser_harness_generate.ts";
import { checkWsInput, formatWsFailure, generateWsSequence, mutateWs, WS_LIMIT_PROFILES, wsFuzzIteration } from "./ws_fuzz_lib.ts";
import { runReader } from "./_ws_harness.ts";

/** The batch's seed: change it only together with a long `npm run fuzz -- --target ws` run. */
const SEED = 20261207;
const ITERATIONS = 400;

const reproduce = (i: number): string => `npm run fuzz -- --target ws --seed ${SEED} --iteration ${i}`;

describe("WebSocket fuzz kit", () => {
  it("generateWsSequence() covers text, binary, fragments, controls, compression and close", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const rng = new Prng(mixSeed(SEED, i));
      const g = generateWsSequence(rng, WS_LIMIT_PROFILES.default);
      for (const e of g.expected) seen.add(e.split(" ")[0] + (e.endsWith("(compressed)") ? "-z" : ""));
      if (g.bytes.length > 0 && (g.bytes[0] & 0x80) === 0) seen.add("fragmented");
    }
    for (const want of ["text", "binary", "ping", "pong", "close", "text-z", "binary-z", "fragmented"]) assert.ok(seen.has(want), `generated ${want} (${[...seen].join(",")})`);
  });

  it("mutateWs() reaches every error code and clean ends", () => {
    const verdicts = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const rng = new Prng(mixSeed(SEED + 1, i));
      const limits = i % 2 === 0 ? WS_LIMIT_PROFILES.small : WS_LIMIT_PROFILES.default;
      const g = generateWsSequence(rng, limits);
      const last = runReader(mutateWs(rng, g.bytes), limits, "whole", { allowRsv1: g.allowRsv1 }).raw.at(-1);
      const v = last?.type === "error" ? `${last.code}` : "ok";
      verdicts.set(v, (verdicts.get(v) ?? 0) + 1);
    }
    for (const v of ["ok", "1002", "1007", "1009"]) assert.ok((verdicts.get(v) ?? 0) > 3, `${v} among ${JSON.stringify([...verdicts])}`);
  });
});

describe("WsReader under fuzzing (fixed seed)", () => {
  it(`WsReader passes every oracle on ${ITERATIONS} generated sequences and their mutants`, () => {
    let executions = 0;
    const verdicts = new Map<string, number>();
    for (let i = 0; i < ITERATIONS; i++) {
      const r = wsFuzzIteration(SEED, i);
      executions += r.executions;
      for (const v of r.verdicts) verdicts.set(v, (verdicts.get(v) ?? 0) + 1);
      if (r.failure) assert.fail(formatWsFailure(r.failure, reproduce(i)));
    }
    assert.ok(executions >= 3 * ITERATIONS, `${executions} executions`);
    assert.ok((verdicts.get("ok") ?? 0) > ITERATIONS, JSON.stringify([...verdicts]));
    for (const v of ["1002", "1007", "1009"]) assert.ok((verdicts.get(v) ?? 0) > 5, `${v}: ${JSON.stringify([...verdicts])}`);
  });

  it("WsReader gives the same events split in two at every position (short inputs)", () => {
    let checked = 0;
    for (let i = 0; i < 400 && checked < 40; i++) {
      const rng = new Prng(mixSeed(SEED + 2, i));
      const g = generateWsSequence(rng, WS_LIMIT_PROFILES.small);
      for (const [input, expected] of [[g.bytes, g.expected], [mutateWs(rng, g.bytes), undefined]] as const) {
        if (input.length > 300 || input.length === 0) continue;
        checked++;
        const f = checkWsInput(input, WS_LIMIT_PROFILES.small, rng, { expected, allowRsv1: g.allowRsv1, randomSplits: 0, everySplitUpTo: 300 });
        if (f) assert.fail(formatWsFailure(f, `seed ${SEED + 2}, index ${i} in tests/ws_fuzz_test.ts`));
      }
    }
    assert.ok(checked >= 40, `${checked} short inputs`);
  });
});
