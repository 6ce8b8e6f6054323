/**
 * The WebSocket opening handshake (RFC 6455 4.2.1): a table of requests and their verdicts, the
 * accept key (RFC 6455's sample), SHA-1 against known vectors, Sec-WebSocket-Extensions offers, and
 * the frame encoder (headers, close frames, close codes).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { acceptKey, checkHandshake, type HandshakeCheck, WS_GUID } from "../src/ws/ws_handshake.ts";
import { parseExtensions } from "../src/ws/permessage_deflate.ts";
import { sha1 } from "../src/ws/sha1.ts";
import { encodeClose, encodeFrame, frameHeader, isValidCloseCode, OPCODE } from "../src/ws/ws_frames.ts";
import { hex, toHex } from "./_ws_harness.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const GOOD: string[] = [
  "host", "server.example.com",
  "upgrade", "websocket",
  "connection", "Upgrade",
  "sec-websocket-key", KEY,
  "origin", "http://example.com",
  "sec-websocket-version", "13",
];

/** GOOD with `name` removed (all its lines), then `extra` appended. */
function without(name: string, ...extra: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < GOOD.length; i += 2) if (GOOD[i] !== name) out.push(GOOD[i], GOOD[i + 1]);
  return [...out, ...extra];
}
const withValue = (name: string, value: string): string[] => without(name, name, value);

interface HandshakeCase {
  name: string;
  method?: string;
  minor?: number;
  headers: string[];
  /** ok: the expected fields; otherwise the status and a word of the detail. */
  want: { ok: true; protocols?: string[]; extensions?: string } | { status: 400 | 426; detail: string };
}

const CASES: HandshakeCase[] = [
  { name: "RFC 6455 1.3's request", headers: GOOD, want: { ok: true, protocols: [], extensions: "" } },
  { name: "header values in another case", headers: ["host", "x", "upgrade", "WebSocket", "connection", "keep-alive, UPGRADE", "sec-websocket-key", KEY, "sec-websocket-version", "13"], want: { ok: true } },
  { name: "Upgrade as a list", headers: withValue("upgrade", "h2c, websocket"), want: { ok: true } },
  { name: "Connection as a list over two lines", headers: [...without("connection"), "connection", "keep-alive", "connection", "upgrade"], want: { ok: true } },
  { name: "subprotocols in order over two lines", headers: [...GOOD, "sec-websocket-protocol", "chat, superchat", "sec-websocket-protocol", "v2.json"], want: { ok: true, protocols: ["chat", "superchat", "v2.json"] } },
  { name: "subprotocol list with empty elements", headers: [...GOOD, "sec-websocket-protocol", " , chat ,,"], want: { ok: true, protocols: ["chat"] } },
  { name: "extensions joined", headers: [...GOOD, "sec-websocket-extensions", "permessage-deflate; client_max_window_bits", "sec-websocket-extensions", "x-foo"], want: { ok: true, extensions: "permessage-deflate; client_max_window_bits, x-foo" } },
  { name: "POST", method: "POST", headers: GOOD, want: { status: 400, detail: "GET" } },
  { name: "HEAD", method: "HEAD", headers: GOOD, want: { status: 400, detail: "GET" } },
  { name: "HTTP/1.0", minor: 0, headers: GOOD, want: { status: 400, detail: "HTTP/1.1" } },
  { name: "no Upgrade", headers: without("upgrade"), want: { status: 400, detail: "Upgrade" } },
  { name: "Upgrade: h2c", headers: withValue("upgrade", "h2c"), want: { status: 400, detail: "Upgrade" } },
  { name: "Upgrade: websocketx", headers: withValue("upgrade", "websocketx"), want: { status: 400, detail: "Upgrade" } },
  { name: "no Connection", headers: without("connection"), want: { status: 400, detail: "Connection" } },
  { name: "Connection: keep-alive only", headers: withValue("connection", "keep-alive"), want: { status: 400, detail: "Connection" } },
  { name: "Connection: upgraded", headers: withValue("connection", "upgraded"), want: { status: 400, detail: "Connection" } },
  { name: "no Sec-WebSocket-Version", headers: without("sec-websocket-version"), want: { status: 400, detail: "Sec-WebSocket-Version" } },
  { name: "Sec-WebSocket-Version: 8", headers: withValue("sec-websocket-version", "8"), want: { status: 426, detail: "Sec-WebSocket-Version" } },
  { name: "Sec-WebSocket-Version: 14", headers: withValue("sec-websocket-version", "14"), want: { status: 426, detail: "Sec-WebSocket-Version" } },
  { name: "Sec-WebSocket-Version: 13, 8", headers: withValue("sec-websocket-version", "13, 8"), want: { status: 426, detail: "Sec-WebSocket-Version" } },
  { name: "Sec-WebSocket-Version twice", headers: [...GOOD, "sec-websocket-version", "13"], want: { status: 426, detail: "Sec-WebSocket-Version" } },
  { name: "Sec-WebSocket-Version: empty", headers: withValue("sec-websocket-version", ""), want: { status: 426, detail: "Sec-WebSocket-Version" } },
  { name: "no Sec-WebSocket-Key", headers: without("sec-websocket-key"), want: { status: 400, detail: "Sec-WebSocket-Key" } },
  { name: "Sec-WebSocket-Key twice", headers: [...GOOD, "sec-websocket-key", KEY], want: { status: 400, detail: "Sec-WebSocket-Key" } },
  { name: "Sec-WebSocket-Key empty", headers: withValue("sec-websocket-key", ""), want: { status: 400, detail: "16 bytes" } },
  { name: "Sec-WebSocket-Key of 15 bytes", headers: withValue("sec-websocket-key", "dGhlIHNhbXBsZSBub25j"), want: { status: 400, detail: "16 bytes" } },
  { name: "Sec-WebSocket-Key of 17 bytes", headers: withValue("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZWE="), want: { status: 400, detail: "16 bytes" } },
  { name: "Sec-WebSocket-Key of 32 bytes", headers: withValue("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ=="), want: { status: 400, detail: "16 bytes" } },
  { name: "Sec-WebSocket-Key without padding", headers: withValue("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ"), want: { status: 400, detail: "16 bytes" } },
  { name: "Sec-WebSocket-Key in base64url", headers: withValue("sec-websocket-key", "dGhlIHNhbXBsZSBub25j_-=="), want: { status: 400, detail: "16 bytes" } },
  { name: "Sec-WebSocket-Key with an inner space", headers: withValue("sec-websocket-key", "dGhlIHNhbXBs ZSBub25jZQ=="), want: { status: 400, detail: "16 bytes" } },
  { name: "Sec-WebSocket-Key not base64", headers: withValue("sec-websocket-key", "not a base64 key at all!"), want: { status: 400, detail: "16 bytes" } },
  { name: "subprotocol that is not a token", headers: [...GOOD, "sec-websocket-protocol", "chat, a b"], want: { status: 400, detail: "Sec-WebSocket-Protocol" } },
  { name: "subprotocol with a slash", headers: [...GOOD, "sec-websocket-protocol", "chat/1"], want: { status: 400, detail: "Sec-WebSocket-Protocol" } },
];

