// What `npm run bench` (bench/run.mjs) measures: the workloads, the servers, the targets, and
// which of them an `--only` selection runs. Shared by the runner and the report.

export const RUNTIMES = ["node", "deno", "bun"];
/**
 * What --only selects: the three runtimes (native vs ours), the two extra comparisons, and the
 * raw socket ceilings (one per runtime).
 */
export const GROUPS = [...RUNTIMES, "python", "hono", "raw"];
/** The workloads the raw socket responders answer (GET without a body); they skip the others. */
export const RAW_WORKLOADS = ["hello", "pipelined", "close"];
/** Debian's python3-waitress is installed for the system Python, not for a pyenv/venv `python3`. */
export const DEFAULT_PYTHON = "/usr/bin/python3";

const POST_64K = `wrk.method = "POST"
wrk.body = string.rep("x", 65536)
wrk.headers["Content-Type"] = "application/octet-stream"
`;

/**
 * Each workload: what wrk sends (`lua`, `wrkArgs`), what h2load sends (`h2load`: extra arguments,
 * `post` bytes of body) and what one correct response looks like (`check`).
 */
export const WORKLOADS = {
  hello: {
    title: "GET / keep-alive, \"Hello World\" (11 bytes)",
    h2load: {},
    check: { bytes: 11 },
  },
  pipelined: {
    title: "GET / keep-alive, 16 requests pipelined per write (wrk Lua script)",
    lua: `init = function(args)
  local r = {}
  for i = 1, 16 do r[i] = wrk.format(nil, "/") end
  req = table.concat(r)
end
request = function() return req end
`,
    // h2load keeps 16 requests in flight per connection (`-m 16`) rather than writing batches of 16.
    h2load: { args: ["-m", "16"] },
    check: { bytes: 11 },
  },
  close: {
    title: "GET / with `Connection: close` (a new TCP connection per request)",
    wrkArgs: ["-H", "Connection: close"],
    h2load: { args: ["-H", "Connection: close"] },
    check: { bytes: 11 },
  },
  echo: {
    title: "POST 64 KiB body, echoed back (keep-alive)",
    lua: POST_64K,
    h2load: { post: 65536 },
    check: { bytes: 65536, post: 65536 },
  },
  "stream-echo": {
    title: "POST 64 KiB body read as a stream (`for await`), piped into a streamed response (keep-alive)",
    lua: POST_64K,
    h2load: { post: 65536 },
    check: { bytes: 65536, post: 65536 },
  },
  big: {
    title: "GET / keep-alive, 1 MiB response body",
    h2load: {},
    check: { bytes: 1024 * 1024 },
  },
};

/**
 * The servers. `group` is what --only selects: a runtime (its native server and ours), `python`
 * (Python's Waitress), `hono` (one Hono app on @hono/node-server and on ours, on Node) or `raw`
 * (a minimal responder on each runtime's socket API: a ceiling, not a competitor).
 * `ratioTo` is the key of the server a row is divided by in the tables and the chart.
 * `workloads`, when set, limits a server to those workloads.
 */
export const SERVERS = [
  { key: "node-native", group: "node", runtime: "node", kind: "native", label: "node:http", script: "node_http.mjs", color: "#9bbf8f" },
  { key: "node-ours", group: "node", runtime: "node", kind: "ours", label: "ours (dist/)", script: "ours_node.mjs", ratioTo: "node-native", color: "#3f7f2f" },
  { key: "node-raw", group: "raw", runtime: "node", kind: "raw", label: "raw node:net", script: "raw_node.mjs", workloads: RAW_WORKLOADS, color: "#c9c9c9" },
  { key: "deno-native", group: "deno", runtime: "deno", kind: "native", label: "Deno.serve", script: "deno_serve.mjs", color: "#9fb4d8" },
  { key: "deno-ours", group: "deno", runtime: "deno", kind: "ours", label: "ours (mod.ts)", script: "ours_deno.mjs", ratioTo: "deno-native", color: "#2f5597" },
  { key: "deno-raw", group: "raw", runtime: "deno", kind: "raw", label: "raw Deno.listen", script: "raw_deno.mjs", workloads: RAW_WORKLOADS, color: "#c9c9c9" },
  { key: "bun-native", group: "bun", runtime: "bun", kind: "native", label: "Bun.serve", script: "bun_serve.mjs", color: "#e6c58f" },
  { key: "bun-ours", group: "bun", runtime: "bun", kind: "ours", label: "ours (mod.ts)", script: "ours_bun.mjs", ratioTo: "bun-native", color: "#b07a1f" },
  { key: "bun-raw", group: "raw", runtime: "bun", kind: "raw", label: "raw Bun.listen", script: "raw_bun.mjs", workloads: RAW_WORKLOADS, color: "#c9c9c9" },
  { key: "python-waitress", group: "python", runtime: "python", kind: "reference", label: "Waitress (threads=4)", script: "python_waitress.py", color: "#b9a3d0" },
  { key: "node-hono", group: "hono", runtime: "node", kind: "reference", label: "@hono/node-server + Hono", script: "hono_node_server.mjs", color: "#e0a3a3" },
  { key: "node-ours-hono", group: "hono", runtime: "node", kind: "ours", label: "ours (dist/) + Hono", script: "ours_hono_node.mjs", ratioTo: "node-hono", color: "#a33a3a" },
];
export const SERVER = Object.fromEntries(SERVERS.map((s) => [s.key, s]));

/**
 * The extra comparisons' targets (from the project's performance issue): ours on every runtime at
 * least 8× Python's Waitress on hello (keep-alive), and ours + Hono at least 1.5× @hono/node-server
 * on Node on every workload. Other workloads against Waitress are reported without a target.
 */
export const TARGETS = {
  python: { ratio: 8, workloads: ["hello"] },
  hono: { ratio: 1.5, workloads: Object.keys(WORKLOADS) },
};

/** A client core busier than this during a run: the client set the pace, req/s is a lower bound. */
export const CLIENT_BUSY_LIMIT = 0.9;

export const selected = (opts) => SERVERS.filter((s) => opts.only.includes(s.group));
/** The selected servers that run a workload (the raw responders only answer RAW_WORKLOADS). */
export const serversFor = (opts, workload) => selected(opts).filter((s) => !s.workloads || s.workloads.includes(workload));
/** Whether a runtime's binary is needed: one of its servers is selected. */
export const usesRuntime = (opts, runtime) => selected(opts).some((s) => s.runtime === runtime);
export const runtimesOf = (opts) => RUNTIMES.filter((r) => opts.only.includes(r));
