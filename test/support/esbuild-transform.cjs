// Jest transform: TypeScript (and ES modules from node_modules) to CommonJS with esbuild, which
// the CDK bundling already needs. Type checking is `tsc` in `npm run lint`, not the tests' job.
'use strict';
const { transformSync } = require('esbuild');
const { createHash } = require('node:crypto');

module.exports = {
  getCacheKey(source, path) {
    return createHash('sha1').update(path).update('\0').update(source).update('\0v1').digest('hex');
  },
  process(source, path) {
    const { code, map } = transformSync(source, {
      loader: path.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: path,
    });
    return { code, map };
  },
};
