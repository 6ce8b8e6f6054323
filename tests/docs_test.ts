/**
 * The README cannot drift from the code: its generated settings section must be exactly what
 * tools/gen_docs.mjs makes of settingsMarkdown(), every setting must be documented there and in
 * cliHelp(), the config-file example must load, and the command lines in the hand-written
 * sections may only use options that exist.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { resolveSettings, SETTINGS } from "../src/settings/adjustments.ts";
import { cliHelp, settingsMarkdown } from "../src/cli/cli_args.ts";
import { parseIni, settingsFromIni } from "../src/settings/ini.ts";
import { repoRoot } from "./_root.ts";

const root = repoRoot();
const readme = readFileSync(join(root, "README.md"), "utf8");

/** The helpers of tools/gen_docs.mjs (plain JavaScript, so typed here). */
interface GenDocs {
  START: string;
  END: string;
  renderSettingsSection(table: string): string;
  currentSettingsSection(readme: string): string | undefined;
}
const genDocs = (await import(pathToFileURL(join(root, "tools", "gen_docs.mjs")).href)) as GenDocs;

/** The README from `## heading` up to the next `## ` heading (or the settings marker). */
function section(heading: string): string {
  const at = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(at >= 0, `README.md has a "## ${heading}" section`);
  const rest = readme.slice(at + 1);
  const next = rest.slice(3).search(/^## |^<!-- settings:start -->/m);
  return next < 0 ? rest : rest.slice(0, next + 3);
}

describe("README settings section", () => {
  it("settingsMarkdown() is what the README's generated section holds (run `npm run docs` if not)", () => {
    const current = genDocs.currentSettingsSection(readme);
    assert.ok(current !== undefined, `README.md has ${genDocs.START} … ${genDocs.END}`);
    assert.equal(readme.split(genDocs.START).length, 2, "one start marker");
    assert.equal(readme.split(genDocs.END).length, 2, "one end marker");
    assert.equal(current, genDocs.renderSettingsSection(settingsMarkdown()),
      "README.md's settings section is out of date: run `npm run docs`");
  });

  it("settingsMarkdown() has one row per setting, in SETTINGS order", () => {
    const rows = settingsMarkdown().trimEnd().split("\n").slice(2);
    assert.equal(rows.length, SETTINGS.length);
    SETTINGS.forEach((spec, i) => assert.ok(rows[i]!.startsWith(`| \`${spec.name}\` |`), `row ${i} is ${spec.name}`));
  });

  it("every SETTINGS entry appears in the README with its name, flag, ini key and default", () => {
    for (const spec of SETTINGS) {
      const row = genDocs.currentSettingsSection(readme)?.split("\n").find((line) => line.startsWith(`| \`${spec.name}\` |`));
      assert.ok(row !== undefined, `README.md documents ${spec.name}`);
      assert.ok(row.includes(`\`${spec.defaultText.replace(/\|/g, "\\|")}\``), `${spec.name} shows its default`);
      if (spec.cli) {
        assert.ok(row.includes(`\`--${spec.flag}`), `${spec.name} shows --${spec.flag}`);
        assert.ok(row.includes(`\`${spec.snake}\``), `${spec.name} shows ${spec.snake}`);
      }
      if (spec.kind === "bool") assert.ok(row.includes(`\`--no-${spec.flag}\``), `${spec.name} shows --no-${spec.flag}`);
      if (spec.origin === "extension") assert.ok(row.includes("*(not in Waitress)*"), `${spec.name} is marked`);
    }
  });

  it("cliHelp() lists every command-line setting, and no programmatic-only one", () => {
    const help = cliHelp();
    for (const spec of SETTINGS) {
      const usage = spec.kind === "bool" || spec.kind === "boolOrString" ? `--[no-]${spec.flag}` : `--${spec.flag}=`;
      assert.equal(help.includes(`  ${usage}`), spec.cli, `--help ${spec.cli ? "lists" : "omits"} ${usage}`);
    }
  });
});

describe("README waitress-serve, config and logging sections", () => {
  it("README documents the waitress-serve runner options, exit codes and signals", () => {
    const text = section("waitress-serve");
    for (const option of ["--help", "-h", "--app", "--call", "--config", "--listen", "--log-level", "--"]) {
      assert.ok(text.includes(`\`${option}`), `the waitress-serve section mentions ${option}`);
    }
    for (const word of ["MODULE[:EXPORT]", ":app.fetch", "default export", "SIGTERM", "SIGINT", "SIGHUP", "`--version`",
      "Cannot listen on 127.0.0.1:8080", "no usage", "npm_lifecycle_event", "npx waitress-serve",
      "deno run -A", "bunx --bun waitress-serve"]) {
      assert.ok(text.includes(word), `the waitress-serve section mentions ${word}`);
    }
    assert.match(text, /\| 0 \|/);
    assert.match(text, /\| 1 \|/);
  });

  it("the README's config-file example loads and resolves with settingsFromIni() and resolveSettings()", () => {
    const text = section("Config files");
    const example = /```ini\n([^]*?)```/.exec(text)?.[1];
    assert.ok(example !== undefined, "the Config files section has an ini example");
    const ini = parseIni(example);
    assert.equal(ini["server:main"]?.["use"], "egg:waitress#main");
    const { options, app, logLevel } = settingsFromIni(ini);
    assert.equal(app, "dist/server.js:app.fetch");
    assert.equal(logLevel, "info");
    const { settings } = resolveSettings({ ...options, logLevel });
    assert.deepEqual(settings.listen, [{ host: "127.0.0.1", port: 8080 }, { host: "::1", port: 8080 }]);
    assert.equal(settings.threads, 8);
    assert.equal(settings.maxRequestBodySize, 10485760);
    assert.deepEqual([...settings.trustedProxyHeaders], ["x-forwarded-for", "x-forwarded-proto"]);
  });

  it("README's Logging section names the logger, the levels, both defaults and the logger option", () => {
    const text = section("Logging");
    for (const word of ["`waitress`", "`debug`", "`info`", "`warning`", "`error`", "`logger`", "`logLevel`",
      "`--log-level`", "[logger_waitress]", "Serving on"]) {
      assert.ok(text.includes(word), `the Logging section mentions ${word}`);
    }
    assert.match(text, /default is `info` for\s+`serve\(\)` and `waitress-serve`/);
    assert.match(text, /`warning` for `createServer\(\)`/);
  });

  it("every --option in the README's command lines and prose is a real waitress-serve option", () => {
    const cli = SETTINGS.filter((s) => s.cli);
    const known = new Set(["help", "version", "app", "call", "config", "systemd-sockets", "no-systemd-sockets", ...cli.map((s) => s.flag),
      ...cli.filter((s) => s.kind === "bool" || s.kind === "boolOrString").map((s) => `no-${s.flag}`)]);
    // Options of other programs that appear in the same command lines.
    const foreign = new Set(["bun"]);
    const text = ["waitress-serve", "Config files", "Logging"].map(section).join("\n") +
      readme.slice(readme.indexOf(genDocs.START), readme.indexOf(genDocs.END));
    const used = new Set([...text.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!));
    assert.ok(used.size > 10, "found the options");
    for (const name of used) {
      if (foreign.has(name) || name === "name" || name === "no-name" || name === "flag" || name === "no-flag" ||
        name === "hyphenated") continue;
      assert.ok(known.has(name), `README mentions --${name}, which waitress-serve does not have`);
    }
  });
});
