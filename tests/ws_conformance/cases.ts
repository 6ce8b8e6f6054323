/**
 * The WebSocket conformance table (issue 18), as data, in the sections of the Autobahn test suite:
 * 1 framing, 2 pings/pongs, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close, 9 limits,
 * 10 misc. Each case lists what the client sends (frames, masked unless the case is about masking;
 * pauses) and the outcomes that are acceptable, each with the verdict it earns (OK by default).
 * tests/ws_conformance/client.ts runs one case against an echo server and judges it.
 *
 * @module
 */

/** Bytes of a frame payload: a string (its UTF-8), `{ hex }`, or `{ fill, length }` (one byte repeated). */
export type Payload = string | { hex: string } | { fill: number; length: number };

/** One data message: text or binary, and its bytes. */
export interface Message {
  type: "text" | "binary";
  data: Payload;
}

/** A frame the client sends. `rsv` is the three bits RSV1..RSV3 as a number (4 = RSV1, 2 = RSV2, 1 = RSV3). */
export interface FrameSpec {
  op: number;
  data?: Payload;
  /** The FIN bit; true unless given. */
  fin?: boolean;
  rsv?: number;
  /** Masked (as a client must) unless false. */
  mask?: boolean;
  /** Write the frame in pieces of this many bytes (separate writes), to try the server's parser at splits. */
  chunk?: number;
  /** With `chunk`: wait this long between the pieces. */
  chunkPauseMs?: number;
}

/** One step of a case: a frame, raw bytes (written as they are), or a pause. Consecutive frames and raw bytes go out in one write. */
export type Step = { frame: FrameSpec } | { raw: Payload } | { pauseMs: number };

/** Verdicts, best first: as the Autobahn test suite grades. */
export type Verdict = "OK" | "NON-STRICT" | "INFORMATIONAL" | "FAILED";

/**
 * One acceptable outcome. With `failConnection`: the server fails the connection with a close frame
 * carrying one of these codes (a TCP close without a close frame is NON-STRICT). Without it: the
 * server stays open, echoes `echo` and answers pings with `pong`, and answers the client's close
 * (the case's own close frame, or 1000 sent once the echoes are in) with one of the `close` codes
 * (default [1000]; null: a close frame without a code). `echo`/`pong` default to none.
 */
export interface Outcome {
  echo?: Message[];
  pong?: Payload[];
  close?: (number | null)[];
  failConnection?: number[];
  /** The verdict this outcome earns; OK unless given. */
  verdict?: Exclude<Verdict, "FAILED">;
  /** Only for a server with no message size limit (limit cases). */
  onlyWithoutLimit?: boolean;
  note?: string;
}

/** One case of the table. */
export interface WsCase {
  id: string;
  section: number;
  description: string;
  steps: Step[];
  /** Acceptable outcomes, best first. */
  expect: Outcome[];
  /** A strict server fails the connection before the client has written its last byte; later is NON-STRICT. */
  failFast?: boolean;
}

/** The message size limit every server under test is configured with (wsMaxMessageSize, maxPayload, maxPayloadLength). */
export const WS_LIMIT = 2 * 1024 * 1024;

/** The section titles, by number. */
export const SECTIONS: Readonly<Record<number, string>> = {
  1: "Framing",
  2: "Pings/Pongs",
  3: "Reserved bits",
  4: "Opcodes",
  5: "Fragmentation",
  6: "UTF-8 handling",
  7: "Close handling",
  9: "Limits",
  10: "Misc",
};

const TEXT = 1;
const BINARY = 2;
const CONT = 0;
const CLOSE = 8;
const PING = 9;
const PONG = 10;

