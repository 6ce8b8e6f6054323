/**
 * The Content-Type a response body implies reaches the wire whatever object the app returns
 * (FastResponse, the native Response, a subclass, a lazy lookalike such as srvx's NodeResponse, which
 * h3 v2 returns on Node), compared with the runtime's own server for every body kind: Deno.serve and
 * Bun.serve on a loopback port, and on Node (which has none) the native constructor's headers.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FastResponse } from "../src/web/fast_response.ts";
import { nativeClass } from "../src/web/native_globals.ts";
import { typedNativeResponse } from "../src/web/content_type.ts";
import { installFastResponse } from "../adapters/shared/fast_globals.ts";
import { RawClient, runtime, startServer, type RawResponse, type TestServer } from "./_helpers.ts";

/** The runtime's own Response class, whatever the global is now. */
const NativeResponse = nativeClass("Response");
const encoder = new TextEncoder();

interface Kind {
  body(): BodyInit | null;
  init?: ResponseInit;
  /** `Response.json(data)` instead of the constructor. */
  json?: unknown;
  /** The body on the wire (FormData is checked by parsing instead). */
  wire?: string;
}

function form(): FormData {
  const data = new FormData();
  data.append("field", "value");
  data.append("file", new Blob(["file bytes"], { type: "text/x-note" }), "note.txt");
  return data;
}

const KINDS: Record<string, Kind> = {
  string: { body: () => "hello", wire: "hello" },
  emptyString: { body: () => "", wire: "" },
  searchParams: { body: () => new URLSearchParams("a=1&b=2"), wire: "a=1&b=2" },
  formData: { body: form },
  blobTyped: { body: () => new Blob(["<p>"], { type: "text/html" }), wire: "<p>" },
  blobUntyped: { body: () => new Blob(["raw"]), wire: "raw" },
  uint8Array: { body: () => encoder.encode("bytes"), wire: "bytes" },
  arrayBuffer: { body: () => encoder.encode("buffer").buffer as ArrayBuffer, wire: "buffer" },
  stream: {
    body: () => new ReadableStream<Uint8Array>({ start(c) { c.enqueue(encoder.encode("streamed")); c.close(); } }),
    wire: "streamed",
  },
  json: { body: () => null, json: { a: 1 }, wire: '{"a":1}' },
  stringOverride: { body: () => "<b>", init: { headers: { "Content-Type": "text/html" } }, wire: "<b>" },
  searchParamsOverride: { body: () => new URLSearchParams("a=1"), init: { headers: [["content-type", "text/x-query"]] }, wire: "a=1" },
  blobOverride: { body: () => new Blob(["x"], { type: "image/png" }), init: { headers: new Headers({ "content-type": "image/gif" }) }, wire: "x" },
  formDataOverride: { body: form, init: { headers: { "content-type": "multipart/form-data; boundary=mine" } } },
  jsonOverride: { body: () => null, json: [1], init: { headers: { "content-type": "application/vnd.x+json" } }, wire: "[1]" },
};

/**
 * A lookalike as srvx's NodeResponse (h3 v2's FastResponse on Node): it keeps its arguments, its
 * `headers` are the init headers only, and it builds a native Response for its body, whose headers
 * it reports from then on.
 */
class LazyLookalike {
  #body: BodyInit | null;
  #init: ResponseInit | undefined;
  #headers: Headers | undefined;
  #response: Response | undefined;
  constructor(body: BodyInit | null, init?: ResponseInit) {
    this.#body = body;
    this.#init = init;
  }
  get status(): number {
    return this.#response?.status ?? this.#init?.status ?? 200;
  }
  get statusText(): string {
    return this.#response?.statusText ?? this.#init?.statusText ?? "";
  }
  get headers(): Headers {
    return this.#response?.headers ?? (this.#headers ??= new Headers(this.#init?.headers));
  }
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#response === undefined) {
      this.#response = new NativeResponse(this.#body, { ...this.#init, headers: this.#headers ?? this.#init?.headers });
      void this.#response.headers; // Bun types a body only on this first read, and never once the body was taken
    }
    return this.#response.body;
  }
}
Object.setPrototypeOf(LazyLookalike.prototype, NativeResponse.prototype);

class SubResponse extends NativeResponse {}

