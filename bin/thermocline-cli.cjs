#!/usr/bin/env node
// Launcher for the `thermocline` CLI: registers tsx so the TypeScript sources run as they are
// (no build step between `npm install` and `npx thermocline`), then hands over to bin/cli.ts.
'use strict';
// libuv's thread pool (4 threads by default) runs Node's file system and DNS work, and DuckDB runs
// each statement on one of its threads for the statement's whole length. With the default size,
// a few long lake queries (the query API runs two at once) or exports would leave the file
// system — the catalog, plan states, the lake — waiting, and light requests with it (#17). The
// pool is created on first use, so this must come before anything loads; a size the user set
// wins.
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '16';
require('tsx/cjs');
require('./cli.ts');
