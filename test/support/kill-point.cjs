/**
 * Test-only preload for the reliability suite's crash scenarios (`NODE_OPTIONS=--require …`):
 * with THERMOCLINE_KILL_AT=<point>, the process SIGKILLs itself — no cleanup, no `finally`, as
 * `kill -9` or a lost machine would stop it — the first time the export reaches that point. The
 * points are observed from outside the code under test (the pg-copy-streams module and the
 * file-system calls the local adapters make), so production code carries no test hook:
 *
 * - `copy`:    the first rows PostgreSQL's `COPY … TO STDOUT` sends have arrived (mid-COPY);
 * - `encode`:  DuckDB has written the Parquet files to scratch space (before the checksums);
 * - `upload`:  the first data file is copied into the lake under its temporary name (mid-upload);
 * - `commit`:  the catalog file was replaced by the commit, before the day manifest is written.
 *
 * It writes `kill-point <name>` to stderr right before, so a test can tell the point was reached.
 */
'use strict';
const point = process.env.THERMOCLINE_KILL_AT;
const POINTS = ['copy', 'encode', 'upload', 'commit'];
if (point) {
  if (!POINTS.includes(point)) {
    throw new Error(`THERMOCLINE_KILL_AT=${point}: not a kill point (${POINTS.join(', ')})`);
  }
  const fsp = require('node:fs/promises');
  const { sep } = require('node:path');
  const lake = `${sep}lake${sep}`;
  let version; // the `v=<run>` folder this process uploads into
  const die = () => {
    require('node:fs').writeSync(2, `kill-point ${point}\n`);
    process.kill(process.pid, 'SIGKILL');
  };

  if (point === 'copy') {
    const copy = require('pg-copy-streams');
    const to = copy.to;
    copy.to = (...args) => {
      const stream = to(...args);
      const push = stream.push.bind(stream);
      stream.push = (chunk, ...rest) => {
        if (chunk && chunk.length > 0) die();
        return push(chunk, ...rest);
      };
      return stream;
    };
  }

  const rm = fsp.rm;
  fsp.rm = async (path, ...rest) => {
    const done = await rm(path, ...rest);
    // The encoder removes its named pipe once DuckDB has written every file.
    if (point === 'encode' && String(path).endsWith(`${sep}rows.csv`)) die();
    return done;
  };

  const copyFile = fsp.copyFile;
  fsp.copyFile = async (from, to, ...rest) => {
    const done = await copyFile(from, to, ...rest);
    if (String(to).includes(lake) && String(from).endsWith('.parquet')) {
      version = /[/\\](v=[^/\\]+)[/\\]/.exec(String(to))?.[1];
      if (point === 'upload') die();
    }
    return done;
  };

  const rename = fsp.rename;
  fsp.rename = async (from, to, ...rest) => {
    const done = await rename(from, to, ...rest);
    // The commit: the catalog now names this run's version folder.
    if (point === 'commit' && version && String(to).endsWith('catalog.json')) {
      if (require('node:fs').readFileSync(to, 'utf8').includes(`/${version}/`)) die();
    }
    return done;
  };
}
