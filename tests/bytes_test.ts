/**
 * The byte helpers of the wire (src/http1/bytes.ts): Latin-1 and UTF-8 encoding, lengths, one-buffer messages
 * and the slab allocator.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { allocate, concatBytes, encodeLatin1, encodeMessage, encodeUtf8, isAscii, utf8Length } from "../src/http1/bytes.ts";

const list = (bytes: Uint8Array): number[] => [...bytes];

describe("encodeLatin1", () => {
  it("encodes ASCII byte for byte", () => {
    assert.deepEqual(list(encodeLatin1("Hi\r\n")), [72, 105, 13, 10]);
  });

  it("encodes characters U+0080..U+00FF as one byte each, not as UTF-8", () => {
    assert.deepEqual(list(encodeLatin1("é\u00ff\u0080")), [0xe9, 0xff, 0x80]);
  });

  it("refuses a character above U+00FF, naming it", () => {
    assert.throws(() => encodeLatin1("a€"), (e: Error) => e instanceof TypeError && e.message.includes("U+20ac"));
  });
});

describe("utf8Length", () => {
  it("agrees with the UTF-8 encoder for every kind of character", () => {
    const samples = ["", "hello", "é", "héllo", "€", "日本語", "😀", "a😀b", "\ud800", "\udc00x", "\ud800\ud800", "x\ud83d"];
    for (const text of samples) {
      assert.equal(utf8Length(text), encodeUtf8(text).length, JSON.stringify(text));
    }
  });

  it("counts a surrogate pair as 4 bytes and a lone surrogate as U+FFFD's 3", () => {
    assert.equal(utf8Length("😀"), 4);
    assert.equal(utf8Length("\ud83d"), 3, "a high surrogate at the end");
    assert.equal(utf8Length("\ud83dx"), 4, "a high surrogate followed by a non-surrogate");
    assert.equal(utf8Length("\ude00"), 3, "a lone low surrogate");
  });
});

describe("isAscii and concatBytes", () => {
  it("tells ASCII from the rest", () => {
    assert.equal(isAscii("plain\x7f"), true);
    assert.equal(isAscii("\x80"), false);
  });

  it("concatenates with or without a known total", () => {
    const parts = [new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])];
    assert.deepEqual(list(concatBytes(parts)), [1, 2, 3]);
    assert.deepEqual(list(concatBytes(parts, 3)), [1, 2, 3]);
    assert.equal(concatBytes([]).length, 0);
  });
});

describe("encodeMessage", () => {
  it("puts an ASCII head and a UTF-8 text body in one buffer", () => {
    const out = encodeMessage("H\r\n\r\n", "é", 2);
    assert.deepEqual(list(out), [72, 13, 10, 13, 10, 0xc3, 0xa9]);
  });

  it("encodes a head with Latin-1 characters as Latin-1, before a byte body", () => {
    const out = encodeMessage("x: é\r\n\r\n", new Uint8Array([7, 8]), 2);
    assert.deepEqual(list(out), [120, 58, 32, 0xe9, 13, 10, 13, 10, 7, 8]);
  });

  it("writes the head alone for a null body", () => {
    assert.deepEqual(list(encodeMessage("ab", null, 0)), [97, 98]);
  });

  it("refuses a head character above U+00FF", () => {
    assert.throws(() => encodeMessage("x: \u0100\r\n\r\n", null, 0), TypeError);
  });
});

describe("allocate", () => {
  it("carves small arrays from a slab without handing the same bytes out twice", () => {
    const a = allocate(10);
    const b = allocate(10);
    a.fill(1);
    b.fill(2);
    assert.deepEqual(list(a), Array(10).fill(1), "b did not overwrite a");
    assert.equal(a.buffer, b.buffer, "small arrays share a slab");
    assert.ok(b.byteOffset >= a.byteOffset + 16 || b.byteOffset === 0, "8-byte aligned, after a");
  });

  it("starts a new slab when the current one is full, and gives large arrays their own buffer", () => {
    const first = allocate(4096);
    let next = allocate(4096);
    for (let i = 0; i < 20 && next.buffer === first.buffer; i++) next = allocate(4096);
    assert.notEqual(next.buffer, first.buffer, "a full slab is replaced");
    const big = allocate(4097);
    assert.equal(big.byteOffset, 0);
    assert.equal(big.buffer.byteLength, 4097);
  });
});
