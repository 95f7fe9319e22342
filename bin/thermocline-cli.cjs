#!/usr/bin/env node
// Launcher for the `thermocline` CLI: registers tsx so the TypeScript sources run as they are
// (no build step between `npm install` and `npx thermocline`), then hands over to bin/cli.ts.
'use strict';
require('tsx/cjs');
require('./cli.ts');
