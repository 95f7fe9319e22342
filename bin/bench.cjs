#!/usr/bin/env node
// `npm run bench -- <name> [options]`: runs bench/<name>.ts through tsx.
'use strict';
require('tsx/cjs');
require('../bench/index.ts');
