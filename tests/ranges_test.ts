/**
 * Range requests and conditional requests for file bodies (RFC 9110 §13, §14): the parsers, the order
 * of precedence, validators without an entity tag, responseForFile() given a plain request object, and
 * fileResponse(path, { request }) over real sockets, byte for byte.
 */
import type { FileSource } from "../src/platform.ts";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileResponse } from "../mod.ts";
import { responseForFile } from "../src/web/file_response.ts";
import { parseRange } from "../src/web/ranges.ts";
import { etagFor, evaluatePreconditions, ifRangeAllows, parseHttpDate } from "../src/web/conditional.ts";
import { formatHttpDate } from "../src/http1/http_date.ts";
import { RawClient, type RawResponse, startServer, type TestServer } from "./_helpers.ts";

/** The time the pure functions are given (they read no clock): now, as the server would pass it. */
const NOW = Date.now();

describe("parseRange()", () => {
  const ranges = (value: string, size = 10000) => parseRange(value, size);
  const one = (start: number, end: number) => ({ type: "ranges", ranges: [{ start, end }] });

  it("reads the three forms of a byte range, clamping the end to the size", () => {
    assert.deepEqual(ranges("bytes=0-0"), one(0, 0));
    assert.deepEqual(ranges("bytes=500-"), one(500, 9999));
    assert.deepEqual(ranges("bytes=-500"), one(9500, 9999));
    assert.deepEqual(ranges("bytes=100-199"), one(100, 199));
    assert.deepEqual(ranges("bytes=9990-20000"), one(9990, 9999));
    assert.deepEqual(ranges("bytes=-20000"), one(0, 9999));
    assert.deepEqual(ranges("bytes=0-99999999999999999999"), one(0, 9999));
    assert.deepEqual(ranges("BYTES=1-2"), one(1, 2));
  });

  it("merges overlapping and adjacent ranges, keeps disjoint ones apart, skips empty list elements", () => {
    assert.deepEqual(ranges("bytes=0-9, 5-19"), one(0, 19));
    assert.deepEqual(ranges("bytes=10-19,0-9"), one(0, 19));
    assert.deepEqual(ranges("bytes=0-0,0-0,0-0"), one(0, 0));
    assert.deepEqual(ranges("bytes= ,0-1,\t, "), one(0, 1));
    assert.deepEqual(ranges("bytes=0-9,100-109,-10"), {
      type: "ranges", ranges: [{ start: 0, end: 9 }, { start: 100, end: 109 }, { start: 9990, end: 9999 }],
    });
    // An unsatisfiable member is dropped when another one can be served.
    assert.deepEqual(ranges("bytes=20000-,0-1"), one(0, 1));
  });

  it("is unsatisfiable when no range overlaps the representation", () => {
    for (const value of ["bytes=10000-", "bytes=10000-10005", "bytes=-0", "bytes=99999999999999999999-", "bytes=10000-,-0"]) {
      assert.deepEqual(ranges(value), { type: "unsatisfiable" }, value);
    }
  });

  it("ignores what is not a valid byte range set, and any range of an empty representation", () => {
    const invalid = ["", "bytes", "bytes=", "bytes=,", "bytes=abc", "bytes=5-1", "bytes=0-1,5-1", "bytes=1-2-3", "bytes=--5",
      "bytes=-", "bytes=0x1-2", "bytes=+1-2", "bytes=1 -2", "items=0-1", "bytes =0-1", "bytes:0-1", "bytes=0-1;x"];
    for (const value of invalid) assert.deepEqual(ranges(value), { type: "ignore" }, JSON.stringify(value));
    assert.deepEqual(parseRange("bytes=0-", 0), { type: "ignore" });
    assert.deepEqual(parseRange("bytes=-5", 0), { type: "ignore" });
  });
});

