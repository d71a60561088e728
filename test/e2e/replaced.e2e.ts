// Pods replaced mid-run are learnt again, on a real kind cluster (kube-router). While the `locked`
// step of test/fixtures/e2e/replaced probes, the user's own `api` pod (probed in place through an
// ephemeral container) and the harness's `db` pod are deleted; their Deployments recreate them
// with new names and IPs. Every cell of that step is a verdict that matches or an error, never a
// wrong verdict; the next step probes from the new api pod (a new probe container there) and to
// the new pods' IPs, with every cell correct, and the repro commands name the new pods.
// Needs python:3.11-slim from `npm run images`. Runs only with NPH_E2E_FAULTS=1 (about 3 minutes).
import { expect } from 'chai';
import { execa } from 'execa';
import path from 'node:path';
import { ApiServerEphemeralApi } from '../../harness/apply/ephemeral.js';
import type { PodLike } from '../../harness/cluster/kube-types.js';
import { readImagesEnv } from '../../harness/cluster/paths.js';
import { createProgress } from '../../harness/cluster/progress.js';
import { verdictOf, type CellResult, type StepResult } from '../../harness/diff/result.js';
import { HarnessSession } from '../../harness/run/session.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SUITE = path.join(ROOT, 'test/fixtures/e2e/replaced/suite.yaml');
const CLUSTER = process.env.NPH_E2E_REPLACED_CLUSTER ?? 'nph-f-inplace';
const KIND = process.env.NPH_KIND ?? readImagesEnv().NPH_KIND ?? 'kind';
const DOCKER = process.env.NPH_DOCKER ?? 'docker';
const IMAGE = 'python:3.11-slim';

const cell = (s: StepResult, src: string, col: string): CellResult => {
  const c = s.cells.find((x) => x.src === src && x.col === col);
  if (!c) throw new Error(`no cell ${src} -> ${col} in step ${s.name}`);
  return c;
};
const line = (c: CellResult): string => `${c.src} -> ${c.col}: expected ${c.expected}, observed ${c.observed?.class ?? '-'} (${c.observed?.detail ?? ''})`;

describe('pods replaced mid-step are learnt again (real cluster)', function () {
  this.timeout(900_000);
  let skipped = false;
  let session: HarnessSession | undefined;
  const steps = new Map<string, StepResult>();
  const before_: { api?: PodLike; db?: PodLike } = {};
  const after_: { api?: PodLike; db?: PodLike } = {};

  const podOf = async (app: string): Promise<PodLike> => {
    const pods = await session!.cluster!.client.list<PodLike>('v1', 'Pod', { namespace: 'shop', labelSelector: `app=${app}` });
    const live = pods.filter((p) => p.metadata.deletionTimestamp === undefined && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    if (live.length !== 1) throw new Error(`expected one Ready ${app} pod, found ${live.map((p) => p.metadata.name).join(', ') || 'none'}`);
    return live[0]!;
  };

  before(async function () {
    if (process.env.NPH_E2E_FAULTS !== '1') {
      console.log('SKIPPED: replaced pods e2e brings up a kind cluster (about 3 minutes); run it with NPH_E2E_FAULTS=1');
      skipped = true;
      this.skip();
    }
    if ((await execa(DOCKER, ['image', 'inspect', IMAGE], { reject: false })).exitCode !== 0) {
      console.log(`SKIPPED: image ${IMAGE} is not in the local Docker engine (build it: npm run images)`);
      skipped = true;
      this.skip();
    }
    await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
    const ref: { s?: HarnessSession } = {};
    session = ref.s = await HarnessSession.start(SUITE, {
      cluster: { name: CLUSTER },
      skipCanary: true,
      progress: createProgress({ stream: process.stderr, live: false }),
      onProbing: async (step) => {
        if (step !== 'locked') return;
        const client = ref.s!.cluster!.client;
        before_.api = await podOf('api');
        before_.db = await podOf('db');
        // Deleted as a user or an eviction would (default grace, no wait): the probing starts at once.
        for (const p of [before_.api, before_.db]) await client.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: p.metadata.name! });
      },
    });
    for (const name of ['open', 'locked']) steps.set(name, await session.runStep(name));
    // The next step re-learns what is live when it starts: let the replacements become Ready first.
    for (let i = 0; ; i++) {
      try {
        after_.api = await podOf('api');
        after_.db = await podOf('db');
        break;
      } catch (e) {
        if (i >= 90) throw e;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    steps.set('after', await session.runStep('after'));
    for (const s of steps.values()) {
      const i = s.infrastructure;
      process.stderr.write(
        `REPLACED-FIGURES ${JSON.stringify({ step: s.name, cells: s.cells.length, errors: s.cells.filter((c) => !c.observed || verdictOf(c.observed.class) === undefined).length, durationMs: s.durationMs, timeToEnforceMs: s.timeToEnforceMs, execFailures: i?.execFailures, execRetries: i?.execRetries, distrusted: i?.distrusted, events: i?.events.map((e) => `${e.at.slice(11, 19)} ${e.kind} ${e.subject}${e.detail ? ` ${e.detail.slice(0, 80)}` : ''}`) })}\n`,
      );
    }
  });

  after(async () => {
    await session?.stop();
    if (!skipped) await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
  });

  it('the pods were really replaced (new names and IPs)', () => {
    expect(after_.api!.metadata.name).to.not.equal(before_.api!.metadata.name);
    expect(after_.db!.metadata.name).to.not.equal(before_.db!.metadata.name);
    expect(after_.db!.status?.podIP).to.not.equal(before_.db!.status?.podIP);
  });

  it('while they were replaced: every cell is a matching verdict or an error, never a wrong verdict', () => {
    const wrong = steps.get('locked')!.cells.filter((c) => c.observed && verdictOf(c.observed.class) !== undefined && verdictOf(c.observed.class) !== c.expected);
    expect(wrong.map(line)).to.deep.equal([]);
    for (const c of steps.get('locked')!.cells) console.log(`    locked: ${line(c)}\n      repro: ${c.observed?.repro ?? '-'}`);
  });

  it('the next step probes from the new api pod through a new probe container, and to the new pods` IPs: all correct', async () => {
    const s = steps.get('after')!;
    expect(s.cells.filter((c) => c.observed?.verdict !== c.expected).map(line)).to.deep.equal([]);
    const newApi = after_.api!.metadata.name!;
    for (const col of ['shop/client:80/TCP', 'shop/db:5432/TCP']) {
      const repro = cell(s, 'shop/api', col).observed!.repro!;
      expect(repro).to.include(` ${newApi} -c nph-probe`);
      expect(repro).to.not.include(before_.api!.metadata.name!);
    }
    expect(cell(s, 'shop/client', 'shop/api:8080/TCP').observed!.repro).to.include(`"host":"${after_.api!.status!.podIP!}"`);
    expect(cell(s, 'shop/client', 'shop/db:5432/TCP').observed!.repro).to.include(`"host":"${after_.db!.status!.podIP!}"`);
    expect(cell(s, 'shop/db', 'shop/client:80/TCP').observed!.repro).to.include(` ${after_.db!.metadata.name!} -c agent`);
    const pod = await new ApiServerEphemeralApi(session!.cluster!.kubeConfig).readPod('shop', newApi);
    expect((pod.spec?.ephemeralContainers ?? []).map((e) => e.name)).to.deep.equal(['nph-probe']);
  });
});
