/**
 * The parser fixtures of tests/parser_cases.ts, each fed whole, one byte at a time, in 7-byte pieces
 * and split at every position through tests/_parser_harness.ts, and RequestParser's API edges.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_PARSER_LIMITS, type ParserLimits, RequestParser, type RequestHead } from "../src/http1/parser.ts";
import { CASES, type ExpectError, type ExpectEvent, type ExpectHead } from "./parser_cases.ts";
import { latin1Text } from "./_bytes.ts";
import {
  type CanonEvent as Canon,
  evenSplit,
  feedInPieces,
  inputBytes as bytes,
  limitsWith,
  type Outcome,
  runParser,
  sameOutcome,
  type Split,
} from "./_parser_harness.ts";

const VALID = bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n");

/** Feeds `input` cut as `split` says; the harness's per-event rules must all hold. */
function drive(input: Uint8Array, limits: ParserLimits, split: Split, how: string): Outcome {
  const o = runParser(input, limits, split);
  assert.equal(o.thrown, undefined, `${how}: the parser threw`);
  assert.deepEqual(o.violations, [], how);
  return o;
}

function headLine(h: RequestHead): string {
  return `${h.method} ${h.target} 1.${h.minorVersion}`;
}

function render(e: Canon): string {
  switch (e.type) {
    case "head":
      return `head ${headLine(e.head)}`;
    case "body":
      return `body ${e.data}`;
    case "end":
      return e.trailers.length === 0 ? "end" : `end ${JSON.stringify(e.trailers)}`;
    default:
      return `error ${e.status} ${e.reason}: ${e.detail}`;
  }
}

function checkError(actual: Canon | undefined, want: ExpectError, all: Canon[]): void {
  assert.ok(actual?.type === "error", `expected error ${want.error}, got ${JSON.stringify(all.map(render))}`);
  assert.equal(actual.status, want.error, `status; events ${JSON.stringify(all.map(render))}`);
  if (want.detail !== undefined) {
    assert.ok(actual.detail.includes(want.detail), `detail ${JSON.stringify(actual.detail)} lacks ${JSON.stringify(want.detail)}`);
  }
  if (want.reason !== undefined) assert.equal(actual.reason, want.reason);
  assert.ok(actual.detail.length > 0 && actual.detail.length < 200, "short detail");
}

function checkExpect(events: Canon[], expect: ExpectEvent[] | ExpectError): void {
  if (!Array.isArray(expect)) {
    checkError(events[events.length - 1], expect, events);
    return;
  }
  const shown = JSON.stringify(events.map(render));
  assert.equal(events.length, expect.length, `event count; got ${shown}`);
  expect.forEach((want, i) => {
    const got = events[i];
    if (typeof want === "string") {
      assert.equal(render(got), want, `event ${i}; got ${shown}`);
    } else if ("error" in want) {
      checkError(got, want, events);
    } else if ("end" in want) {
      assert.ok(got.type === "end", `event ${i} should be end; got ${shown}`);
      assert.deepEqual(got.trailers, want.end);
    } else {
      const wh: ExpectHead = want;
      assert.ok(got.type === "head", `event ${i} should be head; got ${shown}`);
      assert.equal(headLine(got.head), wh.head);
      for (const key of ["host", "headers", "contentLength", "chunked", "keepAlive", "expectContinue"] as const) {
        if (wh[key] !== undefined) assert.deepEqual(got.head[key], wh[key], `head.${key}`);
      }
    }
  });
}

// Fixtures: each runs fed whole, byte by byte, in 7-byte pieces and split at every position.
for (const c of CASES) {
  test(`RequestParser.next() ${c.name}`, () => {
    const input = bytes(c.input);
    const limits = limitsWith(c.limits);
    const whole = drive(input, limits, "whole", "fed whole");
    checkExpect(whole.events, c.expect);
    if (c.idle !== undefined) assert.equal(whole.idle, c.idle, "idle");
    const same = (split: Split, how: string): void => {
      const diff = sameOutcome(whole, drive(input, limits, split, how));
      assert.equal(diff, null, `${how}: ${diff}`);
    };
    same("bytes", "fed one byte at a time");
    same(evenSplit(input.length, 7), "fed in 7-byte pieces");
    // Every split position for short inputs; a sample of them for long ones.
    const step = input.length <= 1024 ? 1 : Math.ceil(input.length / 97);
    for (let cut = 1; cut < input.length; cut += step) same([cut], `split at ${cut}`);
  });
}

test("DEFAULT_PARSER_LIMITS holds the documented defaults", () => {
  assert.deepEqual({ ...DEFAULT_PARSER_LIMITS }, {
    maxRequestHeaderSize: 262144,
    maxRequestBodySize: 1073741824,
    maxRequestLineSize: 16384,
    maxHeaderFields: 100,
    maxChunkExtensionSize: 4096,
    maxTrailerSize: 16384,
  });
});

test("RequestParser constructor() rejects bad limits with RangeError/TypeError naming the limit", () => {
  assert.throws(() => new RequestParser({ maxRequestBodySize: -1 }), (e: unknown) => e instanceof RangeError && /maxRequestBodySize/.test(e.message));
  assert.throws(() => new RequestParser({ maxHeaderFields: 1.5 }), RangeError);
  assert.throws(() => new RequestParser({ maxRequestHeaderSize: Infinity }), RangeError);
  assert.throws(() => new RequestParser({ maxTrailerSize: "10" as unknown as number }), TypeError);
  assert.doesNotThrow(() => new RequestParser({ maxRequestLineSize: undefined }));
});