describe("parseHttpDate()", () => {
  const t = 784111777000;
  it("reads IMF-fixdate, RFC 850 and asctime dates", () => {
    assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT", NOW), t);
    assert.equal(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", NOW), t);
    assert.equal(parseHttpDate("Sun Nov  6 08:49:37 1994", NOW), t);
    assert.equal(parseHttpDate(" Sun, 06 Nov 1994 08:49:37 GMT ", NOW), t);
    assert.equal(parseHttpDate(formatHttpDate(1700000000000), NOW), 1700000000000);
  });

  it("takes a two-digit year more than 50 years ahead as the past century's", () => {
    const now = Date.UTC(2030, 0, 1);
    assert.equal(parseHttpDate("Tuesday, 01-Jan-80 00:00:00 GMT", now), Date.UTC(2080, 0, 1));
    assert.equal(parseHttpDate("Thursday, 01-Jan-81 00:00:00 GMT", now), Date.UTC(1981, 0, 1));
    assert.equal(parseHttpDate("Monday, 01-Jan-35 00:00:00 GMT", now), Date.UTC(2035, 0, 1));
    assert.equal(parseHttpDate("Monday, 01-Jan-99 00:00:00 GMT", now), Date.UTC(1999, 0, 1));
  });

  it("rejects anything else", () => {
    const bad = [null, undefined, "", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
      "Sun, 30 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
      "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT", "1994-11-06T08:49:37Z", "784111777"];
    for (const value of bad) assert.equal(parseHttpDate(value, NOW), undefined, String(value));
  });
});

describe("evaluatePreconditions() and ifRangeAllows()", () => {
  const lastModified = Date.UTC(2020, 0, 1, 12, 0, 0);
  const v = { etag: '"abc"', lastModified };
  const at = (offsetSeconds: number) => formatHttpDate(lastModified + offsetSeconds * 1000);
  const run = (fields: Record<string, string>, method = "GET") => evaluatePreconditions(method, new Headers(fields), v, NOW);

  it("If-None-Match: weak comparison, * matches, 304 for GET and HEAD, 412 otherwise", () => {
    assert.equal(run({ "if-none-match": '"abc"' }), 304);
    assert.equal(run({ "if-none-match": 'W/"abc"' }), 304);
    assert.equal(run({ "if-none-match": '"x", W/"abc"' }), 304);
    assert.equal(run({ "if-none-match": '"x","y"' }), 0);
    assert.equal(run({ "if-none-match": "*" }), 304);
    assert.equal(run({ "if-none-match": '"abc"' }, "HEAD"), 304);
    assert.equal(run({ "if-none-match": '"abc"' }, "POST"), 412);
    assert.equal(run({ "if-none-match": "abc" }), 0); // malformed: matches nothing
    assert.equal(evaluatePreconditions("GET", new Headers({ "if-none-match": '"abc"' }), { etag: 'W/"abc"', lastModified }, NOW), 304);
  });

  it("If-Modified-Since: 304 when not modified after the date; ignored when invalid, or with If-None-Match", () => {
    assert.equal(run({ "if-modified-since": at(0) }), 304);
    assert.equal(run({ "if-modified-since": at(60) }), 304);
    assert.equal(run({ "if-modified-since": at(-1) }), 0);
    assert.equal(run({ "if-modified-since": "garbage" }), 0);
    assert.equal(run({ "if-modified-since": at(0) }, "POST"), 0);
    assert.equal(run({ "if-none-match": '"other"', "if-modified-since": at(60) }), 0);
  });

  it("If-Match (strong comparison) and If-Unmodified-Since: 412 when they fail, If-Match first", () => {
    assert.equal(run({ "if-match": '"abc"' }), 0);
    assert.equal(run({ "if-match": "*" }), 0);
    assert.equal(run({ "if-match": '"x"' }), 412);
    assert.equal(run({ "if-match": 'W/"abc"' }), 412);
    assert.equal(run({ "if-unmodified-since": at(-1) }), 412);
    assert.equal(run({ "if-unmodified-since": at(0) }), 0);
    assert.equal(run({ "if-match": '"abc"', "if-unmodified-since": at(-1) }), 0);
    assert.equal(run({ "if-match": '"x"', "if-none-match": '"abc"' }), 412);
    assert.equal(run({ "if-match": '"abc"', "if-none-match": '"abc"' }), 304);
  });

  it("If-Range: a strong tag must match strongly; a date must equal a strong Last-Modified", () => {
    const now = lastModified + 10_000;
    assert.equal(ifRangeAllows('"abc"', v, now), true);
    assert.equal(ifRangeAllows('"abd"', v, now), false);
    assert.equal(ifRangeAllows('W/"abc"', v, now), false);
    assert.equal(ifRangeAllows('"abc"', { etag: 'W/"abc"', lastModified }, now), false);
    assert.equal(ifRangeAllows(at(0), v, now), true);
    assert.equal(ifRangeAllows(at(1), v, now), false);
    assert.equal(ifRangeAllows(at(0), v, lastModified + 500), false); // modified less than a second ago: weak
    assert.equal(ifRangeAllows("garbage", v, now), false);
    assert.equal(ifRangeAllows('"abc', v, now), false);
  });

  it("without a current entity tag: If-Match fails, If-None-Match and an If-Range tag never match", () => {
    const untagged = { etag: null, lastModified };
    assert.equal(evaluatePreconditions("GET", new Headers({ "if-match": '"abc"' }), untagged, NOW), 412);
    assert.equal(evaluatePreconditions("GET", new Headers({ "if-match": "*" }), untagged, NOW), 0);
    assert.equal(evaluatePreconditions("GET", new Headers({ "if-none-match": '"abc"' }), untagged, NOW), 0);
    assert.equal(evaluatePreconditions("GET", new Headers({ "if-none-match": "*" }), untagged, NOW), 304);
    assert.equal(ifRangeAllows('"abc"', untagged, lastModified + 10_000), false);
    assert.equal(ifRangeAllows(at(0), untagged, lastModified + 10_000), true);
  });

  it("etagFor() changes with the size and with the modification time", () => {
    assert.equal(etagFor(10, 1000.7), '"a-3e8"');
    assert.notEqual(etagFor(10, 1000), etagFor(11, 1000));
    assert.notEqual(etagFor(10, 1000), etagFor(10, 1001));
  });
});

describe("responseForFile() with a request that is not a Request", () => {
  const bytes = new TextEncoder().encode("0123456789");
  const file = (): FileSource => ({
    size: bytes.length, mtimeMs: Date.UTC(2024, 0, 1),
    stream: (start = 0, end = bytes.length) => new Response(bytes.slice(start, end)).body!,
    close: () => Promise.resolve(),
  });

  it("takes plain-object or array header fields, and a missing method as GET", async () => {
    const ranged = responseForFile(file(), "digits.txt", { request: { headers: { range: "bytes=2-4" } } }, NOW);
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get("content-range"), "bytes 2-4/10");
    assert.equal(await ranged.text(), "234");
    const etag = etagFor(bytes.length, Date.UTC(2024, 0, 1));
    assert.equal(responseForFile(file(), "digits.txt", { request: { headers: [["If-None-Match", etag]] } }, NOW).status, 304);
  });

  it("reads the method in any case", async () => {
    const post = responseForFile(file(), "digits.txt", { request: { method: "post", headers: { "if-none-match": "*" } } }, NOW);
    assert.equal(post.status, 412);
    const get = responseForFile(file(), "digits.txt", { request: { method: "get", headers: { range: "bytes=0-0" } } }, NOW);
    assert.equal(get.status, 206);
    assert.equal(await get.text(), "0");
  });
});