const hex = (h: string): Payload => ({ hex: h.replace(/\s+/g, "") });
const fill = (length: number, byte = 0x2a): Payload => ({ fill: byte, length });
const text = (data: Payload): Message => ({ type: "text", data });
const binary = (data: Payload): Message => ({ type: "binary", data });
const frame = (op: number, data: Payload = "", more: Omit<FrameSpec, "op" | "data"> = {}): Step => ({ frame: { op, data, ...more } });
const pause = (pauseMs: number): Step => ({ pauseMs });
const utf8Hex = (s: string): string => [...new TextEncoder().encode(s)].map((b) => b.toString(16).padStart(2, "0")).join("");
const codeHex = (code: number): string => code.toString(16).padStart(4, "0");
/** The payload of a close frame: the code, then the reason's bytes (hex). */
const closeData = (code: number, reasonHex = ""): Payload => hex(codeHex(code) + reasonHex);
const fail = (codes: number[], more: Omit<Outcome, "failConnection"> = {}): Outcome => ({ failConnection: codes, ...more });

const SIZES = [0, 125, 126, 127, 128, 65535, 65536, 1024 * 1024];
const HELLO = text("Hello");
/** Autobahn's pattern for a bad frame: an echo before it, a ping after it; the pong after the error is NON-STRICT. */
const badBetween = (bad: Step): Pick<WsCase, "steps" | "expect"> => ({
  steps: [frame(TEXT, "Hello"), bad, frame(PING, "after")],
  expect: [fail([1002], { echo: [HELLO] }), fail([1002], { echo: [HELLO], pong: ["after"], verdict: "NON-STRICT", note: "answered a ping after the bad frame" })],
});

function section1(): WsCase[] {
  const cases: WsCase[] = [];
  SIZES.forEach((n, i) => cases.push({ id: `1.1.${i + 1}`, section: 1, description: `text message, payload ${n} bytes`, steps: [frame(TEXT, fill(n))], expect: [{ echo: [text(fill(n))] }] }));
  SIZES.forEach((n, i) => cases.push({ id: `1.2.${i + 1}`, section: 1, description: `binary message, payload ${n} bytes`, steps: [frame(BINARY, fill(n, 0xfe))], expect: [{ echo: [binary(fill(n, 0xfe))] }] }));
  cases.push(
    { id: "1.3.1", section: 1, description: "text message, 65536 bytes, written in pieces of 997 bytes", steps: [frame(TEXT, fill(65536), { chunk: 997 })], expect: [{ echo: [text(fill(65536))] }] },
    { id: "1.3.2", section: 1, description: "binary message, 130 bytes, written one byte at a time", steps: [frame(BINARY, fill(130, 0x00), { chunk: 1 })], expect: [{ echo: [binary(fill(130, 0x00))] }] },
    { id: "1.3.3", section: 1, description: "two text messages in one write", steps: [frame(TEXT, "one"), frame(TEXT, "two")], expect: [{ echo: [text("one"), text("two")] }] },
  );
  return cases;
}

function section2(): WsCase[] {
  const pings = Array.from({ length: 10 }, (_, i) => `ping ${i}`);
  return [
    { id: "2.1", section: 2, description: "ping without payload -> pong without payload", steps: [frame(PING)], expect: [{ pong: [""] }] },
    { id: "2.2", section: 2, description: "ping with a text payload -> pong with the same payload", steps: [frame(PING, "Hello, world!")], expect: [{ pong: ["Hello, world!"] }] },
    { id: "2.3", section: 2, description: "ping with a binary payload -> pong with the same payload", steps: [frame(PING, hex("00ff fe 80 01"))], expect: [{ pong: [hex("00fffe8001")] }] },
    { id: "2.4", section: 2, description: "ping with a 125-byte payload (the maximum) -> pong", steps: [frame(PING, fill(125, 0xfe))], expect: [{ pong: [fill(125, 0xfe)] }] },
    { id: "2.5", section: 2, description: "ping with a 126-byte payload -> fail 1002", steps: [frame(PING, fill(126, 0xfe))], expect: [fail([1002])] },
    { id: "2.6", section: 2, description: "fragmented ping (FIN clear, then a continuation) -> fail 1002", steps: [frame(PING, "frag", { fin: false }), frame(CONT, "ment")], expect: [fail([1002])] },
    { id: "2.7", section: 2, description: "unsolicited pong without payload is ignored", steps: [frame(PONG), frame(TEXT, "sync")], expect: [{ echo: [text("sync")] }] },
    { id: "2.8", section: 2, description: "unsolicited pong with payload is ignored", steps: [frame(PONG, "unsolicited"), frame(TEXT, "sync")], expect: [{ echo: [text("sync")] }] },
    { id: "2.9", section: 2, description: "unsolicited pong, then ping -> only the ping's pong", steps: [frame(PONG, "unsolicited"), frame(PING, "solicited")], expect: [{ pong: ["solicited"] }] },
    { id: "2.10", section: 2, description: "10 pings in a row -> 10 pongs in order", steps: pings.map((p) => frame(PING, p)), expect: [{ pong: pings }, { pong: pings.slice(-1), verdict: "NON-STRICT", note: "answered only the last ping (RFC 6455 5.5.3 allows)" }] },
    { id: "2.11", section: 2, description: "10 pings in a row, written one byte at a time", steps: pings.map((p) => frame(PING, p, { chunk: 1 })), expect: [{ pong: pings }, { pong: pings.slice(-1), verdict: "NON-STRICT", note: "answered only the last ping" }] },
    { id: "2.12", section: 2, description: "ping then text -> pong and echo", steps: [frame(PING, "p"), frame(TEXT, "t")], expect: [{ pong: ["p"], echo: [text("t")] }] },
  ];
}

