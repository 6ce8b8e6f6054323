/**
 * The worker side of thread mode (src/threads/worker_main.ts), driven in-process: a fake host records what the
 * worker posts to the I/O thread, and the test plays the dispatcher's messages. (In a real worker
 * thread not every runtime's coverage tool sees this code; here every runtime does.)
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { handlerFromModule, WorkerServer } from "../src/threads/worker_main.ts";
import { type FromWorker, RESPONSE_WINDOW, type ToWorker } from "../src/threads/thread_protocol.ts";
import { lazyRequest, nativeRequest, type RequestFactory, type RequestInfo } from "../src/web/request.ts";
import { FastResponse } from "../src/web/fast_response.ts";
import { until } from "./_helpers.ts";

const INFO: RequestInfo = { remoteAddress: "127.0.0.1", remotePort: 1, localAddress: "127.0.0.1", localPort: 2, scheme: "http", scriptName: "", pathInfo: "/", rawTarget: "/", httpVersion: "HTTP/1.1", serverName: "waitress.invalid" };
const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));
type Handler = (request: Request, info: RequestInfo) => unknown;

/** A worker with a fake host; `posted` holds what it sent to the I/O thread. */
class Harness {
  readonly posted: FromWorker[] = [];
  readonly transfers: (ArrayBuffer[] | undefined)[] = [];
  readonly server: WorkerServer;
  #nextId = 0;

  constructor(createRequest: RequestFactory = lazyRequest, post?: (message: FromWorker) => void) {
    this.server = new WorkerServer({
      post: (message, transfer) => {
        post?.(message);
        this.posted.push(message);
        this.transfers.push(transfer);
      },
      createRequest,
    });
  }

  static async serving(handler: Handler, createRequest?: RequestFactory): Promise<Harness> {
    const h = new Harness(createRequest);
    await h.server.load({ moduleUrl: "file:///app.js", exportName: "default", nativeResponse: false }, () => Promise.resolve({ default: handler }));
    assert.deepEqual(h.posted.splice(0), [{ type: "ready" }]);
    h.transfers.splice(0);
    return h;
  }

  /** Sends a request; returns its id. */
  request(body = false, method = body ? "POST" : "GET"): number {
    const id = ++this.#nextId;
    this.send({ type: "request", id, method, url: "http://x/", headers: ["host", "x"], info: INFO, body });
    return id;
  }

  send(message: ToWorker): void {
    this.server.onMessage(message);
  }

  of(id: number): FromWorker[] {
    return this.posted.filter((m) => "id" in m && m.id === id);
  }

  /** Waits for the request's one terminal message and returns every message of the request. */
  async done(id: number): Promise<FromWorker[]> {
    const terminal = (m: FromWorker) => m.type === "end" || m.type === "error" || (m.type === "head" && m.end);
    await until(() => this.of(id).some(terminal), `the terminal message of request ${id}`);
    return this.of(id);
  }

  /** Response body bytes posted so far (head and body messages). */
  bodyBytes(id: number): number {
    let n = 0;
    for (const m of this.of(id)) {
      if (m.type === "head") n += m.body?.length ?? 0;
      else if (m.type === "body") n += m.chunk.length;
    }
    return n;
  }
}

