// The layout stays free of import circles between modules (the guide's rule; a circle makes load
// order matter and hides which layer depends on which). Type-only imports are erased at build time
// and left out. Parsed with the TypeScript compiler, so every import form counts, dynamic ones too.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '../../harness');

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? modules(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative modules a file imports at run time. */
export function runtimeImports(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  const add = (spec: ts.Expression | undefined): void => {
    if (spec && ts.isStringLiteral(spec) && spec.text.startsWith('.')) out.push(path.resolve(path.dirname(file), spec.text.replace(/\.js$/, '.ts')));
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && !n.importClause?.isTypeOnly) {
      const named = n.importClause?.namedBindings;
      // `import { type A, type B } from` is erased too
      const allTypes = !n.importClause?.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      if (!allTypes) add(n.moduleSpecifier);
    } else if (ts.isExportDeclaration(n) && !n.isTypeOnly) add(n.moduleSpecifier);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) add(n.arguments[0]);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Circles in a module graph (Tarjan's strongly connected components of more than one module, or a self-import). */
export function circles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('layout: no import circles between harness modules', () => {
  it('finds circles, and type-only imports do not count', () => {
    expect(circles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).to.deep.equal([['a', 'b', 'c']]);
    expect(circles(new Map([['a', ['b']], ['b', []]]))).to.deep.equal([]);
    const imports = runtimeImports('/x/a.ts', "import type { A } from './t.js';\nimport { type B } from './u.js';\nimport { c } from './c.js';\nexport * from './d.js';\nconst e = await import('./e.js');");
    expect(imports.map((p) => path.basename(p))).to.deep.equal(['c.ts', 'd.ts', 'e.ts']);
  });

  it('harness/ has none', () => {
    const files = modules(ROOT);
    const graph = new Map(files.map((f) => [f, runtimeImports(f, readFileSync(f, 'utf8'))]));
    const found = circles(graph).map((c) => c.map((f) => path.relative(ROOT, f)).join(' <-> '));
    expect(found, 'modules importing each other (move what they share into a module of its own)').to.deep.equal([]);
  });
});