function section3(): WsCase[] {
  const rows: [string, number, number][] = [
    ["text with RSV1", TEXT, 4],
    ["text with RSV2", TEXT, 2],
    ["text with RSV3", TEXT, 1],
    ["text with RSV1+RSV2+RSV3", TEXT, 7],
    ["binary with RSV1", BINARY, 4],
    ["ping with RSV1", PING, 4],
    ["ping with RSV2", PING, 2],
    ["ping with RSV3", PING, 1],
    ["close with RSV1", CLOSE, 4],
  ];
  return rows.map(([what, op, rsv], i) => ({
    id: `3.${i + 1}`,
    section: 3,
    description: `${what} (no extension negotiated) -> fail 1002`,
    ...badBetween(frame(op, op === CLOSE ? closeData(1000) : "reserved", { rsv })),
  }));
}

function section4(): WsCase[] {
  const cases: WsCase[] = [];
  [3, 4, 5, 6, 7].forEach((op, i) => cases.push({ id: `4.1.${i + 1}`, section: 4, description: `reserved non-control opcode ${op} -> fail 1002`, ...badBetween(frame(op, "reserved")) }));
  [0xb, 0xc, 0xd, 0xe, 0xf].forEach((op, i) => cases.push({ id: `4.2.${i + 1}`, section: 4, description: `reserved control opcode 0x${op.toString(16).toUpperCase()} -> fail 1002`, ...badBetween(frame(op, "reserved")) }));
  return cases;
}

