/**
 * urlPrefix → info.scriptName / info.pathInfo, by Waitress's rules (task.py get_environment and its
 * tests in test_task.py: `///abc`, empty path, url_prefix miss / hit / exact).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { splitPrefix } from "../src/policy/url_prefix.ts";
import { resolveSettings } from "../src/settings/adjustments.ts";

const CASES: [path: string, prefix: string, scriptName: string, pathInfo: string, why: string][] = [
  // no prefix
  ["/", "", "", "/", "keeps the root path"],
  ["/abc", "", "", "/abc", "keeps a plain path"],
  ["///abc", "", "", "/abc", "collapses leading slashes (Waitress test_get_environment_path_startswith_more_than_one_slash)"],
  ["//", "", "", "/", "collapses a path of only slashes to one"],
  ["", "", "", "", "keeps an empty path empty (Waitress test_get_environment_path_empty)"],
  ["*", "", "", "*", "leaves an asterisk-form target alone"],
  ["/a//b", "", "", "/a//b", "collapses only leading slashes"],
  // with a prefix
  ["/foo/bar", "/foo", "/foo", "/bar", "strips the prefix followed by a slash (Waitress url_prefix hit)"],
  ["/foo", "/foo", "/foo", "", "gives an empty pathInfo on an exact match (Waitress url_prefix exact)"],
  ["/foo/", "/foo", "/foo", "/", "keeps the trailing slash below the prefix"],
  ["/foobar", "/foo", "/foo", "/foobar", "leaves a path that only starts with the prefix's letters unchanged"],
  ["/bar", "/foo", "/foo", "/bar", "leaves a non-matching path unchanged, scriptName still the prefix (Waitress url_prefix miss)"],
  ["/", "/foo", "/foo", "/", "leaves the root unchanged when it does not match"],
  ["//foo/bar", "/foo", "/foo", "/bar", "collapses leading slashes before matching"],
  ["/Foo/bar", "/foo", "/foo", "/Foo/bar", "matches case-sensitively"],
  ["/a/b/c", "/a/b", "/a/b", "/c", "matches a multi-segment prefix"],
  ["/a/bc", "/a/b", "/a/b", "/a/bc", "does not match a multi-segment prefix inside a segment"],
  ["/my%20app/x", "/my%20app", "/my%20app", "/x", "matches a percent-encoded prefix against the path as sent"],
  ["", "/foo", "/foo", "", "keeps an empty path empty with a prefix"],
  ["/fo", "/foo", "/foo", "/fo", "leaves a path shorter than the prefix unchanged"],
];

describe("splitPrefix()", () => {
  for (const [path, prefix, scriptName, pathInfo, why] of CASES) {
    it(`splitPrefix(${JSON.stringify(path)}, ${JSON.stringify(prefix)}) ${why}`, () => {
      assert.deepEqual(splitPrefix(path, prefix), { scriptName, pathInfo });
    });
  }

  it("splitPrefix() works with the urlPrefix setting as resolved (slashes fixed)", () => {
    for (const given of ["/app/", "app", "//app//", " /app "]) {
      const prefix = resolveSettings({ urlPrefix: given }).settings.urlPrefix;
      assert.equal(prefix, "/app");
      assert.deepEqual(splitPrefix("/app/x", prefix), { scriptName: "/app", pathInfo: "/x" });
    }
    assert.equal(resolveSettings({ urlPrefix: "/" }).settings.urlPrefix, "");
  });
});
