/**
 * serveDir(): a directory served over real sockets without traversal (plain, encoded, double-encoded,
 * backslashes, NUL, absolute paths), dotfiles or symlinks out of the root; index files, redirects,
 * urlPrefix (with or without its leading slash), a root that is a file, ranges / 304 through fileResponse;
 * and serveDirWith() on a fake file system (a drive root, a file that cannot be opened, a FIFO).
 */
import type { DirFiles } from "../src/platform.ts";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveDir, type ServeDirOptions } from "../mod.ts";
import { serveDirWith } from "../src/web/serve_dir.ts";
import { RawClient, type RawResponse, startServer, type TestServer } from "./_helpers.ts";

const SECRET = "TOP-SECRET-OUTSIDE";

describe("serveDir()", () => {
  let base: string;
  let root: string;
  const servers: TestServer[] = [];
  const data = new Uint8Array(5000).map((_, i) => (i * 17 + 3) & 0xff);

  before(() => {
    base = mkdtempSync(join(tmpdir(), "waitress-servedir-"));
    root = join(base, "root");
    const outside = join(base, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "secret.txt"), SECRET);
    writeFileSync(join(base, "secret.txt"), SECRET);
    mkdirSync(join(root, "sub"), { recursive: true });
    mkdirSync(join(root, "noindex"));
    mkdirSync(join(root, "evil.com"));
    mkdirSync(join(root, ".git"));
    writeFileSync(join(root, "index.html"), "<h1>root index</h1>");
    writeFileSync(join(root, "a.txt"), "file a");
    writeFileSync(join(root, "data.bin"), data);
    writeFileSync(join(root, "style.CSS"), "body{}");
    writeFileSync(join(root, "space name.txt"), "spaced");
    writeFileSync(join(root, "%2e%2e"), "literal percent name");
    writeFileSync(join(root, "sub", "index.html"), "<h1>sub index</h1>");
    writeFileSync(join(root, "sub", "b.js"), "export {};");
    writeFileSync(join(root, "noindex", "c.txt"), "c");
    writeFileSync(join(root, "evil.com", "index.html"), "not evil");
    writeFileSync(join(root, ".env"), `PASSWORD=${SECRET}`);
    writeFileSync(join(root, ".git", "config"), SECRET);
    symlinkSync(join(outside, "secret.txt"), join(root, "link_out.txt"));
    symlinkSync(outside, join(root, "dirlink_out"));
    symlinkSync("../secret.txt", join(root, "sub", "up.txt"));
    symlinkSync("a.txt", join(root, "link_in.txt"));
    symlinkSync(".env", join(root, "env_alias.txt"));
    symlinkSync(join(root, "sub"), join(root, "sublink"));
  });
  after(async () => {
    for (const s of servers) await s.close();
    rmSync(base, { recursive: true, force: true });
  });

  async function server(options: Partial<ServeDirOptions> = {}): Promise<TestServer> {
    const s = await startServer((request: Request) => serveDir(request, { root, ...options }));
    servers.push(s);
    return s;
  }

  /** One request on a fresh connection (raw target, sent as is). */
  async function get(s: TestServer, target: string, fields: Record<string, string> = {}, method = "GET"): Promise<RawResponse> {
    const client = new RawClient(s.port);
    try {
      let head = `${method} ${target} HTTP/1.1\r\nHost: x\r\n`;
      for (const [name, value] of Object.entries(fields)) head += `${name}: ${value}\r\n`;
      await client.send(head + "\r\n");
      return await client.response({ head: method === "HEAD" });
    } finally {
      client.destroy();
    }
  }

  it("serves files with their Content-Type, and index.html for directories", async () => {
    const s = await server();
    const a = await get(s, "/a.txt");
    assert.equal(a.status, 200);
    assert.equal(a.text, "file a");
    assert.equal(a.header("content-type"), "text/plain; charset=utf-8");
    assert.ok(a.header("etag"));
    assert.equal(a.header("accept-ranges"), "bytes");
    assert.equal((await get(s, "/style.CSS")).header("content-type"), "text/css; charset=utf-8");
    assert.equal((await get(s, "/sub/b.js")).header("content-type"), "text/javascript; charset=utf-8");
    assert.equal((await get(s, "/space%20name.txt")).text, "spaced");
    assert.equal((await get(s, "/sub//b.js")).text, "export {};");
    const index = await get(s, "/");
    assert.equal(index.text, "<h1>root index</h1>");
    assert.equal(index.header("content-type"), "text/html; charset=utf-8");
    assert.equal((await get(s, "/sub/")).text, "<h1>sub index</h1>");
    assert.equal((await get(s, "/sub/?q=1")).text, "<h1>sub index</h1>");
    assert.equal((await get(s, "/link_in.txt")).text, "file a"); // a symlink inside the root
    assert.equal((await get(s, "/sublink/b.js")).text, "export {};");
  });

  it("redirects a directory without its trailing slash, without an open redirect", async () => {
    const s = await server();
    const sub = await get(s, "/sub?x=1");
    assert.equal(sub.status, 301);
    assert.equal(sub.header("location"), "/sub/?x=1");
    const evil = await get(s, "//evil.com");
    assert.equal(evil.status, 301);
    assert.equal(evil.header("location"), "/evil.com/");
  });

  it("answers 404 for missing files, a directory without index.html, and a file named as a directory", async () => {
    const s = await server();
    for (const target of ["/missing.txt", "/noindex/", "/a.txt/", "/sub/missing/", "/noindex/c.txt/x"]) {
      const response = await get(s, target);
      assert.equal(response.status, 404, target);
    }
    assert.equal((await get(s, "/noindex/c.txt")).text, "c");
    const none = await server({ index: false });
    assert.equal((await get(none, "/sub/")).status, 404);
    assert.equal((await get(none, "/a.txt")).text, "file a");
  });

  it("refuses traversal, however it is spelled", async () => {
    const s = await server();
    const attempts = [
      "/../secret.txt", "/../outside/secret.txt", "/sub/../../secret.txt",
      "/%2e%2e/secret.txt", "/%2E%2E/outside/secret.txt", "/.%2e/secret.txt", "/%2e./secret.txt",
      "/..%2fsecret.txt", "/..%2Foutside%2Fsecret.txt", "/%2e%2e%2fsecret.txt", "/sub/..%2f..%2fsecret.txt",
      "/%252e%252e/secret.txt", "/%252e%252e%252fsecret.txt", "/..%252fsecret.txt",
      "/..%5csecret.txt", "/..%5Coutside%5Csecret.txt", "/sub/..%5c..%5csecret.txt", "/..\\secret.txt", "/..\\..\\secret.txt",
      "/a.txt%00.html", "/%00", "/..%00/secret.txt", "/%c0%ae%c0%ae/secret.txt", "/%ff",
      `//${base.slice(1)}/secret.txt`, `/${encodeURIComponent(join(base, "secret.txt"))}`, "/%2f%2e%2e%2fsecret.txt",
      `http://x/../secret.txt`, "/.. /secret.txt", "/..%20/secret.txt", "/...", "/sub/up.txt",
    ];
    for (const target of attempts) {
      const response = await get(s, target);
      assert.ok(response.status === 404 || response.status === 400, `${target}: ${response.status}`);
      assert.ok(!response.text.includes(SECRET), `${target} leaked the secret`);
    }
    // A name with a literal "%2e%2e" is only that name.
    assert.equal((await get(s, "/%252e%252e")).text, "literal percent name");
  });

  it("refuses symlinks that lead out of the root, and dotfiles, unless told otherwise", async () => {
    const s = await server();
    for (const target of ["/link_out.txt", "/dirlink_out/secret.txt", "/dirlink_out/", "/sub/up.txt",
      "/.env", "/%2eenv", "/.git/config", "/.git/", "/sub/../.env", "/env_alias.txt"]) {
      const response = await get(s, target);
      assert.equal(response.status, 404, target);
      assert.ok(!response.text.includes(SECRET), `${target} leaked the secret`);
    }
    const dots = await server({ dotfiles: true });
    assert.equal((await get(dots, "/.env")).text, `PASSWORD=${SECRET}`);
    assert.equal((await get(dots, "/env_alias.txt")).text, `PASSWORD=${SECRET}`);
    assert.equal((await get(dots, "/link_out.txt")).status, 404);
    assert.equal((await get(dots, "/%2e%2e/secret.txt")).status, 404);
    const anywhere = await server({ followSymlinks: "anywhere" });
    assert.equal((await get(anywhere, "/link_out.txt")).text, SECRET);
    assert.equal((await get(anywhere, "/dirlink_out/secret.txt")).text, SECRET);
    assert.equal((await get(anywhere, "/../secret.txt")).status, 404);
    assert.equal((await get(anywhere, "/.env")).status, 404);
  });

  it("serves below urlPrefix only", async () => {
    const s = await server({ urlPrefix: "/static/", headers: { "cache-control": "public, max-age=600" } });
    const a = await get(s, "/static/a.txt");
    assert.equal(a.text, "file a");
    assert.equal(a.header("cache-control"), "public, max-age=600");
    assert.equal((await get(s, "/static/sub/")).text, "<h1>sub index</h1>");
    for (const target of ["/a.txt", "/staticx/a.txt", "/stati", "/", "/static/../a.txt"]) {
      assert.equal((await get(s, target)).status, 404, target);
    }
    const bare = await get(s, "/static");
    assert.equal(bare.status, 301);
    assert.equal(bare.header("location"), "/static/");
    assert.equal((await get(s, "/static/")).text, "<h1>root index</h1>");
    const relative = await server({ urlPrefix: "static" }); // as if it began with "/"
    assert.equal((await get(relative, "/static/a.txt")).text, "file a");
    assert.equal((await get(relative, "/a.txt")).status, 404);
  });

  it("serves a root that is a file at the prefix itself, and nothing below it", async () => {
    const s = await server({ root: join(root, "a.txt"), urlPrefix: "/only" });
    const only = await get(s, "/only");
    assert.equal(only.status, 200);
    assert.equal(only.text, "file a");
    assert.equal(only.header("content-type"), "text/plain; charset=utf-8"); // the root's own name gives the type
    for (const target of ["/only/", "/only/a.txt", "/"]) assert.equal((await get(s, target)).status, 404, target);
  });

  it("answers ranges, 304 and HEAD through fileResponse, and 405 for other methods", async () => {
    const s = await server();
    const partial = await get(s, "/data.bin", { range: "bytes=-500" });
    assert.equal(partial.status, 206);
    assert.equal(partial.header("content-range"), "bytes 4500-4999/5000");
    assert.deepEqual(partial.body, data.subarray(4500));
    const etag = partial.header("etag")!;
    assert.equal((await get(s, "/data.bin", { "if-none-match": etag })).status, 304);
    assert.equal((await get(s, "/data.bin", { "if-modified-since": partial.header("last-modified")! })).status, 304);
    assert.equal((await get(s, "/data.bin", { range: "bytes=5000-" })).status, 416);
    const head = await get(s, "/data.bin", {}, "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.header("content-length"), "5000");
    const post = await get(s, "/a.txt", { "content-length": "0" }, "POST");
    assert.equal(post.status, 405);
    assert.equal(post.header("allow"), "GET, HEAD");
  });
});