describe("checkHandshake(), RFC 6455 4.2.1", () => {
  for (const c of CASES) {
    const label = "ok" in c.want ? "ok" : `${c.want.status}`;
    it(`${c.name}: ${label}`, () => {
      const got: HandshakeCheck = checkHandshake(c.method ?? "GET", c.minor ?? 1, c.headers);
      if ("ok" in c.want) {
        assert.ok(got.ok, JSON.stringify(got));
        assert.equal(got.key, KEY);
        if (c.want.protocols) assert.deepEqual(got.protocols, c.want.protocols);
        if (c.want.extensions !== undefined) assert.equal(got.extensions, c.want.extensions);
      } else {
        assert.ok(!got.ok, "refused");
        assert.equal(got.status, c.want.status);
        assert.ok(got.detail.includes(c.want.detail), `detail ${JSON.stringify(got.detail)} names ${c.want.detail}`);
      }
    });
  }
});

describe("acceptKey() and sha1()", () => {
  it("RFC 6455's sample key gives its sample accept value", () => {
    assert.equal(acceptKey(KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert.equal(WS_GUID, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  });

  it("other keys (values from the ws npm package's computation)", () => {
    assert.equal(acceptKey("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
  });

  const enc = new TextEncoder();
  const vectors: [string, Uint8Array, string][] = [
    ["empty", new Uint8Array(0), "da39a3ee5e6b4b0d3255bfef95601890afd80709"],
    ["abc", enc.encode("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d"],
    ["448 bits", enc.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), "84983e441c3bd26ebaae4aa1f95129e5e54670f1"],
    ["896 bits", enc.encode("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"), "a49b2446a02c645bf419f995b67091253a04a259"],
    ["55 bytes (padding fits one block)", new Uint8Array(55).fill(0x61), "c1c8bbdc22796e28c0e15163d20899b65621d65a"],
    ["56 bytes (padding needs a second block)", new Uint8Array(56).fill(0x61), "c2db330f6083854c99d4b5bfb6e8f29f201be699"],
    ["64 bytes", new Uint8Array(64).fill(0x61), "0098ba824b5c16427bd7a1122a5a442a25ec644d"],
    ["1 MB of 'a'", new Uint8Array(1000000).fill(0x61), "34aa973cd4c4daa4f61eeb2bdbad27316534016f"],
  ];
  for (const [name, data, digest] of vectors) {
    it(`sha1 of ${name}`, () => assert.equal(toHex(sha1(data)), digest));
  }
});

describe("parseExtensions(), RFC 6455 9.1", () => {
  const table: [string, ReturnType<typeof parseExtensions>][] = [
    ["", []],
    ["  ", []],
    ["permessage-deflate", [{ name: "permessage-deflate", params: [] }]],
    ["permessage-deflate; client_max_window_bits", [{ name: "permessage-deflate", params: [["client_max_window_bits", null]] }]],
    [
      "permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate",
      [{ name: "permessage-deflate", params: [["client_max_window_bits", null], ["server_max_window_bits", "10"]] }, { name: "permessage-deflate", params: [] }],
    ],
    ['permessage-deflate ; server_max_window_bits = "10" ; server_no_context_takeover', [{ name: "permessage-deflate", params: [["server_max_window_bits", "10"], ["server_no_context_takeover", null]] }]],
    ['x; a="b\\c"', [{ name: "x", params: [["a", "bc"]] }]],
    [", x ,, y,", [{ name: "x", params: [] }, { name: "y", params: [] }]],
    ["x;", null],
    ["x;;a", null],
    ["x; a=", null],
    ['x; a="b c"', null],
    ['x; a="unterminated', null],
    ["x y", null],
    // Repeated parameters follow the grammar; permessage-deflate's negotiation refuses such an offer.
    ["x; a=1; a=2", [{ name: "x", params: [["a", "1"], ["a", "2"]] }]],
    ["; a", null],
    ["x; a=b=c", null],
    ["x/1", null],
  ];
  for (const [value, want] of table) {
    it(`${JSON.stringify(value)} -> ${JSON.stringify(want)}`, () => assert.deepEqual(parseExtensions(value), want));
  }
});

describe("frame encoding (server side, unmasked)", () => {
  it("frameHeader() uses the 7-, 16- and 64-bit length forms at the boundaries", () => {
    assert.equal(toHex(frameHeader(OPCODE.text, 0)), "8100");
    assert.equal(toHex(frameHeader(OPCODE.text, 125)), "817d");
    assert.equal(toHex(frameHeader(OPCODE.binary, 126)), "827e007e");
    assert.equal(toHex(frameHeader(OPCODE.binary, 65535)), "827effff");
    assert.equal(toHex(frameHeader(OPCODE.binary, 65536)), "827f0000000000010000");
    assert.equal(toHex(frameHeader(OPCODE.binary, 2 ** 32 + 5)), "827f0000000100000005");
    assert.equal(toHex(frameHeader(OPCODE.text, 3, false)), "0103");
    assert.equal(toHex(frameHeader(OPCODE.continuation, 3, true)), "8003");
    assert.equal(toHex(frameHeader(OPCODE.text, 3, true, true)), "c103");
    assert.throws(() => frameHeader(OPCODE.text, -1), RangeError);
  });

  it("encodeFrame() gives RFC 6455 5.7's unmasked Hello", () => {
    assert.equal(toHex(encodeFrame(OPCODE.text, new TextEncoder().encode("Hello"))), "810548656c6c6f");
    assert.equal(toHex(encodeFrame(OPCODE.ping, new TextEncoder().encode("Hello"))), "890548656c6c6f");
    const big = encodeFrame(OPCODE.binary, new Uint8Array(300).fill(7));
    assert.equal(big.length, 304);
    assert.equal(toHex(big.subarray(0, 5)), "827e012c07");
  });

  it("encodeClose(): empty, a code, a reason, and a long reason cut on a character boundary", () => {
    assert.equal(toHex(encodeClose()), "8800");
    assert.equal(toHex(encodeClose(1000)), "880203e8");
    assert.equal(toHex(encodeClose(1001, "bye")), "880503e9627965");
    const long = encodeClose(1000, "x".repeat(200));
    assert.equal(long.length, 2 + 125);
    assert.equal(long[1], 125);
    // 122 ASCII bytes and a 2-byte character: the character does not fit, nothing of it is sent.
    const cut = encodeClose(1000, "x".repeat(122) + "é");
    assert.equal(cut[1], 2 + 122);
    assert.equal(toHex(cut.subarray(cut.length - 1)), "78");
    // Euro signs (3 bytes each): 41 of them fill 123 bytes exactly.
    assert.equal(encodeClose(1000, "€".repeat(41))[1], 125);
    assert.equal(encodeClose(1000, "€".repeat(42))[1], 125);
    assert.equal(encodeClose(1000, "a" + "€".repeat(41))[1], 2 + 1 + 40 * 3);
    assert.throws(() => encodeClose(70000), RangeError);
  });

  it("isValidCloseCode() follows RFC 6455 7.4", () => {
    const valid: number[] = [];
    for (let c = 0; c < 6000; c++) if (isValidCloseCode(c)) valid.push(c);
    const ranges: [number, number][] = [];
    for (const c of valid) {
      const last = ranges.at(-1);
      if (last && last[1] === c - 1) last[1] = c;
      else ranges.push([c, c]);
    }
    assert.deepEqual(ranges, [[1000, 1003], [1007, 1014], [3000, 4999]]);
    assert.equal(isValidCloseCode(65535), false);
  });

  it("hex() and toHex() round-trip", () => assert.equal(toHex(hex("00 ff 10")), "00ff10"));
});
