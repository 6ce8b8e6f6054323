// The command-line options of the bench scripts: `--name value` or `--name=value`.

/**
 * The value of `--name` in `args` (`--name value` or `--name=value`), or `fallback` when it is absent.
 * @param {string[]} args
 * @param {string} name
 * @param {string | number} [fallback]
 */
export function option(args, name, fallback) {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return fallback;
  return args[i].includes("=") ? args[i].slice(args[i].indexOf("=") + 1) : args[i + 1];
}
