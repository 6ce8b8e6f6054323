/**
 * The request objects a handler sees (src/web/request.ts): LazyRequest stands in for a native `Request`
 * until something needs one, and behaves the same before and after; nativeRequest builds the real one.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { lazyRequest, nativeRequest, type RequestParts } from "../src/web/request.ts";

const enc = new TextEncoder();

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(enc.encode(chunk));
      c.close();
    },
  });
}

function parts(over: Partial<RequestParts> = {}): RequestParts {
  const abort = new AbortController();
  return { method: "POST", url: "http://x.test/p?q=1", headers: ["content-type", "text/plain", "x-a", "1", "x-a", "2"], body: null, signal: () => abort.signal, ...over };
}

describe("LazyRequest", () => {
  it("answers method, url, headers and the fixed Request properties without a native Request", () => {
    const r = lazyRequest(parts());
    assert.ok(r instanceof Request);
    assert.equal(Object.prototype.toString.call(r), "[object Request]");
    assert.equal(r.method, "POST");
    assert.equal(r.url, "http://x.test/p?q=1");
    assert.equal(r.headers.get("x-a"), "1, 2");
    assert.equal(r.headers, r.headers, "built once");
    assert.deepEqual([r.cache, r.credentials, r.destination, r.integrity, r.keepalive, r.mode, r.redirect, r.referrer, r.referrerPolicy, (r as unknown as { duplex: string }).duplex],
      ["default", "same-origin", "", "", false, "cors", "follow", "about:client", "", "half"]);
    assert.equal(r.signal.aborted, false);
  });

  it("without a body: body null, reads give nothing and never use it up", async () => {
    const r = lazyRequest(parts());
    assert.equal(r.body, null);
    assert.equal(await r.text(), "");
    assert.equal(await r.text(), "");
    assert.equal(r.bodyUsed, false);
    const declared = lazyRequest(parts({ hasBody: false, body: streamOf("ignored") }));
    assert.equal(declared.body, null, "hasBody: false wins over a body");
    assert.equal((await declared.arrayBuffer()).byteLength, 0);
  });

  it("reads a streamed body once; the stream handed out counts as used once locked", async () => {
    const r = lazyRequest(parts({ body: streamOf("a", "b", "c") }));
    assert.equal(r.bodyUsed, false);
    assert.deepEqual(await r.json().catch(() => "not json"), "not json");
    assert.equal(r.bodyUsed, true);
    await assert.rejects(r.text(), TypeError);
    const s = lazyRequest(parts({ body: streamOf("x") }));
    const body = s.body!;
    assert.equal(s.bodyUsed, false, "handed out, not yet read");
    const reader = body.getReader();
    assert.equal(s.bodyUsed, true, "locked");
    assert.equal(new TextDecoder().decode((await reader.read()).value), "x");
  });

  it("reads a body whole through readBody(), then shows a used, locked body", async () => {
    let calls = 0;
    const r = lazyRequest(parts({ hasBody: true, body: streamOf("unused"), readBody: () => (calls++, Promise.resolve(enc.encode("whole"))) }));
    assert.equal(await r.text(), "whole");
    assert.equal(calls, 1);
    assert.equal(r.bodyUsed, true);
    assert.equal(r.body!.locked, true);
    assert.equal(r.body, r.body, "the same used stream every time");
    await assert.rejects(r.bytes(), TypeError);
  });

  it("falls back to the stream when readBody() says the stream was handed out", async () => {
    const r = lazyRequest(parts({ hasBody: true, body: streamOf("s", "t"), readBody: () => undefined }));
    assert.equal(await r.text(), "st");
  });

  it("arrayBuffer() is exactly the body, copied out of a larger buffer when the bytes are a view", async () => {
    const big = enc.encode("..body..");
    const view = lazyRequest(parts({ hasBody: true, body: null, readBody: () => Promise.resolve(big.subarray(2, 6)) }));
    const ab = await view.arrayBuffer();
    assert.equal(ab.byteLength, 4);
    assert.equal(new TextDecoder().decode(ab), "body");
    const whole = enc.encode("all");
    const exact = lazyRequest(parts({ hasBody: true, body: null, readBody: () => Promise.resolve(whole) }));
    assert.equal(await exact.arrayBuffer(), whole.buffer, "a whole buffer is returned as it is");
  });

  it("materialises a native Request for clone(), and then answers everything from it", async () => {
    const abort = new AbortController();
    const r = lazyRequest(parts({ body: streamOf("payload"), signal: () => abort.signal }));
    const copy = r.clone();
    assert.equal(await copy.text(), "payload");
    assert.equal(r.headers.get("x-a"), "1, 2");
    assert.equal(r.bodyUsed, false);
    assert.ok(r.body instanceof ReadableStream);
    abort.abort();
    assert.equal(r.signal.aborted, true, "the native Request follows the signal");
    assert.equal(await r.text(), "payload");
    assert.equal(r.bodyUsed, true);
  });

  it("blob() and formData() go through a native Request; after a read, they throw", async () => {
    assert.equal(await (await lazyRequest(parts({ body: streamOf("b") })).blob()).text(), "b");
    const form = await lazyRequest(parts({ headers: ["content-type", "application/x-www-form-urlencoded"], body: streamOf("a=1") })).formData();
    assert.equal(form.get("a"), "1");
    const read = lazyRequest(parts({ body: streamOf("x") }));
    await read.text();
    assert.throws(() => read.blob(), TypeError);
    const noBody = lazyRequest(parts({ method: "GET" }));
    assert.equal((await noBody.clone().text()), "");
    assert.equal(await noBody.bytes().then((b) => b.length), 0);
  });
});

describe("nativeRequest", () => {
  it("builds a native Request with the headers, signal and a streamed body", async () => {
    const abort = new AbortController();
    const r = nativeRequest(parts({ body: streamOf("n", "b"), signal: () => abort.signal }));
    assert.equal(r.method, "POST");
    assert.equal(r.headers.get("x-a"), "1, 2");
    assert.equal(await r.text(), "nb");
    abort.abort();
    assert.equal(r.signal.aborted, true);
    assert.equal(await nativeRequest(parts({ method: "GET" })).text(), "");
  });
});
