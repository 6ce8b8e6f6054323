/**
 * src/http1/abnf.ts used directly, for the inputs no request can carry: the parser decodes bytes as
 * latin1, so characters above 0xff only reach these functions from other callers. The forms a
 * request can carry are in the parser table (tests/parser_cases_edges.ts), checked on the wire.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { equalsAsciiLower, isToken, isValidAuthority } from "../src/http1/abnf.ts";

describe("abnf", () => {
  it("isValidAuthority() rejects characters above 0xff in a host, an IPvFuture literal or an IPv6 literal", () => {
    for (const s of ["h\u0101st", "[v1.a\u0101]", "[v1.\u212a]", "[::\u0661]", "x:8\u0660"]) {
      assert.equal(isValidAuthority(s), false, JSON.stringify(s));
    }
  });

  it("isValidAuthority() checks IP literals and what follows them", () => {
    const valid = ["[::1]", "[::1]:80", "[v1.a:b]", "[V7.x]", "[1:2:3:4:5:6:1.2.3.4]", "x:", "%41b"];
    const invalid = ["", "[]", "[v1]", "[v.a]", "[v1.]", "[v1x.a]", "[::1]x", "[::1]:x", "[1.2.3.4]", ":80", "%4", "a@b"];
    for (const s of valid) assert.equal(isValidAuthority(s), true, JSON.stringify(s));
    for (const s of invalid) assert.equal(isValidAuthority(s), false, JSON.stringify(s));
  });

  it("equalsAsciiLower() folds ASCII only, and isToken() rejects non-token characters", () => {
    assert.equal(equalsAsciiLower("KEEP-Alive", "keep-alive"), true);
    assert.equal(equalsAsciiLower("\u212aeep-alive", "keep-alive"), false);
    assert.equal(equalsAsciiLower("xclosex", "close", 1, 6), true);
    assert.equal(equalsAsciiLower("close", "close", 0, 4), false);
    assert.equal(isToken("X-Custom_1"), true);
    assert.equal(isToken(""), false);
    assert.equal(isToken("a b"), false);
    assert.equal(isToken("\u0101"), false);
  });
});
