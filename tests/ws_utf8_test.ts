/**
 * UTF-8 validation (Autobahn section 6, with Markus Kuhn's UTF-8 decoder stress test cases that
 * Autobahn uses): the incremental validator byte by byte (where exactly it fails), isValidUtf8(), and
 * the same bytes as text messages through WsReader, in one frame, one frame per byte, and cut off
 * right after the first invalid byte (fail fast: the error comes before the frame ends).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isValidUtf8, Utf8Validator } from "../src/ws/utf8_validator.ts";
import { binary, bytes, cat, checkCase, cont, ERR, hex, PING, ping, type ReaderCase, T, text, toHex } from "./_ws_harness.ts";

/**
 * [name, bytes (hex), verdict]: "valid"; the index of the first byte the validator must refuse; or
 * "incomplete" (a valid prefix that ends inside a character).
 */
type Utf8Case = [string, string, "valid" | "incomplete" | number];

const KUHN: Utf8Case[] = [
  // 6.1-6.2: empty and valid text.
  ["6.1 empty", "", "valid"],
  ["6.2 Hello-µ@ßöäüàá-UTF-8!!", toHex(bytes("Hello-µ@ßöäüàá-UTF-8!!")), "valid"],
  // 6.3: "κόσμε" then a surrogate (ED A0 80) then "edited".
  ["6.3 κόσμε + ED A0 80 + edited", "cebae1bdb9cf83cebcceb5 eda080 656469746564", 12],
  // 6.4: fail fast, mid-message.
  ["6.4.1 κόσμε + F4 90 80 80 + edited", "cebae1bdb9cf83cebcceb5 f4908080 656469746564", 12],
  ["6.4.3 κόσμε + F4 90 80 80 (the rest never sent)", "cebae1bdb9cf83cebcceb5 f4908080", 12],
  // 6.5: valid text.
  ["6.5.1 κόσμε", "cebae1bdb9cf83cebcceb5", "valid"],
  ["6.5.2 a 4-byte character", "f0908d88", "valid"],
  // 6.7: first possible sequence of each length.
  ["6.7.1 U+0000", "00", "valid"],
  ["6.7.2 U+0080", "c280", "valid"],
  ["6.7.3 U+0800", "e0a080", "valid"],
  ["6.7.4 U+10000", "f0908080", "valid"],
  // 6.8: first impossible sequences (5 and 6 bytes).
  ["6.8.1 5-byte U+200000", "f888808080", 0],
  ["6.8.2 6-byte U+4000000", "fc8480808080", 0],
  // 6.9: last possible sequence of each length.
  ["6.9.1 U+007F", "7f", "valid"],
  ["6.9.2 U+07FF", "dfbf", "valid"],
  ["6.9.3 U+FFFF", "efbfbf", "valid"],
  ["6.9.4 U+10FFFF", "f48fbfbf", "valid"],
  // 6.10: last impossible sequences.
  ["6.10.1 4-byte U+1FFFFF", "f7bfbfbf", 0],
  ["6.10.2 5-byte U+3FFFFFF", "fbbfbfbfbf", 0],
  ["6.10.3 6-byte U+7FFFFFFF", "fdbfbfbfbfbf", 0],
  // 6.11: other boundary conditions.
  ["6.11.1 U+D7FF", "ed9fbf", "valid"],
  ["6.11.2 U+E000", "ee8080", "valid"],
  ["6.11.3 U+FFFD", "efbfbd", "valid"],
  ["6.11.4 U+10FFFF", "f48fbfbf", "valid"],
  ["6.11.5 U+110000", "f4908080", 1],
  // 6.12: unexpected continuation bytes.
  ["6.12.1 first continuation byte 80", "80", 0],
  ["6.12.2 last continuation byte BF", "bf", 0],
  ["6.12.3 2 continuation bytes", "80bf", 0],
  ["6.12.4 3 continuation bytes", "80bf80", 0],
  ["6.12.5 4 continuation bytes", "80bf80bf", 0],
  ["6.12.6 5 continuation bytes", "80bf80bf80", 0],
  ["6.12.7 6 continuation bytes", "80bf80bf80bf", 0],
  ["6.12.8 7 continuation bytes", "80bf80bf80bf80", 0],
  ["6.12.9 all 64 continuation bytes", Array.from({ length: 64 }, (_, i) => (0x80 + i).toString(16)).join(""), 0],
  // 6.13: lonely start characters, each followed by a space.
  ["6.13.1 2-byte starts C0-DF + space", Array.from({ length: 32 }, (_, i) => (0xc0 + i).toString(16) + "20").join(""), 0],
  ["6.13.1b C2 + space", "c220", 1],
  ["6.13.2 3-byte starts E0-EF + space", "e020e120e220", 1],
  ["6.13.3 4-byte starts F0-F7 + space", "f020f120", 1],
  ["6.13.4 5-byte starts F8-FB + space", "f820f920fa20fb20", 0],
  ["6.13.5 6-byte starts FC-FD + space", "fc20fd20", 0],
  // 6.14: sequences with the last continuation byte missing (at the end of the message).
  ["6.14.1 2-byte U+0000, missing one", "c0", 0],
  ["6.14.2 3-byte U+0000, missing one", "e080", 1],
  ["6.14.3 4-byte U+0000, missing one", "f08080", 1],
  ["6.14.4 5-byte U+0000, missing one", "f8808080", 0],
  ["6.14.5 6-byte U+0000, missing one", "fc80808080", 0],
  ["6.14.6 2-byte U+07FF, missing one", "df", "incomplete"],
  ["6.14.7 3-byte U+FFFF, missing one", "efbf", "incomplete"],
  ["6.14.8 4-byte U+1FFFFF, missing one", "f7bfbf", 0],
  ["6.14.8b 4-byte U+10FFFF, missing one", "f48fbf", "incomplete"],
  ["6.14.9 5-byte, missing one", "fbbfbfbf", 0],
  ["6.14.10 6-byte, missing one", "fdbfbfbfbf", 0],
  // 6.15: concatenation of incomplete sequences.
  ["6.15.1 all of 6.14 concatenated", "c0e080f08080f8808080fc80808080dfefbff7bfbffbbfbfbffdbfbfbfbf", 0],
  ["6.15.2 incomplete followed by ASCII", "df41", 1],
  // 6.16: impossible bytes.
  ["6.16.1 FE", "fe", 0],
  ["6.16.2 FF", "ff", 0],
  ["6.16.3 FE FE FF FF", "fefeffff", 0],
  ["6.16.4 after valid text", "616263ff", 3],
  // 6.17: overlong ASCII "/".
  ["6.17.1 2-byte /", "c0af", 0],
  ["6.17.2 3-byte /", "e080af", 1],
  ["6.17.3 4-byte /", "f08080af", 1],
  ["6.17.4 5-byte /", "f8808080af", 0],
  ["6.17.5 6-byte /", "fc80808080af", 0],
  // 6.18: maximum overlong sequences.
  ["6.18.1 2-byte U+007F", "c1bf", 0],
  ["6.18.2 3-byte U+07FF", "e09fbf", 1],
  ["6.18.3 4-byte U+FFFF", "f08fbfbf", 1],
  ["6.18.4 5-byte U+1FFFFF", "f887bfbfbf", 0],
  ["6.18.5 6-byte U+3FFFFFF", "fc83bfbfbfbf", 0],
  // 6.19: overlong NUL.
  ["6.19.1 2-byte NUL", "c080", 0],
  ["6.19.2 3-byte NUL", "e08080", 1],
  ["6.19.3 4-byte NUL", "f0808080", 1],
  ["6.19.4 5-byte NUL", "f880808080", 0],
  ["6.19.5 6-byte NUL", "fc8080808080", 0],
  // 6.20: single UTF-16 surrogates.
  ["6.20.1 U+D800", "eda080", 1],
  ["6.20.2 U+DB7F", "edadbf", 1],
  ["6.20.3 U+DB80", "edae80", 1],
  ["6.20.4 U+DBFF", "edafbf", 1],
  ["6.20.5 U+DC00", "edb080", 1],
  ["6.20.6 U+DF80", "edbe80", 1],
  ["6.20.7 U+DFFF", "edbfbf", 1],
  // 6.21: paired UTF-16 surrogates.
  ["6.21.1 U+D800 U+DC00", "eda080edb080", 1],
  ["6.21.2 U+D800 U+DFFF", "eda080edbfbf", 1],
  ["6.21.3 U+DB7F U+DC00", "edadbfedb080", 1],
  ["6.21.8 U+DBFF U+DFFF", "edafbfedbfbf", 1],
  // 6.22: noncharacters are valid UTF-8.
  ["6.22.1 U+FFFE", "efbfbe", "valid"],
  ["6.22.2 U+FFFF", "efbfbf", "valid"],
  ["6.22.3 U+1FFFE", "f09fbfbe", "valid"],
  ["6.22.34 U+10FFFE", "f48fbfbe", "valid"],
  ["6.22.35 U+FDD0", "efb790", "valid"],
  // 6.23: the replacement character and friends.
  ["6.23.1 U+FFFD", "efbfbd", "valid"],
  ["6.23.2 U+FEFF (BOM)", "efbbbf", "valid"],
  ["mixed valid text", toHex(bytes("ASCII, é, €, 𝄞, 中文")), "valid"],
];

