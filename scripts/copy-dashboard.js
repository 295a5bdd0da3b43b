#!/usr/bin/env node
// Part of `npm run build`: copies the dashboard page's files (apps/dispatcher/src/dashboard/public)
// and uPlot's browser build (node_modules/uplot/dist) beside the compiled dashboard module in dist/,
// so dist/ serves /dashboard on its own. tsc compiles TypeScript only; these are served as they are.
const { cpSync, mkdirSync, rmSync } = require('node:fs');
const { dirname, join } = require('node:path');

const root = join(__dirname, '..');
const from = join(root, 'apps/dispatcher/src/dashboard/public');
const to = join(root, 'dist/apps/dispatcher/src/dashboard/public');
const uplot = join(dirname(require.resolve('uplot/package.json', { paths: [root] })), 'dist');

rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
mkdirSync(join(to, 'vendor'), { recursive: true });
for (const file of ['uPlot.esm.js', 'uPlot.min.css']) cpSync(join(uplot, file), join(to, 'vendor', file));
