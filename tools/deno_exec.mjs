#!/usr/bin/env -S deno run --allow-run --allow-read
// Runs this Deno with the given arguments; the deno.json tasks call it where they would write `deno`
// (`./tools/deno_exec.mjs test -A`). Why: package.json lists the npm package `deno` (that is how
// `npm ci` installs Deno here), so Deno's task runner maps the word `deno` in a task to that package's
// bin.cjs, which cannot start under Deno ("Cannot find module '@deno/linux-x64-glibc/package.json'";
// with "nodeModulesDir": "manual" it runs the native binary as JavaScript). A command given as a path
// is not mapped: the task runner reads this file's shebang and looks `deno` up on PATH, where the
// tasks put node_modules/.bin first, so both the npm-installed Deno and a standalone one on PATH work.
const child = new Deno.Command(Deno.execPath(), {
  args: Deno.args,
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
// The task runner forwards signals to this process; pass them on so Ctrl-C and `kill` reach the server.
const signals = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM", "SIGHUP"];
for (const signal of signals) Deno.addSignalListener(signal, () => child.kill(signal));
// code is 128 + the signal's number when a signal ended the child, as a shell reports it.
Deno.exit((await child.status).code);