/** A stream the test feeds by hand. */
function manual<T = Uint8Array>(): { stream: ReadableStream<T>; controller: ReadableStreamDefaultController<T>; cancelled: () => unknown } {
  let controller!: ReadableStreamDefaultController<T>;
  let reason: unknown = undefined;
  const stream = new ReadableStream<T>({ start: (c) => void (controller = c), cancel: (r) => void (reason = r ?? "cancelled") }, { highWaterMark: 0 });
  return { stream, controller, cancelled: () => reason };
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe("handlerFromModule()", () => {
  it("takes a function, binds a method reached by a dotted path, and calls an object's fetch on it", async () => {
    const fn = () => new Response("fn");
    assert.equal(handlerFromModule({ default: fn }, "default", "file:///a.js"), fn);
    const app = { name: "app", fetch(this: { name: string }) { return new Response(this.name); } };
    const bound = handlerFromModule({ app }, "app.fetch", "file:///a.js");
    assert.equal(await (await bound(new Request("http://x/"), INFO)).text(), "app", "`this` is the object holding the method");
    assert.equal(await (await handlerFromModule({ default: app }, "default", "file:///a.js")(new Request("http://x/"), INFO)).text(), "app");
    const holder = Object.assign(() => {}, { handler: fn }); // a function holding the export
    assert.equal(await (await handlerFromModule({ holder }, "holder.handler", "file:///a.js")(new Request("http://x/"), INFO)).text(), "fn");
  });

  it("names what the module exports when the export is missing", () => {
    assert.throws(() => handlerFromModule({ b: 1, a: 2 }, "app", "file:///m.js"), /^TypeError: Module "file:\/\/\/m.js" has no export "app" \(it exports "a", "b"\)/);
    assert.throws(() => handlerFromModule({}, "default", "file:///m.js"), /has no export "default" \(it exports nothing\)/);
  });

  it("says which part of a dotted path is missing, also below null and primitive values", () => {
    assert.throws(() => handlerFromModule({ app: {} }, "app.fetch", "file:///m.js"), /Export "app" of "file:\/\/\/m.js" has no property "fetch"/);
    assert.throws(() => handlerFromModule({ app: null }, "app.fetch", "file:///m.js"), /Export "app" of .* has no property "fetch"/);
    assert.throws(() => handlerFromModule({ app: { inner: 5 } }, "app.inner.fetch", "file:///m.js"), /Export "app.inner" of .* has no property "fetch"/);
  });

  it("describes an export that is not a handler", () => {
    const cases: [unknown, string][] = [[null, "null"], [[1], "an array"], [{ get: 1 }, "an object without a fetch method"], [undefined, "undefined"], [7, "a number"], [{ fetch: "x" }, "an object without a fetch method"]];
    for (const [value, words] of cases) {
      assert.throws(() => handlerFromModule({ default: value }, "default", "file:///m.js"), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.equal(error.message, `Export "default" of "file:///m.js" is ${words}, not a handler: export a function (request, info) => Response or an object with a fetch method`);
        return true;
      });
    }
  });
});

describe("WorkerServer.load()", () => {
  it("posts ready once the module's handler is found", async () => {
    await Harness.serving(() => new Response("x"));
  });

  it("posts fatal with the reason when the import fails or the export is not a handler", async () => {
    const h = new Harness();
    await h.server.load({ moduleUrl: "file:///gone.js", exportName: "default", nativeResponse: false }, () => Promise.reject(new SyntaxError("bad module")));
    await h.server.load({ moduleUrl: "file:///m.js", exportName: "default", nativeResponse: false }, () => Promise.resolve({ default: 1 }));
    await h.server.load({ moduleUrl: "file:///m.js", exportName: "default", nativeResponse: false }, () => Promise.reject("a string"));
    assert.equal(h.posted.length, 3);
    const [a, b, c] = h.posted as (FromWorker & { type: "fatal" })[];
    assert.deepEqual([a.type, a.error.name, a.error.message], ["fatal", "SyntaxError", "bad module"]);
    assert.deepEqual([b.type, b.error.name], ["fatal", "TypeError"]);
    assert.deepEqual(c.error, { name: "Error", message: "a string" }, "a thrown non-Error crosses as its string");
  });

  it("answers a request that comes before the app is loaded with an error", async () => {
    const h = new Harness();
    const id = h.request();
    const [message] = await h.done(id);
    assert.equal(message.type, "error");
    assert.match((message as { error: { message: string } }).error.message, /not loaded/);
  });
});