/** Where a byte-by-byte validator first refuses, or the final verdict. */
function verdictByteByByte(data: Uint8Array): "valid" | "incomplete" | number {
  const v = new Utf8Validator();
  for (let i = 0; i < data.length; i++) if (!v.push(data, i, i + 1)) return i;
  return v.complete ? "valid" : "incomplete";
}

describe("Utf8Validator, Markus Kuhn's cases (Autobahn 6)", () => {
  for (const [name, h, verdict] of KUHN) {
    it(`${name}: ${verdict === "valid" ? "valid" : verdict === "incomplete" ? "ends inside a character" : `refused at byte ${verdict}`}`, () => {
      const data = hex(h);
      assert.equal(verdictByteByByte(data), verdict, "byte by byte");
      assert.equal(isValidUtf8(data), verdict === "valid", "isValidUtf8");
      const whole = new Utf8Validator();
      assert.equal(whole.push(data), typeof verdict !== "number", "in one push");
      assert.equal(whole.complete, verdict === "valid", "complete");
      // Pushed in two at every split.
      for (let at = 1; at < data.length; at++) {
        const v = new Utf8Validator();
        const ok = v.push(data, 0, at) && v.push(data, at);
        assert.equal(ok && v.complete, verdict === "valid", `split at ${at}`);
      }
    });
  }

  it("agrees with TextDecoder({ fatal: true }) on every 1- and 2-byte input and on random 3- and 4-byte ones", () => {
    const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    const agree = (data: Uint8Array): void => {
      let ok = true;
      try {
        fatal.decode(data);
      } catch {
        ok = false;
      }
      assert.equal(isValidUtf8(data), ok, toHex(data));
    };
    for (let a = 0; a < 256; a++) {
      agree(Uint8Array.of(a));
      for (let b = 0; b < 256; b++) agree(Uint8Array.of(a, b));
    }
    let s = 12345;
    const rnd = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
    for (let k = 0; k < 20000; k++) {
      // Lead bytes weighted to the interesting range.
      const lead = 0xc0 + (rnd() & 0x3f);
      const n = 3 + (k & 1);
      const d = new Uint8Array(n);
      d[0] = lead;
      for (let i = 1; i < n; i++) d[i] = (rnd() & 1) === 0 ? 0x80 + (rnd() & 0x3f) : rnd();
      agree(d);
    }
  });

  it("reset() forgets a failure and a partial character", () => {
    const v = new Utf8Validator();
    assert.equal(v.push(hex("e2")), true);
    assert.equal(v.complete, false);
    v.reset();
    assert.equal(v.complete, true);
    assert.equal(v.push(hex("ff")), false);
    assert.equal(v.push(hex("41")), false, "stays failed");
    v.reset();
    assert.equal(v.push(hex("41")), true);
  });
});

