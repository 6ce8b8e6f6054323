/**
 * FastResponse (src/web/fast_response.ts): the same checks and answers as a native `Response`, a body taken
 * once, and `takeFastParts` handing the server what it can send without materialising.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FastResponse, takeFastParts } from "../src/web/fast_response.ts";
import { nativeClass } from "../src/web/native_globals.ts";

/** The runtime's own Response (a test server may have installed FastResponse as the global one). */
const NativeResponse: typeof Response = nativeClass("Response");
const fast = (body?: BodyInit | null, init?: ResponseInit): Response => new FastResponse(body, init) as unknown as Response;

describe("FastResponse constructor", () => {
  it("refuses statuses outside 200..599 and fractional ones, as Response does", () => {
    for (const status of [199, 600, 200.5, NaN]) assert.throws(() => fast(null, { status }), RangeError, String(status));
    for (const status of [199, 600]) assert.throws(() => new NativeResponse(null, { status }), RangeError, `native ${status}`);
    assert.equal(fast(null, { status: 599 }).status, 599);
  });

  it("refuses a body with a null-body status (204, 205, 304), accepts none", () => {
    for (const status of [204, 205, 304]) {
      assert.throws(() => fast("x", { status }), TypeError, String(status));
      assert.equal(fast(null, { status }).status, status);
      assert.equal(fast(undefined, { status }).body, null);
    }
  });

  it("keeps a valid statusText and refuses one with control characters or above U+00FF", () => {
    assert.equal(fast(null, { statusText: "Fine\tthanks é" }).statusText, "Fine\tthanks é");
    assert.throws(() => fast(null, { statusText: "a\r\nb" }), TypeError);
    assert.throws(() => fast(null, { statusText: "€" }), TypeError);
  });

  it("answers the Response accessors", () => {
    const r = fast("hi", { status: 201 });
    assert.equal(r.ok, true);
    assert.equal(fast(null, { status: 404 }).ok, false);
    assert.equal(r.type, "default");
    assert.equal(r.url, "");
    assert.equal(r.redirected, false);
    assert.equal(Object.prototype.toString.call(r), "[object Response]");
    assert.ok(r instanceof Response);
    assert.ok(new NativeResponse("x") instanceof FastResponse, "native responses pass instanceof FastResponse");
  });
});

describe("FastResponse default Content-Type", () => {
  it("follows the body's kind, as Response does", async () => {
    const cases: [BodyInit | null, string | null][] = [
      ["text", "text/plain;charset=UTF-8"],
      [new URLSearchParams("a=1&b=2"), "application/x-www-form-urlencoded;charset=UTF-8"],
      [new Blob(["x"], { type: "image/png" }), "image/png"],
      [new Blob(["x"]), null],
      [new Uint8Array([1]), null],
      [null, null],
    ];
    for (const [body, type] of cases) {
      assert.equal(fast(body).headers.get("content-type"), type, String(body));
    }
    assert.equal(fast("t", { headers: { "content-type": "text/html" } }).headers.get("content-type"), "text/html");
  });

  it("sends a URLSearchParams body through a native Response", async () => {
    assert.equal(await fast(new URLSearchParams("a=1&b=2")).text(), "a=1&b=2");
  });
});

describe("FastResponse.json", () => {
  it("serialises with the native Response.json()'s type (application/json; Bun adds ;charset=utf-8) unless a Content-Type is given", async () => {
    const r = FastResponse.json({ a: 1 }, { status: 202 });
    assert.equal(r.status, 202);
    const native = nativeClass("Response");
    assert.equal(r.headers.get("content-type"), native.json(1).headers.get("content-type"));
    assert.match(r.headers.get("content-type")!, /^application\/json(;charset=utf-8)?$/);
    assert.deepEqual(await r.json(), { a: 1 });
    assert.equal(FastResponse.json([1], { headers: { "content-type": "application/x" } }).headers.get("content-type"), "application/x");
  });

  it("refuses data JSON cannot serialise", () => {
    assert.throws(() => FastResponse.json(undefined), TypeError);
    assert.throws(() => FastResponse.json(() => 1), TypeError);
  });
});