describe("WorkerServer: the response", () => {
  it("sends a FastResponse's head and body in one terminal message, with its buffer transferred", async () => {
    const h = await Harness.serving(() => new FastResponse("hi", { status: 201, statusText: "Made", headers: { "x-a": "1" } }));
    const id = h.request();
    const [head] = await h.done(id);
    assert.equal(head.type, "head");
    const m = head as FromWorker & { type: "head" };
    assert.deepEqual([m.status, m.statusText, m.end, text(m.body)], [201, "Made", true, "hi"]);
    assert.deepEqual(m.headers, ["x-a", "1", "content-type", "text/plain;charset=UTF-8"]);
    assert.equal(h.transfers[0]![0], m.body!.buffer);
    const h2 = await Harness.serving(() => new FastResponse(null, { status: 204 }));
    const [empty] = await h2.done(h2.request());
    assert.deepEqual([(empty as { status: number }).status, (empty as { body: null }).body, h2.transfers[0]], [204, null, []]);
  });

  it("sends a native Response without a body, Response.error() as a 500, and its headers flat", async () => {
    const h = await Harness.serving((request) => request.url.endsWith("/err") ? Response.error() : new Response(null, { status: 404, headers: [["set-cookie", "a=1"], ["set-cookie", "b=2"]] }));
    const [head] = await h.done(h.request());
    const m = head as FromWorker & { type: "head" };
    assert.deepEqual([m.status, m.body, m.end], [404, null, true]);
    assert.deepEqual(m.headers, ["set-cookie", "a=1", "set-cookie", "b=2"]);
    const id = 99;
    h.send({ type: "request", id, method: "GET", url: "http://x/err", headers: [], info: INFO, body: false });
    const [error] = await h.done(id);
    assert.deepEqual([(error as { status: number }).status, (error as { end: boolean }).end], [500, true]);
  });

  it("passes on a response-like object as it is (status 0, no statusText): the I/O thread judges it", async () => {
    const h = await Harness.serving(() => ({ status: 0, type: "default", headers: new Headers(), body: null }));
    const [head] = await h.done(h.request());
    assert.deepEqual([head.type, (head as { status: number }).status, (head as { statusText: string }).statusText], ["head", 0, ""]);
  });

  it("answers a handler that throws, or returns no Response, with an error message", async () => {
    const results: unknown[] = [() => { throw new RangeError("nope"); }, () => null, () => "text", () => ({ status: "200" })];
    const expected = [["RangeError", "nope"], ["TypeError", "The handler returned null instead of a Response"], ["TypeError", "The handler returned string instead of a Response"], ["TypeError", "The handler returned object instead of a Response"]];
    for (let i = 0; i < results.length; i++) {
      const h = await Harness.serving(results[i] as Handler);
      const [m] = await h.done(h.request());
      assert.equal(m.type, "error");
      const e = (m as FromWorker & { type: "error" }).error;
      assert.deepEqual([e.name, e.message], expected[i]);
    }
  });

  it("sends a one-chunk stream with its head, and an empty stream as no body", async () => {
    for (const chunks of [["only"], []]) {
      const h = await Harness.serving(() => new Response(new ReadableStream({ start(c) { for (const s of chunks) c.enqueue(bytes(s)); c.close(); } })));
      const messages = await h.done(h.request());
      assert.equal(messages.length, 1);
      const m = messages[0] as FromWorker & { type: "head" };
      assert.deepEqual([m.type, m.end, text(m.body)], ["head", true, chunks[0] ?? null]);
    }
  });

  it("streams several chunks: head with the first, then body messages (empty ones skipped), then end", async () => {
    const h = await Harness.serving(() => new Response(new ReadableStream({ start(c) { for (const s of ["a", "", "b", "c"]) c.enqueue(bytes(s)); c.close(); } })));
    const messages = await h.done(h.request());
    assert.deepEqual(messages.map((m) => m.type), ["head", "body", "body", "end"]);
    assert.deepEqual([text((messages[0] as { body: Uint8Array }).body), (messages[0] as { end: boolean }).end], ["a", false]);
    assert.deepEqual(messages.slice(1, 3).map((m) => text((m as { chunk: Uint8Array }).chunk)), ["b", "c"]);
  });

  it("takes strings, ArrayBuffers and views as chunks, copying exactly the view's bytes", async () => {
    const shared = bytes("xxVIEWxx");
    const parts: unknown[] = ["str", bytes("AB").buffer, shared.subarray(2, 6), new DataView(bytes("dv").buffer)];
    const h = await Harness.serving(() => new Response(new ReadableStream<unknown>({ start(c) { for (const p of parts) c.enqueue(p); c.close(); } }) as ReadableStream<Uint8Array>));
    const messages = await h.done(h.request());
    const chunks = [(messages[0] as { body: Uint8Array }).body, ...messages.slice(1, -1).map((m) => (m as { chunk: Uint8Array }).chunk)];
    assert.deepEqual(chunks.map(text), ["str", "AB", "VIEW", "dv"]);
    assert.equal(chunks[2].buffer.byteLength, 4, "a buffer of its own, not the app's");
    assert.deepEqual(text(shared), "xxVIEWxx", "the app's buffer is untouched");
  });

  it("fails a stream that produces a non-byte chunk, before or after the head, and cancels it", async () => {
    for (const lead of [0, 2]) {
      let cancelled: unknown;
      const h = await Harness.serving(() => new Response(new ReadableStream<unknown>({
        start(c) {
          for (let i = 0; i < lead; i++) c.enqueue(bytes("ok"));
          c.enqueue(42);
        },
        cancel(reason) {
          cancelled = reason;
        },
      }) as ReadableStream<Uint8Array>));
      const messages = await h.done(h.request());
      assert.deepEqual(messages.map((m) => m.type), lead === 0 ? ["error"] : ["head", "body", "error"]);
      assert.match((messages.at(-1) as { error: { message: string } }).error.message, /produced a number; it must produce Uint8Array chunks/);
      await until(() => cancelled !== undefined, "the app's stream is cancelled");
    }
  });

  it("sends the head as soon as the stream waits, and each chunk as it comes", async () => {
    for (const firstChunk of [true, false]) {
      const { stream, controller } = manual();
      const h = await Harness.serving(() => new Response(stream));
      if (firstChunk) controller.enqueue(bytes("first"));
      const id = h.request();
      await until(() => h.of(id).length === 1, "the head, while the stream waits");
      const head = h.of(id)[0] as FromWorker & { type: "head" };
      assert.deepEqual([head.end, text(head.body)], [false, firstChunk ? "first" : null]);
      controller.enqueue(bytes("next"));
      await until(() => h.of(id).length === 2, "the next chunk");
      assert.equal(text((h.of(id)[1] as { chunk: Uint8Array }).chunk), "next");
      controller.close();
      assert.deepEqual((await h.done(id)).map((m) => m.type), ["head", "body", "end"]);
    }
  });

  it("fails a stream that errors while the worker waits for it after the head", async () => {
    const { stream, controller } = manual();
    const h = await Harness.serving(() => new Response(stream));
    const id = h.request();
    await until(() => h.of(id).length === 1, "the head");
    controller.error(new Error("source broke"));
    const messages = await h.done(id);
    assert.deepEqual(messages.map((m) => m.type), ["head", "error"]);
    assert.equal((messages[1] as { error: { message: string } }).error.message, "source broke");
  });

  it("sends no more than the response window until the I/O thread returns credit", async () => {
    const chunk = 64 * 1024;
    let produced = 0;
    const h = await Harness.serving(() => new Response(new ReadableStream({
      pull(c) {
        produced += chunk;
        c.enqueue(new Uint8Array(chunk));
        if (produced >= 2 * RESPONSE_WINDOW) c.close();
      },
    }, { highWaterMark: 0 })));
    const id = h.request();
    await until(() => h.bodyBytes(id) >= RESPONSE_WINDOW, "one window sent");
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(h.bodyBytes(id), RESPONSE_WINDOW, "then the worker waits");
    h.send({ type: "credit", id, bytes: 2 * chunk });
    await until(() => h.bodyBytes(id) >= RESPONSE_WINDOW + 2 * chunk, "two more chunks");
    h.send({ type: "credit", id, bytes: RESPONSE_WINDOW });
    const messages = await h.done(id);
    assert.equal(messages.at(-1)!.type, "end");
    assert.equal(h.bodyBytes(id), 2 * RESPONSE_WINDOW);
  });
});

