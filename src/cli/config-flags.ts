import { type Command, Option } from "commander";
import { CONFIG_ENV, envName, isFileOnly, OPTION_SPECS, type OptionSpec, optionFlag } from "../config.js";

/** Flag values by option key, as typed, and the `--config` flag. */
export interface ConfigFlags {
  flags: Record<string, string | undefined>;
  configPath: string | undefined;
}

/**
 * Adds `--config FILE` and one flag per option of the spec table, or per option of `only` (keys) when given;
 * returns a reader of their values.
 */
export function addConfigFlags(command: Command, only?: readonly string[]): () => ConfigFlags {
  const config = new Option("--config <file>", `JSON config file (env ${CONFIG_ENV})`);
  command.addOption(config);
  const options = new Map<OptionSpec, Option>();
  for (const spec of OPTION_SPECS) {
    if (isFileOnly(spec) || (only !== undefined && !only.includes(spec.key))) continue;
    const option = new Option(`--${optionFlag(spec)} ${placeholder(spec)}`, helpText(spec));
    command.addOption(option);
    options.set(spec, option);
  }
  return () => {
    const flags: Record<string, string | undefined> = {};
    for (const [spec, option] of options) {
      const value: string | boolean | undefined = command.getOptionValue(option.attributeName());
      // A boolean flag given with no value (`--redis-tls`) means true.
      flags[spec.key] = value === true ? "true" : value === false ? "false" : value;
    }
    return { flags, configPath: command.getOptionValue(config.attributeName()) };
  };
}

function placeholder(spec: OptionSpec): string {
  switch (spec.type) {
    case "integer":
      return "<n>";
    case "choice":
      return `<${spec.choices.join("|")}>`;
    case "boolean":
      return "[true|false]";
    case "url":
      return "<url>";
    case "addresses":
      return "<host:port,...>";
    case "list":
      return "<list>";
    default:
      return "<value>";
  }
}

function helpText(spec: OptionSpec): string {
  const fallback = spec.default === undefined ? "" : `, default ${spec.default}`;
  return `${spec.description} (env ${envName(spec.key)}${fallback})`;
}