describe("FastResponse body", () => {
  it("reads string, byte, ArrayBuffer and null bodies without materialising", async () => {
    assert.equal(await fast("héllo").text(), "héllo");
    assert.equal(await fast(new TextEncoder().encode("bytes")).text(), "bytes");
    assert.equal(await fast(new TextEncoder().encode("ab").buffer as ArrayBuffer).text(), "ab");
    assert.equal(await fast(null).text(), "");
    assert.deepEqual([...await fast("é").bytes()], [0xc3, 0xa9]);
    assert.deepEqual([...await fast(null).bytes()], []);
    const source = new Uint8Array([1, 2]);
    const copy = await fast(source).bytes();
    copy[0] = 9;
    assert.equal(source[0], 1, "bytes() copies a byte body");
    assert.equal(new Uint8Array(await fast(new Uint8Array([5])).arrayBuffer())[0], 5);
  });

  it("reads other bodies through a native Response", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode("streamed"));
        c.close();
      },
    });
    assert.equal(await fast(stream).text(), "streamed");
    assert.deepEqual([...await fast(new Blob(["b"])).bytes()], [98]);
    assert.equal(await (await fast("blob").blob()).text(), "blob");
  });

  it("can be read once: a second read, or materialising after a read, throws", async () => {
    const r = fast("once");
    assert.equal(r.bodyUsed, false);
    assert.equal(await r.text(), "once");
    assert.equal(r.bodyUsed, true);
    await assert.rejects(r.text(), TypeError);
    await assert.rejects(r.bytes(), TypeError);
    assert.throws(() => r.blob(), TypeError, "materialising a used response");
    assert.throws(() => r.clone(), TypeError);
  });

  it("body is null for no body, a stream otherwise, and the native one once materialised", async () => {
    assert.equal(fast(null).body, null);
    const r = fast("abc");
    const body = r.body!;
    assert.ok(body instanceof ReadableStream);
    assert.equal(r.body, body, "the same stream: materialised once");
    assert.equal(r.bodyUsed, false);
    assert.equal(await r.text(), "abc", "read through the native Response");
    assert.equal(r.bodyUsed, true);
    const empty = fast(null);
    await empty.clone().text();
    assert.equal((empty.clone() as Response).status, 200);
    const materialised = fast(null, { status: 203 });
    await materialised.formData().catch(() => {});
    assert.equal(materialised.body, null, "a materialised null body is still null");
  });

  it("clones a string body cheaply and a byte body through a native Response", async () => {
    const r = fast("c", { status: 201, statusText: "Made", headers: { "x-a": "1" } });
    const c = r.clone();
    assert.equal(c.status, 201);
    assert.equal(c.statusText, "Made");
    assert.equal(c.headers.get("x-a"), "1");
    assert.equal(await c.text(), "c");
    assert.equal(await r.text(), "c", "the original is still unread");
    const b = fast(new Uint8Array([1, 2]));
    assert.deepEqual([...await b.clone().bytes()], [1, 2]);
    assert.deepEqual([...await b.bytes()], [1, 2]);
  });
});

describe("takeFastParts", () => {
  it("takes status, flat lower-case headers with the default Content-Type, and the body", () => {
    const parts = takeFastParts(fast("hi", { status: 201, statusText: "Yes", headers: { "X-A": " 1 " } }))!;
    assert.deepEqual(parts, { status: 201, statusText: "Yes", headers: ["x-a", "1", "content-type", "text/plain;charset=UTF-8"], body: "hi" });
  });

  it("converts an ArrayBuffer body to bytes and passes a Blob as blob", () => {
    const ab = takeFastParts(fast(new Uint8Array([4, 5]).buffer as ArrayBuffer))!;
    assert.ok(ab.body instanceof Uint8Array);
    assert.deepEqual([...(ab.body as Uint8Array)], [4, 5]);
    const blob = new Blob(["z"], { type: "a/b" });
    const parts = takeFastParts(fast(blob))!;
    assert.equal(parts.blob, blob);
    assert.equal(parts.body, null);
    assert.deepEqual(parts.headers, ["content-type", "a/b"]);
  });

  it("leaves headers to Headers when they are not a plain object, or a name is not a token", () => {
    assert.equal(takeFastParts(fast("x", { headers: [["x-a", "1"]] }))!.headers, undefined);
    assert.equal(takeFastParts(fast("x", { headers: new Headers({ "x-a": "1" }) }))!.headers, undefined);
    const touched = fast("x", { headers: { "x-a": "1" } });
    void touched.headers;
    assert.equal(takeFastParts(touched)!.headers, undefined, "headers already built");
    assert.equal(takeFastParts(fast("x", { headers: { "bad name": "1" } })), undefined, "the native path reports the bad name");
  });

  it("takes nothing from a native, materialised, used or stream-bodied response", async () => {
    assert.equal(takeFastParts(new NativeResponse("x")), undefined);
    const used = fast("x");
    await used.text();
    assert.equal(takeFastParts(used), undefined);
    const materialised = fast("x");
    void materialised.body;
    assert.equal(takeFastParts(materialised), undefined);
    assert.equal(takeFastParts(fast(new ReadableStream())), undefined);
    const taken = fast("x");
    assert.ok(takeFastParts(taken));
    assert.equal(takeFastParts(taken), undefined, "taken once");
    assert.equal(taken.bodyUsed, true);
  });
});
