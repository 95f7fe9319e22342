// Bootstrap of the embedded-Postgres worker thread: the thread starts as plain Node, so it
// registers tsx to run the TypeScript entry (the same way bin/thermocline-cli.cjs does).
'use strict';
require('tsx/cjs');
require('./pglite-worker.ts');