function section5(): WsCase[] {
  const nf = { fin: false };
  return [
    { id: "5.1", section: 5, description: "text in 2 fragments", steps: [frame(TEXT, "frag", nf), frame(CONT, "ment")], expect: [{ echo: [text("fragment")] }] },
    { id: "5.2", section: 5, description: "binary in 2 fragments", steps: [frame(BINARY, hex("0102"), nf), frame(CONT, hex("0304"))], expect: [{ echo: [binary(hex("01020304"))] }] },
    { id: "5.3", section: 5, description: "text in 2 fragments with a ping between them", steps: [frame(TEXT, "frag", nf), frame(PING, "between"), frame(CONT, "ment")], expect: [{ pong: ["between"], echo: [text("fragment")] }] },
    { id: "5.4", section: 5, description: "text in 3 fragments with pings between, one byte at a time", steps: [frame(TEXT, "fr", { fin: false, chunk: 1 }), frame(PING, "1", { chunk: 1 }), frame(CONT, "ag", { fin: false, chunk: 1 }), frame(PING, "2", { chunk: 1 }), frame(CONT, "ment", { chunk: 1 })], expect: [{ pong: ["1", "2"], echo: [text("fragment")] }] },
    { id: "5.5", section: 5, description: "text in 2 fragments with an unsolicited pong between them", steps: [frame(TEXT, "frag", nf), frame(PONG, "x"), frame(CONT, "ment")], expect: [{ echo: [text("fragment")] }] },
    { id: "5.6", section: 5, description: "text in 2 fragments with pauses between the frames", steps: [frame(TEXT, "frag", nf), pause(100), frame(CONT, "ment")], expect: [{ echo: [text("fragment")] }] },
    { id: "5.7", section: 5, description: "continuation (FIN set) without a start -> fail 1002", steps: [frame(CONT, "orphan")], expect: [fail([1002])] },
    { id: "5.8", section: 5, description: "continuation (FIN clear) without a start -> fail 1002", steps: [frame(CONT, "orphan", nf), frame(CONT, "end")], expect: [fail([1002])] },
    { id: "5.9", section: 5, description: "echo, then continuation without a start -> fail 1002", steps: [frame(TEXT, "Hello"), frame(CONT, "orphan")], expect: [fail([1002], { echo: [HELLO] })] },
    { id: "5.10", section: 5, description: "text while a text message is fragmented -> fail 1002", steps: [frame(TEXT, "frag", nf), frame(TEXT, "new")], expect: [fail([1002])] },
    { id: "5.11", section: 5, description: "binary while a text message is fragmented -> fail 1002", steps: [frame(TEXT, "frag", nf), frame(BINARY, "new")], expect: [fail([1002])] },
    { id: "5.12", section: 5, description: "text (FIN clear) while a binary message is fragmented -> fail 1002", steps: [frame(BINARY, "frag", nf), frame(TEXT, "new", nf), frame(CONT, "end")], expect: [fail([1002])] },
    { id: "5.13", section: 5, description: "empty fragments: text '' + continuation '' + continuation '' (FIN)", steps: [frame(TEXT, "", nf), frame(CONT, "", nf), frame(CONT, "")], expect: [{ echo: [text("")] }] },
    { id: "5.14", section: 5, description: "empty first and last fragments around data", steps: [frame(TEXT, "", nf), frame(CONT, "middle", nf), frame(CONT, "")], expect: [{ echo: [text("middle")] }] },
    { id: "5.15", section: 5, description: "empty binary fragments with a ping between", steps: [frame(BINARY, "", nf), frame(PING, "p"), frame(CONT, "")], expect: [{ pong: ["p"], echo: [binary("")] }] },
    { id: "5.16", section: 5, description: "two fragmented messages in a row", steps: [frame(TEXT, "a", nf), frame(CONT, "b"), frame(BINARY, "c", nf), frame(CONT, "d")], expect: [{ echo: [text("ab"), binary("cd")] }] },
    { id: "5.17", section: 5, description: "close between fragments -> close reply, the partial message dropped", steps: [frame(TEXT, "frag", nf), frame(CLOSE, closeData(1000))], expect: [{ close: [1000] }] },
  ];
}

