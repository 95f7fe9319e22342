/**
 * Finds and reads the configuration file; everything else (rules, defaults, merge) is
 * `resolveConfig`'s. Precedence: `--config FILE`, then `THERMOCLINE_CONFIG`, then
 * `thermocline.config.json` in the working directory, else the defaults alone.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ConfigError, defaultConfig, resolveConfig } from '#core/config/resolve';
import type { ThermoclineConfig } from '#core/config/schema';
import { findJsonSyntaxError, lineAndColumn } from '#core/json-syntax';

/** The file looked for in the working directory when no path is given. */
export const CONFIG_FILE_NAME = 'thermocline.config.json';
/** The environment variable naming the config file when `--config` is not given. */
export const CONFIG_ENV_VAR = 'THERMOCLINE_CONFIG';

/** Where {@link loadConfig} looks. */
export interface LoadConfigOptions {
  /** The `--config FILE` value; relative to `cwd`. Wins over everything else. */
  readonly configPath?: string | undefined;
  /** The directory relative paths resolve against and where `thermocline.config.json` is looked for. */
  readonly cwd: string;
  /** The environment (`THERMOCLINE_CONFIG`). */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Loads the configuration: the first of `configPath`, `$THERMOCLINE_CONFIG` (both relative to
 * `cwd`; a missing file is an error) and `cwd/thermocline.config.json` (used only when present),
 * resolved over the defaults; the defaults alone when there is no file.
 * @returns the resolved config and its `source`: the file's path (relative to `cwd` when inside
 *   it), or `defaults`.
 * @throws ConfigError for a missing or unreadable file, invalid JSON (with line and column), or
 *   any rule the content breaks.
 * @example
 * const config = loadConfig({ configPath: options.config, cwd: process.cwd(), env: process.env });
 * console.log(`Config: ${config.source}`); // 'thermocline.config.json' or 'defaults'
 */
export function loadConfig(options: LoadConfigOptions): ThermoclineConfig & { source: string } {
  const file = findConfigFile(options);
  const source = displayPath(file.path, options.cwd);
  const text = readConfigText(file, source);
  if (text === undefined) return { ...defaultConfig(), source: 'defaults' };
  return { ...resolveConfig(parseJson(text, source), source), source };
}

interface ConfigFileLocation {
  /** Absolute path. */
  readonly path: string;
  /** `--config` or `THERMOCLINE_CONFIG`; `undefined` for the working directory's default file. */
  readonly givenBy?: string;
}

function findConfigFile({ configPath, cwd, env }: LoadConfigOptions): ConfigFileLocation {
  if (configPath) return { path: resolve(cwd, configPath), givenBy: '--config' };
  const fromEnv = env[CONFIG_ENV_VAR];
  if (fromEnv) return { path: resolve(cwd, fromEnv), givenBy: CONFIG_ENV_VAR };
  return { path: resolve(cwd, CONFIG_FILE_NAME) };
}

/**
 * The file's text; `undefined` when the working directory's default file does not exist (a file
 * named by `--config` or `THERMOCLINE_CONFIG` must exist).
 */
function readConfigText(file: ConfigFileLocation, source: string): string | undefined {
  try {
    return readFileSync(file.path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !file.givenBy) return undefined;
    const problem =
      code === 'ENOENT'
        ? `config file not found: ${file.path}`
        : code === 'EISDIR'
          ? `${file.path} is a directory, not a config file`
          : `config file ${file.path} cannot be read: ${(error as Error).message}`;
    const hint = file.givenBy
      ? `Check the path given by ${file.givenBy}, or leave ${file.givenBy} out to use ` +
        `./${CONFIG_FILE_NAME} or the defaults.`
      : `Make ${source} a readable file, or remove it to use the defaults.`;
    throw new ConfigError(
      source,
      [{ path: '', message: file.givenBy ? `${problem} (given by ${file.givenBy})` : problem }],
      hint,
    );
  }
}

function displayPath(path: string, cwd: string): string {
  const fromCwd = relative(resolve(cwd), path);
  return fromCwd && !fromCwd.startsWith('..') && !isAbsolute(fromCwd) ? fromCwd : path;
}

/** Parses JSON, or throws a ConfigError naming the line and column of the first syntax error. */
function parseJson(text: string, source: string): unknown {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (error) {
    const found = findJsonSyntaxError(body) ?? { offset: 0, message: (error as Error).message };
    const { line, column } = lineAndColumn(body, found.offset);
    throw new ConfigError(source, [
      { path: '', message: `invalid JSON at line ${line}, column ${column}: ${found.message}` },
    ]);
  }
}
