#!/usr/bin/env node
// Writes src/version.ts from package.json's version (run before every build: the "prebuild" script),
// so `waitress-serve --version` needs no JSON import, which Node 20, Deno and Bun spell differently.
// tests/cli_messages_test.ts fails when src/version.ts, package.json and jsr.json disagree.
//
// Usage: node tools/gen_version.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const path = join(root, "src", "version.ts");
const text = [
  "/**",
  " * The package version, as `waitress-serve --version` prints it. Generated from package.json by",
  " * tools/gen_version.mjs (npm's prebuild step): edit package.json, not this file.",
  " *",
  " * @example",
  " * ```ts",
  ' * import { VERSION } from "./version.ts";',
  " * console.log(`waitress-ts ${VERSION}`);",
  " * ```",
  " *",
  " * @module",
  " */",
  "",
  "/** The version of this package (package.json's `version`). */",
  `export const VERSION: string = ${JSON.stringify(version)};`,
  "",
].join("\n");
let current = "";
try {
  current = readFileSync(path, "utf8");
} catch {
  // not generated yet
}
if (current !== text) writeFileSync(path, text);
console.log(`src/version.ts: ${version}${current === text ? " (up to date)" : ""}`);
