// Jest runs CommonJS; @nestjs/terminus 12 ships as ES modules only (Node >= 20.19 requires them
// natively, so the built apps need nothing). For tests, this turns its files into CommonJS with the
// TypeScript compiler, after replacing the few `import.meta` uses CommonJS has equivalents for.
// Loading it through jest's own registry keeps one copy of @nestjs/common (a second copy, e.g. via
// Node's native require, would break Nest's class-based injection and `instanceof` checks).
const { createHash } = require('node:crypto');
const ts = require('typescript');

const VERSION = '1';

function toCommonJs(source) {
  return source
    .replace(/^const require = createRequire\(import\.meta\.url\);$/m, '')
    .replace(/import\.meta\.resolve\(/g, 'require.resolve(')
    .replace(/import\.meta\.dirname/g, '__dirname')
    .replace(/import\.meta\.url/g, "require('node:url').pathToFileURL(__filename).href");
}

module.exports = {
  process(source, filename) {
    const { outputText } = ts.transpileModule(toCommonJs(source), {
      fileName: filename,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        allowJs: true,
      },
    });
    return { code: outputText };
  },
  getCacheKey(source, filename) {
    return createHash('sha256').update(VERSION).update(filename).update(source).digest('hex');
  },
};