type Make = (kind: Kind) => Response;
const construct = (R: typeof Response): Make => (kind) => kind.json !== undefined ? R.json(kind.json, kind.init) : new R(kind.body(), kind.init);
const MAKERS: Record<string, Make> = {
  FastResponse: construct(FastResponse as unknown as typeof Response),
  native: construct(NativeResponse),
  "native (nativeResponse: true)": construct(typedNativeResponse()),
  subclass: construct(SubResponse),
  lookalike: (kind) => (kind.json !== undefined
    ? new LazyLookalike(JSON.stringify(kind.json), { ...kind.init, headers: new Headers(kind.init?.headers ?? { "content-type": NativeResponse.json(0).headers.get("content-type")! }) })
    : new LazyLookalike(kind.body(), kind.init)) as unknown as Response,
};

/** The whole response to `GET path` on a fresh connection. */
async function get(port: number, path: string): Promise<RawResponse> {
  const client = new RawClient(port);
  try {
    await client.send(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    return await client.response();
  } finally {
    client.destroy();
  }
}

interface NativeServer {
  port: number;
  close(): Promise<void>;
}

/** The runtime's own server, answering `/KIND` with the native Response for that kind; none on Node. */
function nativeServer(): NativeServer | undefined {
  const handler = (request: Request): Response => construct(NativeResponse)(KINDS[new URL(request.url).pathname.slice(1)]);
  const g = globalThis as unknown as {
    Deno?: { serve(options: object, handler: (r: Request) => Response): { addr: { port: number }; shutdown(): Promise<void> } };
    Bun?: { serve(options: object): { port: number; stop(force?: boolean): Promise<void> | void } };
  };
  if (g.Bun) {
    const server = g.Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handler });
    return { port: server.port, close: async () => void await server.stop(true) };
  }
  if (g.Deno) {
    const server = g.Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
    return { port: server.addr.port, close: () => server.shutdown() };
  }
  return undefined;
}

/**
 * Where Bun.serve departs from the Fetch standard, which this server follows on every runtime (as
 * Node and Deno do): Bun.serve sniffs or guesses a type for bytes and untyped blobs, and sends none
 * for an empty string. (Its `charset=utf-8` for strings is the same charset as `UTF-8`, RFC 9110 8.3.2.)
 */
const BUN_SERVE_DIFFERS: Record<string, { bun: string | undefined; ours: string | undefined }> = {
  uint8Array: { bun: "application/octet-stream", ours: undefined },
  arrayBuffer: { bun: "application/octet-stream", ours: undefined },
  blobUntyped: { bun: "text/plain;charset=utf-8", ours: undefined },
  emptyString: { bun: undefined, ours: "text/plain;charset=UTF-8" },
};

/**
 * Bun's own Response class leaves a string body's type to Bun.serve, and nothing readable in it tells a
 * string from bytes: a response built by that class itself (or by a lookalike over it) goes without.
 * `serve()` installs FastResponse, or with `nativeResponse: true` a typed subclass, as the global.
 */
const bunUntypedString = (maker: string, kind: string): boolean =>
  runtime === "bun" && (maker === "native" || maker === "subclass" || maker === "lookalike") && (kind === "string" || kind === "emptyString");

async function checkFormData(response: RawResponse, contentType: string | undefined, override: boolean): Promise<void> {
  if (override) {
    assert.equal(contentType, "multipart/form-data; boundary=mine");
    return;
  }
  assert.ok(contentType?.startsWith("multipart/form-data; boundary="), `multipart type, got ${contentType}`);
  const parsed = await new NativeResponse(response.body as Uint8Array<ArrayBuffer>, { headers: { "content-type": contentType! } }).formData();
  assert.equal(parsed.get("field"), "value");
  const file = parsed.get("file") as File;
  assert.equal(file.name, "note.txt");
  assert.equal(await file.text(), "file bytes");
}

