/**
 * permessage-deflate negotiation (RFC 7692 §5, §7.1) as a table: what real clients offer (a browser,
 * the npm `ws` client, Python's `websockets`), parameters, duplicates, bad values, several offers with
 * fallback, unknown extensions, malformed headers; and the RFC 6455 §9.1 grammar underneath.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { negotiateDeflate, parseExtensions, type DeflateParams, type DeflatePolicy } from "../src/ws/permessage_deflate.ts";

/** Params with defaults: context takeover both ways, 15-bit windows. */
const p = (changes: Partial<DeflateParams> = {}): DeflateParams => ({
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
  ...changes,
});

interface Case {
  name: string;
  offer: string;
  policy?: DeflatePolicy;
  /** The response header and params, or null: not negotiated. */
  expect: { header: string; params: DeflateParams } | null;
}

const CASES: Case[] = [
  // What real clients send.
  { name: "browser (Chromium, Firefox)", offer: "permessage-deflate; client_max_window_bits", expect: { header: "permessage-deflate", params: p() } },
  { name: "npm ws client", offer: "permessage-deflate; client_max_window_bits", expect: { header: "permessage-deflate", params: p() } },
  {
    name: "python websockets (client_max_window_bits with no value, no context takeover left to the server)",
    offer: "permessage-deflate; client_max_window_bits",
    expect: { header: "permessage-deflate", params: p() },
  },
  {
    name: "python websockets configured with windows and no context takeover",
    offer: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=10",
    expect: {
      header: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=10",
      params: p({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 10 }),
    },
  },
  { name: "bare offer", offer: "permessage-deflate", expect: { header: "permessage-deflate", params: p() } },
  { name: "extension name in capitals, spaces and tabs", offer: " \tPermessage-Deflate ;\tClient_Max_Window_Bits ", expect: { header: "permessage-deflate", params: p() } },
  // Policy.
  {
    name: "policy: server no context takeover",
    offer: "permessage-deflate; client_max_window_bits",
    policy: { serverNoContextTakeover: true },
    expect: { header: "permessage-deflate; server_no_context_takeover", params: p({ serverNoContextTakeover: true }) },
  },
  {
    name: "policy: client no context takeover (may be sent without an offer of it)",
    offer: "permessage-deflate",
    policy: { clientNoContextTakeover: true },
    expect: { header: "permessage-deflate; client_no_context_takeover", params: p({ clientNoContextTakeover: true }) },
  },
  // Window bits.
  { name: "server_max_window_bits=10", offer: "permessage-deflate; server_max_window_bits=10", expect: { header: "permessage-deflate; server_max_window_bits=10", params: p({ serverMaxWindowBits: 10 }) } },
  { name: "server_max_window_bits quoted", offer: 'permessage-deflate; server_max_window_bits="9"', expect: { header: "permessage-deflate; server_max_window_bits=9", params: p({ serverMaxWindowBits: 9 }) } },
  { name: "server_max_window_bits=8: zlib cannot, declined", offer: "permessage-deflate; server_max_window_bits=8", expect: null },
  { name: "client_max_window_bits=8 agreed (inflating with a bigger window is fine)", offer: "permessage-deflate; client_max_window_bits=8", expect: { header: "permessage-deflate; client_max_window_bits=8", params: p({ clientMaxWindowBits: 8 }) } },
  { name: "client_max_window_bits=15", offer: "permessage-deflate; client_max_window_bits=15", expect: { header: "permessage-deflate; client_max_window_bits=15", params: p() } },
  // Bad values and duplicates make the offer unacceptable.
  { name: "server_max_window_bits without a value", offer: "permessage-deflate; server_max_window_bits", expect: null },
  { name: "server_max_window_bits=16", offer: "permessage-deflate; server_max_window_bits=16", expect: null },
  { name: "server_max_window_bits=7", offer: "permessage-deflate; server_max_window_bits=7", expect: null },
  { name: "client_max_window_bits=0", offer: "permessage-deflate; client_max_window_bits=0", expect: null },
  { name: "leading zero", offer: "permessage-deflate; client_max_window_bits=010", expect: null },
  { name: "not a number", offer: "permessage-deflate; client_max_window_bits=abc", expect: null },
  { name: "server_no_context_takeover with a value", offer: "permessage-deflate; server_no_context_takeover=1", expect: null },
  { name: "client_no_context_takeover with a value", offer: 'permessage-deflate; client_no_context_takeover="true"', expect: null },
  { name: "duplicate server_no_context_takeover", offer: "permessage-deflate; server_no_context_takeover; server_no_context_takeover", expect: null },
  { name: "duplicate client_max_window_bits", offer: "permessage-deflate; client_max_window_bits; client_max_window_bits=10", expect: null },
  { name: "unknown parameter", offer: "permessage-deflate; mystery", expect: null },
  // Several offers: the first acceptable one.
  {
    name: "fallback past a bad offer",
    offer: "permessage-deflate; server_max_window_bits=99, permessage-deflate; client_max_window_bits",
    expect: { header: "permessage-deflate", params: p() },
  },
  {
    name: "fallback past server_max_window_bits=8 to a 9",
    offer: "permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=9",
    expect: { header: "permessage-deflate; server_max_window_bits=9", params: p({ serverMaxWindowBits: 9 }) },
  },
  {
    name: "the first acceptable one wins",
    offer: "permessage-deflate; client_no_context_takeover, permessage-deflate",
    expect: { header: "permessage-deflate; client_no_context_takeover", params: p({ clientNoContextTakeover: true }) },
  },
  { name: "all offers bad", offer: "permessage-deflate; x=1, permessage-deflate; server_max_window_bits=16", expect: null },
  // Other extensions are ignored.
  { name: "unknown extension ignored", offer: "x-webkit-deflate-frame, permessage-deflate", expect: { header: "permessage-deflate", params: p() } },
  { name: "unknown extension with parameters ignored", offer: 'foo; bar="baz"; qux, permessage-deflate; client_max_window_bits', expect: { header: "permessage-deflate", params: p() } },
  { name: "only other extensions", offer: "x-webkit-deflate-frame; no_context_takeover", expect: null },
  { name: "empty header", offer: "", expect: null },
  { name: "empty list elements skipped (two header lines, one empty)", offer: ", permessage-deflate ,", expect: { header: "permessage-deflate", params: p() } },
  // Malformed: the extension is not used at all.
  { name: "malformed: parameter without a name", offer: "permessage-deflate; =10", expect: null },
  { name: "malformed: unterminated quoted string", offer: 'permessage-deflate; client_max_window_bits="10', expect: null },
  { name: "malformed: a quoted value that is no token", offer: 'permessage-deflate; client_max_window_bits="1 0"', expect: null },
  { name: "malformed: empty quoted value", offer: 'permessage-deflate; client_max_window_bits=""', expect: null },
  { name: "malformed: a bad token after a good offer", offer: "permessage-deflate, per{message", expect: null },
  { name: "malformed: a separator in a token", offer: "permessage-deflate; client_max_window_bits=1/0", expect: null },
  { name: "malformed: trailing semicolon", offer: "permessage-deflate;", expect: null },
];

describe("negotiateDeflate", () => {
  for (const c of CASES) {
    it(`${c.name}: ${JSON.stringify(c.offer)}`, () => {
      assert.deepEqual(negotiateDeflate(c.offer, c.policy), c.expect);
    });
  }
});

describe("parseExtensions (RFC 6455 §9.1)", () => {
  it("reads tokens, parameters and quoted values, with escapes", () => {
    assert.deepEqual(parseExtensions('a; b=1; c="x\\y" , d'), [
      { name: "a", params: [["b", "1"], ["c", "xy"]] },
      { name: "d", params: [] },
    ]);
  });
  it("returns null for what does not follow the grammar", () => {
    for (const bad of ["a b", "a;", "a; b=", 'a; b="', "a=1", ";a", "a,,b c", "é"]) assert.equal(parseExtensions(bad), null, bad);
  });
});