describe("WorkerServer: the request body", () => {
  /** A handler that reads the body chunk by chunk, as `reads` allows, and answers with what it read. */
  function reader() {
    let request!: Request;
    let gate: (() => void) | undefined;
    const seen: string[] = [];
    const state = { error: undefined as unknown, reading: false };
    const handler = async (r: Request) => {
      request = r;
      const body = r.body!.getReader();
      try {
        for (;;) {
          state.reading = true;
          const { done, value } = await body.read();
          state.reading = false;
          if (done) break;
          seen.push(text(value)!);
          await new Promise<void>((resolve) => (gate = resolve));
        }
      } catch (error) {
        state.error = error;
        return new Response(`error ${(error as Error).message}`);
      }
      return new Response(seen.join("|"));
    };
    return { handler, seen, state, next: () => gate?.(), request: () => request };
  }

  it("asks for the body on the app's first read, then delivers chunks queued and wanted, and its end", async () => {
    const app = reader();
    const h = await Harness.serving(app.handler);
    const id = h.request(true);
    await until(() => h.of(id).length === 1, "the pull on the first read");
    assert.deepEqual(h.of(id), [{ type: "pull", id }]);
    h.send({ type: "body", id, chunk: bytes("a") }); // the app is waiting: delivered at once
    await until(() => app.seen.length === 1);
    h.send({ type: "body", id, chunk: bytes("b") }); // the app is not reading: queued
    h.send({ type: "body", id, chunk: bytes("c") });
    h.send({ type: "body-end", id }); // the end waits behind the queue
    app.next();
    await until(() => app.seen.length === 2);
    app.next();
    await until(() => app.seen.length === 3);
    app.next();
    const messages = await h.done(id);
    assert.equal(text((messages.at(-1) as { body: Uint8Array }).body), "a|b|c");
    assert.equal(messages.filter((m) => m.type === "pull").length, 1, "queued chunks are read without asking again");
  });

  it("closes the body when the end comes while the app waits for more", async () => {
    const app = reader();
    const h = await Harness.serving(app.handler);
    const id = h.request(true);
    await until(() => h.of(id).length === 1, "the pull");
    h.send({ type: "body", id, chunk: bytes("x") });
    await until(() => app.seen.length === 1);
    app.next();
    await until(() => app.state.reading, "the app waits for more");
    h.send({ type: "body-end", id });
    assert.equal(text(((await h.done(id)).at(-1) as { body: Uint8Array }).body), "x");
  });

  it("closes the body at once when the end arrives before the app's first read", async () => {
    const h = await Harness.serving(async (r) => {
      const first = await r.body!.getReader().read();
      return new Response(first.done ? "empty" : "data");
    });
    const id = h.request(true);
    h.send({ type: "body-end", id }); // before the app's first read
    const messages = await h.done(id);
    assert.deepEqual(messages.map((m) => m.type), ["head"], "a closed body is never pulled");
    assert.equal(text((messages[0] as { body: Uint8Array }).body), "empty");
  });

  it("asks for one chunk per read that finds nothing queued, and for nothing once the body has ended", async () => {
    const chunk = 16 * 1024;
    const h = await Harness.serving(async (r) => new Response(String((await r.arrayBuffer()).byteLength)));
    const id = h.request(true);
    await until(() => h.of(id).length === 1, "the pull");
    h.send({ type: "body", id, chunk: new Uint8Array(chunk) });
    await until(() => h.of(id).length === 2, "the next pull once the chunk was read");
    assert.deepEqual(h.of(id)[1], { type: "pull", id });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(h.of(id).length, 2, "one pull for each chunk asked for, no more");
    h.send({ type: "body", id, chunk: new Uint8Array(chunk) });
    await until(() => h.of(id).length === 3, "the third pull");
    h.send({ type: "body-end", id });
    h.send({ type: "body", id, chunk: new Uint8Array(chunk) }); // after the end: ignored
    const messages = await h.done(id);
    assert.deepEqual(messages.map((m) => m.type), ["pull", "pull", "pull", "head"]);
    assert.equal(text((messages[3] as { body: Uint8Array }).body), String(2 * chunk));
  });

  it("reads chunks that came before the end from the queue, asking for none of them", async () => {
    const app = reader();
    const h = await Harness.serving(app.handler);
    const id = h.request(true);
    await until(() => h.of(id).length === 1, "the pull");
    h.send({ type: "body", id, chunk: bytes("1") });
    await until(() => app.seen.length === 1);
    h.send({ type: "body", id, chunk: new Uint8Array(4096).fill(50) });
    h.send({ type: "body-end", id });
    app.next();
    await until(() => app.seen.length === 2);
    app.next();
    const messages = await h.done(id);
    assert.deepEqual(messages.filter((m) => m.type === "pull"), [{ type: "pull", id }], "the rest was queued: no pull");
    assert.equal(app.seen[1], "2".repeat(4096));
  });

  it("fails the app's read on body-error", async () => {
    const app = reader();
    const h = await Harness.serving(app.handler);
    const id = h.request(true);
    await until(() => h.of(id).length === 1, "the pull");
    h.send({ type: "body-error", id, message: "client sent a bad chunk" });
    const messages = await h.done(id);
    assert.equal(text((messages.at(-1) as { body: Uint8Array }).body), "error client sent a bad chunk");
    h.send({ type: "body-error", id, message: "late" }); // for a finished request: ignored
    h.send({ type: "credit", id, bytes: 1 });
    assert.equal(h.of(id).length, messages.length);
  });

  it("tells the I/O thread when the app cancels the body, and ignores bytes after that", async () => {
    let cancelled!: () => void;
    const h = await Harness.serving(async (r) => {
      await r.body!.cancel();
      await new Promise<void>((resolve) => (cancelled = resolve));
      return new Response("ok");
    });
    const id = h.request(true);
    await until(() => h.of(id).some((m) => m.type === "body-cancel") && cancelled !== undefined, "body-cancel");
    h.send({ type: "body", id, chunk: bytes("ignored") });
    h.send({ type: "body-end", id });
    cancelled();
    assert.deepEqual((await h.done(id)).map((m) => m.type), ["body-cancel", "head"]);
  });

  it("errors a body the app did not read once its response is sent", async () => {
    let kept!: ReadableStream<Uint8Array>;
    const h = await Harness.serving((r) => {
      kept = r.body!;
      return new Response("early");
    });
    const id = h.request(true);
    await h.done(id);
    await assert.rejects(kept.getReader().read(), /The response was sent before the request body was read/);
  });

  it("ignores body messages for a request that has no body", async () => {
    let release!: () => void;
    const h = await Harness.serving(async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return new Response("fine");
    });
    const id = h.request(false);
    await until(() => release !== undefined);
    h.send({ type: "body-end", id });
    h.send({ type: "body-error", id, message: "x" });
    release();
    assert.equal(text(((await h.done(id))[0] as { body: Uint8Array }).body), "fine");
  });
});

