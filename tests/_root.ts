/** Locating the repository from a test file, which runs from tests/ (Deno, Bun) or dist/tests/ (Node). */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest folder above this file with package.json, src/ and mod.ts. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, "package.json")) && existsSync(join(dir, "src")) && existsSync(join(dir, "mod.ts")))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("Cannot find the repository root above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}
