import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_FILE_NAME, loadConfig } from '#adapters/local/config-file';
import { ConfigError } from '#core/config/resolve';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thermocline-config-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a config file setting prod's scan cutoff to `gb`, so each file is recognisable. */
function writeConfig(name: string, gb: number): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ environments: { prod: { scan_cutoff_gb: gb } } }));
  return path;
}

function errorOf(act: () => unknown): ConfigError {
  try {
    act();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: which file', () => {
  it('uses the defaults when there is no file', () => {
    // Act
    const config = loadConfig({ cwd: dir, env: {} });

    // Assess
    expect([config.source, config.environments.prod.scan_cutoff_gb]).toEqual(['defaults', 10]);
  });

  it('reads thermocline.config.json in the working directory', () => {
    // Prepare
    writeConfig(CONFIG_FILE_NAME, 11);

    // Act
    const config = loadConfig({ cwd: dir, env: {} });

    // Assess
    expect([config.source, config.environments.prod.scan_cutoff_gb]).toEqual([
      'thermocline.config.json',
      11,
    ]);
  });

  it('prefers THERMOCLINE_CONFIG over the working directory file', () => {
    // Prepare
    writeConfig(CONFIG_FILE_NAME, 11);
    writeConfig('from-env.json', 12);

    // Act
    const config = loadConfig({ cwd: dir, env: { THERMOCLINE_CONFIG: 'from-env.json' } });

    // Assess
    expect([config.source, config.environments.prod.scan_cutoff_gb]).toEqual(['from-env.json', 12]);
  });

  it('prefers --config over THERMOCLINE_CONFIG', () => {
    // Prepare
    writeConfig(CONFIG_FILE_NAME, 11);
    writeConfig('from-env.json', 12);
    writeConfig('explicit.json', 13);

    // Act
    const config = loadConfig({
      configPath: 'explicit.json',
      cwd: dir,
      env: { THERMOCLINE_CONFIG: 'from-env.json' },
    });

    // Assess
    expect([config.source, config.environments.prod.scan_cutoff_gb]).toEqual(['explicit.json', 13]);
  });

  it('ignores an empty THERMOCLINE_CONFIG', () => {
    // Prepare
    writeConfig(CONFIG_FILE_NAME, 11);

    // Act
    const config = loadConfig({ cwd: dir, env: { THERMOCLINE_CONFIG: '' } });

    // Assess
    expect(config.environments.prod.scan_cutoff_gb).toBe(11);
  });

  it('reports a file outside the working directory by its absolute path', () => {
    // Prepare
    const path = writeConfig('outside.json', 14);
    const cwd = join(dir, 'project');
    mkdirSync(cwd);

    // Act
    const config = loadConfig({ configPath: path, cwd, env: {} });

    // Assess
    expect([config.source, config.environments.prod.scan_cutoff_gb]).toEqual([path, 14]);
  });
});

describe('loadConfig: errors', () => {
  it('names a missing --config file', () => {
    // Act
    const error = errorOf(() => loadConfig({ configPath: 'missing.json', cwd: dir, env: {} }));

    // Assess
    expect(error.message).toMatch(
      `missing.json: config file not found: ${join(dir, 'missing.json')} (given by --config)`,
    );
  });

  it('names a missing THERMOCLINE_CONFIG file', () => {
    // Act
    const error = errorOf(() => loadConfig({ cwd: dir, env: { THERMOCLINE_CONFIG: 'gone.json' } }));

    // Assess
    expect(error.message).toContain(
      `config file not found: ${join(dir, 'gone.json')} (given by THERMOCLINE_CONFIG)`,
    );
  });

  it('rejects a directory given as the config file', () => {
    // Act
    const error = errorOf(() => loadConfig({ configPath: '.', cwd: dir, env: {} }));

    // Assess
    expect(error.message).toContain('is a directory, not a config file');
  });

  it('names the file, line and column of invalid JSON', () => {
    // Prepare
    writeFileSync(join(dir, CONFIG_FILE_NAME), '{\n  "tables": [],\n}\n');

    // Act
    const error = errorOf(() => loadConfig({ cwd: dir, env: {} }));

    // Assess
    expect(error.issues).toEqual([
      {
        path: '',
        message:
          "invalid JSON at line 3, column 1: expected a double-quoted property name, found '}' " +
          '(JSON allows no comma before a closing bracket)',
      },
    ]);
    expect(error.message).toMatch(/^thermocline\.config\.json: invalid JSON at line 3, column 1/);
  });

  it.each([
    ['{"environments": {"prod": {"scan_cutoff_gb": }}}', 1, 46, /expected a value/],
    ['{\n  "tables": [\n    {"name": "orders"\n  ]\n}', 4, 3, /expected ',' or '}'/],
    ['{"a": "line\nbreak"}', 1, 12, /no control character/],
    ['{"a": 1} extra', 1, 10, /the end of the file after the value/],
    ['{"a": tru}', 1, 7, /expected a value/],
    ['', 1, 1, /found the end of the file/],
    ['{"a": [1, 2,]}', 1, 13, /no comma before a closing bracket/],
  ])('locates the syntax error in %j', (text, line, column, why) => {
    // Prepare
    writeFileSync(join(dir, CONFIG_FILE_NAME), text);

    // Act
    const error = errorOf(() => loadConfig({ cwd: dir, env: {} }));

    // Assess
    expect(error.issues[0]?.message).toMatch(`invalid JSON at line ${line}, column ${column}: `);
    expect(error.issues[0]?.message).toMatch(why);
  });

  it('accepts a file starting with a byte order mark', () => {
    // Prepare
    writeFileSync(join(dir, CONFIG_FILE_NAME), '\uFEFF{"use_sample_defaults": false}');

    // Act
    const config = loadConfig({ cwd: dir, env: {} });

    // Assess
    expect(config.tables).toEqual([]);
  });

  it('prefixes rule violations with the file path', () => {
    // Prepare
    writeFileSync(
      join(dir, CONFIG_FILE_NAME),
      JSON.stringify({ tables: [{ name: 'orders', partiton_layout: 'ymd' }] }),
    );

    // Act
    const error = errorOf(() => loadConfig({ cwd: dir, env: {} }));

    // Assess
    expect(error.message).toMatch(
      /^thermocline\.config\.json: tables\[0\]\.partiton_layout: unknown key; allowed keys: name,/m,
    );
    expect(error.message.split('\n').at(-1)).toMatch(/^Fix thermocline\.config\.json; /);
  });
});
