// Shared by the benchmarks: Node runs ours from dist/, so build it first when any source is newer.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

/** Every source file Node runs from dist/, paired with its built file. */
function buildPairs(root) {
  const pairs = [];
  const walk = (dir) => {
    if (!existsSync(join(root, dir))) return;
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) pairs.push([rel, join("dist", rel.replace(/\.ts$/, ".js"))]);
    }
  };
  for (const file of ["mod.ts", "cli.ts"]) if (existsSync(join(root, file))) pairs.push([file, join("dist", file.replace(/\.ts$/, ".js"))]);
  walk("src");
  walk("adapters");
  return pairs;
}

/**
 * Runs `npm run build` when dist/ is missing or older than a source; exits with `who`'s message and
 * `hint` (how to skip Node) when the build fails.
 */
export function ensureBuild(root, who, hint) {
  const stale = buildPairs(root).filter(([src, out]) => !existsSync(join(root, out)) || statSync(join(root, out)).mtimeMs < statSync(join(root, src)).mtimeMs);
  if (stale.length === 0) return;
  console.log(`dist/ is missing or stale (${stale.length} file${stale.length === 1 ? "" : "s"}, e.g. ${stale[0][0]}): npm run build`);
  const r = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`${who}: \`npm run build\` failed (see the tsc errors above); Node runs ours from dist/, so fix the build or ${hint}`);
    process.exit(1);
  }
}