/** One frame per byte (a text frame, then continuations), with a ping after the first when there are two or more. */
function perByte(data: Uint8Array): Uint8Array {
  if (data.length <= 1) return text(data);
  const parts = [text(data.subarray(0, 1), false), ping("p")];
  for (let i = 1; i < data.length; i++) parts.push(cont(data.subarray(i, i + 1), i === data.length - 1));
  return cat(...parts);
}

/** The reader cases for one Kuhn case. */
function readerCases([name, h, verdict]: Utf8Case): ReaderCase[] {
  const data = hex(h);
  const want = verdict === "valid" ? [T(data)] : [ERR(1007)];
  // The ping comes before the verdict unless the very first byte is refused.
  const pinged = data.length >= 2 && verdict !== 0 ? [PING("p"), ...want] : want;
  const cases: ReaderCase[] = [
    { name: `${name}, one frame`, frames: text(data), events: want },
    { name: `${name}, one frame per byte with a ping after the first`, frames: perByte(data), events: pinged },
  ];
  if (typeof verdict === "number") {
    // Fail fast: the frame claims 20 more bytes than it carries; the error comes anyway.
    const cut = data.subarray(0, verdict + 1);
    cases.push({ name: `${name}, fail fast before the frame ends`, frames: text(cut, true, { declaredLength: data.length + 20 }), events: [ERR(1007)] });
    cases.push({ name: `${name}, fail fast before the message ends`, frames: cat(text(cut, false), cont("more...", false)), events: [ERR(1007)] });
  }
  return cases;
}