describe("Content-Type of each body kind, against the runtime's own server", () => {
  let s: TestServer;
  let own: NativeServer | undefined;
  /** What the runtime's own server sends for each kind (on Node: the native constructor's header). */
  const expected: Record<string, string | undefined> = {};

  before(async () => {
    s = await startServer((request) => {
      const [, maker, kind] = decodeURIComponent(new URL(request.url).pathname).split("/");
      return MAKERS[maker](KINDS[kind]);
    });
    own = nativeServer();
    for (const [name, kind] of Object.entries(KINDS)) {
      if (own === undefined) expected[name] = construct(NativeResponse)(kind).headers.get("content-type") ?? undefined;
      else expected[name] = (await get(own.port, `/${name}`)).header("content-type");
    }
  });
  after(async () => {
    await s?.close();
    await own?.close();
  });

  for (const maker of Object.keys(MAKERS)) {
    it(`${maker}: every body kind gets the type ${runtime === "node" ? "the native Response gives" : runtime === "deno" ? "Deno.serve sends" : "Bun.serve sends (where Bun follows the standard)"}`, async () => {
      for (const [kind, spec] of Object.entries(KINDS)) {
        const response = await get(s.port, `/${encodeURIComponent(maker)}/${kind}`);
        const contentType = response.header("content-type");
        const what = `${maker} ${kind}: ${contentType}`;
        assert.equal(response.status, 200, what);
        if (kind.startsWith("formData")) {
          await checkFormData(response, contentType, kind === "formDataOverride");
          if (own !== undefined && kind === "formData") assert.ok(expected[kind]?.startsWith("multipart/form-data; boundary="));
          continue;
        }
        assert.equal(response.text, spec.wire, what);
        if (bunUntypedString(maker, kind)) {
          assert.equal(contentType, undefined, what);
          continue;
        }
        const differs = runtime === "bun" ? BUN_SERVE_DIFFERS[kind] : undefined;
        if (differs !== undefined) {
          assert.equal(expected[kind], differs.bun, `Bun.serve ${kind}`);
          assert.equal(contentType, differs.ours, what);
        } else if (runtime === "bun") {
          assert.equal(contentType?.toLowerCase(), expected[kind]?.toLowerCase(), what);
        } else {
          assert.equal(contentType, expected[kind], what);
        }
      }
    });
  }

  it("HEAD of a string body keeps its type and length", async () => {
    const client = new RawClient(s.port);
    try {
      await client.send("HEAD /FastResponse/string HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      const response = await client.response({ head: true });
      assert.equal(response.header("content-type"), "text/plain;charset=UTF-8");
      assert.equal(response.header("content-length"), "5");
    } finally {
      client.destroy();
    }
  });
});

describe("FastResponse types its bodies as the native Response does", () => {
  it("gives each body kind the native constructor's Content-Type (Bun: the standard's for strings)", () => {
    for (const [kind, spec] of Object.entries(KINDS)) {
      const fast = construct(FastResponse as unknown as typeof Response)(spec).headers.get("content-type");
      const native = construct(NativeResponse)(spec).headers.get("content-type");
      if (kind.startsWith("formData")) {
        assert.equal(fast?.startsWith("multipart/form-data; boundary="), true, kind);
        continue;
      }
      if (runtime === "bun" && (kind === "string" || kind === "emptyString")) assert.equal(fast, "text/plain;charset=UTF-8", kind);
      else assert.equal(fast, native, kind);
    }
  });

  it("reports a FormData body's boundary in its headers, and its body is multipart with that boundary", async () => {
    const response = new FastResponse(form());
    const type = response.headers.get("content-type")!;
    const parsed = await new NativeResponse(await response.arrayBuffer(), { headers: { "content-type": type } }).formData();
    assert.equal(parsed.get("field"), "value");
  });
});

describe("nativeResponse: true", () => {
  it("keeps the native class, typed where the runtime leaves a string's type to its server (Bun)", () => {
    const saved = globalThis.Response;
    try {
      globalThis.Response = NativeResponse;
      installFastResponse({ nativeResponse: true });
      const R = globalThis.Response;
      assert.equal(R, typedNativeResponse());
      assert.equal(R === NativeResponse, runtime !== "bun");
      const response = new R("hi");
      assert.ok(response instanceof NativeResponse);
      assert.ok(new NativeResponse("x") instanceof R);
      assert.equal(response.headers.get("content-type"), "text/plain;charset=UTF-8");
      assert.equal(new R("x", { headers: { "content-type": "text/html" } }).headers.get("content-type"), "text/html");
      assert.equal(new R(encoder.encode("x")).headers.get("content-type"), null);
    } finally {
      globalThis.Response = saved;
    }
  });
});
