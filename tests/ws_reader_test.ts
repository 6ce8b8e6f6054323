/**
 * WsReader table tests, by the sections of the Autobahn test suite: framing (1), pings and pongs (2),
 * reserved bits (3), opcodes (4), fragmentation (5), close (7) and limits (9). Every case is data
 * (client bytes and the events they give) and runs fed whole, one byte at a time and split in two at
 * every position (tests/_ws_harness.ts). UTF-8 (section 6) is in tests/ws_utf8_test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { WsReader } from "../src/ws/ws_reader.ts";
import {
  B, binary, bytes, cat, checkCase, CLOSE, close, cont, DEFAULT_LIMITS, ERR, frame, PING, ping, PONG, pong, type ReaderCase, runReader, T, text,
} from "./_ws_harness.ts";

const fill = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const ascii = (n: number): string => "*".repeat(n);

const SIZES = [0, 125, 126, 127, 128, 65535, 65536];

const FRAMING: ReaderCase[] = [
  ...SIZES.map((n) => ({ name: `1.1 text of ${n} bytes`, frames: text(ascii(n)), events: [T(ascii(n))] })),
  ...SIZES.map((n) => ({ name: `1.2 binary of ${n} bytes`, frames: binary(fill(n)), events: [B(fill(n))] })),
  { name: "1.1 text of 65536 bytes, fragments of 997", frames: cat(text(ascii(997), false), ...Array.from({ length: 64 }, () => cont(ascii(997), false)), cont(ascii(65536 - 65 * 997))), events: [T(ascii(65536))] },
  { name: "RFC 6455 5.7 masked Hello", frames: Uint8Array.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]), events: [T("Hello")] },
  { name: "several messages in one input", frames: cat(text("a"), binary([1]), text(""), binary([])), events: [T("a"), B([1]), T(""), B([])] },
  { name: "16-bit length form for a short payload", frames: text("short", true, { lengthBits: 16 }), events: [T("short")] },
  { name: "64-bit length form for a short payload", frames: binary([9, 8], true, { lengthBits: 64 }), events: [B([9, 8])] },
  { name: "64-bit length with the high bit set", frames: binary([], true, { length64: [0x80, 0, 0, 0, 0, 0, 0, 1] }), events: [ERR(1002)] },
  { name: "unmasked text frame", frames: text("Hello", true, { masked: false }), events: [ERR(1002)], detail: "not masked" },
  { name: "unmasked ping", frames: ping("x", { masked: false }), events: [ERR(1002)] },
  { name: "unmasked frame after a good one", frames: cat(text("ok"), binary([1], true, { masked: false })), events: [T("ok"), ERR(1002)] },
  { name: "all-zero mask key", frames: text("zero", true, { key: [0, 0, 0, 0] }), events: [T("zero")] },
  { name: "incomplete frame: no event", frames: text("Hello").subarray(0, 8), events: [] },
];

const PINGS: ReaderCase[] = [
  { name: "2.1 empty ping", frames: ping(), events: [PING()] },
  { name: "2.2 ping with a payload", frames: ping("Hello, world!"), events: [PING("Hello, world!")] },
  { name: "2.3 ping with binary payload", frames: ping([0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff]), events: [PING([0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff])] },
  { name: "2.4 ping of 125 bytes", frames: ping(fill(125)), events: [PING(fill(125))] },
  { name: "2.5 ping of 126 bytes", frames: ping(fill(126)), events: [ERR(1002)], detail: "125" },
  { name: "2.6 ping of 125 bytes in small chunks", frames: ping(fill(125, 7)), events: [PING(fill(125, 7))] },
  { name: "2.7 unsolicited pong", frames: pong(), events: [PONG()] },
  { name: "2.8 unsolicited pong with payload", frames: pong("unsolicited"), events: [PONG("unsolicited")] },
  { name: "2.9 pong then ping", frames: cat(pong("p"), ping("q")), events: [PONG("p"), PING("q")] },
  { name: "2.10 ten pings", frames: cat(...Array.from({ length: 10 }, (_, i) => ping(`p${i}`))), events: Array.from({ length: 10 }, (_, i) => PING(`p${i}`)) },
  { name: "fragmented ping (FIN=0)", frames: frame(9, "x", { fin: false }), events: [ERR(1002)], detail: "fragmented" },
  { name: "ping with a 16-bit length of 126", frames: ping(fill(126), { lengthBits: 16 }), events: [ERR(1002)] },
  { name: "ping with a 16-bit length form of 5 bytes", frames: ping("hello", { lengthBits: 16 }), events: [ERR(1002)] },
  { name: "close of 126 bytes", frames: frame(8, fill(126)), events: [ERR(1002)] },
];

const RESERVED_BITS: ReaderCase[] = [
  { name: "3.1 RSV1 on text", frames: text("Hello", true, { rsv: 4 }), events: [ERR(1002)], detail: "RSV1" },
  { name: "3.2 RSV2 on text after a good one", frames: cat(text("Hello"), text("Hello", true, { rsv: 2 }), ping("x")), events: [T("Hello"), ERR(1002)] },
  { name: "3.3 RSV3 (1+2) on text", frames: cat(text("Hello"), text("Hello", true, { rsv: 3 })), events: [T("Hello"), ERR(1002)] },
  { name: "3.4 RSV3 on text", frames: text("Hello", true, { rsv: 1 }), events: [ERR(1002)] },
  { name: "3.5 RSV 1+3 on binary", frames: binary([1, 2], true, { rsv: 5 }), events: [ERR(1002)] },
  { name: "3.6 RSV 2+3 on ping", frames: ping("x", { rsv: 6 }), events: [ERR(1002)] },
  { name: "3.7 all RSV on close", frames: frame(8, [3, 0xe8], { rsv: 7 }), events: [ERR(1002)] },
  { name: "RSV1 allowed: first frame of a message is compressed", frames: binary([1], true, { rsv: 4 }), allowRsv1: true, events: ["binary 01 (compressed)"] },
  { name: "RSV1 allowed: fragmented compressed text", frames: cat(text([0xff], false, { rsv: 4 }), cont([0xfe])), allowRsv1: true, events: ["text fffe (compressed)"] },
  { name: "RSV1 allowed: not on a continuation", frames: cat(text("a", false, { rsv: 4 }), cont("b", true, { rsv: 4 })), allowRsv1: true, events: [ERR(1002)] },
  { name: "RSV1 allowed: not on a control frame", frames: ping("x", { rsv: 4 }), allowRsv1: true, events: [ERR(1002)] },
  { name: "RSV1 allowed: RSV2 still refused", frames: text("a", true, { rsv: 2 }), allowRsv1: true, events: [ERR(1002)] },
  { name: "RSV1 allowed: an uncompressed text is still validated", frames: text([0xff]), allowRsv1: true, events: [ERR(1007)] },
];

const OPCODES: ReaderCase[] = [
  ...[3, 4, 5, 6, 7].map((op) => ({ name: `4.1 reserved data opcode ${op}`, frames: cat(text("Hello"), frame(op, "x"), ping("p")), events: [T("Hello"), ERR(1002)] })),
  ...[11, 12, 13, 14, 15].map((op) => ({ name: `4.2 reserved control opcode ${op}`, frames: cat(text("Hello"), frame(op, "x"), ping("p")), events: [T("Hello"), ERR(1002)] })),
  { name: "4.1.1 reserved opcode with empty payload", frames: frame(3), events: [ERR(1002)], detail: "opcode 3" },
];

const FRAGMENTATION: ReaderCase[] = [
  { name: "5.1 fragmented ping", frames: cat(frame(9, "frag1", { fin: false }), cont("frag2")), events: [ERR(1002)] },
  { name: "5.2 fragmented pong", frames: cat(frame(10, "frag1", { fin: false }), cont("frag2")), events: [ERR(1002)] },
  { name: "5.3 text in 2 fragments", frames: cat(text("frag1", false), cont("frag2")), events: [T("frag1frag2")] },
  { name: "5.5 text in 2 one-byte-chunk fragments", frames: cat(text("fragment1", false), cont("fragment2")), events: [T("fragment1fragment2")] },
  { name: "5.6 text in 2 fragments with a ping between", frames: cat(text("fragment1", false), ping("pongme!"), cont("fragment2")), events: [PING("pongme!"), T("fragment1fragment2")] },
  { name: "5.9 continuation without a message", frames: cat(cont("fragment1", false), text("fragment2"), cont("fragment3")), events: [ERR(1002)], detail: "no message" },
  { name: "5.10 final continuation without a message", frames: cat(cont("fragment1"), text("fragment2")), events: [ERR(1002)] },
  { name: "5.12 continuation without a message, after a full one", frames: cat(text("ok"), cont("x", false)), events: [T("ok"), ERR(1002)] },
  { name: "5.15 new text while a message is in progress", frames: cat(text("fragment1", false), cont("fragment2", false), text("fragment3", false), cont("fragment4")), events: [ERR(1002)], detail: "in progress" },
  { name: "5.16 new binary mid-fragments", frames: cat(binary([1], false), binary([2])), events: [ERR(1002)] },
  { name: "5.17 new text after a final continuation", frames: cat(text("a", false), cont("b"), text("c")), events: [T("ab"), T("c")] },
  { name: "5.18 two texts each FIN=0", frames: cat(text("fragment1", false), text("fragment2")), events: [ERR(1002)] },
  { name: "5.19 text in 5 fragments with pings between", frames: cat(text("f1", false), cont("f2", false), ping("p1"), cont("f3", false), cont("f4", false), ping("p2"), cont("f5")), events: [PING("p1"), PING("p2"), T("f1f2f3f4f5")] },
  { name: "5.20 pong and ping between fragments", frames: cat(binary([1], false), pong("x"), ping("y"), cont([2])), events: [PONG("x"), PING("y"), B([1, 2])] },
  { name: "binary in fragments including empty ones", frames: cat(binary([], false), cont([1], false), cont([], false), cont([2])), events: [B([1, 2])] },
  { name: "empty text in 3 empty fragments", frames: cat(text("", false), cont("", false), cont("")), events: [T("")] },
  { name: "close between fragments ends the reading", frames: cat(text("a", false), close(1000), cont("b")), events: [CLOSE(1000)] },
  { name: "fragments with differing masks", frames: cat(text("ab", false, { key: [1, 2, 3, 4] }), cont("cd", true, { key: [9, 8, 7, 6] })), events: [T("abcd")] },
];

const CLOSES: ReaderCase[] = [
  { name: "7.1 close with no payload", frames: close(), events: [CLOSE(1005)] },
  { name: "7.1 text after close is ignored", frames: cat(close(1000), text("after")), events: [CLOSE(1000)] },
  { name: "7.1 ping after close is ignored", frames: cat(close(1000), ping("x")), events: [CLOSE(1000)] },
  { name: "7.1 garbage after close is ignored", frames: cat(close(1000), Uint8Array.from([0xff, 0xff, 0xff])), events: [CLOSE(1000)] },
  { name: "7.3 close with a 1-byte payload", frames: frame(8, [0x03]), events: [ERR(1002)], detail: "1-byte" },
  { name: "7.3 close with a reason", frames: close(1000, "Hello World!"), events: [CLOSE(1000, "Hello World!")] },
  { name: "7.3 close with a 123-byte reason", frames: close(1000, ascii(123)), events: [CLOSE(1000, ascii(123))] },
  { name: "7.3 close with a 124-byte reason", frames: close(1000, ascii(124)), events: [ERR(1002)] },
  { name: "7.5 close reason not UTF-8", frames: close(1000, Uint8Array.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, 0x65, 0x64])), events: [ERR(1007)] },
  { name: "7.5 close reason ending mid-character", frames: close(1000, Uint8Array.from([0x61, 0xce])), events: [ERR(1007)] },
  { name: "close reason in UTF-8", frames: close(4000, "κόσμε"), events: [CLOSE(4000, "κόσμε")] },
  ...[1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999].map((code) => ({
    name: `7.7 valid close code ${code}`, frames: close(code), events: [CLOSE(code)],
  })),
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].map((code) => ({
    name: `7.9 invalid close code ${code}`, frames: close(code), events: [ERR(1002)], detail: `${code}`,
  })),
  { name: "close between fragments with an invalid code", frames: cat(text("a", false), close(1005)), events: [ERR(1002)] },
];

const LIMITS: ReaderCase[] = [
  { name: "9 message of exactly maxMessageSize", frames: binary(fill(100)), limits: { maxMessageSize: 100 }, events: [B(fill(100))] },
  { name: "9 message of maxMessageSize + 1", frames: binary(fill(101)), limits: { maxMessageSize: 100 }, events: [ERR(1009)], detail: "maxMessageSize" },
  { name: "9 limit checked from the header, before the payload", frames: binary([], true, { declaredLength: 101 }), limits: { maxMessageSize: 100 }, events: [ERR(1009)] },
  { name: "9 a 64-bit length far beyond the limit", frames: binary([], true, { length64: [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] }), events: [ERR(1009)] },
  { name: "9 fragments summing to exactly maxMessageSize", frames: cat(text(ascii(50), false), cont(ascii(50))), limits: { maxMessageSize: 100 }, events: [T(ascii(100))] },
  { name: "9 fragments summing to maxMessageSize + 1", frames: cat(text(ascii(50), false), ping("p"), cont(ascii(51))), limits: { maxMessageSize: 100 }, events: [PING("p"), ERR(1009)] },
  { name: "9 control frames do not count towards the size", frames: cat(binary(fill(10), false), ping(fill(100)), cont(fill(10))), limits: { maxMessageSize: 20 }, events: [PING(fill(100)), B(cat(fill(10), fill(10)))] },
  { name: "9 the size counts per message", frames: cat(binary(fill(20)), binary(fill(20))), limits: { maxMessageSize: 20 }, events: [B(fill(20)), B(fill(20))] },
  { name: "9 exactly maxFragments fragments", frames: cat(text("a", false), cont("b", false), cont("c")), limits: { maxFragments: 3 }, events: [T("abc")] },
  { name: "9 maxFragments + 1 fragments", frames: cat(text("a", false), cont("b", false), cont("c", false), cont("d")), limits: { maxFragments: 3 }, events: [ERR(1009)], detail: "maxFragments" },
  { name: "9 maxFragments is per message", frames: cat(text("a", false), cont("b"), text("c", false), cont("d")), limits: { maxFragments: 2 }, events: [T("ab"), T("cd")] },
  { name: "9 maxFragments 1: single frames only", frames: cat(text("one"), binary([1], false), cont([2])), limits: { maxFragments: 1 }, events: [T("one"), ERR(1009)] },
  { name: "9 maxMessageSize 0: empty messages only", frames: cat(text(""), text("x")), limits: { maxMessageSize: 0 }, events: [T(""), ERR(1009)] },
];

const TABLES: [string, ReaderCase[]][] = [
  ["1 framing", FRAMING],
  ["2 pings and pongs", PINGS],
  ["3 reserved bits", RESERVED_BITS],
  ["4 opcodes", OPCODES],
  ["5 fragmentation", FRAGMENTATION],
  ["7 close", CLOSES],
  ["9 limits", LIMITS],
];

for (const [section, cases] of TABLES) {
  describe(`WsReader, Autobahn section ${section}`, () => {
    for (const c of cases) {
      it(`${c.name}: ${c.events.join(", ") || "(no event)"}`, () => {
        const problem = checkCase(c);
        if (problem) assert.fail(problem);
      });
    }
  });
}

describe("WsReader, memory and API", () => {
  it("a message that arrives in one chunk is a view of that chunk (no copy)", () => {
    const input = text("Hello");
    const reader = new WsReader(DEFAULT_LIMITS);
    reader.feed(input);
    const e = reader.next();
    assert.ok(e !== null && e.type === "text");
    assert.equal(e.data.buffer, input.buffer, "the same memory");
    assert.equal(new TextDecoder().decode(e.data), "Hello");
  });

  it("bufferedBytes counts unread input and the message in progress, and drops to 0 after it", () => {
    const reader = new WsReader(DEFAULT_LIMITS);
    const first = text("abcdef", false);
    reader.feed(first.slice());
    assert.equal(reader.bufferedBytes, first.length);
    assert.equal(reader.next(), null);
    assert.equal(reader.bufferedBytes, 6, "the payload of the first fragment");
    reader.feed(cont("gh").subarray(0, 3));
    assert.equal(reader.next(), null);
    assert.equal(reader.bufferedBytes, 6 + 3);
    reader.feed(cont("gh").subarray(3));
    assert.equal(reader.next()?.type, "text");
    assert.equal(reader.bufferedBytes, 0);
  });

  it("after an error, feed() is ignored and bufferedBytes is 0", () => {
    const reader = new WsReader(DEFAULT_LIMITS);
    reader.feed(frame(3));
    assert.equal(reader.next()?.type, "error");
    reader.feed(text("x"));
    assert.equal(reader.bufferedBytes, 0);
    assert.equal(reader.next(), null);
  });

  it("unmasks long payloads at every alignment and mask phase", () => {
    const payload = fill(1000, 3);
    for (let offset = 0; offset < 8; offset++) {
      const f = binary(payload, true, { key: [0xde, 0xad, 0xbe, 0xef] });
      const buf = new Uint8Array(f.length + offset);
      buf.set(f, offset);
      for (const cut of [0, 1, 2, 3, 5, 17, 503]) {
        const r = runReader(buf.subarray(offset), DEFAULT_LIMITS, cut === 0 ? "whole" : [14 + cut]);
        assert.deepEqual(r.events, [B(payload)], `offset ${offset}, cut ${cut}`);
      }
    }
  });

  it("reads 16 MiB in 64 KiB chunks as one message", () => {
    const n = 16 * 1024 * 1024;
    const payload = new Uint8Array(n).fill(0x61);
    const f = binary(payload);
    const reader = new WsReader({ maxMessageSize: n, maxFragments: 1 });
    let event = null;
    for (let at = 0; at < f.length; at += 65536) {
      reader.feed(f.subarray(at, at + 65536));
      event ??= reader.next();
    }
    assert.ok(event !== null && event.type === "binary");
    assert.equal(event.data.length, n);
    assert.ok(event.data.every((b) => b === 0x61));
  });

  it("T/B/PING helpers agree with bytes()", () => {
    assert.equal(T("é"), `text "é"`);
    assert.equal(B(bytes([1, 2])), "binary 0102");
    assert.equal(PONG(), "pong");
  });
});
