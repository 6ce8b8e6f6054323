/**
 * The fixed-seed fuzz batch (every runtime, every `npm test`): generated and mutated requests
 * through all the oracles of tests/fuzz_lib.ts, and the linear-time proof on 1 MiB of adversarial
 * input, all driven by tests/_parser_harness.ts. Longer runs: `npm run fuzz -- --seconds N`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { latin1Bytes, latin1Text } from "./_bytes.ts";
import { feedInPieces, LIMIT_PROFILES, runParser, serializeEvents } from "./_parser_harness.ts";
import { generatePipeline, mixSeed, Prng } from "./_parser_harness_generate.ts";
import { ADVERSARIAL, adversarialInput, mutate } from "./_parser_harness_inputs.ts";
import { checkInput, formatFailure, fuzzIteration } from "./fuzz_lib.ts";

/** The batch's seed: change it only together with a full `npm run fuzz` run. */
const SEED = 20250701;
const ITERATIONS = 300;

const reproduce = (i: number): string => `npm run fuzz -- --seed ${SEED} --iteration ${i}`;

describe("fuzz kit", () => {
  it("Prng() gives the same sequence for the same seed", () => {
    const a = new Prng(99);
    const b = new Prng(99);
    const c = new Prng(100);
    const sa = Array.from({ length: 8 }, () => a.next());
    assert.deepEqual(Array.from({ length: 8 }, () => b.next()), sa);
    assert.notDeepEqual(Array.from({ length: 8 }, () => c.next()), sa);
    assert.notEqual(mixSeed(1, 2), mixSeed(2, 1));
    // Pinned values: the same on every runtime, so a printed seed reproduces everywhere.
    assert.deepEqual(sa.slice(0, 3), [1700393783, 3904858486, 626082239]);
    assert.equal(mixSeed(1, 2), 2017156448);
  });

  it("serializeEvents() writes canonical bytes that parse to the same events", () => {
    const input = latin1Bytes(
      "\r\nPOST /a?b HTTP/1.1\r\nHost:  x \r\nTransfer-Encoding: chunked\r\n\r\n" +
        "2;ext=1\r\nhi\r\n1\r\n!\r\n0\r\nT:\tv\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    );
    const first = runParser(input, LIMIT_PROFILES.default, "whole");
    const canonical = serializeEvents(first.events);
    assert.equal(
      latin1Text(canonical),
      "POST /a?b HTTP/1.1\r\nhost:x\r\ntransfer-encoding:chunked\r\n\r\n3\r\nhi!\r\n0\r\nt:v\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    );
    assert.deepEqual(runParser(canonical, LIMIT_PROFILES.default, "whole").events, first.events);
  });

  it("generatePipeline() covers methods, versions, bodies and pipelines", () => {
    const rng = new Prng(SEED);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generatePipeline(rng, { limits: LIMIT_PROFILES.small });
      for (const r of p.requests) {
        seen.add(r.method);
        seen.add(`1.${r.minorVersion}`);
        seen.add(r.chunked ? "chunked" : r.body.length > 0 ? "cl" : "none");
        if (r.trailers.length > 0) seen.add("trailers");
        if (!r.keepAlive) seen.add("close");
      }
      if (p.requests.length > 1) seen.add("pipeline");
    }
    for (const want of ["GET", "POST", "HEAD", "1.0", "1.1", "chunked", "cl", "none", "trailers", "close", "pipeline"]) {
      assert.ok(seen.has(want), `generated inputs include ${want}`);
    }
  });

  it("mutate() reaches every kind of rejection", () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 400 && statuses.size < 6; i++) {
      const rng = new Prng(mixSeed(SEED + 1, i));
      const p = generatePipeline(rng, { limits: LIMIT_PROFILES.small, maxRequests: 2 });
      const events = runParser(mutate(rng, p.bytes), LIMIT_PROFILES.small, "whole").events;
      const last = events[events.length - 1];
      statuses.add(last?.type === "error" ? last.status : 0);
    }
    for (const s of [0, 400, 431]) assert.ok(statuses.has(s), `status ${s} among ${[...statuses].join(",")}`);
    assert.ok(statuses.size >= 4, `several statuses: ${[...statuses].join(",")}`);
  });
});