describe("fileResponse(path, { request }) on the wire", () => {
  let dir: string;
  let s: TestServer;
  let client: RawClient;
  const data = new Uint8Array(10000).map((_, i) => (i * 31 + 7) & 0xff);
  const big = new Uint8Array(200 * 1024 + 3).map((_, i) => (i * 13 + (i >> 8)) & 0xff);
  const mtime = new Date(Date.UTC(2024, 4, 1, 10, 20, 30));
  const lastModified = "Wed, 01 May 2024 10:20:30 GMT";
  let etag: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "waitress-ranges-"));
    writeFileSync(join(dir, "data.bin"), data);
    writeFileSync(join(dir, "big.bin"), big);
    writeFileSync(join(dir, "empty.txt"), "");
    for (const name of ["data.bin", "big.bin", "empty.txt"]) utimesSync(join(dir, name), mtime, mtime);
    etag = etagFor(data.length, mtime.getTime());
    s = await startServer(async (request: Request) => {
      const url = new URL(request.url);
      const name = url.pathname.slice(1);
      // ?plain: the old call, without the request.
      return await fileResponse(join(dir, name), url.search === "?plain" ? undefined : { request, headers: { "cache-control": "max-age=60" } });
    });
  });
  after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends one request on the test's keep-alive connection: every byte of the previous answer was framed right. */
  async function ask(target: string, fields: Record<string, string> = {}, method = "GET"): Promise<RawResponse> {
    let head = `${method} ${target} HTTP/1.1\r\nHost: x\r\n`;
    for (const [name, value] of Object.entries(fields)) head += `${name}: ${value}\r\n`;
    await client.send(head + "\r\n");
    return client.response({ head: method === "HEAD", timeoutMs: 10000 });
  }

  function assertPartial(response: RawResponse, source: Uint8Array, start: number, end: number): void {
    assert.equal(response.status, 206);
    assert.equal(response.reason, "Partial Content");
    assert.equal(response.header("content-range"), `bytes ${start}-${end}/${source.length}`);
    assert.equal(response.header("content-length"), String(end - start + 1));
    assert.equal(response.header("transfer-encoding"), undefined);
    assert.deepEqual(response.body, source.subarray(start, end + 1));
  }

  it("sends the whole file with its validators and Accept-Ranges", async () => {
    client = new RawClient(s.port);
    try {
      const response = await ask("/data.bin");
      assert.equal(response.status, 200);
      assert.equal(response.header("accept-ranges"), "bytes");
      assert.equal(response.header("etag"), etag);
      assert.equal(response.header("last-modified"), lastModified);
      assert.equal(response.header("cache-control"), "max-age=60");
      assert.equal(response.header("content-length"), "10000");
      assert.deepEqual(response.body, data);
    } finally {
      client.destroy();
    }
  });

  it("answers single ranges with 206 and exactly those bytes", async () => {
    client = new RawClient(s.port);
    try {
      assertPartial(await ask("/data.bin", { range: "bytes=0-0" }), data, 0, 0);
      assertPartial(await ask("/data.bin", { range: "bytes=-500" }), data, 9500, 9999);
      assertPartial(await ask("/data.bin", { range: "bytes=500-" }), data, 500, 9999);
      assertPartial(await ask("/data.bin", { range: "bytes=1234-5677" }), data, 1234, 5677);
      assertPartial(await ask("/data.bin", { range: "bytes=9999-20000" }), data, 9999, 9999);
      assertPartial(await ask("/data.bin", { range: "bytes=0-9, 5-19" }), data, 0, 19);
      const partial = await ask("/data.bin", { range: "bytes=1-2" });
      assert.equal(partial.header("etag"), etag);
      assert.equal(partial.header("accept-ranges"), "bytes");
      assert.equal(partial.header("content-type"), "application/octet-stream");
      // Ranges across the 64 KiB read chunks.
      assertPartial(await ask("/big.bin", { range: "bytes=65530-200000" }), big, 65530, 200000);
      assertPartial(await ask("/big.bin", { range: "bytes=-70000" }), big, big.length - 70000, big.length - 1);
    } finally {
      client.destroy();
    }
  });

  it("answers several disjoint ranges with the whole file (200)", async () => {
    client = new RawClient(s.port);
    try {
      const response = await ask("/data.bin", { range: "bytes=0-9,100-109" });
      assert.equal(response.status, 200);
      assert.equal(response.header("content-range"), undefined);
      assert.deepEqual(response.body, data);
    } finally {
      client.destroy();
    }
  });

  it("answers an unsatisfiable range with 416 and Content-Range: bytes */size, and the connection goes on", async () => {
    client = new RawClient(s.port);
    try {
      for (const range of ["bytes=10000-", "bytes=-0", "bytes=20000-30000"]) {
        const response = await ask("/data.bin", { range });
        assert.equal(response.status, 416, range);
        assert.equal(response.header("content-range"), "bytes */10000");
        assert.equal(response.header("content-length"), "0");
        assert.equal(response.header("content-type"), undefined);
        assert.equal(response.body.length, 0);
      }
      assert.deepEqual((await ask("/data.bin")).body, data);
    } finally {
      client.destroy();
    }
  });

  it("ignores an invalid Range (200, whole file), a Range on an empty file, and Range without the request", async () => {
    client = new RawClient(s.port);
    try {
      for (const range of ["bytes=abc", "bytes=5-1", "bytes=1-2-3", "items=0-1", "bytes="]) {
        const response = await ask("/data.bin", { range });
        assert.equal(response.status, 200, range);
        assert.deepEqual(response.body, data);
      }
      const empty = await ask("/empty.txt", { range: "bytes=0-" });
      assert.equal(empty.status, 200);
      assert.equal(empty.header("content-length"), "0");
      const plain = await ask("/data.bin?plain", { range: "bytes=0-0" });
      assert.equal(plain.status, 200);
      assert.equal(plain.header("accept-ranges"), undefined);
      assert.equal(plain.header("etag"), etag);
      assert.deepEqual(plain.body, data);
    } finally {
      client.destroy();
    }
  });

  it("answers 304 for If-None-Match and If-Modified-Since, with the validators and no body", async () => {
    client = new RawClient(s.port);
    try {
      for (const fields of [{ "if-none-match": etag }, { "if-none-match": `"nope", W/${etag}` }, { "if-none-match": "*" },
        { "if-modified-since": lastModified }, { "if-modified-since": "Thu, 02 May 2024 00:00:00 GMT" }] as Record<string, string>[]) {
        const response = await ask("/data.bin", fields);
        assert.equal(response.status, 304, JSON.stringify(fields));
        assert.equal(response.header("etag"), etag);
        assert.equal(response.header("last-modified"), lastModified);
        assert.equal(response.header("cache-control"), "max-age=60");
        assert.equal(response.header("content-length"), undefined);
        assert.equal(response.header("content-type"), undefined);
      }
      // A 304 wins over a Range.
      assert.equal((await ask("/data.bin", { "if-none-match": etag, range: "bytes=0-0" })).status, 304);
      // Modified since, or a different tag: the file.
      for (const fields of [{ "if-modified-since": "Wed, 01 May 2024 10:20:29 GMT" }, { "if-none-match": '"other"' },
        { "if-none-match": '"other"', "if-modified-since": lastModified }, { "if-modified-since": "not a date" }] as Record<string, string>[]) {
        const response = await ask("/data.bin", fields);
        assert.equal(response.status, 200, JSON.stringify(fields));
        assert.deepEqual(response.body, data);
      }
    } finally {
      client.destroy();
    }
  });

  it("answers 412 for a failed If-Match or If-Unmodified-Since", async () => {
    client = new RawClient(s.port);
    try {
      for (const fields of [{ "if-match": '"other"' }, { "if-match": `W/${etag}` }, { "if-unmodified-since": "Wed, 01 May 2024 10:20:29 GMT" }] as Record<string, string>[]) {
        const response = await ask("/data.bin", fields);
        assert.equal(response.status, 412, JSON.stringify(fields));
        assert.equal(response.header("content-length"), "0");
      }
      assertPartial(await ask("/data.bin", { "if-match": etag, range: "bytes=1-1" }), data, 1, 1);
    } finally {
      client.destroy();
    }
  });

  it("honours Range only when If-Range matches: otherwise the whole file with 200", async () => {
    client = new RawClient(s.port);
    try {
      assertPartial(await ask("/data.bin", { range: "bytes=10-19", "if-range": etag }), data, 10, 19);
      assertPartial(await ask("/data.bin", { range: "bytes=10-19", "if-range": lastModified }), data, 10, 19);
      for (const ifRange of ['"other"', `W/${etag}`, "Wed, 01 May 2024 10:20:31 GMT", "garbage"]) {
        const response = await ask("/data.bin", { range: "bytes=10-19", "if-range": ifRange });
        assert.equal(response.status, 200, ifRange);
        assert.deepEqual(response.body, data);
      }
      // A failed If-Range also turns an unsatisfiable range into the whole file.
      assert.equal((await ask("/data.bin", { range: "bytes=20000-", "if-range": '"other"' })).status, 200);
    } finally {
      client.destroy();
    }
  });

  it("answers HEAD with the headers of the 200 (Range is for GET) or a 304", async () => {
    client = new RawClient(s.port);
    try {
      const head = await ask("/data.bin", {}, "HEAD");
      assert.equal(head.status, 200);
      assert.equal(head.header("content-length"), "10000");
      assert.equal(head.header("etag"), etag);
      assert.equal(head.header("accept-ranges"), "bytes");
      const ranged = await ask("/data.bin", { range: "bytes=0-0" }, "HEAD");
      assert.equal(ranged.status, 200);
      assert.equal(ranged.header("content-length"), "10000");
      assert.equal((await ask("/data.bin", { "if-none-match": etag }, "HEAD")).status, 304);
      // Nothing was left on the wire: the next GET parses cleanly.
      assertPartial(await ask("/data.bin", { range: "bytes=-1" }), data, 9999, 9999);
      assert.equal(client.pending, "");
    } finally {
      client.destroy();
    }
  });
});