function section6(): WsCase[] {
  const valid = (id: string, description: string, s: string): WsCase => ({ id, section: 6, description, steps: [frame(TEXT, s)], expect: [{ echo: [text(s)] }] });
  const invalid = (id: string, description: string, h: string): WsCase => ({ id, section: 6, description: `${description} -> fail 1007`, steps: [frame(TEXT, hex(h))], expect: [fail([1007])] });
  const kosme = utf8Hex("κόσμε");
  const hello = "Hello-µ@ßöäüàá-UTF-8!!";
  const helloBytes = [...new TextEncoder().encode(hello)].map((b) => b.toString(16).padStart(2, "0"));
  const nf = { fin: false };
  return [
    valid("6.1.1", "valid 2-byte sequences (κόσμε)", "κόσμε"),
    valid("6.1.2", "valid 3- and 4-byte sequences (€ 𝄞 😀)", "€ 𝄞 😀"),
    valid("6.1.3", "valid boundaries U+007F U+0080 U+07FF U+0800 U+FFFF U+10000 U+10FFFF", "\u007f\u0080\u07ff\u0800\uffff\u{10000}\u{10ffff}"),
    { id: "6.1.4", section: 6, description: "valid text as one fragment per byte", steps: helloBytes.map((b, i) => frame(i === 0 ? TEXT : CONT, hex(b), { fin: i === helloBytes.length - 1 })), expect: [{ echo: [text(hello)] }] },
    { id: "6.1.5", section: 6, description: "a code point split across two fragments (CE | BA)", steps: [frame(TEXT, hex("ce"), nf), frame(CONT, hex("ba"))], expect: [{ echo: [text("κ")] }] },
    { id: "6.1.6", section: 6, description: "a 4-byte code point split across three fragments", steps: [frame(TEXT, hex("f0"), nf), frame(CONT, hex("9d 84"), nf), frame(CONT, hex("9e"))], expect: [{ echo: [text("𝄞")] }] },
    invalid("6.2.1", "invalid byte 0xFF", "48 65 ff 6c 6f"),
    invalid("6.2.2", "lone continuation byte 0x80", "80"),
    invalid("6.2.3", "0xFE", "fe"),
    invalid("6.3.1", "overlong '/' (C0 AF)", "c0 af"),
    invalid("6.3.2", "overlong '/' (E0 80 AF)", "e0 80 af"),
    invalid("6.3.3", "overlong '/' (F0 80 80 AF)", "f0 80 80 af"),
    invalid("6.3.4", "overlong U+07FF (E0 9F BF)", "e0 9f bf"),
    invalid("6.4.1", "surrogate U+D800 (ED A0 80)", "ed a0 80"),
    invalid("6.4.2", "surrogate U+DFFF (ED BF BF)", "ed bf bf"),
    invalid("6.4.3", "surrogate pair as two 3-byte sequences (ED A0 80 ED B0 80)", "eda080 edb080"),
    invalid("6.5.1", "above U+10FFFF (F4 90 80 80)", "f4 90 80 80"),
    invalid("6.5.2", "5-byte form (F8 88 80 80 80)", "f8 88 80 80 80"),
    invalid("6.6.1", "truncated sequence at the end of the message (CE)", `${kosme} ce`),
    invalid("6.6.2", "truncated 3-byte sequence at the end (E2 82)", "e2 82"),
    { id: "6.7.1", section: 6, description: "invalid sequence split across fragments (ED | A0 80) -> fail 1007", steps: [frame(TEXT, hex("ed"), nf), frame(CONT, hex("a0 80"))], expect: [fail([1007])] },
    {
      id: "6.7.2", section: 6, failFast: true,
      description: "invalid byte in a later fragment (valid, FF, pause, final) -> fail 1007; fail fast: before the final fragment",
      steps: [frame(TEXT, "Hello", nf), frame(CONT, hex("ff"), nf), pause(300), frame(CONT, "world")],
      expect: [fail([1007])],
    },
    {
      id: "6.7.3", section: 6, failFast: true,
      description: "invalid sequence in the first fragment, pause, final fragment -> fail 1007; fail fast: before the final fragment",
      steps: [frame(TEXT, hex(`${kosme} eda080 ${utf8Hex("edited")}`), nf), pause(300), frame(CONT, "")],
      expect: [fail([1007])],
    },
    {
      id: "6.7.4", section: 6, failFast: true,
      description: "invalid sequence in the middle of one frame, its rest written after a pause -> fail 1007; fail fast: mid-frame",
      steps: [frame(TEXT, hex(`${kosme} f4 90 80 80 ${utf8Hex("edited")}`), { chunk: 6 + 11 + 4, chunkPauseMs: 300 })],
      expect: [fail([1007])],
    },
    { id: "6.7.5", section: 6, description: "a valid message, then one with invalid UTF-8 -> echo, then fail 1007", steps: [frame(TEXT, "Hello"), frame(TEXT, hex("c0 af"))], expect: [fail([1007], { echo: [HELLO] })] },
    { id: "6.8.1", section: 6, description: "binary message with invalid UTF-8 is echoed (no validation of binary)", steps: [frame(BINARY, hex("ff c0 af ed a0 80"))], expect: [{ echo: [binary(hex("ffc0afeda080"))] }] },
  ];
}

