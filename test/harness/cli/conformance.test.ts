// `netpol-harness conformance` bad input without a cluster: a session whose enforcement canary fails
// (a fake start) must give exit 2 "this CNI does not enforce NetworkPolicy" and still write
// conformance.json/md saying so; other start failures pass through and write nothing.
import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBattery } from '../../../harness/cli/commands/conformance.js';
import { generateBattery } from '../../../harness/conformance/generate.js';
import { parseConformance } from '../../../harness/conformance/report-schema.js';
import { EnforcementError, EXIT, InfraError } from '../../../harness/errors.js';
import type { HarnessSession } from '../../../harness/run/session.js';

describe('cli: conformance, when the cluster cannot answer', () => {
  const battery = generateBattery({ focus: ['isolation-ingress'] });
  let dir: string;
  const out: string[] = [];
  let write: typeof process.stdout.write;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nph-conformance-cli-'));
    write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (out.push(s), true));
  });
  afterEach(async () => {
    process.stdout.write = write;
    out.length = 0;
    await rm(dir, { recursive: true, force: true });
  });

  it('a failed canary: exit 2 "this CNI does not enforce NetworkPolicy", and a report saying so', async () => {
    const canary = (): Promise<HarnessSession> => Promise.reject(new EnforcementError('client -> server stayed connected after a deny-all policy (nph-canary)'));
    const err = await startBattery(battery, { cluster: { provider: 'existing' } }, { provider: 'existing', cni: 'calico', reportDir: dir }, canary).then(
      () => expect.fail('should have thrown'),
      (e: unknown) => e,
    );
    process.stdout.write = write;
    expect(err).to.be.instanceOf(EnforcementError);
    expect((err as EnforcementError).exitCode).to.equal(EXIT.error);
    expect((err as Error).message).to.equal('this CNI does not enforce NetworkPolicy: client -> server stayed connected after a deny-all policy (nph-canary)');
    expect((err as EnforcementError).hint).to.match(/install an enforcing CNI/);
    const report = parseConformance(JSON.parse(await readFile(path.join(dir, 'conformance.json'), 'utf8')), 'conformance.json');
    expect(report).to.include({ cni: 'calico', provider: 'existing' });
    expect(report.notEnforcing).to.match(/stayed connected/);
    expect(report.cases).to.deep.equal([]);
    expect(report.profile.suggested).to.equal('none');
    expect(await readFile(path.join(dir, 'conformance.md'), 'utf8')).to.include('This CNI does not enforce NetworkPolicy');
    expect(out.join('')).to.include(`reports: ${path.join(dir, 'conformance.json')}`);
  });

  it('any other start failure passes through unchanged and writes no report', async () => {
    const broken = (): Promise<HarnessSession> => Promise.reject(new InfraError('cannot reach the API server'));
    const err = await startBattery(battery, { cluster: { provider: 'existing' } }, { provider: 'existing', reportDir: dir }, broken).then(
      () => expect.fail('should have thrown'),
      (e: unknown) => e,
    );
    process.stdout.write = write;
    expect(err).to.be.instanceOf(InfraError).and.not.be.instanceOf(EnforcementError);
    expect((err as Error).message).to.equal('cannot reach the API server');
    expect(await readdir(dir)).to.deep.equal([]);
  });
});