test("RequestParser.next() returns null before any input and idle is true", () => {
  const p = new RequestParser();
  assert.equal(p.next(), null);
  assert.equal(p.idle, true);
  assert.equal(p.inBody, false);
  assert.equal(p.bufferedBytes, 0);
});

test("RequestParser.next() hands out body data as subarrays of the fed chunk (zero copy)", () => {
  const p = new RequestParser();
  const chunk = bytes("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  p.feed(chunk);
  assert.equal(p.next()?.type, "head");
  const ev = p.next();
  assert.ok(ev?.type === "data");
  assert.equal(ev.data.buffer, chunk.buffer);
  assert.equal(ev.data.byteOffset, chunk.length - 5);
  assert.equal(p.next()?.type, "end");
});

test("RequestParser.feed() never overwrites bytes already handed out in data events", () => {
  const p = new RequestParser();
  const kept: Uint8Array[] = [];
  const expected: string[] = [];
  // A head split across feeds forces an internal buffer; bodies then come from that buffer,
  // and later feeds append to / regrow it while the app still holds the subarrays.
  for (let i = 0; i < 50; i++) {
    const body = `body-${i}-`.padEnd(20 + i, String.fromCharCode(65 + (i % 26)));
    const req = bytes(`POST /${i} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}GET /`);
    expected.push(body);
    const cut = 7 + (i % 13);
    for (const piece of [req.subarray(0, cut), req.subarray(cut, cut + 1), req.subarray(cut + 1)]) {
      p.feed(piece);
      for (let ev = p.next(); ev !== null; ev = p.next()) {
        assert.notEqual(ev.type, "error");
        if (ev.type === "data") kept.push(ev.data);
      }
    }
    p.feed(bytes(` HTTP/1.1\r\nHost: x\r\n\r\n`));
    for (let ev = p.next(); ev !== null; ev = p.next()) assert.ok(ev.type === "head" || ev.type === "end");
  }
  const bodies = expected.join("");
  assert.equal(kept.map(latin1Text).join(""), bodies);
});

test("RequestParser bufferedBytes, inBody and idle track the request", () => {
  const p = new RequestParser();
  p.feed(bytes("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nab"));
  assert.equal(p.idle, false);
  assert.equal(p.bufferedBytes, 49);
  assert.equal(p.next()?.type, "head");
  assert.equal(p.inBody, true);
  assert.equal(p.bufferedBytes, 2);
  assert.equal(p.next()?.type, "data");
  assert.equal(p.next(), null);
  assert.equal(p.idle, false);
  p.feed(bytes("c"));
  assert.equal(p.next()?.type, "data");
  assert.equal(p.inBody, true);
  assert.equal(p.next()?.type, "end");
  assert.equal(p.inBody, false);
  assert.equal(p.idle, true);
  p.feed(bytes("GE"));
  assert.equal(p.next(), null);
  assert.equal(p.idle, false);
  assert.equal(p.bufferedBytes, 2);
});

test("RequestParser.next() after an error returns null even when valid bytes follow", () => {
  const p = new RequestParser();
  p.feed(bytes("GET / HTTP/1.1\nHost: x\r\n\r\n"));
  const ev = p.next();
  assert.ok(ev?.type === "error");
  assert.deepEqual([ev.status, ev.reason, ev.detail], [400, "Bad Request", "Bare CR or LF found in HTTP message"]);
  for (let i = 0; i < 3; i++) {
    p.feed(VALID);
    assert.equal(p.next(), null);
  }
  assert.equal(p.inBody, false);
});

test("RequestParser.next() error details never echo long attacker input", () => {
  const attack = "A".repeat(5000);
  for (const input of [
    `GET /${attack}\x00 HTTP/1.1\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: ${attack} x\r\n\r\n`,
    `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${attack}\r\n\r\n`,
    `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${attack}\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: x\r\nExpect: ${attack}\r\n\r\n`,
    `GET / HTTP/${attack}\r\n\r\n`,
  ]) {
    const p = new RequestParser();
    p.feed(bytes(input));
    const ev = p.next();
    assert.ok(ev?.type === "error");
    assert.ok(ev.detail.length <= 100, ev.detail);
  }
});

test("RequestParser.next() handles 1 MiB of adversarial input fed in 1- and 7-byte pieces in linear time", () => {
  const MiB = 1 << 20;
  const started = Date.now();
  const scenarios: { head: string; filler: string; limits?: Partial<ParserLimits>; expectError: boolean }[] = [
    // A never-ending header value under a large head limit: must stay pending, not rescan.
    { head: "GET / HTTP/1.1\r\nHost: x\r\nX: ", filler: "a", limits: { maxRequestHeaderSize: 2 * MiB }, expectError: false },
    // A never-ending request target under a large line limit.
    { head: "GET /", filler: "b", limits: { maxRequestLineSize: 2 * MiB, maxRequestHeaderSize: 2 * MiB }, expectError: false },
    // Many tiny chunks.
    { head: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", filler: "1;a=b\r\nz\r\n", expectError: false },
    // Endless empty lines: rejected at the default head limit.
    { head: "", filler: "\r\n", expectError: true },
  ];
  for (const s of scenarios) {
    const input = bytes(s.head + s.filler.repeat(Math.ceil(MiB / s.filler.length)));
    for (const size of [1, 7]) {
      const work = feedInPieces(input, size, limitsWith(s.limits));
      assert.equal(work.errors > 0, s.expectError, `scenario ${JSON.stringify(s.head)} in ${size}-byte pieces`);
    }
  }
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
});
