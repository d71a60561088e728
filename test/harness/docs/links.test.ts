// Every relative link in the README, CONTRIBUTING.md and docs/ points at a file that exists, and every
// anchor at a heading of that file (GitHub's slugs), so moving a section never leaves a dead link.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const FILES = ['README.md', 'CONTRIBUTING.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** `[text](target)` outside code blocks and inline code. */
function links(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((u) => !/^(https?:|mailto:)/.test(u));
}

describe('docs: links', () => {
  it('slugs headings as GitHub does', () => {
    expect(slug('1. Check your policies in every pull request')).to.equal('1-check-your-policies-in-every-pull-request');
    expect(slug('Something is blocked (or open) that should not be')).to.equal('something-is-blocked-or-open-that-should-not-be');
    expect(slug('Random mode: `conformance --random <n> --seed <s>`')).to.equal('random-mode-conformance---random-n---seed-s');
  });

  for (const file of FILES) {
    it(`${file}: every relative link and anchor resolves`, () => {
      const dead: string[] = [];
      for (const link of links(file)) {
        const [target, anchor] = link.split('#') as [string, string | undefined];
        const resolved = target === '' ? path.join(ROOT, file) : path.resolve(path.dirname(path.join(ROOT, file)), decodeURIComponent(target));
        if (!existsSync(resolved)) dead.push(`${link} (no such file)`);
        else if (anchor !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) dead.push(`${link} (no such heading)`);
      }
      expect(dead).to.deep.equal([]);
    });
  }

  it('the README is short and opens on the three paths', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n');
    expect(readme.length).to.be.below(350);
    const toc = readme.findIndex((l) => l === '## Contents');
    const paths = ['#1-check-your-policies-in-every-pull-request', '#2-run-a-nightly-on-kind', '#3-rehearse-a-change-on-staging'].map((a) => readme.findIndex((l) => l.includes(`](${a})`)));
    // Within the first screen (about 40 lines) of the table of contents.
    for (const i of paths) expect(i).to.be.within(toc, toc + 12);
  });
});