function section7(): WsCase[] {
  const valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
  const invalid = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000];
  const reason123 = utf8Hex("r".repeat(123));
  const cases: WsCase[] = [
    { id: "7.1.1", section: 7, description: "echo, then close 1000 -> close reply 1000", steps: [frame(TEXT, "Hello"), frame(CLOSE, closeData(1000))], expect: [{ echo: [HELLO], close: [1000] }] },
    { id: "7.1.2", section: 7, description: "close without payload -> close reply (empty or 1000), then TCP close", steps: [frame(CLOSE)], expect: [{ close: [null, 1000] }] },
    { id: "7.1.3", section: 7, description: "close twice -> one close reply, the second ignored", steps: [frame(CLOSE, closeData(1000)), frame(CLOSE, closeData(1000))], expect: [{ close: [1000] }] },
    { id: "7.1.4", section: 7, description: "text after close is ignored", steps: [frame(CLOSE, closeData(1000)), frame(TEXT, "after")], expect: [{ close: [1000] }] },
    { id: "7.1.5", section: 7, description: "ping after close is not answered", steps: [frame(CLOSE, closeData(1000)), frame(PING, "after")], expect: [{ close: [1000] }] },
    { id: "7.1.6", section: 7, description: "fragment after close is ignored", steps: [frame(CLOSE, closeData(1000)), frame(TEXT, "frag", { fin: false }), frame(CONT, "ment")], expect: [{ close: [1000] }] },
    { id: "7.1.7", section: 7, description: "256 KiB message, then close at once -> echo before the close reply", steps: [frame(TEXT, fill(256 * 1024)), frame(CLOSE, closeData(1000))], expect: [{ echo: [text(fill(256 * 1024))], close: [1000] }, { close: [1000], verdict: "INFORMATIONAL", note: "closed without sending the echo" }] },
    { id: "7.2.1", section: 7, description: "close with a 1-byte payload -> fail 1002", steps: [frame(CLOSE, hex("03"))], expect: [fail([1002])] },
    { id: "7.3.1", section: 7, description: "close 1000 with a reason -> close reply 1000", steps: [frame(CLOSE, closeData(1000, utf8Hex("Hello World!")))], expect: [{ close: [1000] }] },
    { id: "7.3.2", section: 7, description: "close 1000 with a 123-byte reason (the maximum) -> close reply", steps: [frame(CLOSE, closeData(1000, reason123))], expect: [{ close: [1000] }] },
    { id: "7.3.3", section: 7, description: "close with a 124-byte reason (payload 126 bytes) -> fail 1002", steps: [frame(CLOSE, closeData(1000, reason123 + "72"))], expect: [fail([1002])] },
    { id: "7.3.4", section: 7, description: "close 1000 with a multibyte UTF-8 reason -> close reply", steps: [frame(CLOSE, closeData(1000, utf8Hex("κόσμε 𝄞")))], expect: [{ close: [1000] }] },
    { id: "7.5.1", section: 7, description: "close with an invalid UTF-8 reason -> fail 1007", steps: [frame(CLOSE, closeData(1000, "cebae1bdb9cf83cebcceb5eda080656469746564"))], expect: [fail([1007])] },
  ];
  valid.forEach((code, i) => cases.push({ id: `7.7.${i + 1}`, section: 7, description: `close with valid code ${code} -> close reply (1000 or ${code})`, steps: [frame(CLOSE, closeData(code))], expect: [{ close: [1000, code] }] }));
  invalid.forEach((code, i) => cases.push({ id: `7.9.${i + 1}`, section: 7, description: `close with invalid code ${code} -> fail 1002`, steps: [frame(CLOSE, closeData(code))], expect: [fail([1002])] }));
  return cases;
}