describe("serveDirWith() on a fake file system", () => {
  type Entry = { kind: "file" | "directory" | "other"; real?: string; text?: string; unopenable?: boolean };
  /** Windows-like paths: a drive root ends with a backslash; "/" and "\\" both separate. */
  const fake = (entries: Record<string, Entry>): DirFiles => {
    const canonical = (path: string) => path.replace(/[/\\]+/g, "\\");
    const find = (path: string) => entries[canonical(path)];
    return {
      realPath: (path) => find(path) ? Promise.resolve(find(path)!.real ?? canonical(path)) : Promise.reject(new Error("ENOENT")),
      kind: (path) => Promise.resolve(find(path)?.kind),
      open: (path) => {
        const entry = find(path)!;
        if (entry.unopenable) return Promise.reject(new Error("EACCES"));
        const bytes = new TextEncoder().encode(entry.text ?? "");
        return Promise.resolve({ size: bytes.length, mtimeMs: 0, stream: () => new Response(bytes).body!, close: () => Promise.resolve() });
      },
    };
  };
  const files = fake({
    "C:\\": { kind: "directory" },
    "C:\\a.txt": { kind: "file", text: "drive a" },
    "C:\\out.txt": { kind: "file", real: "D:\\secret.txt" },
    "D:\\secret.txt": { kind: "file", text: SECRET },
    "C:\\locked.txt": { kind: "file", unopenable: true },
    "C:\\fifo": { kind: "other" },
  });
  const get = async (target: string) => {
    const response = await serveDirWith(files, new Request(`http://x${target}`), { root: "C:\\" }, Date.now());
    return { status: response.status, text: await response.text() };
  };

  it("serves below a root that ends with a separator (a drive root), and nothing a link takes out of it", async () => {
    assert.deepEqual(await get("/a.txt"), { status: 200, text: "drive a" });
    assert.equal((await get("/out.txt")).status, 404);
  });

  it("answers 404 for a file that cannot be opened after all, and for what is neither a file nor a directory", async () => {
    assert.deepEqual(await get("/locked.txt"), { status: 404, text: "Not Found" });
    assert.deepEqual(await get("/fifo"), { status: 404, text: "Not Found" });
  });
});
