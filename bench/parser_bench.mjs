#!/usr/bin/env node
// Parser-only micro-benchmark, for regressions: MB/s and requests/s of RequestParser on a fixed corpus,
// fed whole and in 64-byte pieces. Usage: node bench/parser_bench.mjs [--seconds 2] [--parser PATH]
// (Runs the built JS in dist/; `npm run build` first. Deno/Bun: `deno run -A bench/parser_bench.mjs`.)
// --parser PATH measures another build's parser.js instead (e.g. one built from an older commit),
// for a before/after comparison on the same machine.
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const option = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const seconds = Number(option("--seconds") ?? 2);
const parserPath = option("--parser");
const { RequestParser } = await import(parserPath === undefined ? "../dist/src/http1/parser.js" : pathToFileURL(resolve(parserPath)).href);
const enc = new TextEncoder();

const CORPUS = {
  "minimal GET": "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
  "browser GET (8 headers)": "GET /assets/app.js?v=12 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\r\nAccept: */*\r\nAccept-Language: en-GB,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\nReferer: https://www.example.com/\r\nCookie: session=abcdef0123456789; theme=dark\r\nConnection: keep-alive\r\n\r\n",
  "POST 1 KiB body": `POST /api/items HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\nContent-Length: 1024\r\n\r\n${"x".repeat(1024)}`,
  "chunked POST (4 chunks)": "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + "100\r\n" + "y".repeat(256) + "\r\n" + "100\r\n" + "y".repeat(256) + "\r\n" + "100\r\n" + "y".repeat(256) + "\r\n" + "100\r\n" + "y".repeat(256) + "\r\n0\r\n\r\n",
};

function run(bytes, piece) {
  // 64 pipelined copies per feed batch, like a busy keep-alive connection.
  const batch = new Uint8Array(bytes.length * 64);
  for (let i = 0; i < 64; i++) batch.set(bytes, i * bytes.length);
  const parser = new RequestParser();
  let requests = 0;
  let fed = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  while (performance.now() < deadline) {
    for (let round = 0; round < 50; round++) {
      for (let offset = 0; offset < batch.length; offset += piece) {
        parser.feed(batch.slice(offset, Math.min(offset + piece, batch.length)));
        for (let event = parser.next(); event !== null; event = parser.next()) {
          if (event.type === "end") requests++;
          else if (event.type === "error") throw new Error(`parse error: ${event.detail}`);
        }
      }
      fed += batch.length;
    }
  }
  const elapsed = (performance.now() - started) / 1000;
  return { mbps: fed / elapsed / 1e6, rps: requests / elapsed };
}

const runtime = globalThis.Bun ? `Bun ${Bun.version}` : globalThis.Deno ? `Deno ${Deno.version.deno}` : `Node ${process.version}`;
console.log(`# Parser micro-benchmark (${runtime}, ${seconds} s per row${parserPath === undefined ? "" : `, ${parserPath}`})\n`);
console.log("| input | fed | MB/s | requests/s |");
console.log("|---|---|---:|---:|");
for (const [name, text] of Object.entries(CORPUS)) {
  const bytes = enc.encode(text);
  for (const piece of [bytes.length * 64, 64]) {
    const { mbps, rps } = run(bytes, piece);
    console.log(`| ${name} | ${piece === 64 ? "64-byte pieces" : "whole batches"} | ${mbps.toFixed(0)} | ${Math.round(rps).toLocaleString("en-US")} |`);
  }
}
