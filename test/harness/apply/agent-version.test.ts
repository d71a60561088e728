// The agent's version lives in images/agent/VERSION (the image tag, the binary's `version`, the
// build stamps all read it); the fallback tag in the code must say the same, so a bump is one edit
// plus this constant.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUNDLED_AGENT_IMAGE } from '../../../harness/apply/workloads.js';

const AGENT = path.resolve(import.meta.dirname, '..', '..', '..', 'images/agent');

describe('apply/workloads: the bundled agent image tag', () => {
  it('is images/agent/IMAGE:VERSION', () => {
    const image = readFileSync(path.join(AGENT, 'IMAGE'), 'utf8').trim();
    const version = readFileSync(path.join(AGENT, 'VERSION'), 'utf8').trim();
    expect(BUNDLED_AGENT_IMAGE).to.equal(`${image}:${version}`);
  });

  it('is past 0.1.0, which had no witness mode', () => {
    const [major, minor] = readFileSync(path.join(AGENT, 'VERSION'), 'utf8').trim().split('.').map(Number);
    expect(major! > 0 || minor! >= 2).to.equal(true);
  });
});