describe("RequestParser under fuzzing (fixed seed)", () => {
  it(`RequestParser passes every oracle on ${ITERATIONS} generated and ${ITERATIONS} mutated inputs`, () => {
    let executions = 0;
    const statuses = new Map<number, number>();
    for (let i = 0; i < ITERATIONS; i++) {
      const r = fuzzIteration(SEED, i);
      executions += r.executions;
      for (const s of r.statuses) statuses.set(s, (statuses.get(s) ?? 0) + 1);
      if (r.failure) assert.fail(formatFailure(r.failure, reproduce(i)));
    }
    assert.ok(executions >= 2 * ITERATIONS, `${executions} executions`);
    // The batch must exercise both sides: accepted input and several kinds of rejection.
    assert.ok((statuses.get(0) ?? 0) > ITERATIONS / 2, "most generated input is accepted");
    assert.ok((statuses.get(400) ?? 0) > 20 && (statuses.get(431) ?? 0) > 5, JSON.stringify([...statuses]));
  });

  it("RequestParser gives the same events split in two at every position (short inputs)", () => {
    let checked = 0;
    for (let i = 0; i < 200 && checked < 40; i++) {
      const rng = new Prng(mixSeed(SEED + 2, i));
      const p = generatePipeline(rng, { limits: LIMIT_PROFILES.small, maxRequests: 2, maxBody: 40 });
      const inputs = [p.bytes, mutate(rng, p.bytes)];
      for (const input of inputs) {
        if (input.length > 400) continue;
        checked++;
        const f = checkInput(input, LIMIT_PROFILES.small, rng, { randomSplits: 0, everySplitUpTo: 400, expected: input === p.bytes ? p.expected : undefined });
        if (f) assert.fail(formatFailure(f, `seed ${SEED + 2}, index ${i} in tests/fuzz_test.ts`));
      }
    }
    assert.ok(checked >= 40, `${checked} short inputs`);
  });
});

describe("RequestParser work per byte", () => {
  const MiB = 1024 * 1024;

  // Warm up the JIT so the first timed case is not penalised.
  it("feedInPieces() warms up on every adversarial input", () => {
    for (const c of ADVERSARIAL) assert.equal(feedInPieces(adversarialInput(c, 64 * 1024), 3).errors, 0);
  });

  for (const c of ADVERSARIAL) {
    for (const piece of [1, 7]) {
      it(`RequestParser parses 1 MiB of ${c.name} in ${piece}-byte pieces in linear time`, () => {
        const quarter = adversarialInput(c, MiB / 4);
        const full = adversarialInput(c, MiB);
        const work = feedInPieces(full, piece);
        assert.equal(work.errors, 0, "parsed to the end without an error");
        // Deterministic operation count: one feed() per piece, one next() per event plus one per piece.
        const pieces = Math.ceil(MiB / piece);
        assert.equal(work.calls, 2 * pieces + work.events, "feed() and next() calls");
        // Short runs are timed several times over (~40 ms per attempt), the two sizes interleaved
        // so that a burst of load from elsewhere hits both alike.
        const reps = Math.min(20, Math.max(1, Math.ceil(40 / Math.max(work.ms, 0.5))));
        // Time per doubling, from 256 KiB to 1 MiB (two doublings): linear work gives about 2,
        // quadratic work 4. Wall-clock is noisy (GC, other processes), so retry, keeping the best
        // time of each size, before calling it non-linear.
        let tQuarter = Infinity;
        let tFull = reps === 1 ? work.ms : Infinity;
        let perDoubling = Infinity;
        for (let attempt = 0; attempt < 6 && perDoubling >= 3; attempt++) {
          let q = 0;
          let f = 0;
          for (let r = 0; r < reps; r++) {
            q += feedInPieces(quarter, piece).ms;
            if (attempt > 0 || reps > 1) f += feedInPieces(full, piece).ms;
          }
          tQuarter = Math.min(tQuarter, q / reps);
          if (f > 0) tFull = Math.min(tFull, f / reps);
          perDoubling = Math.sqrt(tFull / Math.max(tQuarter, 0.25));
        }
        const timing = `256 KiB ${tQuarter.toFixed(1)} ms, 1 MiB ${tFull.toFixed(1)} ms, x${perDoubling.toFixed(2)} per doubling`;
        assert.ok(perDoubling < 3, `${timing}: doubling the input more than triples the time`);
        assert.ok(tFull < 3000, `${timing}: 1 MiB took too long`);
      });
    }
  }
});