describe("WorkerServer: cancel", () => {
  it("aborts request.signal while the app works; its late response is cancelled and the request ends", async () => {
    for (const late of ["stream", "no body", "undefined"]) {
      let signal!: AbortSignal;
      let bodyCancelled = false;
      const h = await Harness.serving(async (request) => {
        signal = request.signal;
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        if (late === "undefined") return undefined;
        if (late === "no body") return new Response(null);
        return new Response(new ReadableStream({ cancel: () => void (bodyCancelled = true) }));
      });
      const id = h.request();
      await until(() => signal !== undefined, "the app runs");
      h.send({ type: "cancel", id, message: "The client went away" });
      h.send({ type: "cancel", id, message: "twice" }); // ignored
      assert.deepEqual(await h.done(id), [{ type: "end", id }]);
      assert.equal(String(signal.reason), "Error: The client went away");
      if (late === "stream") await until(() => bodyCancelled, "the late response's stream is cancelled");
    }
  });

  it("ends a request whose app never looked at request.signal", async () => {
    let release!: () => void;
    const h = await Harness.serving(async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return new Response("late");
    });
    const id = h.request();
    await until(() => release !== undefined);
    h.send({ type: "cancel", id, message: "gone" });
    release();
    assert.deepEqual(await h.done(id), [{ type: "end", id }]);
  });

  it("errors the request body the app is reading", async () => {
    let failure: unknown;
    const h = await Harness.serving(async (r) => {
      try {
        await r.text();
      } catch (error) {
        failure = error;
      }
      return new Response("after");
    }, nativeRequest);
    const id = h.request(true);
    await until(() => h.of(id).length === 1, "the pull");
    h.send({ type: "cancel", id, message: "client gone" });
    assert.deepEqual(await h.done(id), [{ type: "pull", id }, { type: "end", id }]);
    assert.ok(failure !== undefined, "the app's read failed");
  });

  it("stops a stream that has not produced its first chunk", async () => {
    const { stream, cancelled } = manual();
    const h = await Harness.serving(() => new Response(stream));
    const id = h.request();
    await until(() => h.of(id).length === 1, "the head");
    h.send({ type: "cancel", id, message: "gone" });
    assert.deepEqual((await h.done(id)).map((m) => m.type), ["head", "end"]);
    assert.equal(String(cancelled()), "Error: gone");
  });

  it("stops a stream during the read-ahead, and one that waits for credit", async () => {
    // Read-ahead: the first read is pending when the cancel comes, and the stream answers it anyway.
    let pulls = 0;
    let h!: Harness;
    let id = 0;
    h = await Harness.serving(() => new Response(new ReadableStream({
      pull(c) {
        if (++pulls === 1) {
          h.send({ type: "cancel", id, message: "gone" });
          c.enqueue(bytes("x"));
        }
      },
    }, { highWaterMark: 0 })));
    id = h.request();
    assert.deepEqual(await h.done(id), [{ type: "end", id }]);

    // Credit: the window is used up and the worker waits when the cancel comes.
    const big = await Harness.serving(() => new Response(new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(RESPONSE_WINDOW)) }, { highWaterMark: 0 })));
    const bigId = big.request();
    await until(() => big.bodyBytes(bigId) >= 2 * RESPONSE_WINDOW, "two chunks (the read-ahead), no more");
    big.send({ type: "cancel", id: bigId, message: "gone" });
    assert.equal((await big.done(bigId)).at(-1)!.type, "end");
  });

  it("sends one terminal message even when posting the first one fails", async () => {
    let failOnce = true;
    const h = new Harness(lazyRequest, (message) => {
      if (message.type === "head" && failOnce) {
        failOnce = false;
        throw new Error("DataCloneError");
      }
    });
    await h.server.load({ moduleUrl: "file:///a.js", exportName: "default", nativeResponse: false }, () => Promise.resolve({ default: () => new Response("x") }));
    const id = h.request();
    await until(() => !failOnce, "the head was posted");
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(h.of(id).map((m) => m.type), [], "no error after the failed head");
    h.send({ type: "credit", id, bytes: 1 }); // the request is forgotten
  });
});