function section9(): WsCase[] {
  const over = WS_LIMIT + 1;
  const half = Math.ceil(over / 2);
  const quarter = WS_LIMIT / 4;
  const noLimit = (echo: Message[]): Outcome => ({ echo, verdict: "INFORMATIONAL", onlyWithoutLimit: true, note: "no message size limit" });
  const tiny = Array.from({ length: 1000 }, (_, i) => `m${String(i).padStart(3, "0")}`);
  return [
    { id: "9.1.1", section: 9, description: `text of exactly the limit (${WS_LIMIT} bytes) -> echo`, steps: [frame(TEXT, fill(WS_LIMIT))], expect: [{ echo: [text(fill(WS_LIMIT))] }] },
    { id: "9.1.2", section: 9, description: `text one byte over the limit in one frame -> fail 1009`, steps: [frame(TEXT, fill(over))], expect: [fail([1009]), noLimit([text(fill(over))])] },
    { id: "9.1.3", section: 9, description: `binary one byte over the limit in one frame -> fail 1009`, steps: [frame(BINARY, fill(over, 0xfe))], expect: [fail([1009]), noLimit([binary(fill(over, 0xfe))])] },
    { id: "9.1.4", section: 9, description: `text one byte over the limit in 2 fragments, each under it -> fail 1009`, steps: [frame(TEXT, fill(half), { fin: false }), frame(CONT, fill(over - half))], expect: [fail([1009]), noLimit([text(fill(over))])] },
    { id: "9.1.5", section: 9, description: `text of exactly the limit in 4 fragments -> echo`, steps: [0, 1, 2, 3].map((i) => frame(i === 0 ? TEXT : CONT, fill(quarter), { fin: i === 3 })), expect: [{ echo: [text(fill(WS_LIMIT))] }] },
    { id: "9.2.1", section: 9, description: "1000 fragments of 10 bytes -> echo of 10000 bytes", steps: Array.from({ length: 1000 }, (_, i) => frame(i === 0 ? TEXT : CONT, fill(10), { fin: i === 999 })), expect: [{ echo: [text(fill(10000))] }] },
    { id: "9.2.2", section: 9, description: "10000 fragments of 1 byte -> echo (a fragment-count bound may refuse: 1009)", steps: Array.from({ length: 10000 }, (_, i) => frame(i === 0 ? BINARY : CONT, fill(1), { fin: i === 9999 })), expect: [{ echo: [binary(fill(10000))] }, fail([1009], { verdict: "INFORMATIONAL", note: "a fragment-count bound" })] },
    { id: "9.3.1", section: 9, description: "1000 small text messages in a row -> 1000 echoes in order", steps: tiny.map((m) => frame(TEXT, m)), expect: [{ echo: tiny.map((m) => text(m)) }] },
  ];
}

function section10(): WsCase[] {
  return [
    { id: "10.1", section: 10, description: "unmasked text frame -> fail 1002", steps: [frame(TEXT, "unmasked", { mask: false })], expect: [fail([1002])] },
    { id: "10.2", section: 10, description: "echo, then an unmasked ping -> fail 1002", steps: [frame(TEXT, "Hello"), frame(PING, "unmasked", { mask: false })], expect: [fail([1002], { echo: [HELLO] })] },
    { id: "10.3", section: 10, description: "unmasked close -> fail 1002", steps: [frame(CLOSE, closeData(1000), { mask: false })], expect: [fail([1002])] },
    { id: "10.4", section: 10, description: "64-bit length with the most significant bit set -> fail 1002 (or 1009)", steps: [{ raw: hex("81ff 8000000000000005 01020304") }, { raw: hex("4f2e6b6d6e") }], expect: [fail([1002, 1009])] },
    { id: "10.5", section: 10, description: "non-minimal length encoding (126 form for 5 bytes): echo or fail 1002, both accepted", steps: [{ raw: hex("81fe0005 00000000 48656c6c6f") }], expect: [{ echo: [HELLO] }, fail([1002])] },
  ];
}

/** Every case of the table, in order. */
export const CASES: readonly WsCase[] = [...section1(), ...section2(), ...section3(), ...section4(), ...section5(), ...section6(), ...section7(), ...section9(), ...section10()];

/**
 * The bytes of a payload.
 *
 * @example
 * ```ts
 * payloadBytes({ fill: 0x2a, length: 3 }); // Uint8Array [42, 42, 42]
 * ```
 */
export function payloadBytes(p: Payload): Uint8Array {
  if (typeof p === "string") return new TextEncoder().encode(p);
  if ("hex" in p) {
    const out = new Uint8Array(p.hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(p.hex.slice(i * 2, i * 2 + 2), 16);
    return out;
  }
  return new Uint8Array(p.length).fill(p.fill);
}