describe("WsReader, UTF-8 of text messages (Autobahn 6)", () => {
  for (const k of KUHN) {
    for (const c of readerCases(k)) {
      it(`${c.name}: ${c.events.join(", ")}`, () => {
        const problem = checkCase(c, 600);
        if (problem) assert.fail(problem);
      });
    }
  }

  const kosme = bytes("κόσμε");
  const more: ReaderCase[] = [
    { name: "6.2.3 valid text split inside characters across fragments", frames: cat(text(kosme.subarray(0, 1), false), cont(kosme.subarray(1, 4), false), cont(kosme.subarray(4))), events: [T("κόσμε")] },
    { name: "6.2.4 valid 4-byte character split over 4 fragments", frames: cat(text([0xf0], false), cont([0x90], false), cont([0x8d], false), cont([0x88])), events: [T("𐍈")] },
    { name: "6.3.2 invalid byte in the second fragment, before it ends", frames: cat(text(kosme, false), cont([0x61, 0xed, 0xa0], false, { declaredLength: 50 })), events: [ERR(1007)] },
    { name: "message ending mid-character over fragments", frames: cat(text("ab", false), cont([0xe2, 0x82])), events: [ERR(1007)] },
    { name: "binary messages are not validated", frames: cat(text("ok"), binary([0xff, 0xfe, 0xc0])), events: [T("ok"), "binary fffec0"] },
    { name: "each message validated from a fresh start", frames: cat(text([0xe2, 0x82, 0xac]), text("x")), events: [T("€"), T("x")] },
  ];
  for (const c of more) {
    it(`${c.name}: ${c.events.join(", ")}`, () => {
      const problem = checkCase(c);
      if (problem) assert.fail(problem);
    });
  }
});

